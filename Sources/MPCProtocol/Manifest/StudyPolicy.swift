public import MPCBigInt
public import MPCPrivacy

/// A study's policy (DESIGN §8, `protocols/manifest.md` "Policy"): the parameter standards of
/// its sensitivity tier, checked by every party before anything is charged, and the output
/// rules applied to released noisy values as post-processing. Part of the study file, so of
/// the study hash. Every rule is optional; an absent rule allows everything.
public struct StudyPolicy: Sendable, Hashable {
  /// A name for the data's sensitivity tier (`"high"`), shown in refusals and reports.
  public var tier: String?
  /// The largest cost of one query, in ε or ρ (a ρ limit also bounds ε queries by ε²/2).
  public var maxQueryCost: PrivacyCost?
  /// The largest total budget a study of this tier may have.
  public var maxTotal: PrivacyCost?
  /// The mechanisms allowed (nil: both).
  public var mechanisms: Set<Mechanism>?
  /// The neighbour relations allowed (nil: both).
  public var neighbours: Set<NeighbourRelation>?
  /// The largest δ the study may report (ε, δ) with: a tier's "δ at most".
  public var maxDelta: Rational?
  /// The least number of sites one person must be assumed to appear at: a tier may require
  /// the conservative assumption (a larger `max_sites_per_person` multiplies the noise).
  public var minSitesPerPerson: Int?
  /// The least k = n − t (parties whose noise alone must meet the target).
  public var minHonest: Int?
  /// Post-processing of released values.
  public var output: OutputRules

  /// Output rules: applied, in this order, to every noisy value before it is shown, stored in
  /// the release log or exported; they cost nothing (post-processing) and are reported with
  /// the result.
  public struct OutputRules: Sendable, Hashable {
    /// Round every released value to the nearest multiple of this (ties away from zero).
    public var roundTo: Int?
    /// Show noisy counts (counts, histogram bins, a mean's count) below this as suppressed.
    public var suppressBelow: Int?

    /// Output rules.
    public init(roundTo: Int? = nil, suppressBelow: Int? = nil) {
      self.roundTo = roundTo
      self.suppressBelow = suppressBelow
    }

    /// Whether any rule is set.
    public var isEmpty: Bool { roundTo == nil && suppressBelow == nil }

    /// One released value after the rules: nil when suppressed.
    public func apply(_ value: BigInt, isCount: Bool) -> BigInt? {
      var v = value
      if let m = roundTo, m > 1 {
        let step = BigInt(m)
        let twice = v * 2
        // Nearest multiple, ties away from zero: floor((2v + m) / 2m)·m for v ≥ 0.
        let magnitude = twice < 0 ? -twice : twice
        var q = (magnitude + step) / (step * 2)
        if twice < 0 { q = -q }
        v = q * step
      }
      if isCount, let threshold = suppressBelow, v < BigInt(threshold) { return nil }
      return v
    }

    /// A released value with its interval after the rules (post-processing: free of privacy
    /// cost), or nil when suppressed. The value is rounded to the nearest multiple; the
    /// interval is widened outward to multiples (lower down, upper up), so it still covers
    /// whatever the unrounded interval covered; `raw` becomes the post-processed value (the
    /// value before the rules is not released). A count is suppressed when its rounded value
    /// is below `suppress_below`.
    public func release(_ v: ReleasedValue, isCount: Bool) -> ReleasedValue? {
      guard let value = apply(v.value, isCount: isCount) else { return nil }
      var out = v
      out.value = value
      out.raw = value
      if let m = roundTo, m > 1 {
        let step = BigInt(m)
        out.lower = Self.floor(v.lower, step) * step
        out.upper = -Self.floor(-v.upper, step) * step
      }
      return out
    }

    /// Every value of `component` after the rules (nil: suppressed); a component clamped at
    /// zero holds counts (a count, histogram bins, a mean's count).
    public func release(_ component: ReleasedComponent) -> [ReleasedValue?] {
      component.values.map { release($0, isCount: component.clampAtZero) }
    }

    /// ⌊a / m⌋ for m > 0.
    static func floor(_ a: BigInt, _ m: BigInt) -> BigInt {
      let q = a / m
      return (q * m > a) ? q - 1 : q
    }

    /// The rules in words, for output and reports ("rounded to a multiple of 10; counts below
    /// 5 suppressed").
    public var summary: String {
      var parts: [String] = []
      if let m = roundTo { parts.append("rounded to a multiple of \(m)") }
      if let s = suppressBelow { parts.append("noisy counts below \(s) suppressed") }
      return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }
  }

