import Foundation
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// `mpc run` of a synth query as three processes over loopback at ε = 1, δ = 1e-9, t = 1, then
/// `mpc synth sample` and `mpc synth report` (issue 20's "done when").
@Suite(.serialized) struct SynthProcessTests {
  static let query = """
    {"id": "synth-1", "kind": "synth", "epsilon": "1", "columns": [
     {"column": "a", "categories": ["p", "q", "r", "s"]},
     {"column": "b", "categories": ["p", "q", "r", "s"]},
     {"column": "c", "bin_edges": [0, 10, 20, 30, 40]},
     {"column": "d", "categories": ["u", "v", "w"]},
     {"column": "e", "categories": ["u", "v", "w"]}]}
    """

  @Test func threeSitesReleaseOneModelThenSample() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-synth-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var keys: [String] = []
    for i in 0..<3 {
      let r = try await MPCProcess.run(["keygen", "--out", path("s\(i).key"), "--json"])
      let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
      keys.append(try #require(object?["public_key"]))
    }
    let ports = LoopbackPorts.reserve(3)
    var initArgs = [
      "study", "init", "--id", "synth", "--rho", "1", "--delta", "1e-9", "--colluders", "1",
      "--out", path("study.json"),
    ]
    for i in 0..<3 { initArgs += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
    let made = try await MPCProcess.run(initArgs)
    #expect(made.status == 0, "\(made.stderr)")
    // 3 × 4,000 rows: b copies a (80 %), c's bin copies b (80 %), e copies d (70 %).
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ n: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(n))
    }
    let cats = ["p", "q", "r", "s"]
    let three = ["u", "v", "w"]
    for i in 0..<3 {
      var csv = "a,b,c,d,e\n"
      for _ in 0..<4000 {
        let a = next(4)
        let b = next(10) < 8 ? a : next(4)
        let c = next(10) < 8 ? b : next(4)
        let d = next(3)
        let e = next(10) < 7 ? d : next(3)
        csv += "\(cats[a]),\(cats[b]),\(10 * c + next(10)),\(three[d]),\(three[e])\n"
      }
      try csv.write(toFile: path("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    let results = try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", path("study.json"), "--party", "\(i)", "--key", path("s\(i).key"),
          "--data", path("s\(i).csv"), "--query-inline", Self.query, "--json",
          "--state-dir", path("state\(i)"), "--model", path("model\(i).json"),
          "--out", path("synthetic\(i).csv"), "--timeout", "60", "--connect-timeout", "60",
        ]
      })
    var documents: [[String: Any]] = []
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      documents.append(
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]))
    }
    // One model, byte for byte, and one synthetic file at every site.
    let fingerprints = Set(documents.compactMap { $0["fingerprint"] as? String })
    #expect(fingerprints.count == 1)
    let models = try (0..<3).map {
      try Data(contentsOf: URL(fileURLWithPath: path("model\($0).json")))
    }
    #expect(Set(models).count == 1)
    let synthetic = try (0..<3).map {
      try Data(contentsOf: URL(fileURLWithPath: path("synthetic\($0).csv")))
    }
    #expect(Set(synthetic).count == 1)
    let tree = try #require(documents[0]["tree"] as? [[String]])
    for edge in [["a", "b"], ["b", "c"], ["d", "e"]] { #expect(tree.contains(edge), "\(tree)") }
    let rows = try #require(documents[0]["synthetic_rows"] as? Int)
    #expect(abs(rows - 12000) < 600)
    let fidelity = try #require(documents[0]["fidelity"] as? [String: Any])
    #expect(fidelity["warning"] == nil)
    #expect((fidelity["unmodelled_pairs"] as? [[String]])?.count == 6)

    // Sampling later: deterministic given the seed, no charge, and its report.
    let sample = try await MPCProcess.run([
      "synth", "sample", "--model", path("model0.json"), "--rows", "5000", "--seed", "42",
      "--out", path("sample.csv"),
    ])
    #expect(sample.status == 0, "\(sample.stderr)")
    #expect(sample.stdout.contains("fidelity of 5000 synthetic rows"))
    let again = try await MPCProcess.run([
      "synth", "sample", "--model", path("model1.json"), "--rows", "5000", "--seed", "42",
      "--out", path("sample1.csv"),
    ])
    #expect(again.status == 0)
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: path("sample.csv")))
        == Data(contentsOf: URL(fileURLWithPath: path("sample1.csv"))))
    let report = try await MPCProcess.run([
      "synth", "report", "--model", path("model0.json"), "--data", path("sample.csv"), "--json",
    ])
    #expect(report.status == 0, "\(report.stderr)")
    let r = try #require(
      try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
    #expect(r["rows"] as? Int == 5000)
    #expect((r["mean_two_way"] as? Double ?? 1) < 0.1)
    // A bad model file: exit 1 naming it, nothing written.
    try "{}".write(toFile: path("bad.json"), atomically: true, encoding: .utf8)
    let bad = try await MPCProcess.run([
      "synth", "sample", "--model", path("bad.json"), "--rows", "5", "--seed", "1",
      "--out", path("never.csv"),
    ])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("bad.json"))
    #expect(!FileManager.default.fileExists(atPath: path("never.csv")))
    // The release log holds the three rounds and the model.
    let log = try #require(
      FileManager.default.enumerator(atPath: path("state0"))?.compactMap { $0 as? String }
        .first { $0.hasSuffix("releases-party-0.jsonl") })
    let lines = try String(contentsOfFile: path("state0/\(log)"), encoding: .utf8)
      .split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines.last?.contains("synth-model") == true)
    // The audit accepts one charge paying for the rounds and the model of one run.
    let audit = try await MPCProcess.run([
      "audit", "--study", path("study.json"), "--party", "0", "--state-dir", path("state0"),
    ])
    #expect(audit.status == 0, "\(audit.stderr)")
    #expect(!audit.stderr.contains("error"), "\(audit.stderr)")
    #expect(audit.stdout.contains("4 release(s)"))
  }
}
