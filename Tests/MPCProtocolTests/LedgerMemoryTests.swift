import Foundation
import MPCProtocol
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 18 item 9: what the release log and the ledger keep in memory per query. Opt-in:
/// `MPC_LEDGER_MEMORY=1000` appends that many release records (and ledger charges) to files
/// in a temporary directory, and prints the heap each structure holds per query next to the
/// bytes each query adds to its file.
@Suite(.serialized) struct LedgerMemoryTests {
  static var count: Int? {
    ProcessInfo.processInfo.environment["MPC_LEDGER_MEMORY"].flatMap { Int($0) }
  }

  /// Resident bytes after glibc's `malloc_trim(0)` gave freed pages back (`/proc/self/statm`),
  /// so that what is left is what is held.
  static func heapInUse() -> Int {
    #if canImport(Glibc)
      if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
        _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
      }
    #endif
    let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
  }

  /// The result JSON and text of a released sum, about as long as `mpc run` writes them.
  static func released(_ q: Int) -> (result: String, text: String) {
    let value = 1_000 + q
    let result =
      #"{"components":[{"interval":{"high":"\#(value + 9)","level":"0.95","low":"\#(value - 9)"},"#
      + #""label":"sum(age)","value":"\#(value)"}],"cost":{"rho":"1/1000"},"mechanism":"gaussian","#
      + #""parties":3,"privacy":{"delta":"1e-6","epsilon_equivalent":"0.0894","rho":"1/1000"},"#
      + #""query":"q-\#(q)","study":"flu-2026","k":2,"remaining":{"rho":"99999"}}"#
    let text =
      "query q-\(q) (sum of age, clipped to [0, 120]) over 3 sites, k = 2\n"
      + "  sum(age) = \(value)   95% interval [\(value - 9), \(value + 9)]\n"
      + "  mechanism gaussian (zCDP), cost ρ = 1/1000 (ε ≈ 0.0894 at δ = 1e-6)\n"
      + "  budget: spent ρ = \(q + 1)/1000, remaining ρ = 99999\n"
    return (result, text)
  }

  /// What one run of `total` queries costs: bytes per query of each file and of the heap each
  /// structure holds.
  struct Figures {
    var releaseFile = 0
    var releaseAppended = 0
    var releaseReopened = 0
    var ledgerFile = 0
    var ledgerFileStore = 0
    var ledgerMemoryStore = 0
  }

  static func session(_ q: Int, _ tag: UInt8) -> [UInt8] {
    withUnsafeBytes(of: UInt64(q).bigEndian) { Array($0) } + [UInt8](repeating: tag, count: 8)
  }

  static func size(_ url: URL) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
  }

  static func measure(_ total: Int) throws -> Figures {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("ledger-memory-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let study = try Fixtures.study(Fixtures.studyObject(budget: ["rho": "100000"]))
    let queries = try (0..<total).map { q in
      var object = Fixtures.sumQuery
      object["id"] = "q-\(q)"
      object["mechanism"] = "gaussian"
      object["epsilon"] = nil
      object["rho"] = "1/1000"
      return try Fixtures.query(object)
    }
    let plans = try queries.map { try $0.plan(for: study) }
    let texts = (0..<total).map(Self.released)
    var f = Figures()

    // The ledger: one charge and one upload per query, as a run writes them.
    var before = heapInUse()
    let ledger = try BudgetLedger.open(directory: directory, partyId: 0, study: study)
    for q in 0..<total {
      try ledger.charge(
        plan: plans[q], sessionId: session(q, 7), manifestHash: [UInt8](repeating: 4, count: 32))
      try ledger.recordUpload(queryId: queries[q].id, sessionId: session(q, 7))
    }
    f.ledgerFileStore = (heapInUse() - before) / total
    f.ledgerFile =
      try size(directory.appendingPathComponent(BudgetLedger.fileName(partyId: 0)))
      / total
    let charges = ledger.entries.filter { $0.kind == .charge }

    // The release log, appended to, then a copy of its file reopened (the original stays
    // locked by `log`).
    before = heapInUse()
    let log = try ReleaseLog.open(directory: directory, partyId: 0)
    for q in 0..<total {
      try log.append(
        query: queries[q], charge: charges[q], parties: 3, result: texts[q].result,
        text: texts[q].text)
    }
    f.releaseAppended = (heapInUse() - before) / total
    let releases = directory.appendingPathComponent(ReleaseLog.fileName(partyId: 0))
    f.releaseFile = try size(releases) / total
    try FileManager.default.copyItem(atPath: releases.path, toPath: releases.path + ".copy")
    before = heapInUse()
    let copy = try ReleaseLog(store: FileLedgerStore(path: releases.path + ".copy"))
    f.releaseReopened = (heapInUse() - before) / total
    #expect(try copy.stored(for: queries[total - 1])?.result == texts[total - 1].result)

    // The soak's ledgers live in a MemoryLedgerStore: the bytes themselves stay in memory.
    before = heapInUse()
    let inMemory = try BudgetLedger(store: MemoryLedgerStore(), study: study)
    for q in 0..<total {
      try inMemory.charge(
        plan: plans[q], sessionId: session(q, 8), manifestHash: [UInt8](repeating: 4, count: 32))
      try inMemory.recordUpload(queryId: queries[q].id, sessionId: session(q, 8))
    }
    f.ledgerMemoryStore = (heapInUse() - before) / total
    withExtendedLifetime((ledger, log, copy, inMemory)) {}
    return f
  }

  @Test(.enabled(if: count != nil)) func releaseLogAndLedgerMemoryPerQuery() throws {
    let total = try #require(Self.count)
    _ = try Self.measure(20)  // warm-up: first-use allocations of Foundation and the runtime
    let f = try Self.measure(total)
    print(
      "ledger memory, \(total) queries, bytes per query: release log file \(f.releaseFile), "
        + "ReleaseLog heap \(f.releaseAppended) appended / \(f.releaseReopened) reopened; "
        + "ledger file \(f.ledgerFile), BudgetLedger heap \(f.ledgerFileStore) (file store) / "
        + "\(f.ledgerMemoryStore) (memory store, as in the soak)")
    // The log keeps an index, not the records (below 1,000 queries pages blur the figure).
    if total >= 1_000 {
      #expect(
        f.releaseReopened * 4 < f.releaseFile,
        "a reopened release log holds \(f.releaseReopened) B per \(f.releaseFile) B record")
    }
  }
}
