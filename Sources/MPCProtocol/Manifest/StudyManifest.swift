public import Foundation
public import MPCBigInt
import MPCCrypto
public import MPCField
public import MPCPrivacy

/// The neighbour relation the DP guarantee is stated for (DESIGN §5).
public enum NeighbourRelation: String, Sendable, Hashable, Codable, CaseIterable {
  /// Neighbouring data sets differ by adding or removing one person's rows.
  case addRemove = "add-remove"
  /// Neighbouring data sets differ by replacing one person's rows.
  case replaceOne = "replace-one"
}

/// One party of a study as pinned in the study file.
public struct PartyInfo: Sendable, Hashable, Codable {
  /// The party index, 0…n−1, equal to its position in the list.
  public var id: Int
  /// A human-readable name.
  public var name: String
  /// `host:port` where the party listens.
  public var address: String
  /// The party's long-term X25519 public key (32 bytes).
  public var publicKey: [UInt8]

  /// A party entry; validated when the study is.
  public init(id: Int, name: String, address: String, publicKey: [UInt8]) {
    self.id = id
    self.name = name
    self.address = address
    self.publicKey = publicKey
  }

  private enum CodingKeys: String, CodingKey, CaseIterable {
    case id
    case name
    case address
    case publicKey = "public_key"
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(Int.self, forKey: .id)
    name = try container.decode(String.self, forKey: .name)
    address = try container.decode(String.self, forKey: .address)
    let hex = try container.decode(String.self, forKey: .publicKey)
    guard let key = try? Hex.decode(hex), key.count == 32 else {
      throw DecodingError.dataCorruptedError(
        forKey: .publicKey, in: container,
        debugDescription: "expected 64 hexadecimal characters (a 32-byte X25519 public key)")
    }
    publicKey = key
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(name, forKey: .name)
    try container.encode(address, forKey: .address)
    try container.encode(Hex.encode(publicKey), forKey: .publicKey)
  }
}

/// A study: who the parties are, how many may collude, the field, the neighbour relation and
/// the total privacy budget (DESIGN §4.1). Every party holds the same study file.
public struct StudyManifest: Sendable, Hashable, Codable {
  /// The study identifier.
  public internal(set) var id: String
  /// The parties, in id order.
  public internal(set) var parties: [PartyInfo]
  /// t: how many parties may collude (1 ≤ t ≤ n − 1).
  public internal(set) var colluders: Int
  /// The field setting, resolved by the sharing layer.
  public internal(set) var field: FieldChoice
  /// The neighbour relation of the DP guarantee.
  public internal(set) var neighbour: NeighbourRelation
  /// How many sites one person may appear at (multiplies the sensitivity); default 1.
  public internal(set) var maxSitesPerPerson: Int
  /// The total budget: pure ε or zCDP ρ.
  public internal(set) var budget: PrivacyCost
  /// δ used when reporting zCDP spending as (ε, δ); required for a ρ budget.
  public internal(set) var delta: Rational?
  /// The `ledger` key of study files written by earlier versions (a directory relative to the
  /// study file). Ignored: a site's ledgers live in its state directory, keyed by the study's
  /// id and hash (``LedgerLocation``), so that re-issuing or moving a study file cannot reset
  /// its budget. Not hashed; nil when absent (and `mpc study init` no longer writes it).
  public internal(set) var ledger: String?
  /// The study's policy: tier standards and output rules (DESIGN §8); nil: none.
  public internal(set) var policy: StudyPolicy?
  /// The query registry: approvers and threshold (DESIGN §8); nil: none.
  public internal(set) var registry: QueryRegistry?
  /// How every party draws its Gaussian noise (method, timing mode; `protocols/noise.md` §10);
  /// nil: ``StudyNoise/default``.
  public internal(set) var noise: StudyNoise?
  /// Whether the study declares itself a test study (`"test_study": true`): only then may a
  /// party seed its noise (`mpc bench`), and only then do its peers accept a hello announcing
  /// it (`protocols/messages.md`). Never for real data.
  public internal(set) var testStudy: Bool = false

  /// n, the number of parties.
  public var partyCount: Int { parties.count }
  /// k = n − t: the parties whose noise alone must meet the privacy target.
  public var honestCount: Int { parties.count - colluders }

  /// A validated study; throws ``ManifestError/invalidManifest(file:field:problem:)``
  /// naming `file` (a label for errors) and the field.
  public init(
    id: String, parties: [PartyInfo], colluders: Int, field: FieldChoice = .auto,
    neighbour: NeighbourRelation, maxSitesPerPerson: Int = 1, budget: PrivacyCost,
    delta: Rational? = nil, ledger: String? = nil, policy: StudyPolicy? = nil,
    registry: QueryRegistry? = nil, noise: StudyNoise? = nil, testStudy: Bool = false,
    file: String = "<study>"
  ) throws {
    self.testStudy = testStudy
    self.id = id
    self.parties = parties
    self.colluders = colluders
    self.field = field
    self.neighbour = neighbour
    self.maxSitesPerPerson = maxSitesPerPerson
    self.budget = budget
    self.delta = delta
    self.ledger = ledger
    self.policy = policy
    self.registry = registry
    self.noise = noise
    if let issue = validationIssue() {
      throw ManifestError.invalidManifest(file: file, field: issue.field, problem: issue.problem)
    }
  }

  /// Reads and validates a study file.
  public static func load(contentsOf url: URL) throws -> StudyManifest {
    try ManifestLoader.load(StudyManifest.self, contentsOf: url)
  }

