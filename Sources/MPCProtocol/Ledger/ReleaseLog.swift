public import Foundation
import MPCCrypto
public import MPCPrivacy

/// One released result as a party keeps it (`protocols/ledger.md` §6).
public struct ReleaseRecord: Sendable, Hashable, Codable {
  /// 1, 2, 3, … in file order.
  public var sequence: UInt64
  /// The query id.
  public var queryId: String
  /// BLAKE2b-256 over `swift-mpc/query/v1` and the query's canonical value: its definition.
  public var queryHash: [UInt8]
  /// The manifest hash the parties agreed on.
  public var manifestHash: [UInt8]
  /// The session.
  public var sessionId: [UInt8]
  /// The hash of the ledger `charge` entry that paid for it.
  public var chargeHash: [UInt8]
  /// The number of parties.
  public var parties: Int
  /// The mechanism.
  public var mechanism: Mechanism
  /// k = n − t.
  public var honestCount: Int
  /// What was charged.
  public var cost: PrivacyCost
  /// The released values with their intervals, as the JSON object `mpc run --json` prints.
  public var result: String
  /// The same result as `mpc run` prints it for a person.
  public var text: String
  /// ISO-8601 UTC, informational (not hashed).
  public var time: String
  /// The query definition as JSON (keys sorted): the question asked. Nil in records written
  /// before it was kept (hashed only when present).
  public var definition: String?
  /// The approvers whose signatures admitted the query, in the registry's order (empty
  /// without a registry; hashed only when non-empty).
  public var approvers: [String]
  /// The registered purpose and use-case id, when the query was registered.
  public var purpose: String?
  /// The use-case id of the registered query.
  public var useCase: String?
  /// The previous record's hash (32 zero bytes for the first).
  public var previousHash: [UInt8]
  /// The record hash.
  public var hash: [UInt8]

  /// The domain of record hashes.
  public static let hashDomain = "swift-mpc/release-log/v1"

  /// The hash of a query definition.
  public static func queryHash(_ query: QueryManifest) -> [UInt8] {
    query.queryHash
  }

  /// The canonical value hashed into `hash`: every field except `time` and `hash`.
  public var canonical: CanonicalValue {
    var r: [String: CanonicalValue] = [
      "seq": .int(sequence), "query_id": .string(queryId), "query_hash": .bytes(queryHash),
      "manifest_hash": .bytes(manifestHash), "session_id": .bytes(sessionId),
      "charge_hash": .bytes(chargeHash), "parties": .int(parties),
      "mechanism": .string(mechanism.rawValue), "k": .int(honestCount), "cost": cost.canonical,
      "result": .string(result), "text": .string(text), "prev": .bytes(previousHash),
    ]
    // Optional keys are hashed only when present, so records written before they existed
    // keep their hashes (`protocols/ledger.md` §6).
    if let definition { r["definition"] = .string(definition) }
    if !approvers.isEmpty { r["approvers"] = .list(approvers.map { .string($0) }) }
    if let purpose { r["purpose"] = .string(purpose) }
    if let useCase { r["use_case"] = .string(useCase) }
    return .record(r)
  }

  var computedHash: [UInt8] { canonical.hash(domain: Self.hashDomain) }

  /// Whether the stored hash is the hash of the record's fields.
  public var isIntact: Bool { hash == computedHash }

