public import Foundation
public import MPCBigInt
import MPCCrypto
public import MPCPrivacy

/// A party's budget ledger (`protocols/ledger.md`): an append-only, hash-chained log of
/// charges and releases. Opening verifies the whole chain; `spent`, `remaining` and `head` are
/// cached, O(1). Every append is durable before the call returns.
public final class BudgetLedger: @unchecked Sendable {
  // Invariant: every mutable property below is read and written only while holding `lock`.
  private let lock = NSLock()
  private let store: any LedgerStore
  private var cachedEntries: [LedgerEntry]
  private var cachedSpent: Rational
  private var cachedHead: [UInt8]
  private var openCharges: [ChargeKey: LedgerEntry]
  private var charged: Set<ChargeKey>
  /// Open charges whose masked value may have left this party (an `upload` entry follows them).
  private var uploaded: Set<ChargeKey> = []
  private var failed = false

  /// The study this ledger belongs to.
  public let studyId: String
  /// The total budget (its unit is the ledger's unit).
  public let budget: PrivacyCost

  private struct ChargeKey: Hashable {
    var queryId: String
    var sessionId: [UInt8]
  }

  /// The domain of the genesis hash.
  public static let genesisDomain = "swift-mpc/ledger-genesis/v2"

  /// The study hash: BLAKE2b-256 over `swift-mpc/study/v1` and the study's canonical value
  /// (the same hash the channel preface carries, `protocols/channel.md`).
  public static func studyHash(_ study: StudyManifest) -> [UInt8] { study.studyHash }

  /// The head of an empty ledger: binds the study id and the full study hash (parties, keys,
  /// field, neighbour relation, budget, δ), so a ledger is never read against another study
  /// or a changed one.
  public static func genesis(study: StudyManifest) -> [UInt8] {
    CanonicalValue.record(["study_id": .string(study.id), "study_hash": .bytes(studyHash(study))])
      .hash(domain: genesisDomain)
  }

  /// The genesis hash of this ledger.
  public let genesisHash: [UInt8]

  /// `ledger-party-<id>.jsonl`.
  public static func fileName(partyId: Int) -> String { "ledger-party-\(partyId).jsonl" }

  /// Opens (creating if needed) party `partyId`'s ledger in `directory` and verifies it.
  public static func open(directory: URL, partyId: Int, study: StudyManifest) throws
    -> BudgetLedger
  {
    let store = try FileLedgerStore(path: try prepare(directory, partyId: partyId))
    return try BudgetLedger(store: store, study: study)
  }

  /// Reads `store` and verifies every entry against `study`'s genesis; throws
  /// ``LedgerError/tornTail(file:line:problem:)`` for a torn last line and
  /// ``LedgerError/corrupt(file:line:problem:)`` for anything else wrong.
  public convenience init(store: any LedgerStore, study: StudyManifest) throws {
    try self.init(
      store: store, studyId: study.id, budget: study.budget, genesis: Self.genesis(study: study))
  }

  init(store: any LedgerStore, studyId: String, budget: PrivacyCost, genesis: [UInt8]) throws {
    self.store = store
    self.studyId = studyId
    self.budget = budget
    genesisHash = genesis
    cachedEntries = []
    cachedSpent = Rational(0)
    cachedHead = genesisHash
    openCharges = [:]
    charged = []
    let bytes = try store.readAll()
    let lines = Self.lines(bytes)
    for (index, line) in lines.enumerated() {
      let number = index + 1
      let isLast = index == lines.count - 1
      if isLast, !line.terminated {
        throw LedgerError.tornTail(
          file: store.name, line: number, problem: "no trailing newline")
      }
      guard
        let entry = try? JSONDecoder().decode(LedgerEntry.self, from: Data(bytes[line.range]))
      else {
        if isLast {
          throw LedgerError.tornTail(
            file: store.name, line: number, problem: "not a parseable entry")
        }
        throw LedgerError.corrupt(
          file: store.name, line: number, problem: "not a parseable entry")
      }
      // Foundation keeps the first of two equal keys; other readers the last.
      if let duplicate = JSONDuplicateKeys.first(in: Array(bytes[line.range])) {
        throw LedgerError.corrupt(
          file: store.name, line: number, problem: "duplicate key '\(duplicate.key)'")
      }
      if let problem = check(entry) {
        throw LedgerError.corrupt(file: store.name, line: number, problem: problem)
      }
      apply(entry)
    }
  }

