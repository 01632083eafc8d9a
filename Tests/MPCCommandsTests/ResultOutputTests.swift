import Foundation
import MPCBigInt
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// `mpc run --out FILE --format csv|json|int64`, the streamed `--json` document, the summary of
/// long vectors, the local data summary and the test-only seeded noise, with the real binary.
@Suite(.serialized) struct ResultOutputTests {
  /// Three keys, a study on loopback ports (optionally a test study) and per-site files.
  struct Sites {
    let dir: URL
    let study: String

    init(testStudy: Bool = false) async throws {
      dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mpc-out-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      var keys: [String] = []
      for i in 0..<3 {
        let r = try await MPCProcess.run([
          "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
        ])
        let object =
          try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
        keys.append(try #require(object?["public_key"]))
      }
      let ports = LoopbackPorts.reserve(3)
      study = dir.appendingPathComponent("study.json").path
      var args = ["study", "init", "--id", "out-test", "--rho", "10", "--out", study]
      for i in 0..<3 { args += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
      #expect(try await MPCProcess.run(args).status == 0)
      if testStudy {
        var object =
          try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: study)))
          as? [String: Any] ?? [:]
        object["test_study"] = true
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: study))
      }
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Site i's vector file `v<i>.txt`: m values in [0, 100].
    func writeVectors(length m: Int) throws {
      for i in 0..<3 {
        let text = (0..<m).map { "\(($0 * 7 + i) % 101)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path("v\(i).txt"), atomically: true, encoding: .utf8)
      }
    }

    /// `mpc run` for party i with `extra` flags.
    func run(_ i: Int, data: String, query: String, _ extra: [String]) -> [String] {
      [
        "run", "--study", study, "--party", "\(i)", "--key", path("s\(i).key"), "--data",
        data, "--query-inline", query, "--timeout", "30", "--connect-timeout", "30",
        "--state-dir", path("state\(i)"),
      ] + extra
    }
  }

  static func vectorQuery(_ id: String, length: Int) -> String {
    #"{"id": "\#(id)", "kind": "vector-sum", "length": \#(length), "bounds": [0, 100], "rho": "1"}"#
  }

  // MARK: - Formatting

  @Test func integersAreWrittenExactlyWithoutStrings() {
    let values: [Int64] = [0, 1, -1, 9, 10, -10, 1_234_567_890_123, .max, .min, .min + 1]
    var spool = ByteSpool(nil)
    for v in values {
      spool.append(v)
      spool.append(" ")
    }
    #expect(
      String(decoding: spool.bytes, as: UTF8.self)
        == values.map { String($0) + " " }.joined())
  }

  @Test func csvFieldsAreQuotedOnlyWhenNeeded() {
    #expect(ResultFile.csvField("icu") == "icu")
    #expect(ResultFile.csvField("[0, 10)") == "\"[0, 10)\"")
    #expect(ResultFile.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
  }

  // MARK: - Three sites on loopback

  /// One vector-sum, each site with another output: every format holds the same opened values,
  /// and nothing `.partial` is left.
  @Test func everyFormatHoldsTheSameStreamedValues() async throws {
    let sites = try await Sites()
    let m = 70
    try sites.writeVectors(length: m)
    let query = Self.vectorQuery("vec", length: m)
    let results = try await MPCProcess.runAll([
      sites.run(0, data: sites.path("v0.txt"), query: query, ["--out", sites.path("o.csv")]),
      sites.run(
        1, data: sites.path("v1.txt"), query: query,
        ["--out", sites.path("o.bin"), "--format", "int64"]),
      sites.run(
        2, data: sites.path("v2.txt"), query: query,
        ["--out", sites.path("o.json"), "--format", "json", "--json"]),
    ])
    for r in results { #expect(r.status == 0, "\(r.stderr)") }
    // Text output: the first rows, then where the rest went.
    #expect(results[0].stdout.contains("… 60 more of 70 coordinates: all of them are in"))
    // CSV.
    let csv = try String(contentsOfFile: sites.path("o.csv"), encoding: .utf8)
      .split(separator: "\n")
    #expect(csv.first == "component,label,value,raw,lower,upper")
    let fromCSV = csv.dropFirst().map { Int($0.split(separator: ",")[2])! }
    // int64.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: sites.path("o.bin")))
    let fromBinary = bytes.withUnsafeBytes { raw in
      (0..<(bytes.count / 8)).map {
        Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)))
      }
    }
    // JSON file: the whole document with the vector; stdout: the same without it.
    let file = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: sites.path("o.json"))))
        as? [String: Any])
    #expect(file["schema"] as? String == "mpc.run/2")
    let component = try #require((file["components"] as? [[String: Any]])?.first)
    let fromJSON = try #require(component["vector"] as? [Int])
    #expect(component["post_processing"] as? String == "none")
    let stdout = try #require(
      try JSONSerialization.jsonObject(with: Data(results[2].stdout.utf8)) as? [String: Any])
    let printed = try #require((stdout["components"] as? [[String: Any]])?.first)
    #expect(printed["vector"] == nil)
    #expect(printed["values_file"] as? String == sites.path("o.json"))
    #expect(fromCSV.count == m && fromBinary == fromCSV && fromJSON == fromCSV)
    let left = try FileManager.default.contentsOfDirectory(atPath: sites.dir.path)
    #expect(!left.contains { $0.hasSuffix(".partial") })
    // A replay writes the same file again from the release log (a streamed vector this short
    // is kept there too).
    let again = try await MPCProcess.run(
      sites.run(0, data: sites.path("v0.txt"), query: query, ["--out", sites.path("again.csv")]))
    #expect(again.status == 0 && again.stderr.contains("showing the stored result"))
    #expect(
      try String(contentsOfFile: sites.path("again.csv"), encoding: .utf8)
        == String(contentsOfFile: sites.path("o.csv"), encoding: .utf8))
    // The audit report names the vector and its first values instead of an empty table.
    let report = sites.path("report.html")
    let export = try await MPCProcess.run([
      "audit", "export", "--study", sites.study, "--party", "0", "--state-dir",
      sites.path("state0"), "--out", report,
    ])
    #expect(export.status == 0, "\(export.stderr)")
    let page = try String(contentsOfFile: report, encoding: .utf8)
    let firstFive = fromCSV.prefix(5).map(String.init).joined(separator: ", ")
    #expect(page.contains("vector of 70 values</td><td>first \(firstFive), …</td>"), "\(page)")
  }

  /// `--json` to standard output with the vector streamed in; the decoder reads it back.
  @Test func jsonToStandardOutputCarriesTheVector() async throws {
    let sites = try await Sites()
    let m = 40
    try sites.writeVectors(length: m)
    let query = Self.vectorQuery("vj", length: m)
    let results = try await MPCProcess.runAll(
      (0..<3).map { sites.run($0, data: sites.path("v\($0).txt"), query: query, ["--json"]) })
    var vectors: [[Int]] = []
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      let output = try OutputCoding.decode(RunOutput.self, from: Data(r.stdout.utf8))
      let vector = try #require(output.components.first?.vector)
      vectors.append(vector.values.map { Int(exactly: $0.value)! })
      let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
      #expect((object?["query"] as? [String: Any])?["id"] as? String == "vj")
      #expect(output.components.first?.length == m)
    }
    #expect(vectors[0].count == m && vectors[0] == vectors[1] && vectors[1] == vectors[2])
    // The same query again: the stored result, vector included (kept up to 10,000 values).
    let again = try await MPCProcess.run(
      sites.run(0, data: sites.path("v0.txt"), query: query, ["--json"]))
    #expect(again.status == 0 && again.stderr.contains("showing the stored result"))
    let stored = try #require(
      try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
    let component = try #require((stored["components"] as? [[String: Any]])?.first)
    #expect(component["vector"] as? [Int] == vectors[0])
  }

  /// `--progress always` (the tests' stand-in for a terminal): who is up, admission, then the
  /// chunks sent and values opened up to the whole vector; `--quiet` and the default off a
  /// terminal show none of it.
  @Test func theProgressLineShowsPeersChunksAndValues() async throws {
    let sites = try await Sites()
    let m = 70_000  // three chunks of 32,768
    try sites.writeVectors(length: m)
    let query = Self.vectorQuery("vp", length: m).replacingOccurrences(of: "100", with: "10")
    let results = try await MPCProcess.runAll(
      (0..<3).map {
        sites.run(
          $0, data: sites.path("v\($0).txt"), query: query,
          ["--out", sites.path("o\($0).csv"), "--progress", "always"])
      })
    for (i, r) in results.enumerated() {
      #expect(r.status == 0, "\(r.stderr)")
      let peers = [0, 1, 2].filter { $0 != i }.map(String.init).joined(separator: ", ")
      #expect(r.stderr.contains("connecting: 2 of 2 peer(s) up (party \(peers))"), "\(r.stderr)")
      #expect(r.stderr.contains("admitted and charged at every site"))
      #expect(r.stderr.contains("sent 3/3 chunk(s); opened 70,000 of 70,000 value(s) (100%)"))
    }
    let quiet = try await MPCProcess.runAll(
      (0..<3).map {
        sites.run(
          $0, data: sites.path("v\($0).txt"),
          query: Self.vectorQuery("vq", length: m).replacingOccurrences(of: "100", with: "10"),
          ["--out", sites.path("q\($0).csv")]
            + ($0 == 0 ? ["--progress", "always", "--quiet"] : []))
      })
    for r in quiet {
      #expect(r.status == 0, "\(r.stderr)")
      #expect(!r.stderr.contains("connecting"), "\(r.stderr)")
      #expect(!r.stderr.contains("\u{1B}"), "no escape sequence off a terminal")
    }
  }

  @Test func progressLinesGroupAndRate() {
    #expect(Progress.grouped(0) == "0")
    #expect(Progress.grouped(999) == "999")
    #expect(Progress.grouped(1_000) == "1,000")
    #expect(Progress.grouped(1_234_567) == "1,234,567")
    #expect(Progress.rate(850) == "850 values/s")
    #expect(Progress.rate(2_140_000) == "2.1 M values/s")
    #expect(
      Progress.uploadLine(sent: (2, 31), opened: (65_536, 1_000_000), seconds: 0.5)
        == "sent 2/31 chunk(s); opened 65,536 of 1,000,000 value(s) (6%), 131.1 k values/s")
    #expect(
      Progress.uploadLine(sent: (1, 31), opened: (0, 0), seconds: nil) == "sent 1/31 chunk(s)…")
  }

  /// `ICU` where the categories say `icu`, and a malformed row, in `--json` mode: both on
  /// standard error before the run and in the document's `local_data`.
  @Test func localDataSurprisesAreReportedInJSONMode() async throws {
    let sites = try await Sites()
    for i in 0..<3 {
      let csv = "ward,age\nicu,1\nICU,2\nICU,3\ner,4\nicu,\"5\n"
      try csv.write(toFile: sites.path("d\(i).csv"), atomically: true, encoding: .utf8)
    }
    let query =
      #"{"id": "wards", "kind": "histogram", "column": "ward", "categories": ["icu", "er"], "outside": "other", "rho": "1/10", "max_bad_rows": 1}"#
    let results = try await MPCProcess.runAll(
      (0..<3).map { sites.run($0, data: sites.path("d\($0).csv"), query: query, ["--json"]) })
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stderr.contains("2 row(s) fell outside the bins into 'other': 'ICU' 2"))
      #expect(r.stderr.contains("1 unparseable row(s)"))
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      let local = try #require(object["local_data"] as? [String: Any])
      #expect(local["malformed"] as? Int == 1)
      #expect(local["rows"] as? Int == 4)
      #expect((local["outside_values"] as? [String: Int]) == ["ICU": 2])
      #expect(object["bad_rows"] as? Int == 1)
      #expect((object["post_processing"] as? String)?.contains("clamped at 0") == true)
    }
  }

  // MARK: - Refusals before anything runs

  @Test func refusalsComeBeforeTheNetworkWithExitCode64() async throws {
    let sites = try await Sites()
    // Each refusal still tries to tell the (absent) peers: 2 s for them, not the test's 30 s.
    let lone = ["--connect-timeout", "2"]
    try "1\n2\n".write(toFile: sites.path("v.txt"), atomically: true, encoding: .utf8)
    // A long vector-sum in table mode.
    let long = try await MPCProcess.run(
      sites.run(0, data: sites.path("v.txt"), query: Self.vectorQuery("big", length: 20_000), lone))
    #expect(long.status == 64 && long.stderr.contains("--out FILE"), "\(long.stderr)")
    // --out into a directory that does not exist.
    let missing = try await MPCProcess.run(
      sites.run(
        0, data: sites.path("v.txt"), query: Self.vectorQuery("v2", length: 2),
        ["--out", sites.path("no/such/dir/out.csv")] + lone))
    #expect(missing.status == 64 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
    // int64 output of values that may not fit 64 bits.
    let wide = try await MPCProcess.run(
      sites.run(
        0, data: sites.path("v.txt"),
        query:
          #"{"id": "wide", "kind": "vector-sum", "length": 2, "bounds": [0, 4611686018427387904], "rho": "1"}"#,
        ["--out", sites.path("wide.bin"), "--format", "int64"] + lone))
    #expect(wide.status == 64 && wide.stderr.contains("--format csv"), "\(wide.stderr)")
    // Seeded noise outside a test study.
    let seeded = try await MPCProcess.run(
      sites.run(
        0, data: sites.path("v.txt"), query: Self.vectorQuery("v3", length: 2),
        ["--seed-noise", String(repeating: "ab", count: 32), "--json"] + lone))
    #expect(seeded.status == 64 && seeded.stderr.contains("not a test study"), "\(seeded.stderr)")
  }

  /// A run that fails (no peer answers) leaves neither FILE nor FILE.partial.
  @Test func aFailedRunLeavesNoOutputFile() async throws {
    let sites = try await Sites()
    try "1\n2\n".write(toFile: sites.path("v.txt"), atomically: true, encoding: .utf8)
    var args = sites.run(
      0, data: sites.path("v.txt"), query: Self.vectorQuery("alone", length: 2),
      ["--out", sites.path("alone.csv")])
    args = args.map { $0 == "30" ? "1" : $0 }
    let r = try await MPCProcess.run(args)
    #expect(r.status == 1, "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: sites.path("alone.csv")))
    #expect(!FileManager.default.fileExists(atPath: sites.path("alone.csv.partial")))
  }

  /// In a test study, seeded noise is accepted and announced (`mpc bench`'s path).
  @Test func seededNoiseRunsInATestStudy() async throws {
    let sites = try await Sites(testStudy: true)
    for i in 0..<3 {
      try "1\n2\n3\n".write(toFile: sites.path("v\(i).txt"), atomically: true, encoding: .utf8)
    }
    let query = Self.vectorQuery("seeded", length: 3)
    let results = try await MPCProcess.runAll(
      (0..<3).map {
        sites.run(
          $0, data: sites.path("v\($0).txt"), query: query,
          ["--seed-noise", String(repeating: "0\($0)", count: 32), "--json"])
      })
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stderr.contains("announced to the peers"))
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      #expect(object["seeded_noise"] as? Bool == true)
    }
  }
}