  /// A query's `definition` as recorded: its JSON, compact with keys sorted.
  public static func definition(of query: QueryManifest) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try e.encode(query), as: UTF8.self)
  }

  private enum CodingKeys: String, CodingKey {
    case sequence = "seq"
    case queryId = "query_id"
    case queryHash = "query_hash"
    case manifestHash = "manifest_hash"
    case sessionId = "session_id"
    case chargeHash = "charge_hash"
    case parties
    case mechanism
    case honestCount = "k"
    case cost
    case result
    case text
    case time
    case definition
    case approvers
    case purpose
    case useCase = "use_case"
    case previousHash = "prev"
    case hash
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func hex(_ key: CodingKeys, _ count: Int) throws -> [UInt8] {
      guard let b = try? Hex.decode(try c.decode(String.self, forKey: key)), b.count == count
      else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c, debugDescription: "expected \(2 * count) hex digits")
      }
      return b
    }
    sequence = try c.decode(UInt64.self, forKey: .sequence)
    queryId = try c.decode(String.self, forKey: .queryId)
    queryHash = try hex(.queryHash, 32)
    manifestHash = try hex(.manifestHash, 32)
    sessionId = try hex(.sessionId, 16)
    chargeHash = try hex(.chargeHash, 32)
    parties = try c.decode(Int.self, forKey: .parties)
    mechanism = try c.decode(Mechanism.self, forKey: .mechanism)
    honestCount = try c.decode(Int.self, forKey: .honestCount)
    cost = try c.decode(PrivacyCost.self, forKey: .cost)
    result = try c.decode(String.self, forKey: .result)
    text = try c.decode(String.self, forKey: .text)
    time = try c.decode(String.self, forKey: .time)
    definition = try c.decodeIfPresent(String.self, forKey: .definition)
    approvers = try c.decodeIfPresent([String].self, forKey: .approvers) ?? []
    purpose = try c.decodeIfPresent(String.self, forKey: .purpose)
    useCase = try c.decodeIfPresent(String.self, forKey: .useCase)
    previousHash = try hex(.previousHash, 32)
    hash = try hex(.hash, 32)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(sequence, forKey: .sequence)
    try c.encode(queryId, forKey: .queryId)
    try c.encode(Hex.encode(queryHash), forKey: .queryHash)
    try c.encode(Hex.encode(manifestHash), forKey: .manifestHash)
    try c.encode(Hex.encode(sessionId), forKey: .sessionId)
    try c.encode(Hex.encode(chargeHash), forKey: .chargeHash)
    try c.encode(parties, forKey: .parties)
    try c.encode(mechanism, forKey: .mechanism)
    try c.encode(honestCount, forKey: .honestCount)
    try c.encode(cost, forKey: .cost)
    try c.encode(result, forKey: .result)
    try c.encode(text, forKey: .text)
    try c.encode(time, forKey: .time)
    try c.encodeIfPresent(definition, forKey: .definition)
    if !approvers.isEmpty { try c.encode(approvers, forKey: .approvers) }
    try c.encodeIfPresent(purpose, forKey: .purpose)
    try c.encodeIfPresent(useCase, forKey: .useCase)
    try c.encode(Hex.encode(previousHash), forKey: .previousHash)
    try c.encode(Hex.encode(hash), forKey: .hash)
  }

  init(
    sequence: UInt64, queryId: String, queryHash: [UInt8], manifestHash: [UInt8],
    sessionId: [UInt8], chargeHash: [UInt8], parties: Int, mechanism: Mechanism,
    honestCount: Int, cost: PrivacyCost, result: String, text: String, time: String,
    definition: String? = nil, approvers: [String] = [], purpose: String? = nil,
    useCase: String? = nil, previousHash: [UInt8]
  ) {
    self.sequence = sequence
    self.queryId = queryId
    self.queryHash = queryHash
    self.manifestHash = manifestHash
    self.sessionId = sessionId
    self.chargeHash = chargeHash
    self.parties = parties
    self.mechanism = mechanism
    self.honestCount = honestCount
    self.cost = cost
    self.result = result
    self.text = text
    self.time = time
    self.definition = definition
    self.approvers = approvers
    self.purpose = purpose
    self.useCase = useCase
    self.previousHash = previousHash
    hash = []
    hash = computedHash
  }
}

/// A party's release log: `releases-party-<id>.jsonl` next to its ledger, append-only and
/// hash-chained like the ledger, one record per released result (`protocols/ledger.md` §6).
/// Opening reads the file once and verifies the chain; in memory the log keeps only where each
/// record is, its hash and the last record of each query id, and reads a record (its result
/// and text) back from the file when asked, so a long study costs no memory per release.
public final class ReleaseLog: @unchecked Sendable {
  // Invariant: `slots`, `latest`, `end` and `failed` are read and written only while holding
  // `lock`.
  let lock = NSLock()
  let store: any LedgerStore

