import Foundation
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// One `mpc run` of each statistic kind as three processes over loopback (coverage loops are in
/// MPCProtocolTests' StatisticsTests): every site prints the same derived statistic, near truth.
@Suite(.serialized) struct StatisticsProcessTests {
  @Test func threeSitesRunEachStatisticOverLoopback() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-stats-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var keys: [String] = []
    for i in 0..<3 {
      let r = try await MPCProcess.run([
        "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
      ])
      let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
      keys.append(try #require(object?["public_key"]))
    }
    let ports = LoopbackPorts.reserve(3)
    let study = dir.appendingPathComponent("study.json").path
    var initArgs = ["study", "init", "--id", "stats", "--rho", "1", "--out", study]
    for i in 0..<3 { initArgs += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
    #expect(try await MPCProcess.run(initArgs).status == 0)
    // 3 × 300 rows: los = r mod 10 (variance 8.26, median bin [4, 6)); ward independent of age.
    var all: [Int] = []
    for i in 0..<3 {
      var csv = "ward,age,los\n"
      for r in 0..<300 {
        csv += "\(["icu", "er"][r % 2]),\((r / 2) % 90),\(r % 10)\n"
        all.append(r % 10)
      }
      try csv.write(to: dir.appendingPathComponent("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    func run(_ query: String, json: Bool = true) async throws -> [String] {
      let results = try await MPCProcess.runAll(
        (0..<3).map { i in
          [
            "run", "--study", study, "--party", "\(i)", "--key",
            dir.appendingPathComponent("s\(i).key").path,
            "--data", dir.appendingPathComponent("s\(i).csv").path, "--query-inline", query,
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
      #"{"id": "v", "kind": "variance", "column": "los", "bounds": [0, 20], "rho": "1/10"}"#)
    let v = try #require(try statistic(variance[0])["variance"] as? [String: Any])
    for out in variance.dropFirst() {
      #expect(NSDictionary(dictionary: try statistic(out)).isEqual(to: try statistic(variance[0])))
    }
    let mean = Double(all.reduce(0, +)) / Double(all.count)
    let truth = all.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 899
    let lower = try #require(v["variance_lower"] as? Double)
    let upper = try #require(v["variance_upper"] as? Double)
    #expect(lower < upper && upper - lower < 4)
    #expect(abs(try #require(v["variance"] as? Double) - truth) < 2)

    let table = try await run(
      #"{"id": "t", "kind": "crosstab", "columns": [{"column": "ward", "categories": ["icu", "er"]}, {"column": "age", "bin_edges": [0, 45, 90], "outside": "clip"}], "rho": "1/10"}"#
    )
    let crosstab = try #require(try statistic(table[2])["crosstab"] as? [String: Any])
    let test = try #require(crosstab["independence"] as? [String: Any])
    #expect(test["method"] as? String == "monte-carlo-dp-null")
    #expect(test["degrees_of_freedom"] as? Int == 2)
    #expect(abs((crosstab["total"] as? Int ?? 0) - 900) < 40)

    let text = try await run(
      #"{"id": "m", "kind": "quantile", "column": "los", "bin_edges": [0, 2, 4, 6, 8, 10], "rho": "1/10"}"#,
      json: false)
    for t in text { #expect(t.contains("quantile 1/2: in bin [4, 6]"), "\(t)") }
  }
}
