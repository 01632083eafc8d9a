public import Foundation
public import MPCBigInt
import MPCCrypto

/// A JSON value of a vector file (`protocols/vectors.md`): null, booleans, integers that fit
/// in 64 bits, strings, arrays and objects. Floating-point JSON numbers are refused: exact
/// numbers travel as decimal or rational strings, bytes as lower-case hex strings.
public indirect enum VectorValue: Sendable, Hashable {
  /// JSON `null`.
  case null
  /// JSON `true` / `false`.
  case bool(Bool)
  /// A JSON integer.
  case int(Int64)
  /// A JSON string.
  case string(String)
  /// A JSON array.
  case array([VectorValue])
  /// A JSON object (written with its keys sorted bytewise).
  case object([String: VectorValue])
}

// MARK: - Building values

extension VectorValue {
  /// Lower-case hex of `bytes`.
  public static func hex(_ bytes: some Sequence<UInt8>) -> VectorValue {
    .string(Hex.encode(bytes))
  }

  /// A machine integer.
  public static func integer(_ value: some BinaryInteger) -> VectorValue { .int(Int64(value)) }

  /// A big integer as its decimal string.
  public static func decimal(_ value: BigInt) -> VectorValue { .string(value.description) }

  /// A rational as `n` or `n/d` in lowest terms.
  public static func rational(_ value: Rational) -> VectorValue { .string(value.description) }

  /// Machine integers as an array of JSON integers.
  public static func integers(_ values: some Sequence<Int64>) -> VectorValue {
    .array(values.map { .int($0) })
  }
}

// MARK: - Reading values

extension VectorValue {
  /// The member `key` of an object; throws if absent or if this is not an object.
  public subscript(key: String) -> VectorValue {
    get throws {
      guard case .object(let members) = self else {
        throw VectorError.invalidCase(problem: "expected an object holding '\(key)'")
      }
      guard let value = members[key] else {
        throw VectorError.invalidCase(problem: "missing key '\(key)'")
      }
      return value
    }
  }

  /// The member `key`, or nil when absent.
  public func optional(_ key: String) -> VectorValue? {
    guard case .object(let members) = self else { return nil }
    return members[key]
  }

  /// The string value.
  public func string() throws -> String {
    guard case .string(let s) = self else {
      throw VectorError.invalidCase(problem: "expected a string")
    }
    return s
  }

  /// The integer value.
  public func int() throws -> Int {
    guard case .int(let v) = self, let i = Int(exactly: v) else {
      throw VectorError.invalidCase(problem: "expected an integer")
    }
    return i
  }

  /// The boolean value.
  public func bool() throws -> Bool {
    guard case .bool(let b) = self else {
      throw VectorError.invalidCase(problem: "expected a boolean")
    }
    return b
  }

  /// The array value.
  public func array() throws -> [VectorValue] {
    guard case .array(let items) = self else {
      throw VectorError.invalidCase(problem: "expected an array")
    }
    return items
  }

  /// The object value.
  public func object() throws -> [String: VectorValue] {
    guard case .object(let members) = self else {
      throw VectorError.invalidCase(problem: "expected an object")
    }
    return members
  }

  /// Bytes from a hex string.
  public func bytes() throws -> [UInt8] {
    let text = try string()
    do {
      return try Hex.decode(text)
    } catch {
      throw VectorError.invalidCase(problem: "invalid hex string '\(text)'")
    }
  }

  /// A big integer from a decimal string (or a JSON integer).
  public func bigInt() throws -> BigInt {
    if case .int(let v) = self { return BigInt(v) }
    let text = try string()
    guard let value = try? BigInt(parsing: text) else {
      throw VectorError.invalidCase(problem: "invalid integer '\(text)'")
    }
    return value
  }

  /// A rational from a string (`n`, `n/d`, a decimal) or a JSON integer.
  public func rational() throws -> Rational {
    if case .int(let v) = self { return Rational(BigInt(v)) }
    let text = try string()
    guard let value = try? Rational(parsing: text) else {
      throw VectorError.invalidCase(problem: "invalid rational '\(text)'")
    }
    return value
  }
}

