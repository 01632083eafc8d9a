public import Foundation
import MPCBigInt
public import MPCCrypto

/// The study's query registry (DESIGN §8, `protocols/manifest.md` "Registry"): the approvers'
/// Ed25519 public keys and how many of them must sign a query before any party runs it.
/// Part of the study file, so of the study hash: every party checks the same approvers.
public struct QueryRegistry: Sendable, Hashable {
  /// One approver (e.g. a member of a site's privacy board).
  public struct Approver: Sendable, Hashable {
    /// A short id, unique in the study (`ethics-1`).
    public var id: String
    /// The approver's 32-byte Ed25519 public key.
    public var publicKey: [UInt8]

    /// An approver.
    public init(id: String, publicKey: [UInt8]) {
      self.id = id
      self.publicKey = publicKey
    }
  }

  /// Whether every query must be registered (signed by `threshold` approvers) to run.
  public var required: Bool
  /// The approvers, in the study file's order.
  public var approvers: [Approver]
  /// How many distinct approvers must sign (1…approvers.count).
  public var threshold: Int

  /// A registry.
  public init(required: Bool, approvers: [Approver], threshold: Int) {
    self.required = required
    self.approvers = approvers
    self.threshold = threshold
  }

  /// The first problem of the registry on its own, with its field path below `registry`.
  func validationIssue() -> ManifestIssue? {
    if approvers.isEmpty {
      return ManifestIssue(field: "registry.approvers", problem: "must list at least one approver")
    }
    var ids = Set<String>()
    var keys = Set<[UInt8]>()
    for (i, a) in approvers.enumerated() {
      if let problem = Syntax.identifierProblem(a.id) {
        return ManifestIssue(field: "registry.approvers[\(i)].id", problem: problem)
      }
      if !ids.insert(a.id).inserted {
        return ManifestIssue(
          field: "registry.approvers[\(i)].id", problem: "'\(a.id)' is listed twice")
      }
      if a.publicKey.count != Ed25519.publicKeySize {
        return ManifestIssue(
          field: "registry.approvers[\(i)].public_key",
          problem: "must be 64 hex digits (an Ed25519 public key)")
      }
      if !keys.insert(a.publicKey).inserted {
        return ManifestIssue(
          field: "registry.approvers[\(i)].public_key",
          problem: "the same key is listed for two approvers")
      }
    }
    if !(1...approvers.count).contains(threshold) {
      return ManifestIssue(
        field: "registry.threshold",
        problem: "must be between 1 and the number of approvers (\(approvers.count))")
    }
    return nil
  }

  /// The canonical record (`protocols/manifest.md` §4).
  public var canonical: CanonicalValue {
    .record([
      "required": .bool(required),
      "threshold": .integer(BigInt(threshold)),
      "approvers": .list(
        approvers.map { .record(["id": .string($0.id), "public_key": .bytes($0.publicKey)]) }),
    ])
  }
}

/// A registered query: the query manifest with the purpose it was approved for and the
/// approvers' signatures (`mpc query sign`, `mpc query verify`). Each signature is over
/// ``signingDigest(studyID:)``, which binds the study id, the canonical query record, the
/// purpose and the use-case id: an altered query, or an approval moved to another study,
/// fails verification.
public struct RegisteredQuery: Sendable, Hashable {
  /// One approver's signature.
  public struct Signature: Sendable, Hashable {
    /// The approver's id in the study's registry.
    public var approver: String
    /// The 64-byte Ed25519 signature of the signing digest.
    public var signature: [UInt8]

    /// A signature.
    public init(approver: String, signature: [UInt8]) {
      self.approver = approver
      self.signature = signature
    }
  }

  /// The query as it will run.
  public var query: QueryManifest
  /// What the query is for, in the approvers' words.
  public var purpose: String
  /// The approved use case it belongs to (an id of the board's register).
  public var useCase: String
  /// The signatures collected so far.
  public var signatures: [Signature]

  /// A registered query.
  public init(query: QueryManifest, purpose: String, useCase: String, signatures: [Signature] = [])
  {
    self.query = query
    self.purpose = purpose
    self.useCase = useCase
    self.signatures = signatures
  }

