public import MPCBigInt

/// A privacy cost or budget in one of the two accounting units: pure ε-DP or ρ-zCDP.
/// Exact rationals; JSON form `{"epsilon": "1"}` or `{"rho": "1/2"}`.
public enum PrivacyCost: Sendable, Hashable, Codable, CustomStringConvertible {
  /// Pure ε-differential privacy.
  case pure(epsilon: Rational)
  /// ρ-zero-concentrated differential privacy.
  case zcdp(rho: Rational)

  /// The amount, in this cost's unit.
  public var amount: Rational {
    switch self {
    case .pure(let epsilon): epsilon
    case .zcdp(let rho): rho
    }
  }

  /// `epsilon` or `rho`.
  public var unit: String {
    switch self {
    case .pure: "epsilon"
    case .zcdp: "rho"
    }
  }

  /// The same unit with another amount.
  public func with(amount: Rational) -> PrivacyCost {
    switch self {
    case .pure: .pure(epsilon: amount)
    case .zcdp: .zcdp(rho: amount)
    }
  }

  /// This cost in the unit of `budget`: identical units pass through, ε converts to
  /// ρ = ε²/2 (an ε-DP mechanism is ε²/2-zCDP); ρ into a pure budget is impossible (nil).
  public func converted(toUnitOf budget: PrivacyCost) -> PrivacyCost? {
    switch (self, budget) {
    case (.pure, .pure), (.zcdp, .zcdp): self
    case (.pure(let epsilon), .zcdp): .zcdp(rho: epsilon * epsilon * Rational(1, 2))
    case (.zcdp, .pure): nil
    }
  }

  public var description: String {
    switch self {
    case .pure(let epsilon): "ε = \(epsilon)"
    case .zcdp(let rho): "ρ = \(rho)"
    }
  }

  private enum CodingKeys: String, CodingKey {
    case epsilon
    case rho
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try rejectUnknownKeys(decoder, allowed: ["epsilon", "rho"])
    let epsilon = try container.decodeExactIfPresent(forKey: .epsilon)
    let rho = try container.decodeExactIfPresent(forKey: .rho)
    switch (epsilon, rho) {
    case (let e?, nil): self = .pure(epsilon: e)
    case (nil, let r?): self = .zcdp(rho: r)
    default:
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: decoder.codingPath,
          debugDescription: "give exactly one of 'epsilon' (pure DP) or 'rho' (zCDP)"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .pure(let epsilon): try container.encode(epsilon, forKey: .epsilon)
    case .zcdp(let rho): try container.encode(rho, forKey: .rho)
    }
  }
}