// MARK: - JSON text

extension VectorValue {
  /// The JSON text: keys sorted bytewise, two-space indentation, arrays of scalars on one line,
  /// a final newline. Deterministic, so regenerated files diff cleanly.
  public var jsonText: String {
    var out = ""
    write(into: &out, indent: 0)
    out += "\n"
    return out
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object: false
    default: true
    }
  }

  private func write(into out: inout String, indent: Int) {
    let pad = String(repeating: "  ", count: indent + 1)
    let closePad = String(repeating: "  ", count: indent)
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let v): out += String(v)
    case .string(let s): out += Self.quoted(s)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
      } else if items.allSatisfy(\.isScalar) {
        out += "["
        for (i, item) in items.enumerated() {
          if i > 0 { out += ", " }
          item.write(into: &out, indent: indent + 1)
        }
        out += "]"
      } else {
        out += "[\n"
        for (i, item) in items.enumerated() {
          out += pad
          item.write(into: &out, indent: indent + 1)
          out += i == items.count - 1 ? "\n" : ",\n"
        }
        out += closePad + "]"
      }
    case .object(let members):
      if members.isEmpty {
        out += "{}"
        return
      }
      out += "{\n"
      let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
      for (i, key) in keys.enumerated() {
        out += pad + Self.quoted(key) + ": "
        members[key]!.write(into: &out, indent: indent + 1)
        out += i == keys.count - 1 ? "\n" : ",\n"
      }
      out += closePad + "}"
    }
  }

  private static func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// Parses JSON text; refuses numbers with a fraction or exponent.
  public init(json data: Data) throws {
    do {
      self = try JSONDecoder().decode(VectorValue.self, from: data)
    } catch let error as VectorError {
      throw error
    } catch {
      throw VectorError.invalidCase(problem: "not valid JSON: \(error)")
    }
  }
}

extension VectorValue: Codable {
  /// Decodes any JSON value except a non-integral number.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? container.decode(Int64.self) {
      self = .int(i)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else if let a = try? container.decode([VectorValue].self) {
      self = .array(a)
    } else if let o = try? container.decode([String: VectorValue].self) {
      self = .object(o)
    } else {
      throw VectorError.invalidCase(
        problem:
          "a JSON number with a fraction or exponent at \(decoder.codingPath.map(\.stringValue))")
    }
  }

  /// Encodes the value as JSON.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let b): try container.encode(b)
    case .int(let i): try container.encode(i)
    case .string(let s): try container.encode(s)
    case .array(let a): try container.encode(a)
    case .object(let o): try container.encode(o)
    }
  }
}

// MARK: - Differences

extension VectorValue {
  /// The path of the first difference between `self` and `other` (`outputs[3]`), or nil.
  public func firstDifference(from other: VectorValue, path: String = "") -> String? {
    switch (self, other) {
    case (.array(let a), .array(let b)):
      if a.count != b.count { return "\(path) (length \(a.count) vs \(b.count))" }
      for i in a.indices {
        if let d = a[i].firstDifference(from: b[i], path: "\(path)[\(i)]") { return d }
      }
      return nil
    case (.object(let a), .object(let b)):
      for key in Set(a.keys).union(b.keys).sorted() {
        let sub = path.isEmpty ? key : "\(path).\(key)"
        guard let x = a[key], let y = b[key] else { return "\(sub) (missing on one side)" }
        if let d = x.firstDifference(from: y, path: sub) { return d }
      }
      return nil
    default:
      return self == other ? nil : (path.isEmpty ? "(value)" : path)
    }
  }
}

// MARK: - Literals

extension VectorValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByBooleanLiteral
{
  /// A string literal.
  public init(stringLiteral value: String) { self = .string(value) }
  /// An integer literal.
  public init(integerLiteral value: Int64) { self = .int(value) }
  /// A boolean literal.
  public init(booleanLiteral value: Bool) { self = .bool(value) }
}
