import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol
import Testing

/// `protocols/ledger.md` §5: forks on aborted sessions are settled conservatively.
@Suite struct LedgerReconcileTests {
  static func session(_ n: UInt8) -> [UInt8] { [UInt8](repeating: n, count: 16) }
  static let hash = [UInt8](repeating: 0xab, count: 32)

  static func ledgers(_ n: Int) throws -> [BudgetLedger] {
    let study = try Fixtures.study()
    return try (0..<n).map { i in
      try BudgetLedger(store: MemoryLedgerStore(name: "party-\(i)"), study: study)
    }
  }

  static func charge(_ l: BudgetLedger, _ s: UInt8, epsilon: String = "1/4") throws {
    try l.charge(
      plan: try BudgetLedgerTests.plan(epsilon: epsilon, id: "q\(s)"), sessionId: session(s),
      manifestHash: hash)
  }

  static func release(_ l: BudgetLedger, _ s: UInt8) throws {
    try l.release(queryId: "q\(s)", sessionId: session(s))
  }

  /// Plans, applies at every party and checks that the heads then agree.
  static func reconcileAll(_ ledgers: [BudgetLedger]) throws -> Reconciliation {
    let plan = try #require(try LedgerReconciler.plan(ledgers))
    for l in ledgers { try l.reconcile(plan) }
    #expect(Set(ledgers.map(\.head)).count == 1, "heads agree after reconciliation")
    #expect(try LedgerReconciler.plan(ledgers) == nil)
    return plan
  }

