import Foundation
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// `mpc bench` end to end with the real binary: three party processes, one small repetition.
@Suite(.serialized) struct BenchProcessTests {
  @Test func smallBenchPassesItsCheck() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-bench-\(UUID().uuidString)")
    let r = try await MPCProcess.run([
      "bench", "--parties", "3", "--length", "1000", "--repetitions", "1", "--json",
      "--dir", dir.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let output = try OutputCoding.decode(BenchOutput.self, from: Data(r.stdout.utf8))
    #expect(output.checkPassed)
    #expect(output.runs.count == 1)
    let run = try #require(output.runs.first)
    #expect(run.check.passed, "\(run.check.detail)")
    #expect(run.parties.count == 3)
    for party in run.parties {
      // Two peers, each at least m elements of ⌈127/8⌉ = 16 bytes.
      #expect(party.bytesSent >= 2 * 1000 * 16)
    }
  }

  /// A huge ρ (ε ≈ 10^5): the table's δ is capped at 1 instead of computing e^ε (which took
  /// minutes) or overflowing a Double in the JSON (which lost the result after the charge).
  @Test func hugeRhoStillPrintsTheResult() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-bench-\(UUID().uuidString)")
    let r = try await MPCProcess.run([
      "bench", "--parties", "3", "--length", "1000", "--rho", "100000", "--repetitions", "1",
      "--json", "--dir", dir.path,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(object["check_passed"] as? Bool == true)
    let median = try #require(object["median"] as? [String: Any])
    #expect((median["cpu_seconds_all_parties"] as? Double ?? 0) > 0)
  }

  @Test func benchRefusesFewerThanTwoParties() async throws {
    let r = try await MPCProcess.run(["bench", "--parties", "1", "--length", "10"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--parties"))
  }
}
