import Foundation
public import MPCBigInt

/// A privacy cost charged to a budget: pure ε-DP or ρ-zCDP, exact rationals.
/// JSON form: `{"epsilon": "1"}` or `{"rho": "1/2"}` (exact rationals as strings, or integers).
public enum PrivacyCost: Codable, Sendable, Hashable, CustomStringConvertible {
  /// Pure ε-differential privacy.
  case pure(epsilon: Rational)
  /// ρ-zero-concentrated differential privacy.
  case zcdp(rho: Rational)

  /// The cost of nothing, of the same kind as `self`.
  public var zero: PrivacyCost {
    switch self {
    case .pure: return .pure(epsilon: .zero)
    case .zcdp: return .zcdp(rho: .zero)
    }
  }

  /// The cost as zCDP: pure ε is ε²/2-zCDP (BS16 Prop. 1.4); exact.
  public var asZCDP: PrivacyCost {
    switch self {
    case .pure(let epsilon): return .zcdp(rho: epsilon * epsilon / 2)
    case .zcdp: return self
    }
  }

  /// Sequential composition: ε add, ρ add; a pure cost and a zCDP cost add as zCDP.
  public static func + (lhs: PrivacyCost, rhs: PrivacyCost) -> PrivacyCost {
    switch (lhs, rhs) {
    case (.pure(let a), .pure(let b)): return .pure(epsilon: a + b)
    case (.zcdp(let a), .zcdp(let b)): return .zcdp(rho: a + b)
    default:
      guard case .zcdp(let a) = lhs.asZCDP, case .zcdp(let b) = rhs.asZCDP else {
        preconditionFailure("asZCDP always returns .zcdp")
      }
      return .zcdp(rho: a + b)
    }
  }

  /// Whether `self` fits in `budget`: same kind compared exactly; a pure cost against a zCDP
  /// budget is compared as ε²/2; a zCDP cost never fits a pure budget (it throws).
  public func fits(in budget: PrivacyCost) throws -> Bool {
    switch (self, budget) {
    case (.pure(let a), .pure(let b)): return a <= b
    case (.zcdp(let a), .zcdp(let b)): return a <= b
    case (.pure(let a), .zcdp(let b)): return a * a / 2 <= b
    case (.zcdp, .pure): throw PrivacyError.mixedCostKinds("zCDP", "pure-ε budget")
    }
  }

  /// What remains of the budget `self` after spending `spent` (exact; may be negative when
  /// overspent). A pure cost spent from a zCDP budget counts as ε²/2; a zCDP cost cannot be
  /// taken from a pure budget (it throws).
  public func remaining(after spent: PrivacyCost) throws -> PrivacyCost {
    switch (self, spent) {
    case (.pure(let a), .pure(let b)): return .pure(epsilon: a - b)
    case (.zcdp(let a), .zcdp(let b)): return .zcdp(rho: a - b)
    case (.zcdp(let a), .pure(let b)): return .zcdp(rho: a - b * b / 2)
    case (.pure, .zcdp): throw PrivacyError.mixedCostKinds("zCDP", "pure-ε budget")
    }
  }

  /// (ε, δ)-DP implied by this cost: pure ε is (ε, 0); ρ-zCDP by ``Accounting/epsilon(rho:delta:)``.
  public func epsilon(delta: Double) throws -> Double {
    switch self {
    case .pure(let epsilon): return Double(epsilon).nextUp
    case .zcdp(let rho): return try Accounting.epsilon(rho: rho, delta: delta)
    }
  }

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
    case (.pure, .zcdp): asZCDP
    case (.zcdp, .pure): nil
    }
  }

  /// A one-line human description.
  public var description: String {
    switch self {
    case .pure(let epsilon): return "ε = \(epsilon)"
    case .zcdp(let rho): return "ρ = \(rho) (zCDP)"
    }
  }
}