  /// Domain of the signing digest.
  public static let domain = "swift-mpc/registry/v1"

  /// The 32 bytes every approver signs: BLAKE2b-256 over the domain and the canonical record
  /// `{study_id, query, purpose, use_case}`.
  public func signingDigest(studyID: String) -> [UInt8] {
    signingRecord(studyID: studyID).hash(domain: Self.domain)
  }

  /// The canonical record the signing digest hashes (`protocols/manifest.md` §1.3).
  public func signingRecord(studyID: String) -> CanonicalValue {
    .record([
      "study_id": .string(studyID), "query": query.canonical, "purpose": .string(purpose),
      "use_case": .string(useCase),
    ])
  }

  /// This query with `approver`'s signature added (replacing an earlier one by the same
  /// approver).
  public func signed(by approver: String, key: Ed25519.KeyPair, studyID: String) -> RegisteredQuery
  {
    var copy = self
    copy.signatures.removeAll { $0.approver == approver }
    copy.signatures.append(
      Signature(approver: approver, signature: key.sign(signingDigest(studyID: studyID))))
    return copy
  }

  /// The result of checking the signatures against a registry.
  public struct Verification: Sendable, Hashable {
    /// Approvers whose signature is valid, in the registry's order.
    public var valid: [String]
    /// Signatures that do not count, with why (unknown approver, bad signature, duplicate).
    public var rejected: [(approver: String, problem: String)]
    /// Signatures needed.
    public var threshold: Int
    /// Whether at least `threshold` distinct approvers signed validly.
    public var approved: Bool { valid.count >= threshold }

    public static func == (a: Verification, b: Verification) -> Bool {
      a.valid == b.valid && a.threshold == b.threshold
        && a.rejected.map(\.approver) == b.rejected.map(\.approver)
        && a.rejected.map(\.problem) == b.rejected.map(\.problem)
    }

    public func hash(into hasher: inout Hasher) {
      hasher.combine(valid)
      hasher.combine(threshold)
    }
  }

  /// Checks every signature against `registry` for study `studyID`.
  public func verify(against registry: QueryRegistry, studyID: String) -> Verification {
    let digest = signingDigest(studyID: studyID)
    var validSet = Set<String>()
    var rejected: [(String, String)] = []
    for s in signatures {
      guard let approver = registry.approvers.first(where: { $0.id == s.approver }) else {
        rejected.append((s.approver, "not an approver of this study"))
        continue
      }
      guard !validSet.contains(s.approver) else {
        rejected.append((s.approver, "signed twice; counted once"))
        continue
      }
      if Ed25519.verify(signature: s.signature, message: digest, publicKey: approver.publicKey) {
        validSet.insert(s.approver)
      } else {
        rejected.append(
          (
            s.approver,
            "the signature does not match this query, purpose and study (altered after signing?)"
          ))
      }
    }
    let valid = registry.approvers.map(\.id).filter(validSet.contains)
    return Verification(valid: valid, rejected: rejected, threshold: registry.threshold)
  }

  /// Throws ``RegistryError/notApproved(queryID:valid:threshold:rejected:)`` unless at least
  /// `threshold` approvers signed; returns the approvers who did.
  public func requireApproval(by registry: QueryRegistry, studyID: String) throws -> [String] {
    let v = verify(against: registry, studyID: studyID)
    guard v.approved else {
      throw RegistryError.notApproved(
        queryID: query.id, valid: v.valid, threshold: v.threshold,
        rejected: v.rejected.map { "\($0.approver): \($0.problem)" })
    }
    return v.valid
  }

  // MARK: - The file

  /// Decodes a registered-query file (`protocols/manifest.md` "Registry"); errors name the file
  /// and the field path (`query.kind`, `signatures[1].signature`).
  public static func decode(_ data: Data, file: String) throws -> RegisteredQuery {
    try ManifestLoader.decode(RegisteredQuery.self, from: data, file: file)
  }

  /// Reads a registered-query file.
  public static func load(contentsOf url: URL) throws -> RegisteredQuery {
    try ManifestLoader.load(RegisteredQuery.self, contentsOf: url)
  }