  /// Decodes and validates study JSON; `file` names the source in errors.
  public static func decode(_ data: Data, file: String) throws -> StudyManifest {
    try ManifestLoader.decode(StudyManifest.self, from: data, file: file)
  }

  // MARK: - Codable

  private enum CodingKeys: String, CodingKey, CaseIterable {
    case id
    case parties
    case colluders
    case field
    case neighbour
    case maxSitesPerPerson = "max_sites_per_person"
    case budget
    case delta
    case ledger
    case policy
    case registry
    case noise
    case testStudy = "test_study"
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(String.self, forKey: .id)
    parties = try container.decode([PartyInfo].self, forKey: .parties)
    colluders = try container.decode(Int.self, forKey: .colluders)
    field = try container.decode(FieldChoice.self, forKey: .field)
    neighbour = try container.decodeChoice(NeighbourRelation.self, forKey: .neighbour)
    maxSitesPerPerson =
      try container.decodeIfPresent(Int.self, forKey: .maxSitesPerPerson) ?? 1
    budget = try container.decode(PrivacyCost.self, forKey: .budget)
    delta = try container.decodeExactIfPresent(forKey: .delta)
    ledger = try container.decodeIfPresent(String.self, forKey: .ledger)
    policy = try container.decodeIfPresent(StudyPolicy.self, forKey: .policy)
    registry = try container.decodeIfPresent(QueryRegistry.self, forKey: .registry)
    noise = try container.decodeIfPresent(StudyNoise.self, forKey: .noise)
    testStudy = try container.decodeIfPresent(Bool.self, forKey: .testStudy) ?? false
    if let issue = validationIssue() { throw issue }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(parties, forKey: .parties)
    try container.encode(colluders, forKey: .colluders)
    try container.encode(field, forKey: .field)
    try container.encode(neighbour, forKey: .neighbour)
    try container.encode(maxSitesPerPerson, forKey: .maxSitesPerPerson)
    try container.encode(budget, forKey: .budget)
    try container.encodeIfPresent(delta, forKey: .delta)
    try container.encodeIfPresent(ledger, forKey: .ledger)
    try container.encodeIfPresent(policy, forKey: .policy)
    try container.encodeIfPresent(registry, forKey: .registry)
    try container.encodeIfPresent(noise, forKey: .noise)
    if testStudy { try container.encode(true, forKey: .testStudy) }
  }

  // MARK: - Validation

  /// The first problem of the study, with its field path; nil when valid.
  func validationIssue() -> ManifestIssue? {
    if let problem = Syntax.identifierProblem(id) {
      return ManifestIssue(field: "id", problem: problem)
    }
    let n = parties.count
    guard n >= 2 else {
      return ManifestIssue(
        field: "parties", problem: "a study needs at least 2 parties, found \(n)")
    }
    guard n <= 1000 else {
      return ManifestIssue(field: "parties", problem: "at most 1000 parties, found \(n)")
    }
    var keys: [[UInt8]: Int] = [:]
    var addresses: [String: Int] = [:]
    for (index, party) in parties.enumerated() {
      let at = "parties[\(index)]"
      guard party.id == index else {
        return ManifestIssue(
          field: "\(at).id",
          problem: "party ids must be 0…\(n - 1) in order: expected \(index), found \(party.id)")
      }
      if party.name.isEmpty {
        return ManifestIssue(field: "\(at).name", problem: "must not be empty")
      }
      if let problem = Syntax.addressProblem(party.address) {
        return ManifestIssue(field: "\(at).address", problem: problem)
      }
      guard party.publicKey.count == 32 else {
        return ManifestIssue(
          field: "\(at).public_key", problem: "expected 32 bytes, found \(party.publicKey.count)")
      }
      if let other = keys[party.publicKey] {
        return ManifestIssue(
          field: "\(at).public_key", problem: "same public key as party \(other)")
      }
      if let other = addresses[party.address] {
        return ManifestIssue(field: "\(at).address", problem: "same address as party \(other)")
      }
      keys[party.publicKey] = index
      addresses[party.address] = index
    }
    guard (1...(n - 1)).contains(colluders) else {
      return ManifestIssue(
        field: "colluders", problem: "t must satisfy 1 ≤ t ≤ n − 1 = \(n - 1), found \(colluders)")
    }
    if case .prime(let p) = field {
      do {
        _ = try makePrimeField(modulus: p)
      } catch {
        return ManifestIssue(field: "field", problem: "\(error)")
      }
    }
    guard (1...n).contains(maxSitesPerPerson) else {
      return ManifestIssue(
        field: "max_sites_per_person",
        problem: "must be between 1 and the number of parties \(n), found \(maxSitesPerPerson)")
    }
    guard budget.amount.signum > 0 else {
      return ManifestIssue(
        field: "budget.\(budget.unit)", problem: "the total budget must be positive")
    }
    if let delta, !(delta.signum > 0 && delta < 1) {
      return ManifestIssue(field: "delta", problem: "δ must satisfy 0 < δ < 1, found \(delta)")
    }
    if case .zcdp = budget, delta == nil {
      return ManifestIssue(
        field: "delta", problem: "required with a rho (zCDP) budget: δ for reporting (ε, δ)")
    }
    if let issue = registry?.validationIssue() { return issue }
    if let issue = noise?.validationIssue() { return issue }
    if let policy,
      let (field, problem) = policy.studyViolation(
        budget: budget, neighbour: neighbour, delta: delta, maxSites: maxSitesPerPerson,
        honest: honestCount)
    {
      return ManifestIssue(field: field, problem: "\(problem) (policy)")
    }
    return nil
  }
}
