import Foundation
import MPCVectors
import Testing
import _MPCTestSupport

/// The repository's `vectors/` directory.
let vectorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("vectors")

let familyNames = VectorSuite.families.map(\.name)

func family(_ name: String) throws -> any VectorFamily {
  try #require(VectorSuite.family(named: name))
}

/// Changes one leaf of `expected` of the last case: one hex digit of a hex string, +1 for an
/// integer, a flipped boolean, or one changed character of any other string.
func tamper(_ value: VectorValue) -> VectorValue? {
  switch value {
  case .string(let s):
    guard let last = s.last else { return .string("0") }
    if last.isHexDigit {
      let digits = Array("0123456789abcdef")
      let i = digits.firstIndex(of: Character(last.lowercased())) ?? 0
      return .string(String(s.dropLast()) + String(digits[(i + 1) % 16]))
    }
    return .string(String(s.dropLast()) + (last == "x" ? "y" : "x"))
  case .int(let i): return .int(i &+ 1)
  case .bool(let b): return .bool(!b)
  case .null: return .int(0)
  case .array(var items):
    for i in items.indices {
      if let t = tamper(items[i]) {
        items[i] = t
        return .array(items)
      }
    }
    return nil
  case .object(var members):
    for key in members.keys.sorted() {
      if let t = tamper(members[key]!) {
        members[key] = t
        return .object(members)
      }
    }
    return nil
  }
}

@Suite struct VectorReplayTests {
  @Test(arguments: familyNames)
  func replays(_ name: String) async throws {
    let f = try family(name)
    let file = try VectorSuite.load(f, from: vectorsDirectory)
    let count = try await f.verify(file)
    #expect(count > 0)
  }

  @Test(arguments: familyNames)
  func oneChangedDigitFailsTheReplay(_ name: String) async throws {
    let f = try family(name)
    let file = try VectorSuite.load(f, from: vectorsDirectory)
    guard case .object(var top) = file, case .array(var list) = top["cases"],
      case .object(var last) = list.last, let expected = last["expected"]
    else {
      Issue.record("\(name): no cases")
      return
    }
    let changed: VectorValue = try #require(tamper(expected))
    last["expected"] = changed
    list[list.count - 1] = .object(last)
    top["cases"] = .array(list)
    // Through the text, as a reader of the file would see it.
    let reparsed = try VectorValue(json: Data(VectorValue.object(top).jsonText.utf8))
    await #expect(throws: VectorError.self) { _ = try await f.verify(reparsed) }
  }

  @Test(arguments: familyNames)
  func filesAreWhatTheGeneratorWrites(_ name: String) async throws {
    let f = try family(name)
    let onDisk = try String(
      contentsOf: vectorsDirectory.appendingPathComponent(f.fileName), encoding: .utf8)
    #expect(try await f.generate().jsonText == onDisk)
  }

  @Test func aFileWithoutCasesFails() async throws {
    let f = try family("kdf")
    let empty = VectorValue.object([
      "family": "kdf", "version": 1, "description": "d", "spec": "s", "cases": .array([]),
    ])
    await #expect(throws: VectorError.noCases(file: "kdf.json")) { _ = try await f.verify(empty) }
  }

  @Test func aMissingOrUnknownFileFailsTheDirectory() async throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("mpc-vectors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for f in VectorSuite.families where f.name != "kdf" {
      try FileManager.default.copyItem(
        at: vectorsDirectory.appendingPathComponent(f.fileName),
        to: dir.appendingPathComponent(f.fileName))
    }
    try Data("{}".utf8).write(to: dir.appendingPathComponent("extra.json"))
    let report = await VectorSuite.verify(directory: dir)
    #expect(!report.passed)
    #expect(report.failures.contains(.missingFile(family: "kdf", directory: dir.path)))
    #expect(report.failures.contains(.unknownFamily(file: "extra.json")))
    #expect(report.totalLine.hasSuffix("2 failed"))
  }

  @Test func verifyVectorsCommandPasses() async throws {
    let result = try await MPCProcess.run(["verify-vectors", vectorsDirectory.path])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("ok  field.json  "))
    #expect(result.stdout.contains("files, "))
    #expect(result.stdout.hasSuffix("cases: all passed\n"))
  }

  @Test func verifyVectorsCommandFailsOnAnEmptyDirectory() async throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("mpc-vectors-empty-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    // No vector file at all: one line saying how to point at the vectors, exit 64 (issue 17;
    // was one FAIL line per family).
    let result = try await MPCProcess.run(["verify-vectors", dir.path])
    #expect(result.status == 64)
    #expect(result.stdout.isEmpty)
    #expect(
      result.stderr
        == "error: \(dir.path) holds none of the vector files (field.json, …); pass the vectors/ directory of a swift-mpc checkout: mpc verify-vectors PATH/vectors\n"
    )
    // A directory with some of them: every missing family is a FAIL line, exit 1.
    try Data("{}".utf8).write(to: dir.appendingPathComponent("field.json"))
    let partial = try await MPCProcess.run(["verify-vectors", dir.path])
    #expect(partial.status == 1)
    #expect(partial.stdout.contains("FAIL  prg.json"))
  }
}