  @Test func chargeAgainstChargeReleaseKeepsTheCharge() throws {
    // The fork: [charge] at one party, [charge, release] at the others.
    let ls = try Self.ledgers(3)
    for l in ls { try Self.charge(l, 1) }
    try Self.release(ls[1], 1)
    try Self.release(ls[2], 1)
    #expect(ls[0].head != ls[1].head && ls[1].head == ls[2].head)
    let plan = try Self.reconcileAll(ls)
    #expect(plan.sessions.map(\.stands) == [true] && plan.spent == .pure(epsilon: Rational(1, 4)))
    #expect(plan.sequence == 3 && plan.heads.count == 2)
    for l in ls { #expect(l.spent == Rational(1, 4)) }
    // Nothing more to refund, and the session cannot be charged again.
    #expect(throws: LedgerError.self) { try Self.release(ls[0], 1) }
    #expect(throws: LedgerError.self) { try Self.charge(ls[1], 1) }
    // Later queries chain identically everywhere.
    for l in ls { try Self.charge(l, 2) }
    #expect(Set(ls.map(\.head)).count == 1 && ls.allSatisfy { $0.spent == Rational(1, 2) })
  }

  @Test func releasedEverywhereIsNotChargedTwice() throws {
    // Party 1 never got to charge; party 0 charged and released: nothing stands.
    let ls = try Self.ledgers(2)
    try Self.charge(ls[0], 1)
    try Self.release(ls[0], 1)
    let plan = try Self.reconcileAll(ls)
    #expect(plan.sessions.map(\.stands) == [false])
    #expect(ls.allSatisfy { $0.spent == 0 })
  }

  @Test func aChargeOnlyOnePartyMadeStandsForAll() throws {
    let ls = try Self.ledgers(3)
    try Self.charge(ls[0], 1, epsilon: "1/3")
    try Self.charge(ls[1], 1, epsilon: "1/3")
    try Self.release(ls[1], 1)
    _ = try Self.reconcileAll(ls)
    #expect(ls.allSatisfy { $0.spent == Rational(1, 3) })
    // No party ends with less than any record said; here every party spent at least 1/3.
  }

  @Test func secondForkAfterAReconcileIsReconciledToo() throws {
    let ls = try Self.ledgers(2)
    for l in ls { try Self.charge(l, 1) }
    try Self.release(ls[1], 1)
    _ = try Self.reconcileAll(ls)
    for l in ls { try Self.charge(l, 2) }
    try Self.release(ls[0], 2)
    let plan = try Self.reconcileAll(ls)
    #expect(plan.sessions.count == 1 && plan.sessions[0].queryId == "q2")
    #expect(ls.allSatisfy { $0.spent == Rational(1, 2) })
  }

  @Test func partiesThatAlreadyAppliedItGetTheSamePlan() throws {
    // Party 0 applied first; parties 1 and 2 then plan from ledgers that include its entry.
    let ls = try Self.ledgers(3)
    for l in ls { try Self.charge(l, 1) }
    try Self.release(ls[1], 1)
    let plan = try #require(try LedgerReconciler.plan(ls))
    try ls[0].reconcile(plan)
    #expect(try LedgerReconciler.plan(ls) == plan)
    try ls[1].reconcile(try #require(try LedgerReconciler.plan(ls)))
    try ls[2].reconcile(try #require(try LedgerReconciler.plan(ls)))
    #expect(Set(ls.map(\.head)).count == 1)
    #expect(try LedgerReconciler.plan(ls) == nil)
  }

  @Test func theRunnerStepReconcilesFromPeersContents() throws {
    // What a runner does after a ledger-head mismatch: exchange contents(), reconcile.
    let study = try Fixtures.study()
    let ls = try Self.ledgers(3)
    for l in ls { try Self.charge(l, 1) }
    try Self.release(ls[2], 1)
    let contents = try ls.map { try $0.contents() }
    for (i, l) in ls.enumerated() {
      let others = contents.enumerated().filter { $0.offset != i }.map(\.element)
      #expect(try l.reconcile(withPeers: others, study: study) != nil)
      #expect(try l.reconcile(withPeers: others, study: study) == nil, "applied once")
    }
    #expect(Set(ls.map(\.head)).count == 1 && ls.allSatisfy { $0.spent == Rational(1, 4) })
  }

  @Test func agreeingHeadsNeedNothing() throws {
    let ls = try Self.ledgers(2)
    for l in ls { try Self.charge(l, 1) }
    #expect(try LedgerReconciler.plan(ls) == nil)
  }

  @Test func differentChargesAreLeftToOperators() throws {
    let ls = try Self.ledgers(2)
    try Self.charge(ls[0], 1, epsilon: "1/4")
    try Self.charge(ls[1], 1, epsilon: "1/2")
    #expect(throws: ReconcileRefusal.self) { try LedgerReconciler.plan(ls) }
  }

  @Test func anotherStudyIsRefused() throws {
    let a = try BudgetLedger(store: MemoryLedgerStore(), study: try Fixtures.study())
    let b = try BudgetLedger(
      store: MemoryLedgerStore(),
      study: try Fixtures.study(Fixtures.studyObject(budget: ["epsilon": "2"])))
    #expect(throws: ReconcileRefusal.self) { try LedgerReconciler.plan([a, b]) }
  }

  @Test func aReconcileThatDoesNotFitIsRefusedAndWritesNothing() throws {
    let ls = try Self.ledgers(3)
    for l in ls { try Self.charge(l, 1) }
    try Self.release(ls[1], 1)
    let plan = try #require(try LedgerReconciler.plan(Array(ls[0...1])))
    // Party 2 has the same head as party 0 here, so it fits; a lowered total does not.
    var lowered = plan
    lowered.spent = .pure(epsilon: 0)
    let store = MemoryLedgerStore(name: "p0")
    let p0 = try BudgetLedger(store: store, study: try Fixtures.study())
    try Self.charge(p0, 1)
    let before = store.contents
    #expect(throws: LedgerError.self) { try p0.reconcile(lowered) }
    // A plan that drops this party's standing charge is refused.
    var dropped = plan
    dropped.sessions[0].stands = false
    #expect(throws: LedgerError.self) { try p0.reconcile(dropped) }
    // A plan for other heads is refused.
    let other = try Self.ledgers(1)[0]
    try Self.charge(other, 9)
    #expect(throws: LedgerError.self) { try other.reconcile(plan) }
    #expect(store.contents == before)
    try p0.reconcile(plan)
    #expect(p0.spent == Rational(1, 4))
  }

  @Test func reconcileEntriesReopenAndTamperingIsCaught() throws {
    let study = try Fixtures.study()
    let stores = [MemoryLedgerStore(name: "a"), MemoryLedgerStore(name: "b")]
    let ls = try stores.map { try BudgetLedger(store: $0, study: study) }
    for l in ls { try Self.charge(l, 1) }
    try Self.release(ls[1], 1)
    _ = try Self.reconcileAll(ls)
    let reopened = try BudgetLedger(store: stores[1], study: study)
    #expect(reopened.head == ls[1].head && reopened.spent == Rational(1, 4))
    let text = String(decoding: stores[1].contents, as: UTF8.self)
    #expect(text.contains("\"kind\":\"reconcile\""))
    let tampered = text.replacingOccurrences(of: "\"stands\":true", with: "\"stands\":false")
    #expect(throws: LedgerError.self) {
      try BudgetLedger(store: MemoryLedgerStore(contents: Array(tampered.utf8)), study: study)
    }
  }
}
