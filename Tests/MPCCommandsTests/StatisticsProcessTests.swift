import Foundation
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// One `mpc run` of each statistic kind as three processes over loopback (coverage loops are in
/// MPCProtocolTests' StatisticsTests): every site prints the same derived statistic, near truth.
@Suite(.serialized) struct StatisticsProcessTests {
  @Test func threeSitesRunEachStatisticOverLoopback() async throws {
    // Three keys and a replace-one study (ρ = 10) on loopback; the data are replaced below.
    let sites = try await SoundnessProcessTests.makeSites()
    let study = sites.study
    // 3 × 1,000 rows: los = r mod 10 (variance 8.26, median bin [4, 6)); ward independent of age.
    var all: [Int] = []
    for i in 0..<3 {
      var csv = "ward,age,los,sev\n"
      for r in 0..<1000 {
        csv += "\(["icu", "er"][r % 2]),\((r / 2) % 90),\(r % 10),\((r % 10) / 2)\n"
        all.append(r % 10)
      }
      try csv.write(toFile: sites.data(i), atomically: true, encoding: .utf8)
    }
    func run(_ query: String, json: Bool = true) async throws -> [String] {
      let results = try await MPCProcess.runAll(
        (0..<3).map { i in
          [
            "run", "--study", study, "--party", "\(i)", "--key", sites.key(i),
            "--data", sites.data(i), "--query-inline", query,
            "--timeout", "60", "--connect-timeout", "60",
          ] + (json ? ["--json"] : [])
        })
      for r in results { #expect(r.status == 0, "\(r.stderr)") }
      return results.map(\.stdout)
    }
    func statistic(_ stdout: String) throws -> [String: Any] {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
      return try #require(object["statistic"] as? [String: Any])
    }

    let variance = try await run(
      #"{"id": "v", "kind": "variance", "column": "los", "bounds": [0, 20], "rho": "1/4"}"#)
    let v = try #require(try statistic(variance[0])["variance"] as? [String: Any])
    for out in variance.dropFirst() {
      #expect(NSDictionary(dictionary: try statistic(out)).isEqual(to: try statistic(variance[0])))
    }
    let mean = Double(all.reduce(0, +)) / Double(all.count)
    let truth =
      all.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(all.count - 1)
    let lower = try #require(v["variance_lower"] as? Double)
    let upper = try #require(v["variance_upper"] as? Double)
    #expect(lower < upper && upper - lower < 3)
    #expect(abs(try #require(v["variance"] as? Double) - truth) < 2)

    let table = try await run(
      #"{"id": "t", "kind": "crosstab", "columns": [{"column": "ward", "categories": ["icu", "er"]}, {"column": "age", "bin_edges": [0, 45, 90], "outside": "clip"}], "rho": "1/10"}"#
    )
    let crosstab = try #require(try statistic(table[2])["crosstab"] as? [String: Any])
    let test = try #require(crosstab["independence"] as? [String: Any])
    #expect(test["method"] as? String == "monte-carlo-dp-null")
    #expect(test["degrees_of_freedom"] as? Int == 2)
    #expect(abs((crosstab["total"] as? Int ?? 0) - 3000) < 40)

    // los = 2·sev + (0 or 1): slope 2, intercept 1/2.
    let fit = try await run(
      #"{"id": "f", "kind": "linear-regression", "column": "los", "bounds": [0, 10], "predictors": [{"column": "sev", "bounds": [0, 5]}], "rho": "1/2"}"#
    )
    let regression = try #require(try statistic(fit[1])["regression"] as? [String: Any])
    let slope = try #require((regression["coefficients"] as? [[String: Any]])?.last)
    #expect(slope["name"] as? String == "sev")
    #expect(abs(try #require(slope["estimate"] as? Double) - 2) < 0.5)

    let text = try await run(
      #"{"id": "m", "kind": "quantile", "column": "los", "bin_edges": [0, 2, 4, 6, 8, 10], "rho": "1/10"}"#,
      json: false)
    for t in text { #expect(t.contains("quantile 1/2: in bin [4, 6]"), "\(t)") }
  }

  /// `covariance` as three `mpc run` processes on loopback: every site prints the identical
  /// statistic (same session, same seeded post-processing), near the pooled data's covariance,
  /// in `--json` and in the human output.
  @Test func threeSitesRunCovarianceOverLoopback() async throws {
    let sites = try await SoundnessProcessTests.makeSites()
    // 3 × 1,000 rows: los = r mod 10, sev = ⌊los/2⌋, age = ⌊r/2⌋ mod 90.
    var rows: [[Double]] = []
    for i in 0..<3 {
      var csv = "ward,age,los,sev\n"
      for r in 0..<1000 {
        csv += "\(["icu", "er"][r % 2]),\((r / 2) % 90),\(r % 10),\((r % 10) / 2)\n"
        rows.append([Double((r / 2) % 90), Double(r % 10), Double((r % 10) / 2)])
      }
      try csv.write(toFile: sites.data(i), atomically: true, encoding: .utf8)
    }
    let n = Double(rows.count)
    let means = (0..<3).map { j in rows.reduce(0) { $0 + $1[j] } / n }
    func cov(_ i: Int, _ j: Int) -> Double {
      rows.reduce(0) { $0 + ($1[i] - means[i]) * ($1[j] - means[j]) } / (n - 1)
    }
    let query =
      #"{"id": "c", "kind": "covariance", "columns": [{"column": "age", "bounds": [0, 90]}, {"column": "los", "bounds": [0, 10]}, {"column": "sev", "bounds": [0, 5]}], "rho": "1"}"#
    func run(json: Bool) async throws -> [String] {
      let results = try await MPCProcess.runAll(
        (0..<3).map { i in
          [
            "run", "--study", sites.study, "--party", "\(i)", "--key", sites.key(i),
            "--data", sites.data(i), "--query-inline", query, "--timeout", "60",
            "--connect-timeout", "60",
          ] + (json ? ["--json"] : [])
        })
      for r in results { #expect(r.status == 0, "\(r.stderr)") }
      return results.map(\.stdout)
    }
    let outputs = try await run(json: true)
    let statistics = try outputs.map { out in
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
      return try #require(object["statistic"] as? [String: Any])
    }
    for s in statistics.dropFirst() {
      #expect(NSDictionary(dictionary: s).isEqual(to: statistics[0]))
    }
    #expect(statistics[0]["kind"] as? String == "covariance")
    let report = try #require(statistics[0]["covariance"] as? [String: Any])
    #expect(report["columns"] as? [String] == ["age", "los", "sev"])
    let matrix = try #require(report["matrix"] as? [[Double]])
    for i in 0..<3 {
      for j in 0..<3 {
        #expect(abs(matrix[i][j] - cov(i, j)) < 0.05 * cov(0, 0), "(\(i), \(j))")
      }
    }
    let entries = try #require(report["entries"] as? [[String: Any]])
    #expect(entries.count == 6)
    // los and sev are almost collinear: correlation near 0.99.
    let losSev = try #require(
      entries.first { $0["row"] as? String == "los" && $0["column"] as? String == "sev" })
    #expect(
      abs(
        try #require(losSev["correlation"] as? Double) - cov(1, 2)
          / (cov(1, 1) * cov(2, 2)).squareRoot()) < 0.05)

    // The replay of a released query id prints the stored result: a new id for the text run.
    let text = try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", sites.study, "--party", "\(i)", "--key", sites.key(i),
          "--data", sites.data(i), "--query-inline",
          query.replacingOccurrences(of: #""id": "c""#, with: #""id": "c2""#),
          "--timeout", "60", "--connect-timeout", "60",
        ]
      })
    for t in text {
      #expect(t.status == 0, "\(t.stderr)")
      #expect(t.stdout.contains("(covariance of age, los, sev)"), "\(t.stdout)")
      #expect(t.stdout.contains("cov(los, sev) = "), "\(t.stdout)")
    }
  }

