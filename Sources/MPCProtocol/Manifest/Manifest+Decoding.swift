import Foundation
import MPCBigInt

// MARK: - Field paths and issues

/// A validation failure inside a manifest, before the file name is known.
struct ManifestIssue: Error {
  /// The JSON path, e.g. `parties[1].public_key`.
  var field: String
  /// What is wrong.
  var problem: String
}

/// A coding key for any name or index (unknown-key detection and path building).
struct AnyCodingKey: CodingKey {
  var stringValue: String
  var intValue: Int?

  init(stringValue: String) {
    self.stringValue = stringValue
    intValue = nil
  }

  init(intValue: Int) {
    stringValue = "Index \(intValue)"
    self.intValue = intValue
  }
}

/// `parties[1].public_key` from a decoder's coding path.
func fieldPath(_ path: [any CodingKey]) -> String {
  var out = ""
  for key in path {
    if let index = key.intValue {
      out += "[\(index)]"
    } else {
      out += out.isEmpty ? key.stringValue : "." + key.stringValue
    }
  }
  return out
}

/// Throws if the JSON object being decoded has a key outside `allowed` (a misspelt
/// `max_sites_per_person` must not silently fall back to its default).
func rejectUnknownKeys(_ decoder: any Decoder, allowed: Set<String>) throws {
  let container = try decoder.container(keyedBy: AnyCodingKey.self)
  for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
  where !allowed.contains(key.stringValue) {
    throw DecodingError.dataCorruptedError(
      forKey: key, in: container,
      debugDescription:
        "unknown field; allowed here: \(allowed.sorted().joined(separator: ", "))")
  }
}

extension KeyedDecodingContainer {
  /// An exact number given as a string (`"1/2"`, `"0.1"`, `"1e-6"`) or a JSON integer.
  func decodeExact(forKey key: Key) throws -> Rational {
    if let integer = try? decode(Int.self, forKey: key) { return Rational(integer) }
    guard let text = try? decode(String.self, forKey: key) else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self,
        debugDescription:
          "expected an exact number as a string such as \"0.5\", \"1/2\" or \"1e-6\", "
          + "or a JSON integer")
    }
    do {
      return try Rational(parsing: text)
    } catch {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self, debugDescription: "\(error)")
    }
  }

  /// One of the string cases of `T`; the error lists them.
  func decodeChoice<T: RawRepresentable & CaseIterable>(_ type: T.Type, forKey key: Key) throws
    -> T where T.RawValue == String
  {
    let text = try decode(String.self, forKey: key)
    guard let value = T(rawValue: text) else {
      let names = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self, debugDescription: "expected one of \(names)")
    }
    return value
  }

  /// ``decodeExact(forKey:)`` when the key is present.
  func decodeExactIfPresent(forKey key: Key) throws -> Rational? {
    guard contains(key) else { return nil }
    return try decodeExact(forKey: key)
  }

  /// A 64-bit integer given as a JSON integer or a decimal string.
  func decodeInt64(forKey key: Key) throws -> Int64 {
    if let integer = try? decode(Int64.self, forKey: key) { return integer }
    let problem = "expected an integer within the signed 64-bit range"
    guard let text = try? decode(String.self, forKey: key),
      let value = try? BigInt(parsing: text), let small = Int(exactly: value)
    else {
      throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: problem)
    }
    return Int64(small)
  }
}

extension UnkeyedDecodingContainer {
  /// The next element as a 64-bit integer (JSON integer or decimal string).
  mutating func decodeInt64() throws -> Int64 {
    if let integer = try? decode(Int64.self) { return integer }
    if let text = try? decode(String.self), let value = try? BigInt(parsing: text),
      let small = Int(exactly: value)
    {
      return Int64(small)
    }
    throw DecodingError.dataCorruptedError(
      in: self, debugDescription: "expected an integer within the signed 64-bit range")
  }

  /// The next element as an exact number (string or JSON integer).
  mutating func decodeExact() throws -> Rational {
    if let integer = try? decode(Int.self) { return Rational(integer) }
    guard let text = try? decode(String.self) else {
      throw DecodingError.dataCorruptedError(
        in: self,
        debugDescription: "expected an exact number as a string such as \"2.5\" or an integer")
    }
    do {
      return try Rational(parsing: text)
    } catch {
      throw DecodingError.dataCorruptedError(in: self, debugDescription: "\(error)")
    }
  }
}

// MARK: - Loading JSON files with located errors

