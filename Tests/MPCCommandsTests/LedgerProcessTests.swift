import Foundation
import MPCProtocol
import Testing
import _MPCTestSupport

/// `protocols/ledger.md` §1 and §5 as an operator meets them: three `mpc run` processes over
/// loopback (ports 24400+), the ledger identity rules, `mpc budget repair` and `reconcile`.
@Suite(.serialized) struct LedgerProcessTests {
  struct Sites {
    var dir: URL
    var study: String
    var state: String
    var ports: [Int]
    var keys: [String]

    func ledgerFile(_ party: Int) throws -> String {
      let manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
      return LedgerLocation(stateDirectory: URL(fileURLWithPath: state)).directory(for: manifest)
        .appendingPathComponent(BudgetLedger.fileName(partyId: party)).path
    }

    func run(
      _ id: String, study: String? = nil, rho: String = "1/10", parties: [Int] = [0, 1, 2],
      extra: (Int) -> [String] = { _ in [] }
    ) async throws -> [MPCProcess.Result] {
      let query = #"{"id": "\#(id)", "kind": "count", "rho": "\#(rho)"}"#
      return try await MPCProcess.runAll(
        parties.map { i in
          [
            "run", "--study", study ?? self.study, "--party", "\(i)", "--key",
            dir.appendingPathComponent("s\(i).key").path,
            "--data", dir.appendingPathComponent("s\(i).csv").path, "--query-inline", query,
            "--json", "--timeout", "30", "--connect-timeout", "30", "--state-dir", state,
          ] + extra(i)
        })
    }

    func budget(_ args: [String], party: Int) async throws -> MPCProcess.Result {
      try await MPCProcess.run(
        ["budget"] + args + ["--study", study, "--party", "\(party)", "--state-dir", state])
    }

    func studyInit(rho: String, out: String) async throws -> Int32 {
      var args = ["study", "init", "--id", "ledger-id", "--rho", rho, "--out", out]
      for i in 0..<3 { args += ["--party", "Site \(i),127.0.0.1:\(ports[i]),\(keys[i])"] }
      return try await MPCProcess.run(args).status
    }
  }

