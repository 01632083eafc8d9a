import MPCBigInt
import MPCPrivacy
import MPCProtocol
import Testing

/// Ledger heads that differ after an abort are reconciled inside agreement
/// (`protocols/query.md` §2.2, `protocols/ledger.md` §5), before anything is charged.
@Suite struct LedgerAgreementTests {
  /// A ledger store whose next append fails once (a disk error while charging).
  final class FailingOnceStore: LedgerStore {
    let inner = MemoryLedgerStore()
    var failNext = true
    var name: String { inner.name }
    func readAll() throws -> [UInt8] { try inner.readAll() }
    func append(_ bytes: [UInt8]) throws {
      if failNext {
        failNext = false
        throw LedgerError.io(file: name, operation: "append", errno: 5)
      }
      try inner.append(bytes)
    }
    func moveTail(from offset: Int) throws { try inner.moveTail(from: offset) }
  }

  /// Party 2 fails to write its charge after parties 0 and 1 charged: it aborts, they release.
  /// Their heads now differ from party 2's. The next run reconciles (the session was released
  /// by everyone who charged it: settled as released) and succeeds, charging once.
  @Test func abortBetweenChargesIsReconciledWithoutADoubleCharge() async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.kinds["count"]!)
    let store = FailingOnceStore()
    let failing = try BudgetLedger(store: store, study: s.study)
    let first = try await s.run(
      query, noiseLabel: "fork-1", ledgers: [s.ledgers[0], s.ledgers[1], failing])
    #expect(first.allSatisfy { $0.isFailure })
    #expect(s.ledgers[0].entries.map(\.kind) == [.charge, .release])
    #expect(s.ledgers[1].entries.map(\.kind) == [.charge, .release])
    // Party 2 restarts: its ledger reopens from what was written (nothing).
    let reopened = try BudgetLedger(
      store: MemoryLedgerStore(contents: try store.readAll()), study: s.study)
    #expect(reopened.entries.isEmpty)
    let ledgers = [s.ledgers[0], s.ledgers[1], reopened]
    #expect(Set(ledgers.map(\.head)).count == 2)

    let second = try await s.run(query, noiseLabel: "fork-2", ledgers: ledgers)
    let cost = try RunPlan(study: s.study, query: query).plan.cost.amount
    for (i, r) in second.enumerated() {
      #expect(try r.get().spent == cost, "party \(i)")
      #expect(try r.get().reconciliation?.sessions.map(\.stands) == [false], "party \(i)")
    }
    #expect(Set(ledgers.map(\.head)).count == 1)
    for ledger in ledgers {
      #expect(ledger.spent == cost)
      let kinds = ledger.entries.map(\.kind)
      #expect(kinds.suffix(3) == [.reconcile, .charge, .upload])
      let settled = try #require(ledger.entries.first { $0.kind == .reconcile }?.reconciliation)
      #expect(settled.sessions.count == 1 && !settled.sessions[0].stands)
    }
  }

  /// Party 0 crashed inside the barrier holding its charge; parties 1 and 2 released theirs.
  /// The next run keeps the charge at everyone (party 0's value may have left) and then pays
  /// only for itself: no party ends with less spent than party 0's record says.
  @Test func standingChargeIsKeptEverywhere() async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.kinds["count"]!)
    let plan = try RunPlan(study: s.study, query: query).plan
    let session = [UInt8](repeating: 0x5a, count: 16)
    let hash = [UInt8](repeating: 0x11, count: 32)
    for (i, ledger) in s.ledgers.enumerated() {
      try ledger.charge(plan: plan, sessionId: session, manifestHash: hash)
      if i > 0 { try ledger.release(queryId: query.id, sessionId: session) }
    }
    let results = try await s.run(query, noiseLabel: "standing")
    for r in results { _ = try r.get() }
    #expect(Set(s.ledgers.map(\.head)).count == 1)
    for ledger in s.ledgers {
      #expect(ledger.spent == plan.cost.amount * 2)
    }
  }

  /// A fork that is not only charges and releases (another study's ledger) is refused with
  /// the command that settles it, before anything is charged.
  @Test func unreconcilableForkIsRefusedBeforeAnyCharge() async throws {
    let s = try Study(n: 2)
    let query = try Fixtures.query(Fixtures.kinds["count"]!)
    let plan = try RunPlan(study: s.study, query: query).plan
    // Party 0 charged two sessions with different costs than party 1 recorded for one of them.
    let session = [UInt8](repeating: 1, count: 16)
    try s.ledgers[0].charge(
      plan: plan, sessionId: session, manifestHash: [UInt8](repeating: 1, count: 32))
    try s.ledgers[1].charge(
      plan: plan, sessionId: session, manifestHash: [UInt8](repeating: 2, count: 32))
    let before = s.ledgers.map(\.entries)
    let results = try await s.run(query, noiseLabel: "unreconcilable")
    for r in results {
      guard case .failure(let error) = r else {
        Issue.record("a forked ledger ran")
        continue
      }
      #expect(String(describing: error).contains("mpc budget reconcile"), "\(error)")
      #expect(
        ReasonCode(for: error) == .ledgerMismatch || String(describing: error).contains("aborted"))
    }
    #expect(s.ledgers.map(\.entries) == before)
  }
}
