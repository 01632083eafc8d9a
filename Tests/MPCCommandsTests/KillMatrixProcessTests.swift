import Foundation
import Testing
import _MPCTestSupport

/// Issue 13 item 8: one party killed with SIGKILL at each protocol step and each ledger write
/// (the debug build's `MPC_TEST_KILL_AT` hook; compiled out of release builds), for n = 3 and
/// n = 5, through real `mpc run` processes. After each: every other party exits non-zero naming
/// the dead one (or, killed after the release, finishes); a restart (after `mpc budget repair`
/// where the kill tore a line) re-runs the query at every site; all ledgers agree; and the
/// query is charged once or twice exactly as `protocols/query.md` §6 says. The matrix is
/// printed (step × outcome) for the note.
@Suite(.serialized) struct KillMatrixProcessTests {
  /// Where the victim dies, and how often the query is charged in the end (in costs).
  struct Point: Sendable, CustomStringConvertible {
    var name: String
    /// Whether the other sites still finish (the victim died after the result was released).
    var othersFinish = false
    /// Charges that stand after the kill and the re-run.
    var charges: Int
    /// Whether the query is the two-chunk vector-sum (else a one-chunk sum).
    var twoChunks = false
    /// Whether the victim's record of the release is lost (the others answer from their
    /// release logs without connecting): its re-run fails naming the way out, and succeeds
    /// once `mpc budget reconcile --peer-releases` copied a peer's record.
    var recoversRelease = false
    var description: String { name }
  }

  static let points: [Point] = [
    Point(name: "links-up", charges: 1),
    Point(name: "send:hello", charges: 1),
    Point(name: "send:ledger-head", charges: 1),
    Point(name: "send:transcript", charges: 1),
    Point(name: "torn:ledger:charge", charges: 1),
    Point(name: "durable:ledger:charge", charges: 1),
    Point(name: "send:admit", charges: 1),
    // From here on masked values left (the others', at least): their charges stand (never
    // refunded), and the re-run is a new session.
    Point(name: "torn:ledger:upload", charges: 2),
    Point(name: "durable:ledger:upload", charges: 2),
    Point(name: "send:upload:0", charges: 2),
    Point(name: "send:upload:1", charges: 2, twoChunks: true),
    Point(name: "torn:releases:record", othersFinish: true, charges: 1, recoversRelease: true),
    Point(name: "durable:releases:record", othersFinish: true, charges: 1),
    Point(name: "released", othersFinish: true, charges: 1),
  ]

  /// n sites with a ρ budget of 10; each holds a CSV of 20 values and a 40,000-entry vector
  /// (two upload chunks of at most 2^15).
  struct Sites {
    let dir: URL
    let n: Int
    let study: String
    static let length = 40_000