  /// The file's JSON text (keys sorted, two-space indent, a final newline).
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self) + Data("\n".utf8)
  }
}

extension RegisteredQuery: Codable {
  enum CodingKeys: String, CodingKey, CaseIterable {
    case query
    case purpose
    case useCase = "use_case"
    case signatures
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let c = try decoder.container(keyedBy: CodingKeys.self)
    do {
      query = try c.decode(QueryManifest.self, forKey: .query)
    } catch let issue as ManifestIssue {
      throw ManifestIssue(field: "query." + issue.field, problem: issue.problem)
    }
    purpose = try c.decode(String.self, forKey: .purpose)
    useCase = try c.decode(String.self, forKey: .useCase)
    signatures = try c.decodeIfPresent([Signature].self, forKey: .signatures) ?? []
    if purpose.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      throw ManifestIssue(field: "purpose", problem: "must say what the query is for")
    }
    if let problem = Syntax.identifierProblem(useCase) {
      throw ManifestIssue(field: "use_case", problem: problem)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(query, forKey: .query)
    try c.encode(purpose, forKey: .purpose)
    try c.encode(useCase, forKey: .useCase)
    try c.encode(signatures, forKey: .signatures)
  }
}

extension RegisteredQuery.Signature: Codable {
  enum CodingKeys: String, CodingKey {
    case approver
    case signature
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    approver = try c.decode(String.self, forKey: .approver)
    let text = try c.decode(String.self, forKey: .signature)
    guard let bytes = try? Hex.decode(text), bytes.count == Ed25519.signatureSize else {
      throw ManifestIssue(
        field: fieldPath(c.codingPath + [CodingKeys.signature]),
        problem: "must be 128 hex digits (an Ed25519 signature)")
    }
    signature = bytes
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(approver, forKey: .approver)
    try c.encode(Hex.encode(signature), forKey: .signature)
  }
}

/// Refusals of the registry, decided before any message is sent.
public enum RegistryError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The study requires registered queries and this one is not approved.
  case notApproved(queryID: String, valid: [String], threshold: Int, rejected: [String])
  /// The study requires registered queries and a bare query was given.
  case unregistered(queryID: String)

  public var description: String {
    switch self {
    case .notApproved(let id, let valid, let threshold, let rejected):
      let who = valid.isEmpty ? "no approver" : valid.joined(separator: ", ")
      let why = rejected.isEmpty ? "" : " (not counted: \(rejected.joined(separator: "; ")))"
      return
        "query '\(id)' is signed by \(who): \(valid.count) of the \(threshold) approvals the "
        + "study requires\(why); collect the missing signatures with `mpc query sign`"
    case .unregistered(let id):
      return
        "query '\(id)' is not registered: this study runs only queries signed by its approvers; "
        + "pass the registered query file (`mpc query sign` writes it) instead of a bare query"
    }
  }
}

extension RegistryError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .notApproved, .unregistered: .manifestMismatch
    }
  }
}

extension QueryRegistry: Codable {
  enum CodingKeys: String, CodingKey, CaseIterable {
    case required
    case approvers
    case threshold
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let c = try decoder.container(keyedBy: CodingKeys.self)
    required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? true
    approvers = try c.decode([Approver].self, forKey: .approvers)
    threshold = try c.decode(Int.self, forKey: .threshold)
    if let issue = validationIssue() { throw issue }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(required, forKey: .required)
    try c.encode(approvers, forKey: .approvers)
    try c.encode(threshold, forKey: .threshold)
  }
}

extension QueryRegistry.Approver: Codable {
  enum CodingKeys: String, CodingKey, CaseIterable {
    case id
    case publicKey = "public_key"
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let c = try decoder.container(keyedBy: CodingKeys.self)
    id = try c.decode(String.self, forKey: .id)
    let text = try c.decode(String.self, forKey: .publicKey)
    guard let key = try? Hex.decode(text), key.count == Ed25519.publicKeySize else {
      throw DecodingError.dataCorruptedError(
        forKey: .publicKey, in: c, debugDescription: "must be 64 hex digits (an Ed25519 public key)"
      )
    }
    publicKey = key
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(Hex.encode(publicKey), forKey: .publicKey)
  }
}