  // MARK: - Reading

  /// The hash of the last entry (the genesis hash when empty); parties compare it.
  public var head: [UInt8] { lock.withLock { cachedHead } }

  /// The budget spent (charges minus releases), in the ledger's unit.
  public var spent: Rational { lock.withLock { cachedSpent } }

  /// total − spent.
  public var remaining: Rational { lock.withLock { budget.amount - cachedSpent } }

  /// Every entry in order.
  public var entries: [LedgerEntry] { lock.withLock { cachedEntries } }

  /// True when (`queryId`, `sessionId`) was charged and is not released or settled by a
  /// reconciliation.
  public func isOpen(queryId: String, sessionId: [UInt8]) -> Bool {
    lock.withLock { openCharges[ChargeKey(queryId: queryId, sessionId: sessionId)] != nil }
  }

  /// True when this party's masked value of (`queryId`, `sessionId`) left it: the ledger has
  /// the session's `upload` entry (its charge stands, `protocols/ledger.md` §3).
  public func hasUploaded(queryId: String, sessionId: [UInt8]) -> Bool {
    lock.withLock { uploaded.contains(ChargeKey(queryId: queryId, sessionId: sessionId)) }
  }

  /// The file (or store) name.
  public var name: String { store.name }

  /// Checks admission: `spent + cost ≤ total`, with `cost` in the ledger's unit.
  public func admit(_ cost: PrivacyCost) throws {
    try lock.withLock { try admitLocked(cost) }
  }

  // MARK: - Writing

  /// Admits and durably records a charge for `plan` in session `sessionId` (16 bytes), agreed
  /// under `manifestHash` (32 bytes). Returns only after the entry is fsynced.
  @discardableResult
  public func charge(
    plan: QueryPlan, sessionId: [UInt8], manifestHash: [UInt8], time: Date = Date()
  ) throws -> LedgerEntry {
    precondition(sessionId.count == 16 && manifestHash.count == 32, "session id / hash size")
    return try lock.withLock {
      let key = ChargeKey(queryId: plan.queryId, sessionId: sessionId)
      guard !charged.contains(key) else {
        throw LedgerError.duplicateCharge(queryId: plan.queryId, sessionId: Hex.encode(sessionId))
      }
      try admitLocked(plan.cost)
      let entry = LedgerEntry(
        sequence: lastSequence + 1, kind: .charge, queryId: plan.queryId,
        sessionId: sessionId, manifestHash: manifestHash, mechanism: plan.mechanism,
        honestCount: plan.honestCount,
        components: plan.components.map {
          LedgerComponent(
            name: $0.name, dimension: $0.dimension, delta1: $0.sensitivity.l1,
            delta2Squared: $0.sensitivity.l2Squared, cost: $0.cost.amount)
        },
        cost: plan.cost, time: Self.timestamp(time), previousHash: cachedHead)
      try appendLocked(entry)
      return entry
    }
  }

  /// Durably records the release of the open charge of (`queryId`, `sessionId`), refunding
  /// it. Only for a query that aborted before any masked value left this party.
  @discardableResult
  public func release(queryId: String, sessionId: [UInt8], time: Date = Date()) throws
    -> LedgerEntry
  {
    try appendFollowUp(.release, queryId: queryId, sessionId: sessionId, time: time)
  }

  /// Durably records, just before this party's first masked value of (`queryId`, `sessionId`)
  /// leaves it, that the open charge now stands whatever happens (`protocols/ledger.md` §3).
  @discardableResult
  public func recordUpload(queryId: String, sessionId: [UInt8], time: Date = Date()) throws
    -> LedgerEntry
  {
    try appendFollowUp(.upload, queryId: queryId, sessionId: sessionId, time: time)
  }