  /// A policy.
  public init(
    tier: String? = nil, maxQueryCost: PrivacyCost? = nil, maxTotal: PrivacyCost? = nil,
    mechanisms: Set<Mechanism>? = nil, neighbours: Set<NeighbourRelation>? = nil,
    maxDelta: Rational? = nil, minSitesPerPerson: Int? = nil, minHonest: Int? = nil,
    output: OutputRules = OutputRules()
  ) {
    self.tier = tier
    self.maxQueryCost = maxQueryCost
    self.maxTotal = maxTotal
    self.mechanisms = mechanisms
    self.neighbours = neighbours
    self.maxDelta = maxDelta
    self.minSitesPerPerson = minSitesPerPerson
    self.minHonest = minHonest
    self.output = output
  }

  private var tierName: String { tier.map { "the '\($0)' tier" } ?? "the study policy" }

  /// The study-level rules: the study's own parameters against its policy. Returns the first
  /// broken rule as (field path, problem) for a located manifest error.
  func studyViolation(
    budget: PrivacyCost, neighbour: NeighbourRelation, delta: Rational?, maxSites: Int,
    honest: Int
  ) -> (field: String, problem: String)? {
    if let maxTotal, !(Self.atMost(budget, maxTotal)) {
      return ("budget", "the budget \(budget) exceeds \(tierName)'s largest total \(maxTotal)")
    }
    if let neighbours, !neighbours.contains(neighbour) {
      let allowed = neighbours.map(\.rawValue).sorted().joined(separator: ", ")
      return ("neighbour", "\(tierName) allows \(allowed), not \(neighbour.rawValue)")
    }
    if let maxDelta {
      guard let delta else { return ("delta", "\(tierName) requires δ ≤ \(maxDelta); set delta") }
      if delta > maxDelta { return ("delta", "δ = \(delta) is above \(tierName)'s \(maxDelta)") }
    }
    if let minSitesPerPerson, maxSites < minSitesPerPerson {
      return (
        "max_sites_per_person",
        "\(tierName) requires assuming a person at up to \(minSitesPerPerson) sites, not \(maxSites)"
      )
    }
    if let minHonest, honest < minHonest {
      return (
        "colluders",
        "\(tierName) requires k = n − t ≥ \(minHonest) honest parties; this study has \(honest)"
      )
    }
    return nil
  }

  /// The query-level rules, checked by every party before the hello (nothing sent, nothing
  /// charged); throws ``PolicyError/violated(rule:problem:)`` naming the rule.
  public func check(query: QueryManifest, cost: PrivacyCost) throws {
    if let mechanisms, !mechanisms.contains(query.mechanism) {
      let allowed = mechanisms.map(\.rawValue).sorted().joined(separator: ", ")
      throw PolicyError.violated(
        rule: "policy.mechanisms",
        problem:
          "\(tierName) allows \(allowed); query '\(query.id)' uses \(query.mechanism.rawValue)")
    }
    if let maxQueryCost, !Self.atMost(cost, maxQueryCost) {
      throw PolicyError.violated(
        rule: "policy.max_query_cost",
        problem:
          "query '\(query.id)' costs \(cost), above \(tierName)'s largest per query, "
          + "\(maxQueryCost); lower its epsilon or rho to at most that")
    }
  }

  /// Whether `cost` ≤ `limit`, comparing a pure ε with a ρ limit through ρ = ε²/2 (the
  /// zCDP an ε-DP mechanism satisfies); a ρ cost never passes an ε limit.
  static func atMost(_ cost: PrivacyCost, _ limit: PrivacyCost) -> Bool {
    switch (cost, limit) {
    case (.pure(let e), .pure(let l)): e <= l
    case (.zcdp(let r), .zcdp(let l)): r <= l
    case (.pure(let e), .zcdp(let l)): e * e / 2 <= l
    case (.zcdp, .pure): false
    }
  }