  /// Where one record's line is in the store (without its newline), and the record's hash:
  /// the next record's `prev`, and what a record read back must still have.
  struct Slot {
    var offset: Int
    var length: Int
    var hash: [UInt8]
  }

  /// The record with sequence i + 1 at index i.
  var slots: [Slot] = []
  /// The index in `slots` of each query id's last record.
  var latest: [String: Int] = [:]
  /// The store's length: where the next record goes.
  var end = 0
  /// An append failed: a partial line may be on disk, so nothing more is appended until the
  /// log is reopened (and repaired).
  var failed = false

  /// `releases-party-<id>.jsonl`.
  public static func fileName(partyId: Int) -> String { "releases-party-\(partyId).jsonl" }

  /// Reads and verifies `store`; a torn last line or a broken chain fails like a ledger's.
  public init(store: any LedgerStore) throws {
    self.store = store
    var lines = LedgerLines(store: store)
    var previous = [UInt8](repeating: 0, count: 32)
    while let line = try lines.next() {
      let number = slots.count + 1
      guard line.terminated else {
        throw LedgerError.tornTail(file: store.name, line: number, problem: "no trailing newline")
      }
      guard let record = try? JSONDecoder().decode(ReleaseRecord.self, from: Data(line.bytes))
      else {
        if try lines.next() == nil {
          throw LedgerError.tornTail(
            file: store.name, line: number, problem: "not a parseable record")
        }
        throw LedgerError.corrupt(file: store.name, line: number, problem: "not a parseable record")
      }
      guard record.sequence == UInt64(number), record.previousHash == previous,
        record.hash == record.computedHash
      else {
        throw LedgerError.corrupt(
          file: store.name, line: number, problem: "release record breaks the hash chain")
      }
      index(record, offset: line.offset, length: line.bytes.count)
      previous = record.hash
    }
  }

  /// Moves a torn last line of the log in `store` aside (`<file>.torn`), like
  /// ``BudgetLedger/repair(store:)``; returns the cut bytes, or nil when the last line is
  /// intact. A cut record is a result whose output was never shown (it is written first).
  @discardableResult
  public static func repair(store: any LedgerStore) throws -> [UInt8]? {
    let bytes = try store.readAll()
    guard !bytes.isEmpty else { return nil }
    let body = bytes.last == UInt8(ascii: "\n") ? bytes.dropLast() : bytes[...]
    let start = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
    let terminated = bytes.last == UInt8(ascii: "\n")
    let parses =
      (try? JSONDecoder().decode(ReleaseRecord.self, from: Data(bytes[start..<body.endIndex])))
      != nil
    if terminated, parses { return nil }
    let cut = Array(bytes[start...])
    try store.moveTail(from: start)
    return cut
  }

  /// Opens (creating if needed, locked) party `partyId`'s log in `directory`.
  public static func open(directory: URL, partyId: Int) throws -> ReleaseLog {
    try ReleaseLog(
      store: FileLedgerStore(
        path: directory.appendingPathComponent(fileName(partyId: partyId)).path))
  }

  /// The file (or store) name.
  public var name: String { store.name }

  /// The number of records.
  public var count: Int { lock.withLock { slots.count } }

  /// Every record in order, read from the store; throws
  /// ``LedgerError/corrupt(file:line:problem:)`` when the store no longer holds what opening
  /// verified.
  public var all: [ReleaseRecord] {
    get throws {
      try lock.withLock {
        let bytes = try store.read(offset: 0, count: end)
        return try slots.indices.map { i in
          let slot = slots[i]
          guard slot.offset + slot.length <= bytes.count else {
            throw changed(line: i + 1)
          }
          return try checked(i, bytes[slot.offset..<slot.offset + slot.length])
        }
      }
    }
  }

  /// Whether a record was released under `queryId` (from the index: nothing is read).
  public func hasRecord(queryId: String) -> Bool { lock.withLock { latest[queryId] != nil } }

  /// The record released under `queryId` (its last, for a query released in rounds), if
  /// any, read from the store.
  public func record(queryId: String) throws -> ReleaseRecord? {
    try lock.withLock {
      guard let i = latest[queryId] else { return nil }
      return try checked(i, try store.read(offset: slots[i].offset, count: slots[i].length)[...])
    }
  }

