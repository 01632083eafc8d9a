import Foundation
import Testing
import _MPCTestSupport

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
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(object["check_passed"] as? Bool == true)
    let runs = try #require(object["runs"] as? [[String: Any]])
    #expect(runs.count == 1)
    let check = try #require(runs.first?["check"] as? [String: Any])
    #expect(check["passed"] as? Bool == true, "\(check["detail"] ?? "")")
    let parties = try #require(runs.first?["parties"] as? [[String: Any]])
    #expect(parties.count == 3)
    for party in parties {
      // Two peers, each at least m elements of ⌈127/8⌉ = 16 bytes.
      #expect((party["bytes_sent"] as? Int ?? 0) >= 2 * 1000 * 16)
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
