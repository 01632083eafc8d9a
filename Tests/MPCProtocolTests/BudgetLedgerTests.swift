import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol
import Testing

@Suite struct BudgetLedgerTests {
  static let budget = PrivacyCost.pure(epsilon: 1)

  static func plan(epsilon: String, id: String = "q-sum") throws -> QueryPlan {
    var object = Fixtures.sumQuery
    object["epsilon"] = epsilon
    object["id"] = id
    return try Fixtures.query(object).plan(for: try Fixtures.study())
  }

  static func session(_ n: UInt8) -> [UInt8] { [UInt8](repeating: n, count: 16) }
  static let hash = [UInt8](repeating: 0xab, count: 32)

  static func ledger(_ store: MemoryLedgerStore) throws -> BudgetLedger {
    try BudgetLedger(store: store, study: try Fixtures.study())
  }

  @Test func admissionAndExhaustion() throws {
    let store = MemoryLedgerStore(name: "mem")
    let ledger = try Self.ledger(store)
    #expect(ledger.head == BudgetLedger.genesis(study: try Fixtures.study()))
    #expect(ledger.spent == 0 && ledger.remaining == 1)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/2"), sessionId: Self.session(1), manifestHash: Self.hash)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/3"), sessionId: Self.session(2), manifestHash: Self.hash)
    #expect(ledger.spent == Rational(5, 6) && ledger.remaining == Rational(1, 6))
    try ledger.admit(.pure(epsilon: Rational(1, 6)))  // exactly the rest is admitted
    #expect(
      throws: LedgerError.budgetExhausted(spent: Rational(5, 6), total: 1, cost: Rational(1, 5))
    ) {
      try ledger.admit(.pure(epsilon: Rational(1, 5)))
    }
    let before = store.contents
    #expect(
      throws: LedgerError.budgetExhausted(spent: Rational(5, 6), total: 1, cost: Rational(1, 4))
    ) {
      try ledger.charge(
        plan: try Self.plan(epsilon: "1/4"), sessionId: Self.session(3), manifestHash: Self.hash)
    }
    #expect(store.contents == before, "a refused charge wrote nothing")
    #expect(throws: LedgerError.nonPositiveCost(cost: Rational(-1, 2))) {
      try ledger.admit(.pure(epsilon: Rational(-1, 2)))
    }
    #expect(throws: LedgerError.budgetUnitMismatch(ledger: "epsilon", cost: "rho")) {
      try ledger.admit(.zcdp(rho: Rational(1, 100)))
    }
  }

  @Test func genesisFollowsTheSpec() throws {
    // protocols/ledger.md §2, built by hand: LE32(27) ‖ domain ‖ record{study_hash, study_id},
    // study_hash = BLAKE2b-256(LE32(18) ‖ "swift-mpc/study/v1" ‖ canonical study).
    let study = try Fixtures.study()
    let studyHash = try Blake2b.hash(
      [18, 0, 0, 0] + Array("swift-mpc/study/v1".utf8) + study.canonical.encoded)
    var message: [UInt8] = [27, 0, 0, 0] + Array("swift-mpc/ledger-genesis/v2".utf8)
    message += [0x07, 2, 0, 0, 0]
    message += [10, 0, 0, 0] + Array("study_hash".utf8) + [0x05, 32, 0, 0, 0] + studyHash
    message += [8, 0, 0, 0] + Array("study_id".utf8) + [0x04, 8, 0, 0, 0] + Array("flu-2026".utf8)
    #expect(BudgetLedger.genesis(study: study) == (try Blake2b.hash(message)))
    #expect(BudgetLedger.studyHash(study) == studyHash)
    // Any change of the study (here one party's address) gives another genesis.
    var object = Fixtures.studyObject()
    var parties = object["parties"] as! [[String: Any]]
    parties[0]["address"] = "elsewhere.example:9"
    object["parties"] = parties
    #expect(
      BudgetLedger.genesis(study: try Fixtures.study(object)) != BudgetLedger.genesis(study: study))
  }

  @Test func releaseRefundsOnce() throws {
    let store = MemoryLedgerStore()
    let ledger = try Self.ledger(store)
    try ledger.charge(
      plan: try Self.plan(epsilon: "3/4"), sessionId: Self.session(1), manifestHash: Self.hash)
    #expect(throws: LedgerError.self) {
      try ledger.charge(
        plan: try Self.plan(epsilon: "1/2"), sessionId: Self.session(2), manifestHash: Self.hash)
    }
    let release = try ledger.release(queryId: "q-sum", sessionId: Self.session(1))
    #expect(release.kind == .release && release.cost == .pure(epsilon: Rational(3, 4)))
    #expect(ledger.spent == 0)
    #expect(
      throws: LedgerError.chargeNotFound(queryId: "q-sum", sessionId: Hex.encode(Self.session(1)))
    ) {
      try ledger.release(queryId: "q-sum", sessionId: Self.session(1))
    }
    #expect(
      throws: LedgerError.duplicateCharge(
        queryId: "q-sum", sessionId: Hex.encode(Self.session(1)))
    ) {
      try ledger.charge(
        plan: try Self.plan(epsilon: "1/2"), sessionId: Self.session(1), manifestHash: Self.hash)
    }
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/2"), sessionId: Self.session(2), manifestHash: Self.hash)
    #expect(ledger.spent == Rational(1, 2) && ledger.entries.map(\.sequence) == [1, 2, 3])
  }

  @Test func reopenRestoresTotalsAndHead() throws {
    let store = MemoryLedgerStore()
    let ledger = try Self.ledger(store)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/5"), sessionId: Self.session(1), manifestHash: Self.hash)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/5", id: "q2"), sessionId: Self.session(2),
      manifestHash: Self.hash)
    try ledger.release(queryId: "q2", sessionId: Self.session(2))
    let reopened = try Self.ledger(store)
    #expect(reopened.spent == Rational(1, 5) && reopened.remaining == Rational(4, 5))
    #expect(reopened.head == ledger.head && reopened.entries == ledger.entries)
    #expect(throws: LedgerError.self) {
      try reopened.release(queryId: "q2", sessionId: Self.session(2))
    }
  }

  @Test func headsAgreeAcrossPartiesDespiteClocks() throws {
    let a = try Self.ledger(MemoryLedgerStore())
    let b = try Self.ledger(MemoryLedgerStore())
    let plan = try Self.plan(epsilon: "1/2")
    try a.charge(
      plan: plan, sessionId: Self.session(1), manifestHash: Self.hash,
      time: Date(timeIntervalSince1970: 0))
    try b.charge(
      plan: plan, sessionId: Self.session(1), manifestHash: Self.hash,
      time: Date(timeIntervalSince1970: 99))
    #expect(a.head == b.head)
    #expect(a.entries[0].time == "1970-01-01T00:00:00Z")
  }

  @Test func editedLineBreaksTheChain() throws {
    let store = MemoryLedgerStore(name: "ledger-party-0.jsonl")
    let ledger = try Self.ledger(store)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/2"), sessionId: Self.session(1), manifestHash: Self.hash)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/4", id: "q2"), sessionId: Self.session(2),
      manifestHash: Self.hash)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/8", id: "q3"), sessionId: Self.session(3),
      manifestHash: Self.hash)
    let text = String(decoding: store.contents, as: UTF8.self)
    // Lower the second charge's cost (and its component) to win budget back.
    var lines = text.split(separator: "\n").map(String.init)
    lines[1] = lines[1].replacingOccurrences(of: "1/4", with: "1/100")
    let tampered = MemoryLedgerStore(
      name: store.name, contents: Array((lines.joined(separator: "\n") + "\n").utf8))
    #expect(
      throws: LedgerError.corrupt(
        file: store.name, line: 2, problem: "entry hash does not match its contents")
    ) {
      try Self.ledger(tampered)
    }
    // Dropping a middle line breaks the chain at the next one.
    let dropped = MemoryLedgerStore(
      name: store.name, contents: Array(([lines[0], lines[2]].joined(separator: "\n") + "\n").utf8))
    #expect(throws: LedgerError.self) { try Self.ledger(dropped) }
    // A ledger read against a raised budget does not chain to its genesis.
    #expect(
      throws: LedgerError.corrupt(
        file: store.name, line: 1,
        problem:
          "the first entry does not chain to this study's genesis (another study or version?)")
    ) {
      try BudgetLedger(
        store: store, study: try Fixtures.study(Fixtures.studyObject(budget: ["epsilon": "2"])))
    }
    // A second value for a key: Foundation reads the first (the chain holds), jq the last;
    // refused naming the key.
    #expect(lines[1].hasSuffix("}") && lines[1].contains("\"kind\""))
    let doubled = MemoryLedgerStore(
      name: store.name,
      contents: Array(
        ([lines[0], lines[1].dropLast() + ",\"kind\":\"release\"}", lines[2]]
          .joined(separator: "\n") + "\n").utf8))
    #expect(
      throws: LedgerError.corrupt(file: store.name, line: 2, problem: "duplicate key 'kind'")
    ) {
      try Self.ledger(doubled)
    }
    // Garbage in the middle is corruption, not a torn tail.
    let garbage = MemoryLedgerStore(
      name: store.name, contents: Array((lines[0] + "\n{oops\n" + lines[1] + "\n").utf8))
    #expect(
      throws: LedgerError.corrupt(
        file: store.name, line: 2, problem: "not a parseable entry")
    ) {
      try Self.ledger(garbage)
    }
  }

  @Test(arguments: ["cut", "garbage"])
  func tornLastLineIsReportedThenRepairedOnRequest(kind: String) throws {
    let store = MemoryLedgerStore(name: "ledger-party-1.jsonl")
    let ledger = try Self.ledger(store)
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/2"), sessionId: Self.session(1), manifestHash: Self.hash)
    let good = store.contents
    try ledger.charge(
      plan: try Self.plan(epsilon: "1/4", id: "q2"), sessionId: Self.session(2),
      manifestHash: Self.hash)
    if kind == "cut" {
      store.contents.removeLast(20)  // a crash mid-write: no trailing newline
    } else {
      store.contents = good + Array("{\"seq\": 2, garbage\n".utf8)
    }
    let problem = kind == "cut" ? "no trailing newline" : "not a parseable entry"
    #expect(throws: LedgerError.tornTail(file: store.name, line: 2, problem: problem)) {
      try Self.ledger(store)
    }
    #expect(store.contents.count > good.count, "opening never drops the tail")
    let cut = try #require(try BudgetLedger.repair(store: store))
    #expect(cut.line == 2 && cut.keptBytes == good.count && store.tornTails == [cut.bytes])
    #expect(store.contents == good && store.tornTails.count == 1)
    let reopened = try Self.ledger(store)
    #expect(reopened.spent == Rational(1, 2))
    #expect(try BudgetLedger.repair(store: store) == nil)
  }

  @Test func fileLedgerIsDurableLockedAndReopens() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-ledger-\(UUID().uuidString)/nested")
    defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
    let study = try Fixtures.study()
    let path = directory.appendingPathComponent(BudgetLedger.fileName(partyId: 2)).path
    do {
      let ledger = try BudgetLedger.open(directory: directory, partyId: 2, study: study)
      try ledger.charge(
        plan: try Self.plan(epsilon: "1/3"), sessionId: Self.session(1), manifestHash: Self.hash)
      #expect(throws: LedgerError.busy(file: path)) {
        try BudgetLedger.open(directory: directory, partyId: 2, study: study)
      }
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(bytes.last == UInt8(ascii: "\n"))
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
    let reopened = try BudgetLedger.open(directory: directory, partyId: 2, study: study)
    #expect(reopened.remaining == Rational(2, 3) && reopened.entries.count == 1)
  }

  @Test func fileTornTailMovesToTornFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-ledger-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let study = try Fixtures.study()
    let path = directory.appendingPathComponent(BudgetLedger.fileName(partyId: 0)).path
    do {
      let ledger = try BudgetLedger.open(directory: directory, partyId: 0, study: study)
      try ledger.charge(
        plan: try Self.plan(epsilon: "1/3"), sessionId: Self.session(1), manifestHash: Self.hash)
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"seq\":2,\"kind\":\"cha".utf8))
    try handle.close()
    #expect(
      throws: LedgerError.tornTail(file: path, line: 2, problem: "no trailing newline")
    ) {
      try BudgetLedger.open(directory: directory, partyId: 0, study: study)
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let backup = path + ".backup"
    #expect(try BudgetLedger.repair(directory: directory, partyId: 0, backup: backup)?.line == 2)
    let torn = try String(contentsOfFile: path + ".torn", encoding: .utf8)
    #expect(torn == "{\"seq\":2,\"kind\":\"cha")
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: backup)) == before, "backup is the uncut file")
    let ledger = try BudgetLedger.open(directory: directory, partyId: 0, study: study)
    #expect(ledger.spent == Rational(1, 3) && ledger.entries.count == 1)
  }
}

