import MPCBigInt
import MPCCrypto
public import MPCPrivacy

/// The content of a `reconcile` entry (`protocols/ledger.md` §5): the heads it joins, the
/// outcome of every session on which they differ, and the agreed spent total. Every party
/// appends the same reconciliation, so their heads agree again afterwards.
public struct Reconciliation: Sendable, Hashable {
  /// One party's head at the time of reconciliation.
  public struct Head: Sendable, Hashable, Codable, Comparable {
    /// The head hash.
    public var head: [UInt8]
    /// The `seq` of that party's last entry (0 for an empty ledger).
    public var sequence: UInt64

    /// A head.
    public init(head: [UInt8], sequence: UInt64) {
      self.head = head
      self.sequence = sequence
    }

    public static func < (a: Head, b: Head) -> Bool {
      a.head.lexicographicallyPrecedes(b.head)
        || (a.head == b.head && a.sequence < b.sequence)
    }

    var canonical: CanonicalValue {
      .record(["head": .bytes(head), "seq": .int(sequence)])
    }

    private enum CodingKeys: String, CodingKey {
      case head
      case sequence = "seq"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      let text = try c.decode(String.self, forKey: .head)
      guard let bytes = try? Hex.decode(text), bytes.count == 32 else {
        throw DecodingError.dataCorruptedError(
          forKey: .head, in: c, debugDescription: "expected 64 hex digits")
      }
      head = bytes
      sequence = try c.decode(UInt64.self, forKey: .sequence)
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(Hex.encode(head), forKey: .head)
      try c.encode(sequence, forKey: .sequence)
    }
  }

  /// A session on which the heads differ, and its agreed outcome.
  public struct Session: Sendable, Hashable, Codable, Comparable {
    /// The query id.
    public var queryId: String
    /// The 16-byte session id.
    public var sessionId: [UInt8]
    /// The charge's cost.
    public var cost: PrivacyCost
    /// True when the charge stands (some party's record keeps it); false when every party
    /// that charged it released it.
    public var stands: Bool

    /// A session outcome.
    public init(queryId: String, sessionId: [UInt8], cost: PrivacyCost, stands: Bool) {
      self.queryId = queryId
      self.sessionId = sessionId
      self.cost = cost
      self.stands = stands
    }

    public static func < (a: Session, b: Session) -> Bool {
      a.queryId != b.queryId
        ? Array(a.queryId.utf8).lexicographicallyPrecedes(Array(b.queryId.utf8))
        : a.sessionId.lexicographicallyPrecedes(b.sessionId)
    }

    var canonical: CanonicalValue {
      .record([
        "query_id": .string(queryId), "session_id": .bytes(sessionId), "cost": cost.canonical,
        "stands": .bool(stands),
      ])
    }

    private enum CodingKeys: String, CodingKey {
      case queryId = "query_id"
      case sessionId = "session_id"
      case cost
      case stands
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      queryId = try c.decode(String.self, forKey: .queryId)
      let text = try c.decode(String.self, forKey: .sessionId)
      guard let bytes = try? Hex.decode(text), bytes.count == 16 else {
        throw DecodingError.dataCorruptedError(
          forKey: .sessionId, in: c, debugDescription: "expected 32 hex digits")
      }
      sessionId = bytes
      cost = try c.decode(PrivacyCost.self, forKey: .cost)
      stands = try c.decode(Bool.self, forKey: .stands)
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(queryId, forKey: .queryId)
      try c.encode(Hex.encode(sessionId), forKey: .sessionId)
      try c.encode(cost, forKey: .cost)
      try c.encode(stands, forKey: .stands)
    }
  }

  /// The entry's `seq`: 1 + the largest `seq` among the joined heads, the same at every party.
  public var sequence: UInt64
  /// Every party's head before reconciliation, sorted, without duplicates.
  public var heads: [Head]
  /// The disputed sessions, sorted by (query id, session id).
  public var sessions: [Session]
  /// The spent total after reconciliation (the same at every party).
  public var spent: PrivacyCost

  /// The domain of reconcile entry hashes.
  public static let hashDomain = "swift-mpc/ledger-reconcile/v1"

  /// A reconciliation; `heads` and `sessions` are sorted here.
  public init(heads: [Head], sessions: [Session], spent: PrivacyCost) {
    self.init(
      sequence: 1 + (heads.map(\.sequence).max() ?? 0), heads: heads, sessions: sessions,
      spent: spent)
  }

  init(sequence: UInt64, heads: [Head], sessions: [Session], spent: PrivacyCost) {
    self.sequence = sequence
    self.heads = Array(Set(heads)).sorted()
    self.sessions = sessions.sorted()
    self.spent = spent
  }

  /// The hashed record: no `prev` (each party's differs; it is one of `heads`) and no `time`.
  func canonical(sequence: UInt64) -> CanonicalValue {
    .record([
      "seq": .int(sequence), "kind": .string("reconcile"),
      "heads": .list(heads.map(\.canonical)), "sessions": .list(sessions.map(\.canonical)),
      "spent": spent.canonical,
    ])
  }
}