  /// The canonical record (`protocols/manifest.md` §4): absent rules are absent keys.
  public var canonical: CanonicalValue {
    var r: [String: CanonicalValue] = [:]
    if let tier { r["tier"] = .string(tier) }
    if let maxQueryCost { r["max_query_cost"] = maxQueryCost.canonical }
    if let maxTotal { r["max_total"] = maxTotal.canonical }
    if let mechanisms {
      r["mechanisms"] = .list(mechanisms.map(\.rawValue).sorted().map { .string($0) })
    }
    if let neighbours {
      r["neighbours"] = .list(neighbours.map(\.rawValue).sorted().map { .string($0) })
    }
    if let maxDelta { r["max_delta"] = .rational(maxDelta) }
    if let minSitesPerPerson { r["min_sites_per_person"] = .integer(BigInt(minSitesPerPerson)) }
    if let minHonest { r["min_honest"] = .integer(BigInt(minHonest)) }
    if let m = output.roundTo { r["round_to"] = .integer(BigInt(m)) }
    if let s = output.suppressBelow { r["suppress_below"] = .integer(BigInt(s)) }
    return .record(r)
  }
}

/// A query that breaks the study's policy, refused at every party before anything is charged.
public enum PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `rule` is the policy key (`policy.max_query_cost`).
  case violated(rule: String, problem: String)

  public var description: String {
    switch self {
    case .violated(let rule, let problem): "refused by \(rule): \(problem)"
    }
  }
}

extension PolicyError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .violated: .manifestMismatch
    }
  }
}

extension StudyPolicy: Codable {
  enum CodingKeys: String, CodingKey, CaseIterable {
    case tier
    case maxQueryCost = "max_query_cost"
    case maxTotal = "max_total"
    case mechanisms
    case neighbours
    case maxDelta = "max_delta"
    case minSitesPerPerson = "min_sites_per_person"
    case minHonest = "min_honest"
    case roundTo = "round_to"
    case suppressBelow = "suppress_below"
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func choices<T: RawRepresentable & CaseIterable & Hashable>(_ key: CodingKeys) throws -> Set<T>?
    where T.RawValue == String {
      guard let names = try c.decodeIfPresent([String].self, forKey: key) else { return nil }
      var out = Set<T>()
      for name in names {
        guard let value = T(rawValue: name) else {
          let allowed = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
          throw DecodingError.dataCorruptedError(
            forKey: key, in: c, debugDescription: "'\(name)' is not one of \(allowed)")
        }
        out.insert(value)
      }
      if out.isEmpty {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c, debugDescription: "an empty list would refuse every query")
      }
      return out
    }
    func positive(_ key: CodingKeys) throws -> Int? {
      guard let v = try c.decodeIfPresent(Int.self, forKey: key) else { return nil }
      guard v >= 1 else {
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be ≥ 1")
      }
      return v
    }
    tier = try c.decodeIfPresent(String.self, forKey: .tier)
    maxQueryCost = try c.decodeIfPresent(PrivacyCost.self, forKey: .maxQueryCost)
    maxTotal = try c.decodeIfPresent(PrivacyCost.self, forKey: .maxTotal)
    mechanisms = try choices(.mechanisms)
    neighbours = try choices(.neighbours)
    maxDelta = try c.decodeExactIfPresent(forKey: .maxDelta)
    minSitesPerPerson = try positive(.minSitesPerPerson)
    minHonest = try positive(.minHonest)
    output = OutputRules(
      roundTo: try positive(.roundTo), suppressBelow: try positive(.suppressBelow))
    if let d = maxDelta, !(d > 0 && d < 1) {
      throw ManifestIssue(field: "policy.max_delta", problem: "must be in (0, 1)")
    }
    for (key, cost) in [("max_query_cost", maxQueryCost), ("max_total", maxTotal)] {
      if let cost, !(cost.amount > 0) {
        throw ManifestIssue(field: "policy.\(key)", problem: "must be positive")
      }
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodeIfPresent(tier, forKey: .tier)
    try c.encodeIfPresent(maxQueryCost, forKey: .maxQueryCost)
    try c.encodeIfPresent(maxTotal, forKey: .maxTotal)
    try c.encodeIfPresent(mechanisms.map { $0.map(\.rawValue).sorted() }, forKey: .mechanisms)
    try c.encodeIfPresent(neighbours.map { $0.map(\.rawValue).sorted() }, forKey: .neighbours)
    try c.encodeIfPresent(maxDelta.map(\.description), forKey: .maxDelta)
    try c.encodeIfPresent(minSitesPerPerson, forKey: .minSitesPerPerson)
    try c.encodeIfPresent(minHonest, forKey: .minHonest)
    try c.encodeIfPresent(output.roundTo, forKey: .roundTo)
    try c.encodeIfPresent(output.suppressBelow, forKey: .suppressBelow)
  }
}
