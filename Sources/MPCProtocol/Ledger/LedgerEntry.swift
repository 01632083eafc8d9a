public import MPCBigInt
import MPCCrypto
public import MPCPrivacy

/// One separately noised part of a charged query as the ledger records it.
public struct LedgerComponent: Sendable, Hashable, Codable {
  /// `value`, `sum` or `count`.
  public var name: String
  /// Its number of coordinates.
  public var dimension: Int
  /// Δ1.
  public var delta1: Rational
  /// Δ2².
  public var delta2Squared: Rational
  /// Its cost in the ledger's unit.
  public var cost: Rational

  /// A component record.
  public init(
    name: String, dimension: Int, delta1: Rational, delta2Squared: Rational, cost: Rational
  ) {
    self.name = name
    self.dimension = dimension
    self.delta1 = delta1
    self.delta2Squared = delta2Squared
    self.cost = cost
  }

  private enum CodingKeys: String, CodingKey {
    case name
    case dimension
    case delta1
    case delta2Squared = "delta2_squared"
    case cost
  }

  var canonical: CanonicalValue {
    .record([
      "name": .string(name), "dimension": .int(dimension), "delta1": .rational(delta1),
      "delta2_squared": .rational(delta2Squared), "cost": .rational(cost),
    ])
  }
}

/// One line of a party's budget ledger (`protocols/ledger.md`).
public struct LedgerEntry: Sendable, Hashable, Codable {
  /// A charge debits the budget; a release refunds an earlier charge of the same
  /// (query id, session id).
  public enum Kind: String, Sendable, Hashable, Codable {
    /// Spend.
    case charge
    /// Refund of a charge whose query aborted before any masked value left the party.
    case release
    /// Written durably just before this party's first masked value leaves it: from here on
    /// the charge of (query id, session id) stands whatever happens (`protocols/ledger.md`
    /// §3). An open charge without it is one whose masked value never left.
    case upload
    /// The agreed outcome of sessions on which the parties' ledgers forked
    /// (`protocols/ledger.md` §5); identical at every party.
    case reconcile
  }

  /// A reconcile entry's content (nil for charges and releases).
  public var reconciliation: Reconciliation?

  /// 1, 2, 3, … in file order.
  public var sequence: UInt64
  /// Charge or release.
  public var kind: Kind
  /// The query id.
  public var queryId: String
  /// The 16-byte session id.
  public var sessionId: [UInt8]
  /// The 32-byte manifest hash the parties agreed on.
  public var manifestHash: [UInt8]
  /// The mechanism.
  public var mechanism: Mechanism
  /// k = n − t.
  public var honestCount: Int
  /// Per-part sensitivities and costs.
  public var components: [LedgerComponent]
  /// The total cost (refunded amount for a release), in the ledger's unit.
  public var cost: PrivacyCost
  /// ISO-8601 UTC time the entry was written; informational, not covered by ``hash``.
  public var time: String
  /// The previous entry's hash (the genesis hash for the first entry).
  public var previousHash: [UInt8]
  /// BLAKE2b-256 of the canonical entry (``canonical``).
  public var hash: [UInt8]

  /// The domain of entry hashes.
  public static let hashDomain = "swift-mpc/ledger-entry/v1"

  /// The canonical value hashed into ``hash``: every field except `time` and `hash`.
  public var canonical: CanonicalValue {
    if let reconciliation { return reconciliation.canonical(sequence: sequence) }
    return .record([
      "seq": .int(sequence), "kind": .string(kind.rawValue), "query_id": .string(queryId),
      "session_id": .bytes(sessionId), "manifest_hash": .bytes(manifestHash),
      "mechanism": .string(mechanism.rawValue), "k": .int(honestCount),
      "components": .list(components.map(\.canonical)), "cost": cost.canonical,
      "prev": .bytes(previousHash),
    ])
  }

  /// The hash this entry should carry.
  public var computedHash: [UInt8] {
    canonical.hash(domain: reconciliation == nil ? Self.hashDomain : Reconciliation.hashDomain)
  }

  private enum CodingKeys: String, CodingKey {
    case sequence = "seq"
    case kind
    case queryId = "query_id"
    case sessionId = "session_id"
    case manifestHash = "manifest_hash"
    case mechanism
    case honestCount = "k"
    case components
    case cost
    case time
    case previousHash = "prev"
    case hash
    case heads
    case sessions
    case spent
  }

