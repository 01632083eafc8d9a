import Foundation
import MPCBigInt
import MPCPrivacy
import MPCProtocol

/// The one rule for ε, δ and ρ in human output (README "Numbers in the output"); every command
/// prints them through here. JSON keeps its own exact forms (rationals as strings, ε as a
/// number).
///
/// - ε: 4 significant digits, rounded up (a bound is never understated): `2.142`, `0.5`,
///   `13.47`; scientific beyond 10^7 or below 10^−4 (`1.5e-5`); `∞` when it is not finite.
/// - δ: scientific with at most 2 significant digits, rounded up: `1e-6`, `3.3e-25`; `0`.
/// - ρ (and any budget amount): the exact rational when short (at most 12 characters: `1/10`,
///   `7/20`, `10`), else `≈` and 4 significant digits rounded up (`≈0.3334`).
enum PrivacyNumbers {
  static func epsilon(_ x: Double) -> String {
    guard x.isFinite else { return x < 0 ? "-∞" : "∞" }
    guard let d = Decimal4(x, digits: 4, roundUp: true) else { return "0" }
    return (-4..<7).contains(d.exponent) ? d.plain : d.scientific
  }

  static func epsilon(_ x: Rational) -> String {
    let text = x.description
    if text.count <= shortRational, !text.contains("/") { return text }
    guard let d = Decimal4(Double(x), digits: 4, roundUp: true, exact: x) else { return "0" }
    return (-4..<7).contains(d.exponent) ? d.plain : d.scientific
  }

  static func delta(_ x: Double) -> String {
    guard x.isFinite else { return "∞" }
    guard let d = Decimal4(x, digits: 2, roundUp: true) else { return "0" }
    return d.scientific
  }

  static func delta(_ x: Rational) -> String {
    guard let d = Decimal4(Double(x), digits: 2, roundUp: true, exact: x) else { return "0" }
    return d.scientific
  }

  static let shortRational = 12

  static func rho(_ x: Rational) -> String {
    let text = x.description
    if text.count <= shortRational { return text }
    guard let d = Decimal4(Double(x), digits: 4, roundUp: true, exact: x) else { return "0" }
    return "≈" + ((-4..<7).contains(d.exponent) ? d.plain : d.scientific)
  }

  /// "δ = 1e-6", or "δ = 1e-6 + 3.3e-25 (Gaussian table)" with table draws (both rounded up).
  static func deltaText(_ p: PrivacyStatement) -> String {
    guard p.tableDelta.signum > 0 else { return "δ = \(delta(p.studyDelta))" }
    return "δ = \(delta(p.studyDelta)) + \(delta(p.tableDelta)) (Gaussian table)"
  }

  /// A positive finite number as `digits` significant decimal digits and an exponent:
  /// value = d₀.d₁d₂… × 10^exponent (trailing zeros dropped).
  struct Decimal4 {
    var digits: String
    var exponent: Int
    var negative: Bool

    /// `x` rounded to `n` digits; with `roundUp`, never below `exact` (when given) or `x`.
    init?(_ x: Double, digits n: Int, roundUp: Bool, exact: Rational? = nil) {
      guard x != 0, x.isFinite else { return nil }
      negative = x < 0
      let magnitude = abs(x)
      // "%.{n-1}e" rounds to nearest: "2.142e+00".
      let text = String(format: "%.\(n - 1)e", magnitude)
      let parts = text.split(separator: "e")
      guard parts.count == 2, var exp = Int(parts[1]) else { return nil }
      var mantissa = Int(parts[0].replacingOccurrences(of: ".", with: "")) ?? 0
      // Rounded up (of the magnitude: a bound is never shown below its value).
      if roundUp,
        Self.below(mantissa: mantissa, exponent: exp - (n - 1), x: magnitude, exact: exact)
      {
        mantissa += 1
        if String(mantissa).count > n {
          mantissa /= 10
          exp += 1
        }
      }
      var s = String(mantissa)
      while s.count > 1, s.hasSuffix("0") { s.removeLast() }
      self.digits = s
      exponent = exp
    }

    /// Whether mantissa × 10^exponent is below |exact| (exactly), or below x without it.
    static func below(mantissa: Int, exponent: Int, x: Double, exact: Rational?) -> Bool {
      guard let exact else {
        return (Double("\(mantissa)e\(exponent)") ?? 0) < x
      }
      let power = BigInt("1" + String(repeating: "0", count: abs(exponent))) ?? BigInt(1)
      let shown =
        exponent >= 0
        ? Rational(BigInt(mantissa) * power)
        : ((try? Rational(BigInt(mantissa), power)) ?? Rational(0))
      let magnitude = exact.signum < 0 ? Rational(0) - exact : exact
      return shown < magnitude
    }

    /// `13.47`, `0.0015`, `2000`.
    var plain: String {
      let sign = negative ? "-" : ""
      if exponent >= 0 {
        let whole = digits.count > exponent + 1
        let integer =
          whole
          ? String(digits.prefix(exponent + 1))
          : digits + String(repeating: "0", count: exponent + 1 - digits.count)
        let fraction = whole ? "." + digits.dropFirst(exponent + 1) : ""
        return sign + integer + fraction
      }
      return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits
    }

    /// `1e-6`, `3.3e-25`, `1.5e7`.
    var scientific: String {
      let sign = negative ? "-" : ""
      let rest = digits.dropFirst()
      return sign + String(digits.prefix(1)) + (rest.isEmpty ? "" : "." + rest) + "e\(exponent)"
    }
  }
}