  /// A `release` or `upload` entry for the open charge of (`queryId`, `sessionId`), whose
  /// masked value has not left this party yet (no `upload` entry), appended durably.
  private func appendFollowUp(
    _ kind: LedgerEntry.Kind, queryId: String, sessionId: [UInt8], time: Date
  ) throws -> LedgerEntry {
    try lock.withLock {
      let key = ChargeKey(queryId: queryId, sessionId: sessionId)
      guard let charge = openCharges[key] else {
        throw LedgerError.chargeNotFound(queryId: queryId, sessionId: Hex.encode(sessionId))
      }
      guard !uploaded.contains(key) else {
        throw LedgerError.chargeStands(queryId: queryId, sessionId: Hex.encode(sessionId))
      }
      try checkUsable()
      let entry = LedgerEntry(
        sequence: lastSequence + 1, kind: kind, queryId: queryId, sessionId: sessionId,
        manifestHash: charge.manifestHash, mechanism: charge.mechanism,
        honestCount: charge.honestCount, components: charge.components, cost: charge.cost,
        time: Self.timestamp(time), previousHash: cachedHead)
      try appendLocked(entry)
      return entry
    }
  }

  /// The open charges whose masked value never left this party (no `upload` entry): left by a
  /// run of this party that stopped (was killed) between its charge and its upload. The ledger
  /// is locked by one process at a time, so when it is opened no run holds them any more.
  public var unsentCharges: [LedgerEntry] {
    lock.withLock {
      openCharges.filter { !uploaded.contains($0.key) }.values.sorted { $0.sequence < $1.sequence }
    }
  }

  /// Releases every charge of ``unsentCharges`` (`protocols/ledger.md` §3.1): no masked value
  /// of this party left, and every query needs every party's, so nothing was opened with them.
  /// Returns the release entries.
  public func releaseUnsentCharges(time: Date = Date()) throws -> [LedgerEntry] {
    try unsentCharges.map { try release(queryId: $0.queryId, sessionId: $0.sessionId, time: time) }
  }

  /// Durably appends the `reconcile` entry of `reconciliation` (the same at every party;
  /// ``LedgerReconciler/plan(_:)``). Throws ``LedgerError/corrupt(file:line:problem:)``
  /// (nothing written) when it does not fit this ledger: another head, or a total that would
  /// lower what this party's own records say was spent.
  @discardableResult
  public func reconcile(_ reconciliation: Reconciliation, time: Date = Date()) throws
    -> LedgerEntry
  {
    try lock.withLock {
      let entry = LedgerEntry(
        reconciliation: reconciliation, time: Self.timestamp(time), previousHash: cachedHead)
      if let problem = check(entry) {
        throw LedgerError.corrupt(
          file: store.name, line: cachedEntries.count + 1, problem: "reconcile refused: \(problem)")
      }
      try appendLocked(entry)
      return entry
    }
  }

  /// The ledger's lines as stored (what a peer needs to reconcile with this party, §5).
  public func contents() throws -> [UInt8] { try store.readAll() }

  /// The automatic step of `protocols/ledger.md` §5 for a runner whose ledger-head check
  /// failed: reads the peers' ledgers (`contents()` of each, received over the channel),
  /// plans, and appends the reconcile entry here unless this party already has it. Returns the
  /// entry appended (nil if none was needed); throws ``ReconcileRefusal`` when the fork needs
  /// the operators (`mpc budget reconcile`).
  @discardableResult
  public func reconcile(
    withPeers peerContents: [[UInt8]], study: StudyManifest, time: Date = Date()
  )
    throws -> LedgerEntry?
  {
    let peers = try peerContents.enumerated().map { i, bytes in
      try BudgetLedger(
        store: MemoryLedgerStore(name: "peer ledger \(i)", contents: bytes), study: study)
    }
    guard let plan = try LedgerReconciler.plan([self] + peers) else { return nil }
    if entries.last?.reconciliation == plan { return nil }
    return try reconcile(plan, time: time)
  }

  /// The same ledger without its last entry, in memory (for planning a reconciliation that
  /// some parties already applied).
  func withoutLastEntry() throws -> BudgetLedger {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var bytes: [UInt8] = []
    for entry in entries.dropLast() {
      bytes += Array(try encoder.encode(entry)) + [UInt8(ascii: "\n")]
    }
    return try BudgetLedger(
      store: MemoryLedgerStore(name: name, contents: bytes), studyId: studyId, budget: budget,
      genesis: genesisHash)
  }