    init(n: Int, label: String) async throws {
      dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mpc-kill-\(label)-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      self.n = n
      var keys: [String] = []
      for i in 0..<n {
        let r = try await MPCProcess.run([
          "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
        ])
        let object =
          try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
        keys.append(try #require(object?["public_key"]))
      }
      let ports = LoopbackPorts.reserve(n)
      study = dir.appendingPathComponent("study.json").path
      var args = ["study", "init", "--id", label, "--rho", "10", "--out", study]
      for i in 0..<n { args += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
      let made = try await MPCProcess.run(args)
      #expect(made.status == 0, "\(made.stderr)")
      for i in 0..<n {
        let csv = "x\n" + (0..<20).map { String($0 + i) }.joined(separator: "\n") + "\n"
        try csv.write(toFile: path("x\(i).csv"), atomically: true, encoding: .utf8)
        let text =
          (0..<Self.length).map { String(($0 + i) % 11) }.joined(separator: "\n") + "\n"
        try text.write(toFile: path("v\(i).txt"), atomically: true, encoding: .utf8)
      }
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    /// `--study … --party i --state-dir …` (the ledger commands).
    func ledger(_ i: Int) -> [String] {
      ["--study", study, "--party", "\(i)", "--state-dir", path("state\(i)")]
    }
    func site(_ i: Int) -> [String] { ledger(i) + ["--key", path("s\(i).key")] }

    /// Party i's `mpc run` of the point's query.
    func arguments(_ point: Point, party i: Int, connectTimeout: Int) -> [String] {
      let (data, query) =
        point.twoChunks
        ? ("v", KillMatrixProcessTests.vectorQuery) : ("x", KillMatrixProcessTests.sumQuery)
      return ["run"] + site(i) + [
        "--data", path("\(data)\(i).\(point.twoChunks ? "txt" : "csv")"), "--query-inline",
        query, "--json", "--timeout", "30", "--connect-timeout", "\(connectTimeout)",
      ]
    }

    func run(
      _ point: Point, killing victim: Int?, connectTimeout: Int = 30
    ) async throws -> [MPCProcess.Result] {
      try await MPCProcess.runAll(
        (0..<n).map { arguments(point, party: $0, connectTimeout: connectTimeout) },
        environments: (0..<n).map { i in i == victim ? ["MPC_TEST_KILL_AT": point.name] : [:] })
    }

    /// Party i's `mpc run` alone (a replay needs no peer).
    func run(_ point: Point, only i: Int) async throws -> MPCProcess.Result {
      try await MPCProcess.run(arguments(point, party: i, connectTimeout: 2))
    }

    /// The file `name` in party i's state directory (wherever the ledger location put it).
    func file(named name: String, in i: Int) -> String? {
      let root = URL(fileURLWithPath: path("state\(i)"))
      let found = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
        .compactMap { $0 as? URL }.first { $0.lastPathComponent == name }
      return found?.path
    }

    /// Party i's `mpc budget --json`.
    func budget(_ i: Int) async throws -> [String: Any] {
      let r = try await MPCProcess.run(["budget"] + ledger(i) + ["--json"])
      #expect(r.status == 0, "budget at party \(i): \(r.stderr)")
      return try #require(
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
  }

  static let vectorQuery =
    #"{"id": "q", "kind": "vector-sum", "length": 40000, "bounds": [0, 10], "rho": "1/10"}"#
  static let sumQuery =
    #"{"id": "q", "kind": "sum", "column": "x", "bounds": [0, 100], "rho": "1/10"}"#

  @Test(arguments: [3, 5])
  func killOnePartyAtEveryStep(n: Int) async throws {
    var matrix: [String] = []
    for point in Self.points {
      matrix.append(try await Self.scenario(n: n, point: point))
    }
    print(
      "kill matrix, n = \(n) (party 1 killed with SIGKILL; query ρ = 1/10):\n"
        + matrix.joined(separator: "\n"))
  }

  /// One kill and the restart; the matrix line.
  static func scenario(n: Int, point: Point) async throws -> String {
    let victim = 1
    let sites = try await Sites(
      n: n, label: "k\(n)-\(point.name.replacingOccurrences(of: ":", with: "-"))")
    let start = ContinuousClock.now
    let killed = try await sites.run(point, killing: victim)
    let elapsed = (ContinuousClock.now - start).components
    let seconds = (Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
      .formatted(.number.precision(.fractionLength(1)))
    let where_ = "n = \(n), \(point.name)"
    // SIGKILL: Foundation reports the signal number as the status.
    #expect(
      killed[victim].status == 9,
      "\(where_): victim \(killed[victim].status) \(killed[victim].stderr)")
    var others = "others finish"
    for (i, r) in killed.enumerated() where i != victim {
      if point.othersFinish {
        #expect(r.status == 0, "\(where_): party \(i) \(r.stderr)")
      } else {
        #expect(r.status != 0, "\(where_): party \(i) finished")
        #expect(r.stderr.contains("party \(victim)"), "\(where_): party \(i): \(r.stderr)")
        others = "others exit \(r.status) naming party \(victim)"
      }
    }
    // The restart: a torn line is cut by `mpc budget repair` first (the run refuses it).
    var repaired = ""
    if point.name.hasPrefix("torn:") {
      let r = try await MPCProcess.run(["budget", "repair"] + sites.ledger(victim))
      #expect(r.status == 0, "\(where_): repair: \(r.stderr)")
      repaired = "; repaired"
    }
    var again = try await sites.run(
      point, killing: nil, connectTimeout: point.recoversRelease ? 2 : 30)
    var rerun = "re-run ok at all \(n)"
    for (i, r) in again.enumerated() where !(point.recoversRelease && i == victim) {
      #expect(r.status == 0, "\(where_): re-run at party \(i): \(r.stderr)")
    }
    if point.recoversRelease {
      // The others replayed from their logs; the victim's own record was cut: its re-run
      // fails and says how to copy a peer's record. After that, it replays too.
      let failed = again[victim]
      #expect(failed.status != 0, "\(where_): the victim's first re-run")
      #expect(
        failed.stderr.contains("mpc budget reconcile --peer-releases"),
        "\(where_): the victim's re-run: \(failed.stderr)")
      let peerLog = try #require(sites.file(named: "releases-party-0.jsonl", in: 0))
      let copied = try await MPCProcess.run(
        ["budget", "reconcile"] + sites.ledger(victim) + ["--peer-releases", peerLog, "--apply"])
      #expect(copied.status == 0, "\(where_): reconcile: \(copied.stderr)")
      #expect(copied.stdout.contains("copied 1 record(s)"), "\(where_): \(copied.stdout)")
      again[victim] = try await sites.run(point, only: victim)
      #expect(
        again[victim].status == 0,
        "\(where_): victim re-run after reconcile: \(again[victim].stderr)")
      rerun =
        "re-run: the others replay; the victim's record is copied from party 0's log by "
        + "`mpc budget reconcile --peer-releases`, then it replays too"
    }
    // The same opened values at every site (a stored result for a query released before).
    let values = again.indices.map {
      i -> String in
      let object = try? JSONSerialization.jsonObject(with: Data(again[i].stdout.utf8))
      let first = ((object as? [String: Any])?["components"] as? [[String: Any]])?.first
      let raws = (first?["values"] as? [[String: Any]])?.map { "\($0["raw"] ?? "?")" }
      return (first?["vector"] as? [Int]).map { "\($0)" } ?? raws?.joined(separator: ",")
        ?? "none"
    }
    #expect(Set(values).count == 1 && values[0] != "none", "\(where_): the sites' results differ")
    var heads: Set<String> = []
    var spent: Set<String> = []
    for i in 0..<n {
      let b = try await sites.budget(i)
      heads.insert(b["head"] as? String ?? "?")
      spent.insert(b["spent"] as? String ?? "?")
    }
    #expect(heads.count == 1, "\(where_): ledgers differ: \(heads)")
    // The release logs are the same at every site (record hashes leave out only the time).
    let logs = (0..<n).map { i -> [String] in
      let text = sites.file(named: "releases-party-\(i).jsonl", in: i).flatMap {
        try? String(contentsOfFile: $0, encoding: .utf8)
      }
      return (text ?? "").split(separator: "\n").map {
        let object = try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        return object?["hash"] as? String ?? "?"
      }
    }
    #expect(Set(logs).count == 1 && logs[0].count == 1, "\(where_): release logs \(logs)")
    let expected = point.charges == 1 ? "1/10" : "1/5"
    #expect(spent == [expected], "\(where_): spent \(spent), expected \(expected)")
    return "  \(point.name.padding(toLength: 24, withPad: " ", startingAt: 0)) victim killed; "
      + "\(others) (\(seconds) s)\(repaired); \(rerun); ledgers agree; "
      + "spent \(spent.sorted().joined(separator: "|")) (\(point.charges)× the query)"
  }
}