  /// The stored release of `query` (same id and same definition), nil if never released;
  /// throws ``ReleaseLogError/redefinedQuery(queryId:)`` for the id under another definition.
  public func stored(for query: QueryManifest) throws -> ReleaseRecord? {
    guard let record = try record(queryId: query.id) else { return nil }
    guard record.queryHash == ReleaseRecord.queryHash(query) else {
      throw ReleaseLogError.redefinedQuery(queryId: query.id)
    }
    return record
  }

  /// Durably appends the release of `query`, paid by the ledger entry `charge`, admitted by
  /// `approvers` (the registry's valid signers; empty without a registry) under `registered`'s
  /// purpose and use case.
  @discardableResult
  public func append(
    query: QueryManifest, charge: LedgerEntry, parties: Int, result: String, text: String,
    approvers: [String] = [], registered: RegisteredQuery? = nil, time: Date = Date()
  ) throws -> ReleaseRecord {
    let definition = try ReleaseRecord.definition(of: query)
    return try lock.withLock {
      let record = ReleaseRecord(
        sequence: UInt64(slots.count + 1), queryId: query.id,
        queryHash: ReleaseRecord.queryHash(query), manifestHash: charge.manifestHash,
        sessionId: charge.sessionId, chargeHash: charge.hash, parties: parties,
        mechanism: charge.mechanism, honestCount: charge.honestCount, cost: charge.cost,
        result: result, text: text, time: BudgetLedger.timestamp(time),
        definition: definition, approvers: approvers, purpose: registered?.purpose,
        useCase: registered?.useCase,
        previousHash: slots.last?.hash ?? [UInt8](repeating: 0, count: 32))
      try appendLocked(record)
      return record
    }
  }

  /// Writes `record` durably at the end of the store and indexes it (holding `lock`).
  func appendLocked(_ record: ReleaseRecord) throws {
    if failed {
      throw LedgerError.io(file: store.name, operation: "append (earlier failure)", errno: 0)
    }
    let line = Array(try Self.encode(record))
    do {
      try store.append(line + [UInt8(ascii: "\n")])
    } catch {
      failed = true
      throw error
    }
    index(record, offset: end, length: line.count)
  }

  /// Adds `record`, whose line is `length` bytes at `offset`, to the index.
  private func index(_ record: ReleaseRecord, offset: Int, length: Int) {
    slots.append(Slot(offset: offset, length: length, hash: record.hash))
    latest[record.queryId] = slots.count - 1
    end = offset + length + 1
  }

  /// Record `index + 1` decoded from its line `bytes`, checked against what opening verified.
  private func checked(_ index: Int, _ bytes: ArraySlice<UInt8>) throws -> ReleaseRecord {
    guard bytes.count == slots[index].length,
      let record = try? JSONDecoder().decode(ReleaseRecord.self, from: Data(bytes)),
      record.sequence == UInt64(index + 1), record.hash == slots[index].hash, record.isIntact
    else { throw changed(line: index + 1) }
    return record
  }

  private func changed(line: Int) -> LedgerError {
    .corrupt(
      file: store.name, line: line, problem: "release record changed since the log was opened")
  }
}

/// Refusals of the release log.
public enum ReleaseLogError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The query id was released before with another definition.
  case redefinedQuery(queryId: String)

  public var description: String {
    switch self {
    case .redefinedQuery(let id):
      return
        "query id '\(id)' was already released with another definition; a query id names one "
        + "definition for the life of the study: give the changed query a new id"
    }
  }
}

