import Foundation
import MPCBigInt
import MPCProtocol
import Testing

/// `protocols/ledger.md` §6: released results, tied to their charge, chained.
@Suite struct ReleaseLogTests {
  @Test func storesLooksUpRefusesRedefinitionAndDetectsEdits() throws {
    let study = try Fixtures.study()
    let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: study)
    let query = try Fixtures.query(Fixtures.sumQuery)
    let charge = try ledger.charge(
      plan: try query.plan(for: study), sessionId: [UInt8](repeating: 3, count: 16),
      manifestHash: [UInt8](repeating: 4, count: 32))
    let store = MemoryLedgerStore(name: "releases")
    let log = try ReleaseLog(store: store)
    #expect(try log.stored(for: query) == nil)
    let record = try log.append(
      query: query, charge: charge, parties: 3, result: #"{"v":1}"#, text: "v = 1")
    #expect(record.chargeHash == charge.hash && record.cost == charge.cost)
    let reopened = try ReleaseLog(store: store)
    #expect(try reopened.stored(for: query) == record)
    var changed = Fixtures.sumQuery
    changed["epsilon"] = "1/3"
    #expect(throws: ReleaseLogError.redefinedQuery(queryId: query.id)) {
      try reopened.stored(for: try Fixtures.query(changed))
    }
    // Editing a released value breaks the chain; a cut line is a torn tail.
    let text = String(decoding: store.contents, as: UTF8.self)
    let edited = MemoryLedgerStore(
      contents: Array(text.replacingOccurrences(of: #"{\"v\":1}"#, with: #"{\"v\":2}"#).utf8))
    #expect(throws: LedgerError.self) { try ReleaseLog(store: edited) }
    let cut = MemoryLedgerStore(contents: Array(store.contents.dropLast(3)))
    #expect(
      throws: LedgerError.tornTail(file: "memory-ledger", line: 1, problem: "no trailing newline")
    ) {
      try ReleaseLog(store: cut)
    }
    #expect(try ReleaseLog.repair(store: cut) != nil)
    #expect(cut.contents.isEmpty && cut.tornTails.count == 1)
    #expect(try ReleaseLog.repair(store: store) == nil, "an intact log is left alone")
    #expect(try ReleaseLog(store: store).all.count == 1)
  }
}
