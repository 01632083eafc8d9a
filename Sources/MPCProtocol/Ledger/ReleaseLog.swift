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
  /// The previous record's hash (32 zero bytes for the first).
  public var previousHash: [UInt8]
  /// The record hash.
  public var hash: [UInt8]

  /// The domain of record hashes.
  public static let hashDomain = "swift-mpc/release-log/v1"

  /// The hash of a query definition.
  public static func queryHash(_ query: QueryManifest) -> [UInt8] {
    query.canonical.hash(domain: "swift-mpc/query/v1")
  }

  var canonical: CanonicalValue {
    .record([
      "seq": .int(sequence), "query_id": .string(queryId), "query_hash": .bytes(queryHash),
      "manifest_hash": .bytes(manifestHash), "session_id": .bytes(sessionId),
      "charge_hash": .bytes(chargeHash), "parties": .int(parties),
      "mechanism": .string(mechanism.rawValue), "k": .int(honestCount), "cost": cost.canonical,
      "result": .string(result), "text": .string(text), "prev": .bytes(previousHash),
    ])
  }

  var computedHash: [UInt8] { canonical.hash(domain: Self.hashDomain) }

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
    try c.encode(Hex.encode(previousHash), forKey: .previousHash)
    try c.encode(Hex.encode(hash), forKey: .hash)
  }

  init(
    sequence: UInt64, queryId: String, queryHash: [UInt8], manifestHash: [UInt8],
    sessionId: [UInt8], chargeHash: [UInt8], parties: Int, mechanism: Mechanism,
    honestCount: Int, cost: PrivacyCost, result: String, text: String, time: String,
    previousHash: [UInt8]
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
    self.previousHash = previousHash
    hash = []
    hash = computedHash
  }
}

/// A party's release log: `releases-party-<id>.jsonl` next to its ledger, append-only and
/// hash-chained like the ledger, one record per released result (`protocols/ledger.md` §6).
public final class ReleaseLog: @unchecked Sendable {
  // Invariant: `records` is read and written only while holding `lock`.
  private let lock = NSLock()
  private let store: any LedgerStore
  private var records: [ReleaseRecord] = []

  /// `releases-party-<id>.jsonl`.
  public static func fileName(partyId: Int) -> String { "releases-party-\(partyId).jsonl" }

  /// Reads and verifies `store`; a torn last line or a broken chain fails like a ledger's.
  public init(store: any LedgerStore) throws {
    self.store = store
    let bytes = try store.readAll()
    var start = 0
    var number = 0
    var previous = [UInt8](repeating: 0, count: 32)
    while start < bytes.count {
      number += 1
      guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
        throw LedgerError.tornTail(file: store.name, line: number, problem: "no trailing newline")
      }
      let line = Data(bytes[start..<end])
      let isLast = end == bytes.count - 1
      guard let record = try? JSONDecoder().decode(ReleaseRecord.self, from: line) else {
        if isLast {
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
      records.append(record)
      previous = record.hash
      start = end + 1
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

  /// Every record in order.
  public var all: [ReleaseRecord] { lock.withLock { records } }

  /// The record released under `queryId`, if any.
  public func record(queryId: String) -> ReleaseRecord? {
    lock.withLock { records.last { $0.queryId == queryId } }
  }

  /// The stored release of `query` (same id and same definition), nil if never released;
  /// throws ``ReleaseLogError/redefinedQuery(queryId:)`` for the id under another definition.
  public func stored(for query: QueryManifest) throws -> ReleaseRecord? {
    guard let record = record(queryId: query.id) else { return nil }
    guard record.queryHash == ReleaseRecord.queryHash(query) else {
      throw ReleaseLogError.redefinedQuery(queryId: query.id)
    }
    return record
  }

  /// Durably appends the release of `query`, paid by the ledger entry `charge`.
  @discardableResult
  public func append(
    query: QueryManifest, charge: LedgerEntry, parties: Int, result: String, text: String,
    time: Date = Date()
  ) throws -> ReleaseRecord {
    try lock.withLock {
      let record = ReleaseRecord(
        sequence: UInt64(records.count + 1), queryId: query.id,
        queryHash: ReleaseRecord.queryHash(query), manifestHash: charge.manifestHash,
        sessionId: charge.sessionId, chargeHash: charge.hash, parties: parties,
        mechanism: charge.mechanism, honestCount: charge.honestCount, cost: charge.cost,
        result: result, text: text, time: BudgetLedger.timestamp(time),
        previousHash: records.last?.hash ?? [UInt8](repeating: 0, count: 32))
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      try store.append(Array(try encoder.encode(record)) + [UInt8(ascii: "\n")])
      records.append(record)
      return record
    }
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
