/// Where a JSON text first stops being JSON (RFC 8259), as line and column, for error messages.
///
/// Foundation's decoder reports only "The given data was not valid JSON."; an operator who
/// edited a study file by hand needs the line and column and what was expected there. This is
/// a checker only (no values are built); the decoder still does the decoding.
struct JSONSyntaxError: Equatable, Sendable {
  /// 1-based line.
  var line: Int
  /// 1-based column, counted in bytes of the line.
  var column: Int
  /// What was wrong, e.g. "expected a value, found '}'".
  var problem: String

}

enum JSONSyntax {
  /// The first syntax error of `bytes`, or nil when it is one well-formed JSON value
  /// (surrounded by whitespace only). Nesting deeper than `maxDepth` is an error too.
  static func firstError(in bytes: [UInt8], maxDepth: Int = 512) -> JSONSyntaxError? {
    var scanner = Scanner(bytes: bytes, maxDepth: maxDepth)
    return scanner.document()
  }

  private struct Scanner {
    let bytes: [UInt8]
    let maxDepth: Int
    var i = 0

    init(bytes: [UInt8], maxDepth: Int) {
      self.bytes = bytes
      self.maxDepth = maxDepth
      // A UTF-8 byte order mark is allowed before the text (RFC 8259 §8.1 lets parsers skip it).
      if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
    }

    mutating func document() -> JSONSyntaxError? {
      skipSpace()
      if let error = value(depth: 0) { return error }
      skipSpace()
      return i < bytes.count ? fail("expected the end of the text after the value") : nil
    }

    func fail(_ expected: String) -> JSONSyntaxError {
      var line = 1
      var lineStart = 0
      for k in 0..<min(i, bytes.count) where bytes[k] == 10 {
        line += 1
        lineStart = k + 1
      }
      let found: String
      if i >= bytes.count {
        found = "the end of the file"
      } else if bytes[i] >= 0x21 && bytes[i] < 0x7F {
        found = "'\(Character(Unicode.Scalar(bytes[i])))'"
      } else {
        found = "byte 0x" + String(bytes[i], radix: 16)
      }
      return JSONSyntaxError(
        line: line, column: i - lineStart + 1, problem: "\(expected), found \(found)")
    }

    mutating func skipSpace() {
      while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func value(depth: Int) -> JSONSyntaxError? {
      guard i < bytes.count else { return fail("expected a value") }
      switch bytes[i] {
      case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}"), depth: depth, keyed: true)
      case UInt8(ascii: "["): return container(close: UInt8(ascii: "]"), depth: depth, keyed: false)
      case UInt8(ascii: "\""): return string()
      case UInt8(ascii: "t"): return literal("true")
      case UInt8(ascii: "f"): return literal("false")
      case UInt8(ascii: "n"): return literal("null")
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
      default: return fail("expected a value")
      }
    }

    mutating func container(close: UInt8, depth: Int, keyed: Bool) -> JSONSyntaxError? {
      guard depth < maxDepth else { return fail("nested deeper than \(maxDepth) levels") }
      i += 1
      skipSpace()
      if i < bytes.count && bytes[i] == close {
        i += 1
        return nil
      }
      while true {
        if keyed {
          guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
            return fail("expected a key in double quotes")
          }
          if let error = string() { return error }
          skipSpace()
          guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
            return fail("expected ':' after the key")
          }
          i += 1
          skipSpace()
        }
        if let error = value(depth: depth + 1) { return error }
        skipSpace()
        guard i < bytes.count else {
          return fail(keyed ? "expected ',' or '}'" : "expected ',' or ']'")
        }
        if bytes[i] == close {
          i += 1
          return nil
        }
        guard bytes[i] == UInt8(ascii: ",") else {
          return fail(keyed ? "expected ',' or '}'" : "expected ',' or ']'")
        }
        i += 1
        skipSpace()
        if i < bytes.count && bytes[i] == close {
          return fail(
            "expected a \(keyed ? "key" : "value") after ',' (JSON has no trailing commas)")
        }
      }
    }

    mutating func string() -> JSONSyntaxError? {
      i += 1
      while i < bytes.count {
        let c = bytes[i]
        if c == UInt8(ascii: "\"") {
          i += 1
          return nil
        }
        if c < 0x20 {
          return fail("expected '\"' to end the string (control characters must be escaped)")
        }
        if c == UInt8(ascii: "\\") {
          i += 1
          guard i < bytes.count else { break }
          switch bytes[i] {
          case UInt8(ascii: "u"):
            for _ in 0..<4 {
              i += 1
              guard i < bytes.count, isHex(bytes[i]) else {
                return fail("expected four hexadecimal digits after \\u")
              }
            }
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            break
          default:
            return fail("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
          }
        }
        i += 1
      }
      return fail("expected '\"' to end the string")
    }

    func isHex(_ c: UInt8) -> Bool {
      (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
    }

    func isDigit(_ k: Int) -> Bool { k < bytes.count && (0x30...0x39).contains(bytes[k]) }

    mutating func literal(_ word: String) -> JSONSyntaxError? {
      for c in word.utf8 {
        guard i < bytes.count, bytes[i] == c else { return fail("expected '\(word)'") }
        i += 1
      }
      return nil
    }

    mutating func number() -> JSONSyntaxError? {
      if bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard isDigit(i) else { return fail("expected a digit") }
      if bytes[i] == UInt8(ascii: "0") {
        i += 1
        if isDigit(i) { return fail("expected no leading zero in a number") }
      } else {
        while isDigit(i) { i += 1 }
      }
      if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
        i += 1
        guard isDigit(i) else { return fail("expected a digit after '.'") }
        while isDigit(i) { i += 1 }
      }
      if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
        i += 1
        if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
          i += 1
        }
        guard isDigit(i) else { return fail("expected a digit in the exponent") }
        while isDigit(i) { i += 1 }
      }
      return nil
    }
  }
}
