import Foundation
import MPCBigInt

/// A `--json` document of one command: `Codable`, with a `"schema"` field naming the document and
/// its version (`"mpc.run/1"`). A field is added without a version change; a field removed,
/// renamed or retyped bumps the version.
///
/// Numbers are JSON numbers: exact integers as JSON integers (``JSONInteger``), floating-point
/// estimates (ε, seconds) as JSON numbers; exact rationals (ρ, a budget) as strings like `"7/20"`,
/// the only form that keeps them exact.
protocol CommandOutput: Codable {
  /// The schema name and version, e.g. `"mpc.run/1"`.
  static var schema: String { get }
  /// The schema as written in the document (set to ``schema`` by every initialiser).
  var schema: String { get }
}

/// Encoding and decoding of every ``CommandOutput``.
enum OutputCoding {
  /// Pretty, key-sorted JSON with a trailing newline. A non-finite `Double` (an ε bound of
  /// e^1000) is written as the string `"inf"`, so a result is never lost to its formatting.
  static func encode(_ value: some CommandOutput) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }

  /// Decodes a document, refusing one of another schema or version.
  static func decode<T: CommandOutput>(_ type: T.Type, from data: Data) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let header = try decoder.decode(SchemaHeader.self, from: data)
    guard header.schema == T.schema else {
      throw CommandFailure(
        description:
          "expected a \(T.schema) JSON document, got schema \(header.schema ?? "(none)")")
    }
    return try decoder.decode(T.self, from: data)
  }
}

/// The `"schema"` field alone, read before the whole document.
private struct SchemaHeader: Decodable {
  var schema: String?
}

/// An exact integer in JSON: a JSON integer when it fits 64 bits (every released value in
/// practice), else a decimal string (a 127-bit field element), so no digit is ever lost.
struct JSONInteger: Codable, Hashable, Sendable, CustomStringConvertible {
  var value: BigInt

  init(_ value: BigInt) { self.value = value }
  init(_ value: Int) { self.value = BigInt(value) }

  var description: String { value.description }

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let small = try? container.decode(Int.self) {
      value = BigInt(small)
    } else {
      let text = try container.decode(String.self)
      guard let big = BigInt(text) else {
        throw DecodingError.dataCorruptedError(
          in: container, debugDescription: "not an integer: \(text)")
      }
      value = big
    }
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    if let small = Int(exactly: value) {
      try container.encode(small)
    } else {
      try container.encode(value.description)
    }
  }
}
