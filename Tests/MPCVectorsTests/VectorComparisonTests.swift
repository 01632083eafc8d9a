import Foundation
import MPCVectors
import Testing

/// The comparison rule of protocols/vectors.md §1.1: what a replayer tolerates and what it
/// does not, on the repository's own files.
@Suite struct VectorComparisonTests {
  /// The file of `familyName` with `change` applied to the `expected` of the first case whose
  /// name contains `caseName`.
  func changed(
    _ familyName: String, case caseName: String,
    _ change: (inout [String: VectorValue]) throws -> Void
  ) throws -> (any VectorFamily, VectorValue) {
    let f = try family(familyName)
    let file = try VectorSuite.load(f, from: vectorsDirectory)
    guard case .object(var top) = file, case .array(var list) = top["cases"] else {
      throw VectorError.invalidCase(problem: "no cases")
    }
    let index = try #require(
      list.firstIndex { (try? $0["name"].string().contains(caseName)) == true })
    guard case .object(var item) = list[index], case .object(var expected) = item["expected"]
    else { throw VectorError.invalidCase(problem: "no expected object") }
    try change(&expected)
    item["expected"] = .object(expected)
    list[index] = .object(item)
    top["cases"] = .array(list)
    return (f, try VectorValue(json: Data(VectorValue.object(top).jsonText.utf8)))
  }

  func epsilon(_ value: VectorValue?, scaledBy factor: Double) throws -> VectorValue {
    let text = try #require(value).string()
    return .string("\(try #require(Double(text)) * factor)")
  }

  @Test func epsilonWithinTheToleranceReplays() async throws {
    let (f, file) = try changed("accounting", case: "ρ = 1/2, δ = 1e-6") {
      $0["epsilon"] = try epsilon($0["epsilon"], scaledBy: 1 + 1e-11)
    }
    #expect(try await f.verify(file) > 0)
  }

  @Test func epsilonBeyondTheToleranceFails() async throws {
    let (f, file) = try changed("accounting", case: "ρ = 1/2, δ = 1e-6") {
      $0["epsilon"] = try epsilon($0["epsilon"], scaledBy: 1 + 1e-7)
    }
    await #expect(throws: VectorError.self) { _ = try await f.verify(file) }
  }

  @Test func calibrationTableDeltaIsComparedExactly() async throws {
    let (f, file) = try changed("calibration", case: "gaussian, ρ = 1/50") {
      $0["table_delta"] = "1/2"
    }
    await #expect(throws: VectorError.self) { _ = try await f.verify(file) }
  }

  @Test func negativeWordingIsNotCompared() async throws {
    let (f, file) = try changed("negative", case: "bad magic") {
      $0["text"] = "another wording"
      guard case .object(var fields) = $0["fields"] else { return }
      fields["expected"] = "other words"
      $0["fields"] = .object(fields)
    }
    #expect(try await f.verify(file) > 0)
  }

  @Test func negativeOffsetIsCompared() async throws {
    let (f, file) = try changed("negative", case: "invalid UTF-8") {
      guard case .object(var fields) = $0["fields"] else { return }
      fields["offset"] = "14"
      $0["fields"] = .object(fields)
    }
    await #expect(throws: VectorError.self) { _ = try await f.verify(file) }
  }

  @Test func negativeErrorClassIsCompared() async throws {
    let (f, file) = try changed("negative", case: "truncated header") {
      $0["error"] = "WireError.malformed"
    }
    await #expect(throws: VectorError.self) { _ = try await f.verify(file) }
  }

  /// Rewrites the first entry's `line` of the first party: `transform` gets its JSON value.
  func ledgerLine(_ transform: @escaping (VectorValue) -> String) throws -> (
    any VectorFamily, VectorValue
  ) {
    try changed("ledger", case: "charge, charge, release") { expected in
      guard case .array(var entries) = expected["entries"], case .object(var entry) = entries[0],
        case .string(let line) = entry["line"]
      else { throw VectorError.invalidCase(problem: "no ledger line") }
      entry["line"] = .string(transform(try VectorValue(json: Data(line.utf8))))
      entries[0] = .object(entry)
      expected["entries"] = .array(entries)
    }
  }

  @Test func ledgerLineIsComparedAsJSON() async throws {
    // The same members, pretty-printed: another text, the same JSON value.
    let (f, file) = try ledgerLine { $0.jsonText }
    #expect(try await f.verify(file) > 0)
  }

  @Test func ledgerLineWithAnotherValueFails() async throws {
    let (f, file) = try ledgerLine { value in
      guard case .object(var members) = value else { return "" }
      members["k"] = 99
      return VectorValue.object(members).jsonText
    }
    await #expect(throws: VectorError.self) { _ = try await f.verify(file) }
  }
}