  init(
    sequence: UInt64, kind: Kind, queryId: String, sessionId: [UInt8], manifestHash: [UInt8],
    mechanism: Mechanism, honestCount: Int, components: [LedgerComponent], cost: PrivacyCost,
    time: String, previousHash: [UInt8]
  ) {
    self.sequence = sequence
    self.kind = kind
    self.queryId = queryId
    self.sessionId = sessionId
    self.manifestHash = manifestHash
    self.mechanism = mechanism
    self.honestCount = honestCount
    self.components = components
    self.cost = cost
    self.time = time
    self.previousHash = previousHash
    hash = []
    hash = computedHash
  }

  /// A reconcile entry: `sequence` is ``Reconciliation/sequence``, `previousHash` this party's
  /// head (not hashed). The charge fields are empty.
  init(reconciliation: Reconciliation, time: String, previousHash: [UInt8]) {
    self.init(
      sequence: reconciliation.sequence, kind: .reconcile, queryId: "", sessionId: [],
      manifestHash: [], mechanism: .laplace, honestCount: 0, components: [],
      cost: reconciliation.spent, time: time, previousHash: previousHash)
    self.reconciliation = reconciliation
    hash = computedHash
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func hex(_ key: CodingKeys, _ count: Int) throws -> [UInt8] {
      let text = try c.decode(String.self, forKey: key)
      guard let bytes = try? Hex.decode(text), bytes.count == count else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c, debugDescription: "expected \(2 * count) hex digits")
      }
      return bytes
    }
    sequence = try c.decode(UInt64.self, forKey: .sequence)
    kind = try c.decode(Kind.self, forKey: .kind)
    if kind == .reconcile {
      let spentCost = try c.decode(PrivacyCost.self, forKey: .spent)
      let r = Reconciliation(
        sequence: sequence, heads: try c.decode([Reconciliation.Head].self, forKey: .heads),
        sessions: try c.decode([Reconciliation.Session].self, forKey: .sessions),
        spent: spentCost)
      (queryId, sessionId, manifestHash, mechanism, honestCount) = ("", [], [], .laplace, 0)
      (components, cost, reconciliation) = ([], spentCost, r)
      time = try c.decode(String.self, forKey: .time)
      previousHash = try hex(.previousHash, 32)
      hash = try hex(.hash, 32)
      return
    }
    queryId = try c.decode(String.self, forKey: .queryId)
    sessionId = try hex(.sessionId, 16)
    manifestHash = try hex(.manifestHash, 32)
    mechanism = try c.decode(Mechanism.self, forKey: .mechanism)
    honestCount = try c.decode(Int.self, forKey: .honestCount)
    components = try c.decode([LedgerComponent].self, forKey: .components)
    cost = try c.decode(PrivacyCost.self, forKey: .cost)
    time = try c.decode(String.self, forKey: .time)
    previousHash = try hex(.previousHash, 32)
    hash = try hex(.hash, 32)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(sequence, forKey: .sequence)
    try c.encode(kind, forKey: .kind)
    if let reconciliation {
      try c.encode(reconciliation.heads, forKey: .heads)
      try c.encode(reconciliation.sessions, forKey: .sessions)
      try c.encode(reconciliation.spent, forKey: .spent)
      try c.encode(time, forKey: .time)
      try c.encode(Hex.encode(previousHash), forKey: .previousHash)
      try c.encode(Hex.encode(hash), forKey: .hash)
      return
    }
    try c.encode(queryId, forKey: .queryId)
    try c.encode(Hex.encode(sessionId), forKey: .sessionId)
    try c.encode(Hex.encode(manifestHash), forKey: .manifestHash)
    try c.encode(mechanism, forKey: .mechanism)
    try c.encode(honestCount, forKey: .honestCount)
    try c.encode(components, forKey: .components)
    try c.encode(cost, forKey: .cost)
    try c.encode(time, forKey: .time)
    try c.encode(Hex.encode(previousHash), forKey: .previousHash)
    try c.encode(Hex.encode(hash), forKey: .hash)
  }
}
