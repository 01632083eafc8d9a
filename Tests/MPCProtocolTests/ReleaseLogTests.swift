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

  /// `protocols/ledger.md` §6.2: a lost last record is copied from a peer's log only for a
  /// session whose masked value left this party; logs that disagree are refused.
  @Test func recoversALostRecordOnlyForAnUploadedSession() throws {
    let study = try Fixtures.study()
    let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: study)
    let query = try Fixtures.query(Fixtures.sumQuery)
    let session = [UInt8](repeating: 3, count: 16)
    let charge = try ledger.charge(
      plan: try query.plan(for: study), sessionId: session,
      manifestHash: [UInt8](repeating: 4, count: 32))
    // The peer's log: the record of that session.
    let peer = try ReleaseLog(store: MemoryLedgerStore(name: "peer"))
    let record = try peer.append(
      query: query, charge: charge, parties: 3, result: #"{"v":1}"#, text: "v = 1")
    let mine = try ReleaseLog(store: MemoryLedgerStore(name: "mine"))
    // Charged but never uploaded here: this party took no part in that opening.
    let refused = try mine.recover(from: peer.all, peerName: "peer", ledger: ledger)
    #expect(refused.records.isEmpty)
    #expect(refused.refusal?.contains("never left it") == true, "\(refused)")
    try ledger.recordUpload(queryId: query.id, sessionId: session)
    let found = try mine.recover(from: peer.all, peerName: "peer", ledger: ledger)
    #expect(found.records == [record] && found.refusal == nil)
    try mine.adopt(found.records)
    #expect(try mine.stored(for: query) == record)
    #expect(try mine.recover(from: peer.all, peerName: "peer", ledger: ledger).records.isEmpty)
    #expect(throws: LedgerError.self) { try mine.adopt(found.records) }
    // A peer whose log differs on a record both hold is refused.
    let other = try ReleaseLog(store: MemoryLedgerStore(name: "other"))
    try other.append(
      query: query, charge: charge, parties: 3, result: #"{"v":2}"#, text: "v = 2")
    #expect(throws: LedgerError.self) {
      try mine.recover(from: other.all, peerName: "other", ledger: ledger)
    }
  }
}
