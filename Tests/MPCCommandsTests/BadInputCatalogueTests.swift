import Foundation
import Testing
import _MPCTestSupport

/// Issue 18 item 8: a catalogue of bad inputs (flags, study, query, key, data and ledger files,
/// vector directories), one `mpc` process each. Every case must exit with README's code, print
/// a message of one or two lines naming what and where, never crash (no exit ≥ 128), charge
/// nothing and leave no half-written file. Valid-but-unusual inputs must work.
///
/// Adding a case is one line in ``cases``: a name, the arguments (`$DIR` is the case's
/// fixture directory), the exit status and the texts the message must contain.
@Suite(.serialized) struct BadInputCatalogueTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var arguments: [String]
    var status: Int32
    var needles: [String]
    var testDescription: String { name }
  }

  static let count = #"{"id": "q1", "kind": "count", "mechanism": "gaussian", "rho": "1/10"}"#
  static func sum(_ column: String = "age", bounds: String = "[0, 100]", rho: String = "1/10")
    -> String
  {
    #"{"id": "q1", "kind": "sum", "column": "\#(column)", "bounds": \#(bounds), "mechanism": "gaussian", "rho": "\#(rho)"}"#
  }
  static func run(
    study: String = "study.json", key: String = "s0.key", data: String = "d.csv",
    query: String = count, party: String = "0", extra: [String] = []
  ) -> [String] {
    [
      "run", "--study", "$DIR/\(study)", "--party", party, "--key", "$DIR/\(key)", "--data",
      "$DIR/\(data)", "--query-inline", query, "--connect-timeout", "2", "--timeout", "2",
      "--state-dir", "$DIR/state",
    ] + extra
  }
  static func show(_ study: String) -> [String] { ["study", "show", "--study", "$DIR/\(study)"] }

  static let cases: [Case] = [
    // Flags.
    Case(
      name: "run without --study", arguments: ["run", "--party", "0"], status: 64,
      needles: ["--study"]),
    Case(
      name: "party out of range", arguments: run(party: "5"), status: 64,
      needles: ["--party 5", "0…2"]),
    Case(name: "negative party", arguments: run(party: "-1"), status: 64, needles: ["--party"]),
    Case(
      name: "zero timeout", arguments: run(extra: ["--timeout", "0"]), status: 64,
      needles: ["--timeout 0", "positive"]),
    Case(
      name: "unknown flag", arguments: run(extra: ["--bogus"]), status: 64, needles: ["--bogus"]),
    Case(
      name: "bad --listen", arguments: run(extra: ["--listen", "nohost"]), status: 64,
      needles: ["--listen nohost", "HOST:PORT"]),
    Case(
      name: "bad --vector-format", arguments: run(extra: ["--vector-format", "csv"]), status: 64,
      needles: ["--vector-format"]),
    Case(
      name: "query file and inline query", arguments: run(extra: ["--query", "$DIR/q.json"]),
      status: 64, needles: ["exactly one of --query"]),
    Case(
      name: "privacy plan σ = 0",
      arguments: [
        "privacy", "plan", "--mechanism", "gaussian", "--sigma", "0", "--l1", "1", "--l2", "1",
        "--parties", "3", "--colluders", "1", "--delta", "1e-6",
      ], status: 64, needles: ["sigma 0"]),
    // Study files.
    Case(
      name: "study file missing", arguments: show("none.json"), status: 64,
      needles: ["none.json", "no such file"]),
    Case(
      name: "study JSON syntax", arguments: show("s-syntax.json"), status: 64,
      needles: ["s-syntax.json:4:3", "not valid JSON"]),
    Case(
      name: "study duplicate key", arguments: show("s-dupkey.json"), status: 64,
      needles: ["duplicate key 'colluders'"]),
    Case(
      name: "study t = n", arguments: show("s-tn.json"), status: 64,
      needles: ["'colluders'", "n − 1"]),
    Case(
      name: "study unknown key", arguments: show("s-unknown.json"), status: 64,
      needles: ["'unknown_key'", "unknown field"]),
    Case(
      name: "study wrong type", arguments: show("s-type.json"), status: 64,
      needles: ["'colluders'", "wrong type"]),
    Case(
      name: "study without parties", arguments: show("s-noparties.json"), status: 64,
      needles: ["'parties'", "missing required field"]),
    Case(
      name: "study bad public key", arguments: show("s-badkey.json"), status: 64,
      needles: ["parties[1].public_key"]),
    Case(
      name: "study negative budget", arguments: show("s-negbudget.json"), status: 64,
      needles: ["budget.rho", "positive"]),
    Case(
      name: "study δ = 2", arguments: show("s-delta.json"), status: 64,
      needles: ["'delta'", "0 < δ < 1"]),
    Case(
      name: "study unknown field", arguments: show("s-field.json"), status: 64,
      needles: ["'field'", "m13"]),
    Case(
      name: "study duplicate address", arguments: show("s-dupaddr.json"), status: 64,
      needles: ["parties[1].address", "same address"]),
    Case(name: "study with a BOM", arguments: show("s-bom.json"), status: 0, needles: []),
    Case(name: "study with CRLF", arguments: show("s-crlf.json"), status: 0, needles: []),
    Case(
      name: "run with a bad study", arguments: run(study: "s-tn.json"), status: 64,
      needles: ["s-tn.json", "'colluders'"]),
    Case(
      name: "study init t = n",
      arguments: [
        "study", "init", "--id", "x", "--party", "A,127.0.0.1:7401,$KEY0", "--party",
        "B,127.0.0.1:7402,$KEY1", "--colluders", "2", "--rho", "1", "--out", "$DIR/new.json",
      ], status: 64, needles: ["'colluders'"]),
    Case(
      name: "study init ρ = 0",
      arguments: [
        "study", "init", "--id", "x", "--party", "A,127.0.0.1:7401,$KEY0", "--party",
        "B,127.0.0.1:7402,$KEY1", "--rho", "0", "--out", "$DIR/new.json",
      ], status: 64, needles: ["budget.rho"]),
    Case(
      name: "study init malformed key",
      arguments: [
        "study", "init", "--id", "x", "--party", "A,127.0.0.1:7401,zz", "--party",
        "B,127.0.0.1:7402,$KEY1", "--rho", "1", "--out", "$DIR/new.json",
      ], status: 64, needles: ["parties[0].public_key"]),
    Case(
      name: "study init onto an existing file",
      arguments: [
        "study", "init", "--id", "x", "--party", "A,127.0.0.1:7401,$KEY0", "--party",
        "B,127.0.0.1:7402,$KEY1", "--rho", "1", "--out", "$DIR/study.json",
      ], status: 64, needles: ["already exists"]),
    // Query files.
    Case(
      name: "query file missing",
      arguments: run(extra: []).filter { $0 != "--query-inline" && $0 != count } + [
        "--query", "$DIR/none.json",
      ], status: 64, needles: ["none.json"]),
    Case(
      name: "query unknown kind",
      arguments: run(
        query: #"{"id": "q1", "kind": "bogus", "mechanism": "gaussian", "rho": "1/10"}"#),
      status: 64, needles: ["'kind'", "unknown kind"]),
    Case(
      name: "query bounds reversed", arguments: run(query: sum(bounds: "[100, 0]")), status: 64,
      needles: ["'bounds'", "L < U"]),
    Case(
      name: "query ρ and ε",
      arguments: run(
        query:
          #"{"id": "q1", "kind": "count", "mechanism": "gaussian", "rho": "1/10", "epsilon": "1"}"#),
      status: 64, needles: ["exactly one of 'epsilon' or 'rho'"]),
    Case(
      name: "query duplicate key",
      arguments: run(
        query:
          #"{"id": "q1", "kind": "count", "mechanism": "gaussian", "rho": "1/10", "rho": "1/20"}"#),
      status: 64, needles: ["duplicate key 'rho'"]),
    Case(
      name: "query ρ not a number", arguments: run(query: sum(rho: "abc")), status: 64,
      needles: ["'rho'", "abc"]),
    Case(
      name: "query unknown mechanism",
      arguments: run(query: #"{"id": "q1", "kind": "count", "mechanism": "foo", "rho": "1/10"}"#),
      status: 64, needles: ["'mechanism'"]),
    Case(
      name: "query bad id",
      arguments: run(
        query: #"{"id": "q 1", "kind": "count", "mechanism": "gaussian", "rho": "1/10"}"#),
      status: 64, needles: ["'id'"]),
    Case(
      name: "query JSON syntax", arguments: run(query: #"{"id": "q1", "kind": "count",}"#),
      status: 64, needles: ["1:30", "not valid JSON"]),
    Case(
      name: "query over the budget", arguments: run(query: sum(rho: "2")), status: 64,
      needles: ["budget"]),
    // Key files.
    Case(
      name: "key readable by others", arguments: run(key: "open.key"), status: 64,
      needles: ["open.key", "chmod 600"]),
    Case(
      name: "key of another party", arguments: run(key: "s1.key"), status: 64,
      needles: ["not the key pinned for party 0"]),
    Case(
      name: "key file missing", arguments: run(key: "none.key"), status: 64, needles: ["none.key"]),
    Case(
      name: "key file not a key", arguments: run(key: "garbage.key"), status: 64,
      needles: ["garbage.key", "no private_key line"]),
    Case(
      name: "keygen onto an existing key", arguments: ["keygen", "--out", "$DIR/s0.key"],
      status: 64, needles: ["already exists"]),
    Case(
      name: "key show of a CRLF key", arguments: ["key", "show", "--key", "$DIR/crlf.key"],
      status: 0, needles: []),
    // Data files.
    Case(
      name: "data file missing", arguments: run(data: "none.csv"), status: 64,
      needles: ["none.csv", "no such file"]),
    Case(
      name: "data column missing", arguments: run(query: sum("agex")), status: 64,
      needles: ["no column 'agex'", "available: 'id', 'age'"]),
    Case(
      name: "data file empty", arguments: run(data: "empty.csv"), status: 64,
      needles: ["empty.csv", "empty"]),
    Case(
      name: "data duplicate column", arguments: run(data: "dup.csv", query: sum()), status: 64,
      needles: ["column 'age' appears 2 times"]),
    // Ledger files and vectors.
    Case(
      name: "budget of a missing study",
      arguments: ["budget", "show", "--study", "$DIR/none.json", "--party", "0"], status: 64,
      needles: ["none.json", "no such file"]),
    Case(
      name: "budget with a torn ledger",
      arguments: [
        "budget", "show", "--study", "$DIR/study.json", "--party", "0", "--state-dir", "$DIR/torn",
      ], status: 1,
      needles: ["ledger-party-0.jsonl:1: torn last ledger entry", "mpc budget repair"]),
    Case(
      name: "budget with a corrupt ledger",
      arguments: [
        "budget", "show", "--study", "$DIR/study.json", "--party", "0", "--state-dir",
        "$DIR/corrupt",
      ], status: 1, needles: ["ledger-party-0.jsonl:1"]),
    Case(
      name: "verify-vectors of a directory without vectors", arguments: ["verify-vectors", "$DIR"],
      status: 64, needles: ["holds none of the vector files"]),
  ]

  /// One fixture directory for the whole catalogue.
  final class Fixture: Sendable {
    let dir: URL
    let keys: [String]
    init() async throws {
      dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mpc-catalogue-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      var keys: [String] = []
      for i in 0..<3 {
        let r = try await MPCProcess.run([
          "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
        ])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        keys.append(try #require(object?["public_key"] as? String))
      }
      self.keys = keys
      let ports = LoopbackPorts.reserve(3)
      var initArgs = [
        "study", "init", "--id", "cat", "--rho", "1", "--out",
        dir.appendingPathComponent("study.json").path,
      ]
      for i in 0..<3 { initArgs += ["--party", "S\(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
      let made = try await MPCProcess.run(initArgs)
      #expect(made.status == 0, "\(made.stderr)")
      let studyURL = dir.appendingPathComponent("study.json")
      let text = try String(contentsOf: studyURL, encoding: .utf8)
      let study = try #require(
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
      func write(_ name: String, _ content: String) throws {
        try Data(content.utf8).write(to: dir.appendingPathComponent(name))
      }
      func variant(_ name: String, _ change: (inout [String: Any]) -> Void) throws {
        var copy = study
        change(&copy)
        let data = try JSONSerialization.data(
          withJSONObject: copy, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: dir.appendingPathComponent(name))
      }
      try write("s-syntax.json", "{\n  \"id\": \"cat\",\n  \"parties\": [1,\n  }\n")
      try write(
        "s-dupkey.json",
        text.replacingOccurrences(
          of: "\"colluders\" : 1,", with: "\"colluders\" : 1, \"colluders\" : 2,"))
      try variant("s-tn.json") { $0["colluders"] = 3 }
      try variant("s-unknown.json") { $0["unknown_key"] = 1 }
      try variant("s-type.json") { $0["colluders"] = "one" }
      try variant("s-noparties.json") { $0["parties"] = nil }
      try variant("s-negbudget.json") { $0["budget"] = ["rho": "-1"] }
      try variant("s-delta.json") { $0["delta"] = "2" }
      try variant("s-field.json") { $0["field"] = "m13" }
      try variant("s-badkey.json") {
        var parties = $0["parties"] as! [[String: Any]]
        parties[1]["public_key"] = "abcd"
        $0["parties"] = parties
      }
      try variant("s-dupaddr.json") {
        var parties = $0["parties"] as! [[String: Any]]
        parties[1]["address"] = parties[0]["address"]
        $0["parties"] = parties
      }
      try write("s-bom.json", "\u{FEFF}" + text)
      try write("s-crlf.json", text.replacingOccurrences(of: "\n", with: "\r\n"))
      try write("d.csv", "id,age\n1,30\n2,40\n")
      try write("empty.csv", "")
      try write("dup.csv", "id,age,age\n1,2,3\n")
      let key0 = try String(contentsOf: dir.appendingPathComponent("s0.key"), encoding: .utf8)
      for (name, content, mode) in [
        ("open.key", key0, 0o644), ("garbage.key", "nothing\n", 0o600),
        ("crlf.key", key0.replacingOccurrences(of: "\n", with: "\r\n"), 0o600),
      ] {
        try write(name, content)
        try FileManager.default.setAttributes(
          [.posixPermissions: mode], ofItemAtPath: dir.appendingPathComponent(name).path)
      }
      // Ledgers made by a first `mpc run` (it creates the ledger before it looks for its peers;
      // none is up), then one junk line appended ("torn": the last line) or two ("corrupt").
      for name in ["torn", "corrupt"] {
        let created = try await MPCProcess.run([
          "run", "--study", studyURL.path, "--party", "0", "--key",
          dir.appendingPathComponent("s0.key").path, "--data",
          dir.appendingPathComponent("d.csv").path, "--query-inline", BadInputCatalogueTests.count,
          "--connect-timeout", "1", "--state-dir", dir.appendingPathComponent(name).path,
        ])
        #expect(created.stderr.contains("created party 0's ledger"), "\(created.stderr)")
        let enumerator = FileManager.default.enumerator(
          at: dir.appendingPathComponent(name), includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
          guard url.pathExtension == "jsonl", url.lastPathComponent.hasPrefix("ledger") else {
            continue
          }
          let handle = try FileHandle(forWritingTo: url)
          try handle.seekToEnd()
          let junk = name == "torn" ? "{\"not\": \"an entry\"}\n" : "{\"not\": 1}\n{\"not\": 2}\n"
          try handle.write(contentsOf: Data(junk.utf8))
          try handle.close()
        }
      }
    }
  }

  @Test(arguments: cases) func badInputIsRefusedClearly(_ c: Case) async throws {
    let fixture = try await Self.fixtureOnce()
    let dir = fixture.dir.path
    let arguments = c.arguments.map {
      $0.replacingOccurrences(of: "$DIR", with: dir)
        .replacingOccurrences(of: "$KEY0", with: fixture.keys[0])
        .replacingOccurrences(of: "$KEY1", with: fixture.keys[1])
    }
    let before = try Self.snapshot(fixture.dir)
    let r = try await MPCProcess.run(arguments)
    #expect(r.status < 128, "\(c.name): crashed (\(r.status)): \(r.stderr)")
    #expect(r.status == c.status, "\(c.name): exit \(r.status): \(r.stderr)")
    let message = r.stderr.split(separator: "\n").filter {
      !$0.hasPrefix("note:") && !$0.hasPrefix("warning:") && !$0.hasPrefix("Usage:")
        && !$0.hasPrefix("Help:") && !$0.hasPrefix("  See '")
    }
    if c.status != 0 {
      #expect(
        !message.isEmpty && message.count <= 2,
        "\(c.name): message of \(message.count) lines: \(r.stderr)")
    }
    for needle in c.needles {
      #expect(r.stderr.contains(needle), "\(c.name): '\(needle)' not in: \(r.stderr)")
    }
    // Nothing charged, nothing half-written: the fixture files are unchanged, and no ledger
    // holds more than its genesis line.
    let after = try Self.snapshot(fixture.dir)
    for (path, bytes) in before where after[path] != bytes {
      Issue.record("\(c.name): \(path) changed")
    }
    for (path, bytes) in after where path.hasSuffix(".jsonl") && before[path] == nil {
      let lines = bytes.split(separator: UInt8(ascii: "\n")).count
      #expect(lines <= 1, "\(c.name): \(path) has \(lines) lines")
    }
    for path in after.keys where path.contains(".tmp-") {
      Issue.record("\(c.name): temporary file \(path) left behind")
    }
  }

  /// Valid but unusual data files run to the end at every site: a BOM and CRLF at site 0,
  /// quoted fields with commas, quotes and newlines at site 1, `-0`, `+7` and a 200,000-byte
  /// field at site 2. No site reports a bad row.
  @Test func unusualButValidDataRunsAtEverySite() async throws {
    let fixture = try await Self.fixtureOnce()
    let dir = fixture.dir
    let files = [
      "\u{FEFF}id,age\r\n1,30\r\n2,40\r\n",
      "id,note,age\n1,\"a, b\",20\n2,\"said \"\"hi\"\"\nthen left\",25\n",
      "id,note,age\n1,\(String(repeating: "x", count: 200_000)),-0\n2,y,+7\n",
    ]
    for (i, text) in files.enumerated() {
      try Data(text.utf8).write(to: dir.appendingPathComponent("unusual\(i).csv"))
    }
    // Its own study with ports reserved now: the fixture's ports were free when it was made,
    // and other suites may have taken them since.
    let study = dir.appendingPathComponent("unusual-study.json").path
    let ports = LoopbackPorts.reserve(3)
    var initArgs = ["study", "init", "--id", "unusual", "--rho", "1", "--out", study, "--force"]
    for i in 0..<3 { initArgs += ["--party", "S\(i),127.0.0.1:\(ports[i]),\(fixture.keys[i])"] }
    let made = try await MPCProcess.run(initArgs)
    #expect(made.status == 0, "\(made.stderr)")
    let results = try await MPCProcess.runAll(
      (0..<3).map { i in
        [
          "run", "--study", study, "--party", "\(i)",
          "--key", dir.appendingPathComponent("s\(i).key").path, "--data",
          dir.appendingPathComponent("unusual\(i).csv").path, "--query-inline", Self.sum(),
          "--json", "--state-dir", dir.appendingPathComponent("unusual-state").path,
          "--timeout", "60", "--connect-timeout", "60",
        ]
      })
    for (i, r) in results.enumerated() {
      #expect(r.status == 0, "site \(i): \(r.stderr)")
      #expect(!r.stderr.contains("unparseable"), "site \(i): \(r.stderr)")
    }
  }

  /// Every file under `dir` (path relative to it) with its bytes.
  static func snapshot(_ dir: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
    while let url = enumerator?.nextObject() as? URL {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        out[String(url.path.dropFirst(dir.path.count))] = try Data(contentsOf: url)
      }
    }
    return out
  }

  private static let shared = SharedFixture()
  static func fixtureOnce() async throws -> Fixture { try await shared.get() }

  actor SharedFixture {
    var fixture: Fixture?
    func get() async throws -> Fixture {
      if let fixture { return fixture }
      let made = try await Fixture()
      fixture = made
      return made
    }
  }
}
