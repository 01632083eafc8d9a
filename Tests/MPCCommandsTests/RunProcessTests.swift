import Foundation
import Testing
import _MPCTestSupport

/// The operator's path with the real binary: keygen, study init, three `mpc run` processes
/// over loopback, budget; and `mpc demo`.
@Suite(.serialized) struct RunProcessTests {
  func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func threeSitesRunAHistogramOverLoopback() async throws {
    let dir = try tempDir()
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
    var initArgs = ["study", "init", "--id", "loopback", "--rho", "1", "--out", study]
    for i in 0..<3 { initArgs += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
    #expect(try await MPCProcess.run(initArgs).status == 0)
    let wards = ["icu", "er", "gp"]
    for i in 0..<3 {
      var csv = "ward,age\n"
      for r in 0..<(10 + i) { csv += "\(wards[(r + i) % 3]),\(30 + r)\n" }
      try csv.write(to: dir.appendingPathComponent("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    let query =
      #"{"id": "wards", "kind": "histogram", "column": "ward", "categories": ["icu", "er", "gp"], "outside": "other", "rho": "1/10"}"#
    let results = try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", study, "--party", "\(i)", "--key",
          dir.appendingPathComponent("s\(i).key").path,
          "--data", dir.appendingPathComponent("s\(i).csv").path, "--query-inline", query, "--json",
          "--timeout", "30", "--connect-timeout", "30",
        ]
      })
    var opened: [[String]] = []
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      let values = try #require(
        (object["components"] as? [[String: Any]])?.first?["values"] as? [[String: Any]])
      #expect(values.map { $0["label"] as? String } == ["icu", "er", "gp", "other"])
      opened.append(values.map { $0["raw"] as? String ?? "" })
      let budget = try #require(object["budget"] as? [String: Any])
      #expect(budget["remaining"] as? String == "9/10")
    }
    #expect(opened[0] == opened[1] && opened[1] == opened[2])
    // True counts: 33 rows, 11 per ward; ρ = 1/10 gives σ ≈ 2.2 per bin: far inside ±40.
    for (bin, truth) in zip(opened[0].prefix(3), [11, 11, 11]) {
      #expect(abs((Int(bin) ?? 1000) - truth) < 40)
    }
    let budget = try await MPCProcess.run(["budget", "--study", study, "--party", "2"])
    #expect(budget.stdout.contains("charge") && budget.stdout.contains("wards"))
  }

  @Test func wrongKeyIsAUsageErrorNamingTheParty() async throws {
    let dir = try tempDir()
    let r0 = try await MPCProcess.run([
      "keygen", "--out", dir.appendingPathComponent("a.key").path, "--json",
    ])
    let r1 = try await MPCProcess.run([
      "keygen", "--out", dir.appendingPathComponent("b.key").path, "--json",
    ])
    let k0 =
      (try JSONSerialization.jsonObject(with: Data(r0.stdout.utf8)) as? [String: String])?[
        "public_key"] ?? ""
    let k1 =
      (try JSONSerialization.jsonObject(with: Data(r1.stdout.utf8)) as? [String: String])?[
        "public_key"] ?? ""
    let study = dir.appendingPathComponent("study.json").path
    _ = try await MPCProcess.run([
      "study", "init", "--id", "k", "--rho", "1", "--out", study,
      "--party", "A,127.0.0.1:1,\(k0)", "--party", "B,127.0.0.1:2,\(k1)",
    ])
    try "x\n1\n".write(to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
    let r = try await MPCProcess.run([
      "run", "--study", study, "--party", "0", "--key", dir.appendingPathComponent("b.key").path,
      "--data", dir.appendingPathComponent("d.csv").path, "--query-inline",
      #"{"id":"q","kind":"count","rho":"1/10"}"#,
    ])
    #expect(r.status == 64)
    #expect(r.stderr.contains("not the key pinned for party 0"))
  }

  @Test func demoRunsTheWholeTour() async throws {
    let dir = try tempDir()
    let r = try await MPCProcess.run(["demo", "--parties", "3", "--dir", dir.path, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let queries = try #require(object["queries"] as? [[String: Any]])
    #expect(queries.map { $0["kind"] as? String } == ["histogram", "count", "sum", "mean"])
    let budget = try #require(object["budget"] as? [String: Any])
    #expect(budget["spent"] as? String == "7/20")
    let text = try await MPCProcess.run([
      "demo", "--parties", "2", "--dir", try tempDir().path, "--query", "count",
    ])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("DP value") && text.stdout.contains("true"))
  }
}