/// Why ledgers cannot be reconciled automatically; `mpc budget reconcile` reports it and
/// changes nothing.
public struct ReconcileRefusal: Error, Equatable, Sendable, CustomStringConvertible {
  /// What differs, in the operator's terms.
  public var problem: String

  /// A refusal.
  public init(_ problem: String) { self.problem = problem }

  public var description: String {
    "the ledgers cannot be reconciled automatically: \(problem)"
  }
}

/// The conservative reconciliation of several parties' ledgers of one study
/// (`protocols/ledger.md` §5).
public enum LedgerReconciler {
  /// The reconciliation every party appends, or nil when every head is already equal.
  /// Throws ``ReconcileRefusal`` for forks that are not only charges and releases of
  /// aborted sessions.
  public static func plan(_ ledgers: [BudgetLedger]) throws -> Reconciliation? {
    guard let first = ledgers.first else { return nil }
    for other in ledgers.dropFirst() {
      guard other.genesisHash == first.genesisHash else {
        throw ReconcileRefusal(
          "the ledgers belong to different studies (or study versions): genesis "
            + "\(Hex.encode(first.genesisHash.prefix(8))) vs "
            + "\(Hex.encode(other.genesisHash.prefix(8)))")
      }
    }
    if Set(ledgers.map(\.head)).count == 1 { return nil }
    // Parties that already appended the reconciliation are planned from just before it; the
    // plan must then be the one they applied.
    var bases: [BudgetLedger] = []
    var applied: [(Int, Reconciliation)] = []
    for (party, ledger) in ledgers.enumerated() {
      if let last = ledger.entries.last, let r = last.reconciliation,
        !ledgers.allSatisfy({ $0.entries.contains { $0.hash == last.hash } })
      {
        bases.append(try ledger.withoutLastEntry())
        applied.append((party, r))
      } else {
        bases.append(ledger)
      }
    }
    if !applied.isEmpty {
      guard let plan = try self.plan(bases) else {
        throw ReconcileRefusal("ledgers agree except for a reconcile entry at some parties")
      }
      for (party, r) in applied where r != plan {
        throw ReconcileRefusal("ledger \(party) applied another reconciliation than this one")
      }
      return plan
    }

    // The fork point: the latest hash on every chain (the genesis at worst).
    let chains = ledgers.map { [$0.genesisHash] + $0.entries.map(\.hash) }
    let sets = chains.map(Set.init)
    guard
      let fork = chains[0].last(where: { hash in sets.allSatisfy { $0.contains(hash) } })
    else { throw ReconcileRefusal("the ledgers share no entry") }

    struct Key: Hashable {
      var queryId: String
      var sessionId: [UInt8]
    }
    var disputed: [Key: LedgerEntry] = [:]
    for (party, ledger) in ledgers.enumerated() {
      let start = chains[party].firstIndex(of: fork)!  // entries after index `start - 1`
      for entry in ledger.entries[start...] {
        guard entry.kind != .reconcile else {
          throw ReconcileRefusal(
            "ledger \(party) has a reconcile entry (seq \(entry.sequence)) after the fork; "
              + "reconcile the ledgers that forked after it first")
        }
        let key = Key(queryId: entry.queryId, sessionId: entry.sessionId)
        if let seen = disputed[key], entry.kind == .charge, seen.kind == .charge {
          guard seen.cost == entry.cost, seen.manifestHash == entry.manifestHash else {
            throw ReconcileRefusal(
              "session \(Hex.encode(entry.sessionId.prefix(8))) of \(entry.queryId) was charged "
                + "differently (\(seen.cost) vs \(entry.cost)); settle it with the other sites")
          }
        }
        if disputed[key] == nil || entry.kind == .charge { disputed[key] = entry }
      }
    }
    // A release in a suffix may refer to a charge before the fork: take its cost from there.
    var sessions: [Reconciliation.Session] = []
    for (key, entry) in disputed {
      let stands = ledgers.contains { $0.isOpen(queryId: key.queryId, sessionId: key.sessionId) }
      sessions.append(
        Reconciliation.Session(
          queryId: key.queryId, sessionId: key.sessionId, cost: entry.cost, stands: stands))
    }
    // Spent after: each party's spent plus what stands elsewhere but not at it. Equal at
    // every party by construction; checked.
    var totals: Set<Rational> = []
    for ledger in ledgers {
      totals.insert(Self.spent(after: sessions, at: ledger))
    }
    guard totals.count == 1, let spent = totals.first else {
      throw ReconcileRefusal(
        "the ledgers disagree on entries before the sessions in dispute "
          + "(spent totals \(totals.map(\.description).sorted().joined(separator: ", ")))")
    }
    let heads = ledgers.map {
      Reconciliation.Head(head: $0.head, sequence: $0.entries.last?.sequence ?? 0)
    }
    return Reconciliation(
      heads: heads, sessions: sessions, spent: first.budget.with(amount: spent))
  }

  /// `ledger`'s spent total once `sessions` are settled.
  static func spent(after sessions: [Reconciliation.Session], at ledger: BudgetLedger) -> Rational {
    var total = ledger.spent
    for s in sessions where s.stands && !ledger.isOpen(queryId: s.queryId, sessionId: s.sessionId) {
      total = total + s.cost.amount
    }
    return total
  }
}
