import Foundation
import Testing
import _MPCTestSupport

/// Issue 14 items 1, 2 and 4 and issue 18 item 10 through real `mpc run` processes: replace-one
/// sensitivity, no data-dependent stop, ε on a Gaussian query, duplicate keys.
@Suite(.serialized) struct SoundnessProcessTests {
  struct Site {
    let dir: URL
    let study: String
    func key(_ i: Int) -> String { dir.appendingPathComponent("s\(i).key").path }
    func data(_ i: Int) -> String { dir.appendingPathComponent("s\(i).csv").path }
  }

  /// Three keys, a replace-one study with a ρ budget of 10, and each site's CSV (column x);
  /// site 1 has one empty x (line 2) and one x of 150 (line 3).
  static func makeSites() async throws -> Site {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-sound-\(UUID().uuidString)")
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
    var initArgs = [
      "study", "init", "--id", "sound", "--rho", "10", "--neighbour", "replace-one", "--out", study,
    ]
    for i in 0..<3 { initArgs += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
    let made = try await MPCProcess.run(initArgs)
    #expect(made.status == 0, "\(made.stderr)")
    for i in 0..<3 {
      var csv = "id,x\n"
      for r in 0..<10 { csv += "\(r),\(60 + r)\n" }
      if i == 1 { csv = "id,x\n1,\n2,150\n" + csv.dropFirst(5) }
      try csv.write(
        to: dir.appendingPathComponent("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    return Site(dir: dir, study: study)
  }

  static func run(_ site: Site, query: String) async throws -> [MPCProcess.Result] {
    try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", site.study, "--party", "\(i)", "--key", site.key(i),
          "--data", site.data(i), "--query-inline", query, "--json",
          "--timeout", "60", "--connect-timeout", "60",
        ]
      })
  }

  static func object(_ r: MPCProcess.Result) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  }

  @Test func badRowsNeverStopTheRunAndEpsilonMeansEpsilon() async throws {
    let site = try await Self.makeSites()

    // 1. A replace-one sum over [50, 100] with an empty value at site 1: every site runs to the
    // end and is charged; Δ1 = max(U, 0) − min(L, 0) = 100 (was U − L = 50); only site 1
    // reports its bad row.
    let sum = try await Self.run(
      site,
      query:
        #"{"id": "s", "kind": "sum", "column": "x", "bounds": [50, 100], "mechanism": "laplace", "epsilon": "1"}"#
    )
    for (i, r) in sum.enumerated() {
      #expect(r.status == 0, "party \(i): \(r.stderr)")
      let object = try Self.object(r)
      let component = try #require((object["components"] as? [[String: Any]])?.first)
      let sensitivity = try #require(component["sensitivity"] as? [String: String])
      #expect(sensitivity["l1"] == "100", "party \(i)")
      let budget = try #require(object["budget"] as? [String: Any])
      #expect(budget["spent"] as? String == "1/2", "party \(i): ε = 1 costs ρ = 1/2")
      let noted = r.stderr.contains("note: 1 unparseable row(s)")
      #expect(noted == (i == 1), "party \(i): \(r.stderr)")
    }
    #expect(sum[1].stderr.contains("line 2 (empty value)"), "\(sum[1].stderr)")
    #expect(sum[1].stderr.contains("never sent, and never stops the run"))
    #expect(sum[1].stderr.contains("warning: more unparseable rows than the query's max_bad_rows"))

    // 2. A Gaussian histogram with "epsilon": "1/2": the value 150 at site 1 is clipped into the
    // last bin (no stop); the charge's ε at the study's δ is ≤ 1/2 and close to it (before:
    // ρ = 1/8, ε ≈ 2.42); the output echoes the requested ε.
    let histogram = try await Self.run(
      site,
      query:
        #"{"id": "h", "kind": "histogram", "column": "x", "bin_edges": [0, 50, 100], "outside": "clip", "mechanism": "gaussian", "epsilon": "1/2", "max_bad_rows": 1}"#
    )
    var epsilons: [Double] = []
    for (i, r) in histogram.enumerated() {
      #expect(r.status == 0, "party \(i): \(r.stderr)")
      let object = try Self.object(r)
      let atDelta = try #require(object["epsilon_at_delta"] as? [String: Any])
      let epsilon = try #require(atDelta["epsilon"] as? Double)
      epsilons.append(epsilon)
      #expect(epsilon <= 0.5 && epsilon > 0.45, "party \(i): ε = \(epsilon)")
      let requested = try #require(object["requested"] as? [String: String])
      #expect(requested["epsilon"] == "1/2" && requested["delta"] == "1/1000000")
      #expect(!r.stderr.contains("warning:"), "max_bad_rows 1 expects site 1's one bad row")
    }
    #expect(Set(epsilons).count == 1, "every party charged the same: \(epsilons)")

    // 3. `outside: "refuse"` is refused when the query is parsed (exit 64), whatever the data.
    let refuse = try await MPCProcess.run([
      "run", "--study", site.study, "--party", "0", "--key", site.key(0), "--data", site.data(0),
      "--query-inline",
      #"{"id": "r", "kind": "histogram", "column": "x", "bin_edges": [0, 50, 100], "outside": "refuse", "epsilon": "1/2"}"#,
    ])
    #expect(refuse.status == 64)
    #expect(refuse.stderr.contains("field 'outside'"), "\(refuse.stderr)")
    #expect(refuse.stderr.contains("use 'other'"), "\(refuse.stderr)")
  }

  /// A study with `colluders` twice and a query with `rho` twice are refused naming the key and
  /// its line (exit 64), before anything else.
  @Test func duplicateKeysAreRefusedByMpcRun() async throws {
    let site = try await Self.makeSites()
    var text = try String(contentsOfFile: site.study, encoding: .utf8)
    let range = try #require(text.range(of: "\"colluders\""))
    text.insert(contentsOf: "\"colluders\" : 2,\n  ", at: range.lowerBound)
    let twice = site.dir.appendingPathComponent("twice.json").path
    try text.write(toFile: twice, atomically: true, encoding: .utf8)
    let study = try await MPCProcess.run([
      "run", "--study", twice, "--party", "0", "--key", site.key(0), "--data", site.data(0),
      "--query-inline", #"{"id": "c", "kind": "count", "rho": "1/10"}"#,
    ])
    #expect(study.status == 64)
    #expect(study.stderr.contains("duplicate key 'colluders' on line"), "\(study.stderr)")

    let query = site.dir.appendingPathComponent("q.json").path
    try "{\"id\": \"c\", \"kind\": \"count\",\n \"rho\": \"1/10\",\n \"rho\": \"1\"}\n".write(
      toFile: query, atomically: true, encoding: .utf8)
    let r = try await MPCProcess.run([
      "run", "--study", site.study, "--party", "0", "--key", site.key(0), "--data", site.data(0),
      "--query", query,
    ])
    #expect(r.status == 64)
    #expect(
      r.stderr.contains("field 'rho': duplicate key 'rho' on line 3 (first on line 2)"),
      "\(r.stderr)")
  }
}
