import Foundation
public import MPCBigInt

/// The one rule for ε, δ and ρ in human output (README "Numbers in the output"); every command
/// of `mpc`, and `PrivacyStatement.deltaText` of MPCProtocol, prints them through here. JSON
/// keeps its own exact forms (rationals as strings, ε as a number).
///
/// - ε: 4 significant digits, rounded up (a bound is never understated): `2.142`, `0.5`,
///   `13.47`; scientific beyond 10^7 or below 10^−4 (`1.5e-5`); `∞` when it is not finite. An
///   exact ε (a rational someone asked for) is a decimal only when that decimal is exact
///   (`0.5`); else the rational with its rounded-up decimal beside it (`1/3 (≈0.3334)`).
/// - δ: scientific with at most 2 significant digits, rounded up: `1e-6`, `3.3e-25`; `0`.
/// - ρ (and any budget amount), a value stated exactly: the rational, alone when short (at most
///   12 characters: `1/10`, `7/20`, `10`), else with its rounded-up decimal beside it
///   (`123456789/987654321 (≈0.125)`): never shortened to a lossy form.
/// - A ρ that is itself an upper bound (`ρ ≤ …`): the rational when short, else 4 significant
///   digits rounded up (`0.02001`), which is still a bound.
public enum PrivacyNumbers {
  public static func epsilon(_ x: Double) -> String {
    guard x.isFinite else { return x < 0 ? "-∞" : "∞" }
    guard let d = Decimal4(x, digits: 4, roundUp: true) else { return "0" }
    return d.text
  }

  /// An exact ε: `0.5`, `2`, `1/3 (≈0.3334)`.
  public static func epsilon(_ x: Rational) -> String {
    let text = x.description
    if !text.contains("/") { return text }
    guard let d = Decimal4(Double(x), digits: 4, roundUp: true, exact: x) else { return "0" }
    return d.value == x ? d.text : "\(text) (≈\(d.text))"
  }

  public static func delta(_ x: Double) -> String {
    guard x.isFinite else { return "∞" }
    guard let d = Decimal4(x, digits: 2, roundUp: true) else { return "0" }
    return d.scientific
  }

  public static func delta(_ x: Rational) -> String {
    guard let d = Decimal4(Double(x), digits: 2, roundUp: true, exact: x) else { return "0" }
    return d.scientific
  }

  /// A rational up to this many characters is shown alone.
  public static let shortRational = 12

  /// An exact ρ or budget amount: `1/10`, `123456789/987654321 (≈0.125)`.
  public static func rho(_ x: Rational) -> String {
    let text = x.description
    if text.count <= shortRational { return text }
    guard let d = Decimal4(Double(x), digits: 4, roundUp: true, exact: x) else { return text }
    return "\(text) (≈\(d.text))"
  }

  /// A ρ that is an upper bound, for `ρ ≤ …`: `1/10`, or `0.02001` (rounded up, so still a
  /// bound) for a long rational.
  public static func rhoBound(_ x: Rational) -> String {
    let text = x.description
    if text.count <= shortRational { return text }
    guard let d = Decimal4(Double(x), digits: 4, roundUp: true, exact: x) else { return text }
    return d.text
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
      let shown = decimal(BigInt(mantissa), exponent: exponent)
      let magnitude = exact.signum < 0 ? Rational(0) - exact : exact
      return shown < magnitude
    }

    /// Plain between 10^−4 and 10^7, else scientific.
    var text: String { (-4..<7).contains(exponent) ? plain : scientific }

    /// The number shown, exactly.
    var value: Rational {
      let shown = Self.decimal(BigInt(Int(digits) ?? 0), exponent: exponent - (digits.count - 1))
      return negative ? Rational(0) - shown : shown
    }

    /// mantissa × 10^exponent.
    static func decimal(_ mantissa: BigInt, exponent: Int) -> Rational {
      let power = BigInt("1" + String(repeating: "0", count: abs(exponent))) ?? BigInt(1)
      return exponent >= 0
        ? Rational(mantissa * power) : ((try? Rational(mantissa, power)) ?? Rational(0))
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
