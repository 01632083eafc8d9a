import Foundation
import Testing
import _MPCTestSupport

/// Aborts reach every site fast (`protocols/query.md`, "Aborts"): three `mpc run` processes on
/// loopback, one of which cannot take part; the others stop naming it and the reason category,
/// long before their --timeout.
@Suite(.serialized) struct AbortProcessTests {
  static let query =
    #"{"id": "ages", "kind": "sum", "column": "age", "bounds": [0, 120], "rho": "1/10"}"#

  /// Runs party i with `study` and `csv`, timing each process from the common start.
  static func runAll(
    _ sites: SiteDirectory, csv: [String], studies: [String]? = nil
  ) async throws -> [(result: MPCProcess.Result, seconds: Double)] {
    let paths = try (0..<sites.n).map { try sites.data($0, csv[$0]) }
    let start = ContinuousClock.now
    return try await withThrowingTaskGroup(of: (Int, MPCProcess.Result, Double).self) { group in
      for i in 0..<sites.n {
        let study = studies?[i] ?? sites.study
        group.addTask {
          let r = try await MPCProcess.run([
            "run", "--study", study, "--party", "\(i)", "--key", sites.key(i), "--data", paths[i],
            "--query-inline", query, "--timeout", "60", "--connect-timeout", "60",
          ])
          return (i, r, secondsSince(start))
        }
      }
      var out = [(result: MPCProcess.Result, seconds: Double)?](repeating: nil, count: sites.n)
      for try await (i, r, t) in group { out[i] = (r, t) }
      return out.map { $0! }
    }
  }

  static let good = "age\n30\n41\n52\n"

  @Test func aSiteWithABadColumnTellsTheOthers() async throws {
    let sites = try await SiteDirectory(n: 3, label: "abort-column")
    let runs = try await Self.runAll(sites, csv: [Self.good, "agge\n30\n", Self.good])
    let failing = runs[1]
    #expect(failing.result.status == 64, "\(failing.result.stderr)")
    #expect(failing.result.stderr.contains("age"), "\(failing.result.stderr)")
    #expect(failing.result.stderr.contains("told the other sites"), "\(failing.result.stderr)")
    for i in [0, 2] {
      let r = runs[i].result
      #expect(r.status == 1, "party \(i): \(r.stderr)")
      #expect(r.stderr.contains("party 1 (Site 1)"), "party \(i): \(r.stderr)")
      #expect(r.stderr.contains("local-data"), "party \(i): \(r.stderr)")
      // The category only: neither the column nor the failing site's file travels (each site
      // names its own data file in its local summary).
      #expect(!r.stderr.contains("agge") && !r.stderr.contains("s1.csv"), "party \(i): \(r.stderr)")
      #expect(!r.stderr.contains("errno") && !r.stderr.contains("(error set)"))
      // Far from the 60 s timeout: within a few seconds of the failing site.
      #expect(runs[i].seconds < failing.seconds + 5, "party \(i): \(runs[i].seconds) s")
      #expect(runs[i].seconds < 30, "party \(i): \(runs[i].seconds) s")
    }
  }

  @Test func aSiteWithAnotherStudyFileIsNamedAtOnce() async throws {
    let sites = try await SiteDirectory(n: 3, label: "abort-study")
    // Party 1's copy of the study file differs (another budget).
    let edited = sites.dir.appendingPathComponent("edited.json").path
    let text = try String(contentsOfFile: sites.study, encoding: .utf8)
    let changed = text.replacingOccurrences(of: #""rho" : "1""#, with: #""rho" : "2""#)
      .replacingOccurrences(of: #""rho": "1""#, with: #""rho": "2""#)
    #expect(changed != text)
    try changed.write(toFile: edited, atomically: true, encoding: .utf8)
    let runs = try await Self.runAll(
      sites, csv: [Self.good, Self.good, Self.good], studies: [sites.study, edited, sites.study])
    for i in 0..<3 {
      let r = runs[i].result
      #expect(r.status != 0, "party \(i): \(r.stderr)")
      #expect(runs[i].seconds < 30, "party \(i): \(runs[i].seconds) s")
    }
    for i in [0, 2] {
      let r = runs[i].result
      #expect(r.stderr.contains("party 1"), "party \(i): \(r.stderr)")
      #expect(r.stderr.contains("different study file"), "party \(i): \(r.stderr)")
    }
  }
}
