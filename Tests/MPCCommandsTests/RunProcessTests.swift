import Foundation
import MPCBigInt
import Testing
import _MPCTestSupport

@testable import MPCCommands

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
    var opened: [[Int]] = []
    for (i, r) in results.enumerated() {
      #expect(r.status == 0, "\(r.stderr)")
      // Versioned JSON, integers as JSON integers.
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      #expect(object["schema"] as? String == "mpc.run/2")
      let output = try OutputCoding.decode(RunOutput.self, from: Data(r.stdout.utf8))
      #expect(output.party == i && output.study == "loopback" && output.badRows == 0)
      let values = try #require(output.components.first?.values)
      #expect(values.map(\.label) == ["icu", "er", "gp", "other"])
      let raw = try #require(
        (object["components"] as? [[String: Any]])?.first?["values"] as? [[String: Any]])
      opened.append(try raw.map { try #require($0["raw"] as? Int) })
      #expect(output.budget.remaining == "9/10")
    }
    #expect(opened[0] == opened[1] && opened[1] == opened[2])
    // True counts: 33 rows, 11 per ward; ρ = 1/10 gives σ ≈ 2.2 per bin: far inside ±40.
    for (bin, truth) in zip(opened[0].prefix(3), [11, 11, 11]) {
      #expect(abs(bin - truth) < 40)
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

  /// A site behind NAT: its study address cannot be bound here (TEST-NET-1, never dialed:
  /// party 0 only dials party 1), so it listens on loopback with --listen; the run succeeds.
  /// Without --listen the same site fails naming the address it could not listen on.
  @Test func listenLetsASiteBindAnotherAddressThanItsStudyAddress() async throws {
    let dir = try tempDir()
    var keys: [String] = []
    for i in 0..<2 {
      let r = try await MPCProcess.run([
        "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
      ])
      keys.append(try OutputCoding.decode(KeygenOutput.self, from: Data(r.stdout.utf8)).publicKey)
    }
    let ports = LoopbackPorts.reserve(2)
    let study = dir.appendingPathComponent("study.json").path
    let created = try await MPCProcess.run([
      "study", "init", "--id", "nat", "--rho", "1", "--out", study,
      "--party", "Behind NAT,192.0.2.10:\(ports[0]),\(keys[0])",
      "--party", "Open,127.0.0.1:\(ports[1]),\(keys[1])",
    ])
    #expect(created.status == 0, "\(created.stderr)")
    try "sex\nF\nM\n".write(
      to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
    func arguments(_ i: Int, _ extra: [String]) -> [String] {
      [
        "run", "--study", study, "--party", "\(i)", "--key",
        dir.appendingPathComponent("s\(i).key").path, "--data",
        dir.appendingPathComponent("d.csv").path, "--query-inline",
        #"{"id": "women", "kind": "count", "where": {"column": "sex", "equals": "F"}, "rho": "1/10"}"#,
        "--json", "--timeout", "30", "--connect-timeout", "30",
      ] + extra
    }
    let alone = try await MPCProcess.run(
      arguments(0, ["--connect-timeout", "2"]))
    #expect(alone.status == 1)
    #expect(alone.stderr.contains("192.0.2.10:\(ports[0])"), "\(alone.stderr)")
    #expect(alone.stderr.contains("--listen 0.0.0.0:\(ports[0])"), "\(alone.stderr)")
    let results = try await MPCProcess.runAll([
      arguments(0, ["--listen", "127.0.0.1:\(ports[0])"]), arguments(1, []),
    ])
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      let output = try OutputCoding.decode(RunOutput.self, from: Data(r.stdout.utf8))
      #expect(output.queryID == "women")
    }
    let bad = try await MPCProcess.run(arguments(0, ["--listen", "7400"]))
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("--listen 7400"))
  }

  /// A query whose Gaussian share σ is below 1.2 (k = 2) is refused as bad input (64), as by
  /// `mpc privacy plan`, at every site; nothing is charged. (With k = 1 no floor applies.)
  @Test func weakGaussianShareIsAUsageErrorAtEverySite() async throws {
    let dir = try tempDir()
    var keys: [String] = []
    for i in 0..<3 {
      let r = try await MPCProcess.run([
        "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
      ])
      keys.append(try OutputCoding.decode(KeygenOutput.self, from: Data(r.stdout.utf8)).publicKey)
    }
    let ports = LoopbackPorts.reserve(3)
    let study = dir.appendingPathComponent("study.json").path
    var initArgs = ["study", "init", "--id", "weak", "--rho", "1000", "--out", study]
    for i in 0..<3 { initArgs += ["--party", "S\(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
    #expect(try await MPCProcess.run(initArgs).status == 0)
    try "x\n1\n".write(to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
    let results = try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", study, "--party", "\(i)", "--key",
          dir.appendingPathComponent("s\(i).key").path, "--data",
          dir.appendingPathComponent("d.csv").path, "--query-inline",
          #"{"id": "q", "kind": "count", "rho": "100"}"#, "--timeout", "20",
          "--connect-timeout", "20",
        ]
      })
    for r in results {
      #expect(r.status == 64, "\(r.stderr)")
      #expect(r.stderr.contains("1.2"), "\(r.stderr)")
      // Refused before this site's first ledger was created for a query that cannot run.
      #expect(!r.stderr.contains("created party"), "\(r.stderr)")
    }
    let state = dir.appendingPathComponent("state").path
    let ledgers = (FileManager.default.subpaths(atPath: state) ?? []).filter {
      $0.hasSuffix(".jsonl")
    }
    #expect(ledgers.isEmpty, "\(ledgers)")
  }

  @Test func demoRunsTheWholeTour() async throws {
    let dir = try tempDir()
    let r = try await MPCProcess.run(["demo", "--parties", "3", "--dir", dir.path, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let output = try OutputCoding.decode(DemoOutput.self, from: Data(r.stdout.utf8))
    #expect(output.queries.map(\.result.kind) == ["histogram", "count", "sum", "mean"])
    #expect(output.queries.map(\.name) == DemoQuery.allCases.map(\.rawValue))
    #expect(output.budget.spent == "7/20")
    // The demo's truth is the generated data's: 3 sites × 120 patients.
    let count = try #require(output.queries.first { $0.name == "mean" }?.trueValues.last)
    #expect(count.value == 360)
    let text = try await MPCProcess.run([
      "demo", "--parties", "2", "--dir", try tempDir().path, "--query", "count",
    ])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("DP value") && text.stdout.contains("true"))
  }
}
