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
  public static let genesisDomain = "swift-mpc/ledger-genesis/v1"

  /// The head of an empty ledger: binds the study id and the total budget, so a ledger is never
  /// read against another study or a changed budget.
  public static func genesis(studyId: String, budget: PrivacyCost) -> [UInt8] {
    CanonicalValue.record(["study_id": .string(studyId), "budget": budget.canonical])
      .hash(domain: genesisDomain)
  }

  /// `ledger-party-<id>.jsonl`.
  public static func fileName(partyId: Int) -> String { "ledger-party-\(partyId).jsonl" }

  /// Opens (creating if needed) party `partyId`'s ledger in `directory` and verifies it.
  public static func open(directory: URL, partyId: Int, study: StudyManifest) throws
    -> BudgetLedger
  {
    let store = try FileLedgerStore(path: try prepare(directory, partyId: partyId))
    return try BudgetLedger(store: store, studyId: study.id, budget: study.budget)
  }

  /// Reads `store` and verifies every entry; throws
  /// ``LedgerError/tornTail(file:line:problem:)`` for a torn last line and
  /// ``LedgerError/corrupt(file:line:problem:)`` for anything else wrong.
  public init(store: any LedgerStore, studyId: String, budget: PrivacyCost) throws {
    self.store = store
    self.studyId = studyId
    self.budget = budget
    cachedEntries = []
    cachedSpent = Rational(0)
    cachedHead = Self.genesis(studyId: studyId, budget: budget)
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
        sequence: UInt64(cachedEntries.count + 1), kind: .charge, queryId: plan.queryId,
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
    try lock.withLock {
      guard let charge = openCharges[ChargeKey(queryId: queryId, sessionId: sessionId)] else {
        throw LedgerError.chargeNotFound(queryId: queryId, sessionId: Hex.encode(sessionId))
      }
      try checkUsable()
      let entry = LedgerEntry(
        sequence: UInt64(cachedEntries.count + 1), kind: .release, queryId: queryId,
        sessionId: sessionId, manifestHash: charge.manifestHash, mechanism: charge.mechanism,
        honestCount: charge.honestCount, components: charge.components, cost: charge.cost,
        time: Self.timestamp(time), previousHash: cachedHead)
      try appendLocked(entry)
      return entry
    }
  }

  // MARK: - Repair

  /// Moves a torn last line of `store` to its torn-tail side store (`<file>.torn`), only when
  /// asked. Returns the line number moved, or nil when the last line is intact.
  @discardableResult
  public static func repair(store: any LedgerStore) throws -> Int? {
    let bytes = try store.readAll()
    let lines = Self.lines(bytes)
    guard let last = lines.last else { return nil }
    let parses = (try? JSONDecoder().decode(LedgerEntry.self, from: Data(bytes[last.range]))) != nil
    if last.terminated, parses { return nil }
    try store.moveTail(from: last.range.lowerBound)
    return lines.count
  }

  /// ``repair(store:)`` on party `partyId`'s ledger file in `directory`.
  @discardableResult
  public static func repair(directory: URL, partyId: Int) throws -> Int? {
    try repair(store: FileLedgerStore(path: try prepare(directory, partyId: partyId)))
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
  private func check(_ entry: LedgerEntry) -> String? {
    let expected = UInt64(cachedEntries.count + 1)
    guard entry.sequence == expected else {
      return "sequence number \(entry.sequence), expected \(expected)"
    }
    guard entry.previousHash == cachedHead else {
      return cachedEntries.isEmpty
        ? "the first entry does not chain to this study's genesis (another study id or budget?)"
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
