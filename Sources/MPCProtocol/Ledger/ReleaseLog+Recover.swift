import Foundation
import MPCCrypto

// MARK: - Recovering lost records from a peer's log (protocols/ledger.md §6.2)

extension ReleaseLog {
  /// What ``recover(from:peerName:ledger:)`` found in a peer's log: the records this log
  /// lacks at its end and may take, and why it stopped where it stopped.
  public struct Recovery: Sendable, Equatable {
    /// The peer records to append, in order (verbatim: a record's hash is the same at every
    /// party, so the chain continues).
    public var records: [ReleaseRecord]
    /// Why no further record was taken (nil when the peer's log ended).
    public var refusal: String?
  }

  /// The records at the end of `peer` (party `peerName`'s log of the same study, already
  /// verified as a chain) that this log lost, e.g. the last record torn by a crash between the
  /// opening and the output and cut by `mpc budget repair`. Each record is taken only when
  /// its charge entry is in `ledger` and this party's masked value of that session left it
  /// (an `upload` entry; a charge with one is never refunded): this party took part in the opening
  /// of that very session, so the result is the one it would have recorded. Nothing is
  /// written. Throws when the two logs disagree on the records both hold.
  public func recover(from peer: [ReleaseRecord], peerName: String, ledger: BudgetLedger) throws
    -> Recovery
  {
    let mine = try all
    let common = ReleaseLog.compare(mine, with: Array(peer.prefix(mine.count)), peerName: peerName)
      .filter { !$0.hasPrefix("this log has") }
    if let first = common.first {
      throw LedgerError.corrupt(
        file: peerName, line: 0, problem: "the logs disagree on records both hold: \(first)")
    }
    guard peer.count >= mine.count else {
      return Recovery(records: [], refusal: nil)
    }
    var byHash: [[UInt8]: LedgerEntry] = [:]
    for e in ledger.entries where e.kind == .charge { byHash[e.hash] = e }
    var taken: [ReleaseRecord] = []
    var ids = Dictionary(mine.map { ($0.queryId, $0.chargeHash) }) { _, last in last }
    for r in peer[mine.count...] {
      let name = "\(peerName) record \(r.sequence) (query \(r.queryId))"
      guard r.isIntact else {
        return Recovery(records: taken, refusal: "\(name): its hash does not match its fields")
      }
      guard let charge = byHash[r.chargeHash], charge.queryId == r.queryId,
        charge.sessionId == r.sessionId, charge.manifestHash == r.manifestHash,
        charge.cost == r.cost, charge.mechanism == r.mechanism,
        charge.honestCount == r.honestCount
      else {
        return Recovery(
          records: taken,
          refusal: "\(name): this party's ledger has no matching charge of session "
            + "\(Hex.encode(r.sessionId.prefix(8))) (it did not take part in that release)")
      }
      guard ledger.hasUploaded(queryId: r.queryId, sessionId: r.sessionId) else {
        return Recovery(
          records: taken,
          refusal: "\(name): this party's masked value of session "
            + "\(Hex.encode(r.sessionId.prefix(8))) never left it, so it cannot have been opened")
      }
      if let earlier = ids[r.queryId], earlier != r.chargeHash {
        return Recovery(records: taken, refusal: "\(name): query id released here before")
      }
      ids[r.queryId] = r.chargeHash
      taken.append(r)
    }
    return Recovery(records: taken, refusal: nil)
  }

  /// Durably appends `records` (from ``recover(from:peerName:ledger:)``) verbatim; throws
  /// ``LedgerError/corrupt(file:line:problem:)`` (nothing written) when a record does not
  /// continue this log's chain.
  public func adopt(_ records: [ReleaseRecord]) throws {
    try lock.withLock {
      for r in records {
        guard r.sequence == UInt64(slots.count + 1),
          r.previousHash == (slots.last?.hash ?? [UInt8](repeating: 0, count: 32)),
          r.isIntact
        else {
          throw LedgerError.corrupt(
            file: store.name, line: slots.count + 1,
            problem: "record \(r.sequence) of query \(r.queryId) does not continue this log")
        }
        try appendLocked(r)
      }
    }
  }

  /// A record's line (keys sorted, no escaped slashes), without the newline.
  static func encode(_ record: ReleaseRecord) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(record)
  }
}