  // MARK: - Repair

  /// What ``repair(store:)`` cut.
  public struct TornTailRepair: Sendable, Equatable {
    /// The line number of the torn line.
    public var line: Int
    /// Its bytes (moved to the torn-tail side store, `<file>.torn` for files).
    public var bytes: [UInt8]
    /// The ledger's size after the cut.
    public var keptBytes: Int
  }

  /// Moves a torn last line of `store` to its torn-tail side store (`<file>.torn`), only when
  /// asked. Returns what was cut, or nil when the last line is intact.
  @discardableResult
  public static func repair(store: any LedgerStore) throws -> TornTailRepair? {
    let bytes = try store.readAll()
    let lines = Self.lines(bytes)
    guard let last = lines.last else { return nil }
    let parses = (try? JSONDecoder().decode(LedgerEntry.self, from: Data(bytes[last.range]))) != nil
    if last.terminated, parses { return nil }
    let cut = Array(bytes[last.range.lowerBound...])
    try store.moveTail(from: last.range.lowerBound)
    return TornTailRepair(line: lines.count, bytes: cut, keptBytes: last.range.lowerBound)
  }

  /// ``repair(store:)`` on party `partyId`'s ledger file in `directory`; before cutting, the
  /// whole file is copied to `backup` (fsynced) when given.
  @discardableResult
  public static func repair(directory: URL, partyId: Int, backup: String? = nil) throws
    -> TornTailRepair?
  {
    let store = try FileLedgerStore(path: try prepare(directory, partyId: partyId))
    if let backup {
      let bytes = try store.readAll()
      let lines = Self.lines(bytes)
      if let last = lines.last,
        !last.terminated
          || (try? JSONDecoder().decode(LedgerEntry.self, from: Data(bytes[last.range]))) == nil
      {
        try FileLedgerStore.writeNew(path: backup, bytes: bytes)
      }
    }
    return try repair(store: store)
  }

  // MARK: - Internals

  private func admitLocked(_ cost: PrivacyCost) throws {
    try checkUsable()
    guard cost.unit == budget.unit else {
      throw LedgerError.budgetUnitMismatch(ledger: budget.unit, cost: cost.unit)
    }
    guard cost.amount.signum > 0 else {
      throw LedgerError.nonPositiveCost(cost: cost.amount)
    }
    guard cachedSpent + cost.amount <= budget.amount else {
      throw LedgerError.budgetExhausted(
        spent: cachedSpent, total: budget.amount, cost: cost.amount)
    }
  }

  private func checkUsable() throws {
    if failed {
      throw LedgerError.io(
        file: store.name, operation: "append (earlier failure)", errno: 0)
    }
  }

  private func appendLocked(_ entry: LedgerEntry) throws {
    try checkUsable()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var line = Array(try encoder.encode(entry))
    line.append(UInt8(ascii: "\n"))
    do {
      try store.append(line)
    } catch {
      // A partial write may be on disk: refuse further appends until reopened (and repaired).
      failed = true
      throw error
    }
    apply(entry)
  }

  /// Why `entry` cannot follow the current state, or nil.
  private var lastSequence: UInt64 { cachedEntries.last?.sequence ?? 0 }

