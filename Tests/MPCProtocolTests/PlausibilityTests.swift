import MPCBigInt
import MPCField
import MPCProtocol
import Testing

/// Opened values beyond the range the field was sized for (`protocols/query.md` §5.1).
@Suite struct PlausibilityTests {
  /// Party 2 replaces its first upload element by 2^60: its peers open a count near 2^60, far
  /// beyond n·2^32 plus the noise tail. They refuse it as a failed opening; party 2, whose own
  /// chunk was sent unchanged to itself, opens the true count + noise.
  @Test(arguments: ["count", "sum-negative", "vector-sum"])
  func garbageOpeningIsRefused(kind: String) async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.kinds[kind]!)
    let plan = try RunPlan(study: s.study, query: query)
    let garbage = FieldVector(signed: [Int64(1) << 60], in: plan.field).encoded()
    let results = try await s.run(query, noiseLabel: "garbage-\(kind)", chunk: 64) { network in
      (0..<3).map { i in
        i == 2
          ? FaultyTransport(
            inner: network.endpoint(i), fault: .replaceFirstUploadElement(with: garbage))
            as any PartyTransport
          : network.endpoint(i)
      }
    }
    for i in 0..<2 {
      guard case .failure(let error) = results[i],
        case RunError.implausibleResult(let component, let coordinate, _) = error
      else {
        Issue.record("party \(i) released a garbage opening: \(results[i])")
        continue
      }
      #expect(component == plan.components[0].component.name)
      #expect(coordinate == 0)
      #expect(ReasonCode(for: error) == .implausibleResult)
      // The charge stands: the masked values had left.
      #expect(s.ledgers[i].entries.map(\.kind) == [.charge, .upload])
    }
    let honest = try results[2].get()
    #expect(
      honest.components.flatMap { $0.values.map(\.raw) }
        == (try s.expectedRaw(query, noiseLabel: "garbage-\(kind)")))
  }

  /// The ranges: a count's is [−tail, n·2^32 + tail]; a sum's follows min(L, 0), max(U, 0).
  @Test func rangesFollowTheTruthAndTheNoiseTail() throws {
    let s = try Study(n: 3)
    let count = try RunPlan(study: s.study, query: try Fixtures.query(Fixtures.kinds["count"]!))
    let range = count.plausibleRanges[0]
    #expect(range.lowerBound < 0)
    #expect(range.upperBound > BigInt(3) << 32)
    #expect(range.upperBound - (BigInt(3) << 32) == -range.lowerBound)
    let positive = try RunPlan(
      study: s.study, query: try Fixtures.query(Fixtures.kinds["sum-positive"]!))
    let tail = -positive.plausibleRanges[0].lowerBound
    #expect(positive.plausibleRanges[0].upperBound == (BigInt(3) << 32) * 100 + tail)
  }
}