extension ReleaseLog {
  /// The release log checked against the ledger that paid for it (`mpc audit verify`,
  /// `protocols/ledger.md` §6): every record is tied to a `charge` entry of the same query,
  /// session, manifest hash, mechanism, k and cost that was not released (refunded); no
  /// charge pays for two records; a record's definition has the record's query hash. Both
  /// chains were verified when they were opened. Returns the problems found (empty: they
  /// agree), each naming the record.
  public static func crossCheck(_ records: [ReleaseRecord], against ledger: BudgetLedger)
    -> [String]
  {
    var problems: [String] = []
    let entries = ledger.entries
    var byHash: [[UInt8]: LedgerEntry] = [:]
    for e in entries { byHash[e.hash] = e }
    var released = Set<[UInt8]>()
    for e in entries where e.kind == .release {
      released.insert(Array(e.queryId.utf8) + [0] + e.sessionId)
    }
    var paid = Set<[UInt8]>()
    var ids = Set<String>()
    // An adaptive query (synth, query.md §6) logs one record per round under one charge.
    var adaptive = Set<[UInt8]>()
    for r in records {
      let name = "release record \(r.sequence) (query \(r.queryId))"
      if !r.isIntact { problems.append("\(name): its hash does not match its fields") }
      if let definition = r.definition,
        case .synth? = (try? QueryManifest.decode(Data(definition.utf8), file: "definition"))?.kind
      {
        if !adaptive.insert(r.chargeHash).inserted {
          // A later round of the same run: same id, same charge.
          ids.remove(r.queryId)
          paid.remove(r.chargeHash)
        }
      }
      if !ids.insert(r.queryId).inserted {
        problems.append("\(name): query id released twice")
      }
      guard let charge = byHash[r.chargeHash] else {
        problems.append(
          "\(name): no ledger entry has its charge hash \(Hex.encode(r.chargeHash.prefix(8)))…")
        continue
      }
      if !paid.insert(r.chargeHash).inserted {
        problems.append("\(name): its charge already paid for an earlier record")
      }
      var differences: [String] = []
      if charge.kind != .charge { differences.append("kind \(charge.kind.rawValue)") }
      if charge.queryId != r.queryId { differences.append("query id '\(charge.queryId)'") }
      if charge.sessionId != r.sessionId { differences.append("session") }
      if charge.manifestHash != r.manifestHash { differences.append("manifest hash") }
      if charge.mechanism != r.mechanism { differences.append("mechanism") }
      if charge.honestCount != r.honestCount { differences.append("k") }
      if charge.cost != r.cost { differences.append("cost \(charge.cost)") }
      if !differences.isEmpty {
        problems.append(
          "\(name): its ledger charge (seq \(charge.sequence)) differs in "
            + differences.joined(separator: ", "))
      }
      if released.contains(Array(r.queryId.utf8) + [0] + r.sessionId) {
        problems.append("\(name): its charge was released (refunded) in the ledger")
      }
      if let definition = r.definition {
        let query = try? QueryManifest.decode(Data(definition.utf8), file: "definition")
        if query?.queryHash != r.queryHash {
          problems.append("\(name): its definition does not have its query hash")
        }
      }
    }
    return problems
  }
}

extension ReleaseLog {
  /// This party's records against another party's log of the same study (`peer`, named
  /// `peerName`): records are identical at every party except for their times, so every
  /// record hash must be equal (`protocols/ledger.md` §6.1). Returns the differences.
  public static func compare(
    _ records: [ReleaseRecord], with peer: [ReleaseRecord], peerName: String
  )
    -> [String]
  {
    var problems: [String] = []
    for (mine, theirs) in zip(records, peer) where mine.hash != theirs.hash {
      let fields = [
        ("query", mine.queryId == theirs.queryId),
        ("definition", mine.queryHash == theirs.queryHash),
        ("session", mine.sessionId == theirs.sessionId), ("cost", mine.cost == theirs.cost),
        ("result", mine.result == theirs.result), ("text", mine.text == theirs.text),
        ("approvers", mine.approvers == theirs.approvers),
        ("chain", mine.previousHash == theirs.previousHash),
      ].filter { !$0.1 }.map(\.0)
      problems.append(
        "release record \(mine.sequence) (query \(mine.queryId)) differs from \(peerName)'s"
          + (fields.isEmpty ? "" : " in " + fields.joined(separator: ", ")))
    }
    if records.count != peer.count {
      problems.append(
        "this log has \(records.count) release record(s), \(peerName) has \(peer.count)")
    }
    return problems
  }
}