enum ManifestLoader {
  /// Decodes `T` from `data`, turning every decoding and validation failure into
  /// ``ManifestError/invalidManifest(file:field:problem:)`` naming `file` and the field path.
  static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
    let bytes = [UInt8](data)
    // Syntax first, with its line and column (Foundation's decoder gives neither).
    if let syntax = JSONSyntax.firstError(in: bytes) {
      throw ManifestError.invalidJSON(
        file: file, line: syntax.line, column: syntax.column, problem: syntax.problem)
    }
    if let duplicate = JSONDuplicateKeys.first(in: bytes) {
      throw ManifestError.invalidManifest(
        file: file, field: duplicate.fieldPath, problem: duplicate.problem)
    }
    do {
      return try JSONDecoder().decode(T.self, from: data)
    } catch let issue as ManifestIssue {
      throw ManifestError.invalidManifest(file: file, field: issue.field, problem: issue.problem)
    } catch let error as DecodingError {
      throw located(error, file: file)
    }
  }

  /// Reads and decodes a JSON file.
  static func load<T: Decodable>(_ type: T.Type, contentsOf url: URL) throws -> T {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw ManifestError.unreadableFile(file: url.path, problem: FileProblem.describe(url))
    }
    return try decode(type, from: data, file: url.path)
  }

  static func located(_ error: DecodingError, file: String) -> ManifestError {
    switch error {
    case .keyNotFound(let key, let context):
      return .invalidManifest(
        file: file, field: fieldPath(context.codingPath + [key]),
        problem: "missing required field")
    case .typeMismatch(let type, let context):
      return .invalidManifest(
        file: file, field: fieldPath(context.codingPath),
        problem: "wrong type: expected \(typeName(type))")
    case .valueNotFound(let type, let context):
      return .invalidManifest(
        file: file, field: fieldPath(context.codingPath),
        problem: "null where \(typeName(type)) is required")
    case .dataCorrupted(let context):
      let problem =
        context.codingPath.isEmpty && context.underlyingError != nil
        ? "not valid JSON" : context.debugDescription
      return .invalidManifest(file: file, field: fieldPath(context.codingPath), problem: problem)
    @unknown default:
      return .invalidManifest(file: file, field: "", problem: "\(error)")
    }
  }

  private static func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type, is Int64.Type: "an integer"
    case is Bool.Type: "true or false"
    default:
      String(describing: type).hasPrefix("Array") ? "a list" : "an object"
    }
  }
}

// MARK: - Shared syntax checks

enum Syntax {
  /// Identifiers (study, query, session labels): 1…64 of `A–Z a–z 0–9 . _ -`.
  static func identifierProblem(_ text: String) -> String? {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)
    guard (1...64).contains(text.utf8.count) else { return "must be 1 to 64 characters long" }
    guard text.utf8.allSatisfy(allowed.contains) else {
      return "may contain only letters, digits, '.', '_' and '-'"
    }
    return nil
  }

  /// `host:port` or `[v6]:port`, port 1…65535, no whitespace or control characters.
  static func addressProblem(_ text: String) -> String? {
    let expected = "expected host:port (or [ipv6]:port) with a port from 1 to 65535"
    guard let colon = text.lastIndex(of: ":") else { return expected }
    let host = text[..<colon]
    let port = text[text.index(after: colon)...]
    guard !host.isEmpty, let number = Int(port), (1...65535).contains(number),
      port.allSatisfy(\.isASCII)
    else { return expected }
    guard !host.unicodeScalars.contains(where: { $0.value <= 32 || $0.value == 127 }) else {
      return "the host contains whitespace or control characters"
    }
    if host.hasPrefix("[") != host.hasSuffix("]") { return expected }
    if !host.hasPrefix("["), host.contains(":") {
      return "IPv6 hosts must be written in brackets: [::1]:7400"
    }
    return nil
  }
}

/// Why a file cannot be read, in the operator's words (Foundation says "The operation could not
/// be completed" for all of them).
enum FileProblem {
  /// "no such file", "permission denied", "is a directory", or "unreadable".
  static func describe(_ url: URL) -> String {
    var isDirectory: ObjCBool = false
    let manager = FileManager.default
    guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      return manager.fileExists(atPath: url.deletingLastPathComponent().path)
        ? "no such file" : "no such file (and no directory \(url.deletingLastPathComponent().path))"
    }
    if isDirectory.boolValue { return "is a directory, not a file" }
    if !manager.isReadableFile(atPath: url.path) { return "permission denied" }
    return "unreadable"
  }
}