/// The `upload` entry (`protocols/ledger.md` §3.1): written before a party's first masked value
/// leaves; a charge with it stands for good, one without it is released when the site next runs.
@Suite struct UploadEntryTests {
  @Test func aChargeWithItsUploadStandsAndOneWithoutIsReleased() throws {
    let store = MemoryLedgerStore(name: "ledger-party-0.jsonl")
    let ledger = try BudgetLedgerTests.ledger(store)
    let sent = BudgetLedgerTests.session(1)
    let unsent = BudgetLedgerTests.session(2)
    #expect(throws: LedgerError.chargeNotFound(queryId: "a", sessionId: Hex.encode(sent))) {
      try ledger.recordUpload(queryId: "a", sessionId: sent)
    }
    try ledger.charge(
      plan: try BudgetLedgerTests.plan(epsilon: "1/4", id: "a"), sessionId: sent,
      manifestHash: BudgetLedgerTests.hash)
    try ledger.recordUpload(queryId: "a", sessionId: sent)
    #expect(throws: LedgerError.chargeStands(queryId: "a", sessionId: Hex.encode(sent))) {
      try ledger.recordUpload(queryId: "a", sessionId: sent)
    }
    #expect(throws: LedgerError.chargeStands(queryId: "a", sessionId: Hex.encode(sent))) {
      try ledger.release(queryId: "a", sessionId: sent)
    }
    try ledger.charge(
      plan: try BudgetLedgerTests.plan(epsilon: "1/2", id: "b"), sessionId: unsent,
      manifestHash: BudgetLedgerTests.hash)
    #expect(ledger.spent == Rational(3, 4))

    // Reopened (the next run of the site): only the charge without its upload is released.
    let reopened = try BudgetLedgerTests.ledger(store)
    #expect(reopened.unsentCharges.map(\.queryId) == ["b"])
    let released = try reopened.releaseUnsentCharges()
    #expect(released.map(\.kind) == [.release] && released[0].sessionId == unsent)
    #expect(reopened.spent == Rational(1, 4) && reopened.unsentCharges.isEmpty)
    #expect(
      try BudgetLedgerTests.ledger(store).entries.map(\.kind) == [
        .charge, .upload, .charge, .release,
      ])
  }

  /// A file that refunds a charge after its upload entry is refused when opened.
  @Test func aReleaseAfterTheUploadIsCorrupt() throws {
    let a = MemoryLedgerStore(name: "ledger-party-0.jsonl")
    let ledger = try BudgetLedgerTests.ledger(a)
    let session = BudgetLedgerTests.session(3)
    try ledger.charge(
      plan: try BudgetLedgerTests.plan(epsilon: "1/4", id: "a"), sessionId: session,
      manifestHash: BudgetLedgerTests.hash)
    try ledger.recordUpload(queryId: "a", sessionId: session)
    let afterUpload = a.contents
    // A release chained to the upload entry (its fields but the kind, sequence and chain).
    let upload = try #require(ledger.entries.last)
    var release = upload
    release.kind = .release
    release.sequence = upload.sequence + 1
    release.previousHash = upload.hash
    release.hash = release.computedHash
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let forged = MemoryLedgerStore(
      name: a.name, contents: afterUpload + Array(try encoder.encode(release)) + [0x0a])
    #expect(
      throws: LedgerError.corrupt(
        file: a.name, line: 3, problem: "release of a charge whose masked value had left")
    ) {
      try BudgetLedgerTests.ledger(forged)
    }
  }
}
