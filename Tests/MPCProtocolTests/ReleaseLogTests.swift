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

  /// Releases of `count` queries `q-0`, `q-1`, … of `study`, each charged to `ledger`.
  static func charged(_ count: Int, _ study: StudyManifest, _ ledger: BudgetLedger) throws
    -> [(QueryManifest, LedgerEntry)]
  {
    try (0..<count).map { q in
      var object = Fixtures.sumQuery
      object["id"] = "q-\(q)"
      object["epsilon"] = "1/100"
      let query = try Fixtures.query(object)
      let charge = try ledger.charge(
        plan: try query.plan(for: study), sessionId: [UInt8](repeating: UInt8(q), count: 16),
        manifestHash: [UInt8](repeating: 4, count: 32))
      return (query, charge)
    }
  }

  /// Issue 18 item 9: records are read back from the file, so a log opened on a file answers
  /// across reopens and appends, including records longer than one read of the file, and a
  /// query released in rounds answers with its last record.
  @Test func answersFromTheFileAcrossReopensAndAppends() throws {
    let study = try Fixtures.study()
    let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: study)
    let releases = try Self.charged(5, study, ledger)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "release-log-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    // Record 2 is longer than a 64 KiB read, so lines straddle the chunks read on opening.
    let results = [#"{"v":0}"#, String(repeating: "7", count: 150_000), #"{"v":2}"#]
    var written: [ReleaseRecord] = []
    do {
      let log = try ReleaseLog.open(directory: directory, partyId: 1)
      for (q, result) in results.enumerated() {
        written.append(
          try log.append(
            query: releases[q].0, charge: releases[q].1, parties: 3, result: result,
            text: "v = \(q)"))
      }
    }
    let log = try ReleaseLog.open(directory: directory, partyId: 1)
    #expect(try log.all == written && log.count == 3)
    #expect(try log.stored(for: releases[1].0) == written[1])
    #expect(try log.stored(for: releases[3].0) == nil && !log.hasRecord(queryId: "q-3"))
    // Appended after reopening: a new query, then a second round of query 0.
    written.append(
      try log.append(
        query: releases[3].0, charge: releases[3].1, parties: 3, result: "[3]", text: "v = 3"))
    written.append(
      try log.append(
        query: releases[0].0, charge: releases[0].1, parties: 3, result: "[0, 1]", text: "v = 0"))
    #expect(try log.stored(for: releases[3].0) == written[3])
    #expect(try log.stored(for: releases[0].0)?.result == "[0, 1]")
    #expect(try log.record(queryId: "q-2") == written[2])
    #expect(try log.all == written && log.count == 5)
    // A peer's log adopts them verbatim and answers the same.
    let peer = try ReleaseLog(store: MemoryLedgerStore(name: "peer"))
    try peer.adopt(written)
    #expect(try peer.all == written)
    #expect(try peer.stored(for: releases[0].0) == written[4])
  }

  /// A store holding the releases of `count` queries, query q's with `result(q)`.
  static func logged(_ count: Int, result: (Int) -> String) throws
    -> (MemoryLedgerStore, [(QueryManifest, LedgerEntry)])
  {
    let study = try Fixtures.study()
    let releases = try charged(
      count, study, try BudgetLedger(store: MemoryLedgerStore(), study: study))
    let store = MemoryLedgerStore(name: "releases")
    let log = try ReleaseLog(store: store)
    for (q, (query, charge)) in releases.enumerated() {
      try log.append(query: query, charge: charge, parties: 3, result: result(q), text: "v = \(q)")
    }
    return (store, releases)
  }

  /// Issue 18 item 9: a log keeps no record's body in memory: a record edited in the store
  /// after the log was opened (and verified) is refused, never answered from what opening saw.
  @Test func refusesARecordEditedAfterOpening() throws {
    let (store, releases) = try Self.logged(3) { #"{"v":\#($0)1}"# }
    let log = try ReleaseLog(store: store)
    #expect(try log.stored(for: releases[1].0)?.result == #"{"v":11}"#)
    // The same length, so every other record stays where it was.
    let text = String(decoding: store.contents, as: UTF8.self)
    store.contents = Array(
      text.replacingOccurrences(of: #"{\"v\":11}"#, with: #"{\"v\":99}"#).utf8)
    #expect(store.contents.count == text.utf8.count)
    let changed = LedgerError.corrupt(
      file: "releases", line: 2, problem: "release record changed since the log was opened")
    #expect(throws: changed) { try log.stored(for: releases[1].0) }
    #expect(throws: changed) { try log.all }
    #expect(try log.stored(for: releases[2].0)?.result == #"{"v":21}"#)
    #expect(try log.stored(for: releases[0].0)?.result == #"{"v":01}"#)
  }

  /// A line that does not parse is a torn tail when it is the last, corruption before another
  /// record; after a failed append nothing more is appended until the log is reopened.
  @Test func tellsATornTailFromCorruptionAndStopsAfterAFailedAppend() throws {
    let (store, releases) = try Self.logged(2) { _ in "{}" }
    let lines = store.contents.split(separator: UInt8(ascii: "\n"))
    let garbage = Array("{\"seq\":".utf8)
    #expect(
      throws: LedgerError.tornTail(file: "t", line: 3, problem: "not a parseable record")
    ) {
      try ReleaseLog(store: MemoryLedgerStore(name: "t", contents: store.contents + garbage + [10]))
    }
    let middle = Array(lines[0]) + [10] + garbage + [10] + Array(lines[1]) + [10]
    #expect(throws: LedgerError.corrupt(file: "m", line: 2, problem: "not a parseable record")) {
      try ReleaseLog(store: MemoryLedgerStore(name: "m", contents: middle))
    }
    let failing = LedgerAgreementTests.FailingOnceStore()
    let stopped = try ReleaseLog(store: failing)
    #expect(throws: LedgerError.self) {
      try stopped.append(
        query: releases[0].0, charge: releases[0].1, parties: 3, result: "{}", text: "")
    }
    #expect(
      throws: LedgerError.io(file: failing.name, operation: "append (earlier failure)", errno: 0)
    ) {
      try stopped.append(
        query: releases[0].0, charge: releases[0].1, parties: 3, result: "{}", text: "")
    }
    #expect(try failing.readAll().isEmpty && stopped.count == 0)
  }
}
