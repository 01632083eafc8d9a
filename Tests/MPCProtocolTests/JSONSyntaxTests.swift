import Foundation
import Testing

@testable import MPCProtocol

/// The JSON syntax checker behind located "not valid JSON" errors: where it stops, and that it
/// agrees with Foundation's parser on what is JSON at all.
@Suite struct JSONSyntaxTests {
  static let located: [(text: String, line: Int, column: Int, problem: String)] = [
    ("{\n  \"a\": [1,\n  }\n", 3, 3, "expected a value, found '}'"),
    ("{\"a\": 1,}", 1, 9, "expected a key after ',' (JSON has no trailing commas), found '}'"),
    ("{\"a\" 1}", 1, 6, "expected ':' after the key, found '1'"),
    ("{a: 1}", 1, 2, "expected a key in double quotes, found 'a'"),
    ("[1 2]", 1, 4, "expected ',' or ']', found '2'"),
    ("{\"a\": 01}", 1, 8, "expected no leading zero in a number, found '1'"),
    ("{\"a\": tru}", 1, 10, "expected 'true', found '}'"),
    (
      "{\"a\": \"x\n\"}", 1, 9,
      "expected '\"' to end the string (control characters must be escaped), found byte 0xa"
    ),
    ("{\"a\": 1} x", 1, 10, "expected the end of the text after the value, found 'x'"),
    ("{\"a\": [", 1, 8, "expected a value, found the end of the file"),
    ("", 1, 1, "expected a value, found the end of the file"),
    (
      "{\"a\": \"\\q\"}", 1, 9,
      "expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found 'q'"
    ),
  ]

  @Test(arguments: 0..<located.count) func errorsSayLineColumnAndWhat(index: Int) {
    let c = Self.located[index]
    let error = JSONSyntax.firstError(in: Array(c.text.utf8))
    #expect(
      error == JSONSyntaxError(line: c.line, column: c.column, problem: c.problem), "\(c.text)")
  }

  @Test func validDocumentsPass() throws {
    for text in [
      "{}", "[]", " {\"a\": [1, -0, 2.5e-3, true, false, null, \"\\u00e9\\n\"]} \r\n",
      "\u{FEFF}{\"bom\": 1}", "\"just a string\"", "-12.0E+4",
    ] {
      #expect(JSONSyntax.firstError(in: Array(text.utf8)) == nil, "\(text)")
    }
    // Every vector file and the study fixtures of the repository are JSON.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let vectors = root.appendingPathComponent("vectors")
    let files = try FileManager.default.contentsOfDirectory(atPath: vectors.path)
      .filter { $0.hasSuffix(".json") }
    #expect(files.count > 10)
    for name in files {
      let bytes = try [UInt8](Data(contentsOf: vectors.appendingPathComponent(name)))
      #expect(JSONSyntax.firstError(in: bytes) == nil, "\(name)")
    }
  }

  /// Differential check: on seeded single-byte mutations of a study-like document, the checker
  /// accepts exactly what Foundation's JSONSerialization accepts, with one deliberate
  /// difference: Foundation tolerates a trailing comma in an object; RFC 8259 (and Python's
  /// `json`, which an auditor may use on the same file) does not, so neither do we.
  @Test func agreesWithFoundationOnMutations() throws {
    let base = Array(
      #"{"study_id": "s-1", "parties": [{"name": "A", "address": "127.0.0.1:7400"}], "budget": {"rho": "1/2"}, "t": 1, "x": [1.5, -2e3, true, null]}"#
        .utf8)
    let alphabet = Array(#"{}[]:,"\ 0123456789.eE+-truefalsenull"#.utf8) + [0x0A, 0x01]
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(truncatingIfNeeded: state >> 33)
    }
    var disagreements: [String] = []
    for _ in 0..<3000 {
      var bytes = base
      for _ in 0..<(1 + next() % 3) {
        let at = next() % bytes.count
        switch next() % 3 {
        case 0: bytes[at] = alphabet[next() % alphabet.count]
        case 1: bytes.remove(at: at)
        default: bytes.insert(alphabet[next() % alphabet.count], at: at)
        }
      }
      let error = JSONSyntax.firstError(in: bytes)
      let foundation =
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
      if foundation, error?.problem.contains("no trailing commas") == true { continue }
      if (error == nil) != foundation {
        disagreements.append(String(decoding: bytes, as: UTF8.self))
      }
    }
    #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
  }

  @Test func aStudyFileWithASyntaxErrorNamesFileLineAndColumn() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "syntax-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data("{\n  \"study_id\": \"x\",\n  \"parties\": [1,\n  }\n".utf8).write(to: url)
    let error = #expect(throws: ManifestError.self) { try StudyManifest.load(contentsOf: url) }
    #expect(
      error?.description == "\(url.path):4:3: not valid JSON: expected a value, found '}'")
  }
}
