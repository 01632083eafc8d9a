/// A key that appears twice in one JSON object.
struct DuplicateJSONKey: Equatable, Sendable {
  /// The key, as decoded (escapes resolved: `"a"` and `"\u0061"` are the same key).
  var key: String
  /// The JSON path of the object holding it (`parties[1]`; empty at the top level).
  var objectPath: String
  /// The 1-based line of the second occurrence.
  var line: Int
  /// The 1-based line of the first occurrence.
  var firstLine: Int

  /// The path of the duplicated field itself.
  var fieldPath: String { objectPath.isEmpty ? key : objectPath + "." + key }

  /// Why the file is refused.
  var problem: String {
    "duplicate key '\(key)' on line \(line) (first on line \(firstLine)); JSON readers disagree "
      + "on which value wins (Foundation takes the first, Python, jq and JavaScript the last), "
      + "so the file is refused: keep one"
  }
}

/// Finds duplicate object keys in JSON text before it is decoded: Foundation's decoders keep
/// the first of two equal keys silently, other tools the last, so an auditor and the parties
/// could read different values from one file (`protocols/manifest.md` §1).
///
/// A small tokenizer: it follows objects, arrays and strings only, and stops quietly at the
/// first syntax it does not expect (the decoder then reports the syntax error).
enum JSONDuplicateKeys {
  private enum Frame {
    case object(keys: [String: Int], expectingKey: Bool, current: String?)
    case array(index: Int)
  }

  /// The first duplicate key in `bytes`, or nil.
  static func first(in bytes: [UInt8]) -> DuplicateJSONKey? {
    var stack: [Frame] = []
    var line = 1
    var i = 0
    // The path of the innermost object: the frames around it (their current key or index).
    func path() -> String {
      var out = ""
      for frame in stack.dropLast() {
        switch frame {
        case .object(_, _, let current):
          if let current { out += out.isEmpty ? current : "." + current }
        case .array(let index):
          out += "[\(index)]"
        }
      }
      return out
    }
    while i < bytes.count {
      let c = bytes[i]
      switch c {
      case UInt8(ascii: "\n"):
        line += 1
        i += 1
      case UInt8(ascii: "{"):
        stack.append(.object(keys: [:], expectingKey: true, current: nil))
        i += 1
      case UInt8(ascii: "["):
        stack.append(.array(index: 0))
        i += 1
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        guard !stack.isEmpty else { return nil }
        stack.removeLast()
        i += 1
      case UInt8(ascii: ","):
        switch stack.last {
        case .object(let keys, _, let current)?:
          stack[stack.count - 1] = .object(keys: keys, expectingKey: true, current: current)
        case .array(let index)?:
          stack[stack.count - 1] = .array(index: index + 1)
        case nil:
          return nil
        }
        i += 1
      case UInt8(ascii: ":"):
        if case .object(let keys, _, let current)? = stack.last {
          stack[stack.count - 1] = .object(keys: keys, expectingKey: false, current: current)
        }
        i += 1
      case UInt8(ascii: "\""):
        let startLine = line
        guard let (text, end) = string(bytes, from: i + 1) else { return nil }
        i = end
        if case .object(var keys, true, _)? = stack.last {
          if let firstLine = keys[text] {
            return DuplicateJSONKey(
              key: text, objectPath: path(), line: startLine, firstLine: firstLine)
          }
          keys[text] = startLine
          stack[stack.count - 1] = .object(keys: keys, expectingKey: false, current: text)
        }
      default:
        i += 1
      }
    }
    return nil
  }

  /// The decoded string whose body starts at `start` (after the opening quote) and the index
  /// after its closing quote; nil if it is not closed or has a malformed escape.
  private static func string(_ bytes: [UInt8], from start: Int) -> (String, Int)? {
    var units: [UInt16] = []
    var raw: [UInt8] = []
    func flush() {
      units += String(decoding: raw, as: UTF8.self).utf16
      raw.removeAll(keepingCapacity: true)
    }
    var i = start
    while i < bytes.count {
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        flush()
        return (String(decoding: units, as: UTF16.self), i + 1)
      }
      if c == UInt8(ascii: "\n") { return nil }
      if c != UInt8(ascii: "\\") {
        raw.append(c)
        i += 1
        continue
      }
      guard i + 1 < bytes.count else { return nil }
      flush()
      let e = bytes[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "\""): units.append(0x22)
      case UInt8(ascii: "\\"): units.append(0x5C)
      case UInt8(ascii: "/"): units.append(0x2F)
      case UInt8(ascii: "b"): units.append(0x08)
      case UInt8(ascii: "f"): units.append(0x0C)
      case UInt8(ascii: "n"): units.append(0x0A)
      case UInt8(ascii: "r"): units.append(0x0D)
      case UInt8(ascii: "t"): units.append(0x09)
      case UInt8(ascii: "u"):
        guard i + 4 <= bytes.count,
          let unit = UInt16(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
        else { return nil }
        units.append(unit)
        i += 4
      default:
        return nil
      }
    }
    return nil
  }
}