  func sites(portBase: Int) async throws -> Sites {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-ledger-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var keys: [String] = []
    for i in 0..<3 {
      let r = try await MPCProcess.run([
        "keygen", "--out", dir.appendingPathComponent("s\(i).key").path, "--json",
      ])
      let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
      keys.append(try #require(object?["public_key"]))
      try "age\n\(30 + i)\n\(40 + i)\n".write(
        to: dir.appendingPathComponent("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    let s = Sites(
      dir: dir, study: dir.appendingPathComponent("study.json").path,
      state: dir.appendingPathComponent("state").path,
      ports: (0..<3).map { portBase + $0 }, keys: keys)
    #expect(try await s.studyInit(rho: "1", out: s.study) == 0)
    return s
  }

  static func remaining(_ r: MPCProcess.Result) -> String? {
    let object = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return (object?["budget"] as? [String: Any])?["remaining"] as? String
  }

  @Test func theBudgetFollowsTheStudyNotItsFile() async throws {
    let s = try await sites(portBase: 24400)
    defer { try? FileManager.default.removeItem(at: s.dir) }
    let first = try await s.run("q1")
    for r in first {
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stderr.contains("note: first query of study ledger-id"))
      #expect(Self.remaining(r) == "9/10")
    }
    // The same study file saved elsewhere (its `ledger` key pointing anywhere): same budget.
    let moved = s.dir.appendingPathComponent("elsewhere")
    try FileManager.default.createDirectory(at: moved, withIntermediateDirectories: true)
    var object = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.study)))
        as? [String: Any])
    object["ledger"] = "fresh-ledger"
    let movedStudy = moved.appendingPathComponent("study.json").path
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: movedStudy))
    let second = try await s.run("q2", study: movedStudy)
    for r in second {
      #expect(r.status == 0, "\(r.stderr)")
      #expect(!r.stderr.contains("first query"))
      #expect(Self.remaining(r) == "4/5")
    }
    // Re-issued with a larger budget under the same id: refused before any network activity.
    let reissued = s.dir.appendingPathComponent("reissued.json").path
    #expect(try await s.studyInit(rho: "5", out: reissued) == 0)
    let third = try await s.run("q3", study: reissued)
    for r in third {
      #expect(r.status == 64)
      #expect(r.stderr.contains("already keeps a ledger for study id 'ledger-id'"), "\(r.stderr)")
    }
  }

  @Test func repairAndReconcileFromTheCommandLine() async throws {
    let s = try await sites(portBase: 24410)
    defer { try? FileManager.default.removeItem(at: s.dir) }
    for r in try await s.run("q1") { #expect(r.status == 0, "\(r.stderr)") }

    // A torn last line: every command names the repair command; repair cuts it after a backup.
    let file0 = try s.ledgerFile(0)
    let intact = try Data(contentsOf: URL(fileURLWithPath: file0))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file0))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(#"{"seq":3,"kind":"char"#.utf8))
    try handle.close()
    let torn = try await s.budget([], party: 0)
    #expect(torn.status != 0 && torn.stderr.contains("mpc budget repair"), "\(torn.stderr)")
    let repair = try await s.budget(["repair"], party: 0)
    #expect(repair.status == 0, "\(repair.stderr)")
    #expect(repair.stdout.contains("cut torn line 3") && repair.stdout.contains("backup"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: file0)) == intact)
    let again = try await s.budget(["repair"], party: 0)
    #expect(again.status == 0 && again.stdout.contains("nothing to repair"))

    // A fork: party 1 released the charge of an aborted session that the others kept.
    let fork = [UInt8](repeating: 7, count: 16)
    let manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: s.study))
    let plan = try QueryManifest.decode(
      Data(#"{"id": "q-aborted", "kind": "count", "rho": "1/10"}"#.utf8), file: "q"
    ).plan(for: manifest)
    let location = LedgerLocation(stateDirectory: URL(fileURLWithPath: s.state))
    for party in 0..<3 {
      let ledger = try location.open(study: manifest, partyId: party, create: false).ledger
      try ledger.charge(plan: plan, sessionId: fork, manifestHash: [UInt8](repeating: 1, count: 32))
      if party == 1 { try ledger.release(queryId: "q-aborted", sessionId: fork) }
    }
    let report = try await s.budget(["reconcile"], party: 1)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains("q-aborted") && report.stdout.contains("stands"))
    #expect(report.stdout.contains("nothing written"))
    // Party 0 applies it by hand; the next run reconciles the others automatically
    // (query.md §2.2) with the same entry, then pays only for itself.
    let applied = try await s.budget(["reconcile", "--apply"], party: 0)
    #expect(
      applied.status == 0 && applied.stdout.contains("appended reconcile entry"),
      "\(applied.stderr)")
    let after = try await s.run("q2")
    for r in after {
      #expect(r.status == 0, "\(r.stderr)")
      #expect(Self.remaining(r) == "7/10", "q1, the aborted charge kept by two parties, q2")
      #expect(r.stderr.contains("were reconciled first"), "\(r.stderr)")
    }
  }

  static func values(_ r: MPCProcess.Result) -> [String] {
    let object = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    let components = object?["components"] as? [[String: Any]] ?? []
    return components.flatMap { component in
      (component["values"] as? [[String: Any]] ?? []).map { value in
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        return String(decoding: data ?? Data(), as: UTF8.self)
      }
    }
  }

  @Test func reRunningAReleasedQueryReturnsTheStoredResultWithoutACharge() async throws {
    let s = try await sites(portBase: 24420)
    defer { try? FileManager.default.removeItem(at: s.dir) }
    let first = try await s.run("q1")
    for r in first { #expect(r.status == 0, "\(r.stderr)") }
    let second = try await s.run("q1")
    for (a, b) in zip(first, second) {
      #expect(b.status == 0, "\(b.stderr)")
      #expect(b.stderr.contains("showing the stored result, nothing charged"), "\(b.stderr)")
      #expect(!Self.values(a).isEmpty)
      #expect(Self.values(a) == Self.values(b), "the same answer")
      #expect(Self.remaining(b) == "9/10")
    }
    for party in 0..<3 {
      let b = try await s.budget(["--json"], party: party)
      let object = try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any]
      #expect((object?["entries"] as? [Any])?.count == 2, "one charge and its upload, everywhere")
    }
    // The same id with another definition is refused before any network activity; every site
    // tells the others and hears that they stop too, so none waits out its 30 s deadlines.
    let started = ContinuousClock.now
    for r in try await s.run("q1", rho: "1/5") {
      #expect(r.status == 64)
      #expect(r.stderr.contains("already released with another definition"), "\(r.stderr)")
      #expect(r.stderr.contains("stops too: its study or query file is invalid"), "\(r.stderr)")
    }
    #expect(ContinuousClock.now - started < .seconds(15), "not the 30 s deadline")
  }

  @Test func aReplayWritesTheStoredResultToOut() async throws {
    let s = try await sites(portBase: 24430)
    defer { try? FileManager.default.removeItem(at: s.dir) }
    func file(_ name: String) -> String { s.dir.appendingPathComponent(name).path }
    let first = try await s.run("q1") { ["--out", file("first\($0).csv"), "--format", "csv"] }
    for r in first { #expect(r.status == 0, "\(r.stderr)") }
    for party in 0..<3 {
      let csv = try await s.run("q1", parties: [party]) { ["--out", file("again\($0).csv")] }[0]
      #expect(csv.status == 0, "\(csv.stderr)")
      #expect(csv.stderr.contains("wrote the stored result to"), "\(csv.stderr)")
      let written = try String(contentsOfFile: file("first\(party).csv"), encoding: .utf8)
      #expect(written.hasPrefix("component,label,value,raw,lower,upper\n"))
      #expect(try String(contentsOfFile: file("again\(party).csv"), encoding: .utf8) == written)
    }
    let json = try await s.run("q1", parties: [1]) {
      ["--out", file("again\($0).json"), "--format", "json"]
    }[0]
    #expect(json.status == 0, "\(json.stderr)")
    let document =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: file("again1.json")))) as? [String: Any]
    #expect(document?["replayed"] != nil)
    #expect(document?["party"] as? Int == 1)
    #expect(document?["schema"] as? String == "mpc.run/2")
    let raw = try await s.run("q1", parties: [2]) {
      ["--out", file("again\($0).bin"), "--format", "int64"]
    }[0]
    #expect(raw.status == 0, "\(raw.stderr)")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: file("again2.bin")))
    let value = bytes.count == 8 ? bytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } : nil
    let csvValue = try String(contentsOfFile: file("first2.csv"), encoding: .utf8)
      .split(separator: "\n")[1].split(separator: ",")[2]
    #expect(value.map { String(Int64(littleEndian: $0)) } == String(csvValue))
    for party in 0..<3 {
      let b = try await s.budget(["--json"], party: party)
      let object = try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any]
      #expect((object?["entries"] as? [Any])?.count == 2, "replays charge nothing")
    }
    #expect(!FileManager.default.fileExists(atPath: file("again0.csv.partial")))
  }
}
