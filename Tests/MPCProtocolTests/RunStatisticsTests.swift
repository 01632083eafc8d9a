import MPCField
import MPCProtocol
import Testing

/// The run's statistics: every phase measured, never negative; bytes counted per peer.
@Suite struct RunStatisticsTests {
  @Test(arguments: ["vector-sum-uniform", "vector-sum", "histogram-categories"])
  func phasesAreMeasuredAndBytesCoverTheUpload(kind: String) async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.kinds[kind]!)
    let m = try RunPlan(study: s.study, query: query).plan.dimension
    let width = try RunPlan(study: s.study, query: query).field.elementByteCount
    let results = try await s.run(query, noiseLabel: "stats-\(kind)", chunk: 2)
    for (i, result) in results.enumerated() {
      let statistics = try result.get().statistics
      // Every phase but `connect`, which the caller that brings up the links records.
      #expect(
        Set(statistics.durations.keys) == Set(RunStatistics.Phase.allCases).subtracting([.connect]),
        "party \(i)")
      for phase in RunStatistics.Phase.allCases {
        #expect(statistics.duration(of: phase) >= .zero, "party \(i), \(phase)")
        #expect(statistics.seconds(of: phase) >= 0, "party \(i), \(phase)")
      }
      #expect(Set(statistics.bytesSent.keys) == Set((0..<3).filter { $0 != i }), "party \(i)")
      for (peer, bytes) in statistics.bytesSent {
        #expect(bytes >= m * width, "party \(i) to \(peer): \(bytes) bytes for m = \(m)")
      }
    }
  }
}