  private func check(_ entry: LedgerEntry) -> String? {
    if let reconciliation = entry.reconciliation { return check(reconciliation, entry) }
    let expected = lastSequence + 1
    guard entry.sequence == expected else {
      return "sequence number \(entry.sequence), expected \(expected)"
    }
    guard entry.previousHash == cachedHead else {
      return cachedEntries.isEmpty
        ? "the first entry does not chain to this study's genesis (another study or version?)"
        : "previous-entry hash does not match the entry before it"
    }
    guard entry.hash == entry.computedHash else { return "entry hash does not match its contents" }
    guard entry.cost.unit == budget.unit else {
      return "a \(entry.cost.unit) cost in a \(budget.unit) ledger"
    }
    let key = ChargeKey(queryId: entry.queryId, sessionId: entry.sessionId)
    switch entry.kind {
    case .charge:
      if charged.contains(key) { return "second charge for the same query and session" }
    case .release:
      guard let charge = openCharges[key] else { return "release without an open charge" }
      guard charge.cost == entry.cost else { return "release amount differs from the charge" }
      if uploaded.contains(key) { return "release of a charge whose masked value had left" }
    case .upload:
      guard let charge = openCharges[key] else { return "upload without an open charge" }
      guard charge.cost == entry.cost else { return "upload amount differs from the charge" }
      if uploaded.contains(key) { return "second upload entry for the same query and session" }
    case .reconcile:
      return "a reconcile entry without its content"
    }
    return nil
  }

  /// `protocols/ledger.md` §5: a reconcile entry joins this ledger's head, settles sessions
  /// consistently with this party's records and never lowers what they say was spent.
  private func check(_ r: Reconciliation, _ entry: LedgerEntry) -> String? {
    guard entry.previousHash == cachedHead else {
      return "previous-entry hash does not match the entry before it"
    }
    guard r.heads.contains(.init(head: cachedHead, sequence: lastSequence)) else {
      return "it does not join this ledger's head \(Hex.encode(cachedHead.prefix(8)))"
    }
    guard r.sequence == 1 + (r.heads.map(\.sequence).max() ?? 0), r.sequence > lastSequence
    else { return "sequence number \(r.sequence) is not 1 + the largest joined seq" }
    guard entry.hash == entry.computedHash else { return "entry hash does not match its contents" }
    guard r.spent.unit == budget.unit else {
      return "a \(r.spent.unit) total in a \(budget.unit) ledger"
    }
    var expected = cachedSpent
    for s in r.sessions {
      let key = ChargeKey(queryId: s.queryId, sessionId: s.sessionId)
      if let open = openCharges[key] {
        guard s.stands else {
          return "it drops the standing charge of \(s.queryId) session "
            + Hex.encode(s.sessionId.prefix(8))
        }
        guard open.cost == s.cost else { return "it changes the cost of \(s.queryId)" }
      } else if s.stands {
        expected = expected + s.cost.amount
      }
    }
    guard r.spent.amount == expected else {
      return "spent \(r.spent.amount) does not follow from this ledger (\(expected))"
    }
    return nil
  }

  private func apply(_ entry: LedgerEntry) {
    let key = ChargeKey(queryId: entry.queryId, sessionId: entry.sessionId)
    switch entry.kind {
    case .charge:
      cachedSpent = cachedSpent + entry.cost.amount
      openCharges[key] = entry
      charged.insert(key)
    case .release:
      cachedSpent = cachedSpent - entry.cost.amount
      openCharges[key] = nil
    case .upload:
      uploaded.insert(key)
    case .reconcile:
      // Settled sessions are closed: never released, never charged again.
      for s in entry.reconciliation?.sessions ?? [] {
        let settled = ChargeKey(queryId: s.queryId, sessionId: s.sessionId)
        openCharges[settled] = nil
        charged.insert(settled)
      }
      cachedSpent = entry.cost.amount
    }
    cachedEntries.append(entry)
    cachedHead = entry.hash
  }

  private struct Line {
    var range: Range<Int>
    var terminated: Bool
  }

  private static func lines(_ bytes: [UInt8]) -> [Line] {
    var out: [Line] = []
    var start = 0
    for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
      out.append(Line(range: start..<i, terminated: true))
      start = i + 1
    }
    if start < bytes.count { out.append(Line(range: start..<bytes.count, terminated: false)) }
    return out
  }

  private static func prepare(_ directory: URL, partyId: Int) throws -> String {
    let path = directory.path
    if !FileManager.default.fileExists(atPath: path) {
      do {
        try FileManager.default.createDirectory(
          atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      } catch {
        throw LedgerError.io(file: path, operation: "create directory", errno: 0)
      }
      try FileLedgerStore.syncDirectory(of: path)
    }
    return directory.appendingPathComponent(fileName(partyId: partyId)).path
  }

  static func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}