/// Conversions between privacy notions (protocols/noise.md §6). Charged quantities are exact
/// rationals; the (ε, δ) conversion is reported as a `Double` rounded up.
public enum Accounting {
  /// The ε of the tight zCDP → (ε, δ) conversion (CKS20 Cor. 13): the infimum over α > 1 of
  /// αρ + (ln(1/δ) + (α − 1)·ln(1 − 1/α) − ln α)/(α − 1). Every α gives a valid ε, so the
  /// minimiser is found numerically and the value at it is rounded up by a bound on the
  /// floating-point error: the result is never below the exact conversion.
  public static func epsilon(rho: Rational, delta: Double) throws -> Double {
    guard rho.signum >= 0 else {
      throw PrivacyError.invalidParameter(
        field: "rho", value: rho.description, requirement: "must be ≥ 0")
    }
    guard delta > 0, delta < 1 else {
      throw PrivacyError.invalidParameter(
        field: "delta", value: "\(delta)", requirement: "must be in (0, 1)")
    }
    if rho.isZero { return 0 }
    // ρ rounded up to a Double, so the bound holds for the exact ρ.
    var r = Double(rho)
    if Rational(exactly: r) < rho { r = r.nextUp }
    let logInverseDelta = -log(delta)
    func value(_ alpha: Double) -> (value: Double, errorBound: Double) {
      let am1 = alpha - 1
      let terms = [
        alpha * r, logInverseDelta / am1, log1p(-1 / alpha), -log(alpha) / am1,
      ]
      let sum = terms.reduce(0, +)
      let magnitude = terms.reduce(0) { $0 + abs($1) }
      return (sum, magnitude * 1e-13 + Double.leastNormalMagnitude)
    }
    // Golden-section search on ln(α − 1) ∈ [−30, 30]: the objective is unimodal there.
    var a = -30.0
    var b = 30.0
    let g = (sqrt(5.0) - 1) / 2
    var c = b - g * (b - a)
    var d = a + g * (b - a)
    for _ in 0..<200 {
      if value(1 + exp(c)).value < value(1 + exp(d)).value {
        b = d
      } else {
        a = c
      }
      c = b - g * (b - a)
      d = a + g * (b - a)
    }
    let best = value(1 + exp((a + b) / 2))
    return max(0, (best.value + best.errorBound).nextUp)
  }

  /// The smallest zCDP ρ equivalent to pure ε for composition: ε²/2 (exact).
  public static func rho(pureEpsilon epsilon: Rational) -> Rational {
    epsilon * epsilon / 2
  }
}

extension Rational {
  /// The exact value of a finite `Double` (every binary64 value is a dyadic rational).
  public init(exactly value: Double) {
    precondition(value.isFinite)
    if value == 0 {
      self = .zero
      return
    }
    // |value| = m·2^(e − 52) with the integer m = significand·2^52 (exact, also subnormal).
    let exponent = Int(value.exponent) - 52
    let significand = BigInt(UInt64(value.magnitude.significand * 0x1p52))
    let signed = value < 0 ? -significand : significand
    if exponent >= 0 {
      self = Rational(signed << exponent)
    } else {
      self = try! Rational(signed, BigInt(1) << -exponent)  // denominator > 0
    }
  }
}

// MARK: - JSON form

extension PrivacyCost {
  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    for key in container.allKeys where key.stringValue != "epsilon" && key.stringValue != "rho" {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: container, debugDescription: "unknown field; allowed here: epsilon, rho")
    }
    func exact(_ name: String) throws -> Rational? {
      let key = Key(stringValue: name)
      guard container.contains(key) else { return nil }
      if let integer = try? container.decode(Int.self, forKey: key) { return Rational(integer) }
      guard let text = try? container.decode(String.self, forKey: key) else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: container,
          debugDescription: "expected an exact number as a string such as \"0.5\" or \"1/2\"")
      }
      do {
        return try Rational(parsing: text)
      } catch {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: container, debugDescription: String(describing: error))
      }
    }
    switch (try exact("epsilon"), try exact("rho")) {
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
    var container = encoder.container(keyedBy: Key.self)
    switch self {
    case .pure(let epsilon): try container.encode(epsilon, forKey: Key(stringValue: "epsilon"))
    case .zcdp(let rho): try container.encode(rho, forKey: Key(stringValue: "rho"))
    }
  }
}