  /// Bounds whose Gaussian share exceeds the table's 2^27: every site refuses before the run
  /// with exit 64, naming the query field, its bounds and the limit; nothing is released.
  @Test func wideBoundsAreRefusedBeforeTheRun() async throws {
    let sites = try await SoundnessProcessTests.makeSites()
    for i in 0..<3 {
      try "age,los\n40,3\n50,4\n".write(toFile: sites.data(i), atomically: true, encoding: .utf8)
    }
    let query =
      #"{"id": "w", "kind": "covariance", "columns": [{"column": "age", "bounds": [0, 100000]}, {"column": "los", "bounds": [0, 30]}], "rho": "1/10"}"#
    let results = try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", sites.study, "--party", "\(i)", "--key", sites.key(i),
          "--data", sites.data(i), "--query-inline", query, "--timeout", "30",
          "--connect-timeout", "30",
        ]
      })
    for (i, r) in results.enumerated() {
      #expect(r.status == 64, "party \(i): \(r.stderr)")
      #expect(r.stderr.contains("invalid columns[0].bounds [0, 100000]"), "party \(i): \(r.stderr)")
      #expect(r.stderr.contains("limit 2^27 = 134217728"), "party \(i): \(r.stderr)")
      #expect(r.stdout.isEmpty, "party \(i)")
    }
  }
}
