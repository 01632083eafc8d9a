import Foundation
public import MPCBigInt
import MPCPrivacy

/// `"epsilon"` on a Gaussian query means (ε, δ)-DP at the study's δ (`protocols/manifest.md`,
/// "Mechanism and cost"): the query is charged the largest ρ on a fixed grid whose CKS20 ε at δ
/// is at most the given ε.
public enum GaussianEpsilon {
  /// The δ a study's Gaussian queries are stated at: its `delta`, or 10^−6 when absent (the
  /// same default the run plan reports with).
  public static func delta(of study: StudyManifest) -> Rational {
    study.delta ?? Rational(1, 1_000_000)
  }

  /// The largest ρ of the search below with ε(ρ, δ) ≤ `epsilon`, where ε(ρ, δ) is MPCPrivacy's
  /// `Accounting.epsilon(rho:delta:)` (an upper bound on the CKS20 conversion) compared with
  /// `epsilon` exactly, at δ rounded down to a binary64 (a smaller δ only raises ε):
  ///
  /// 1. h = ε²/2; while ε(h, δ) ≤ ε, h = 2h (at most 64 times);
  /// 2. lo = 0, hi = h; 64 times: mid = (lo + hi)/2, lo = mid if ε(mid, δ) ≤ ε else hi = mid;
  /// 3. ρ = lo rounded down to 6 significant decimal digits (c·10^e, 10^5 ≤ c < 10^6), then
  ///    lowered by 10^e while ε(ρ, δ) > ε (the conversion is increasing in ρ, so this is only a
  ///    guard against rounding in the minimisation).
  ///
  /// Every party computes this from the manifests alone; the six-digit grid keeps the ledger's
  /// rational short.
  public static func rho(forEpsilon epsilon: Rational, delta: Rational) throws -> Rational {
    guard epsilon.signum > 0 else {
      throw PrivacyError.invalidParameter(
        field: "epsilon", value: epsilon.description, requirement: "must be > 0")
    }
    guard delta.signum > 0, delta < 1 else {
      throw PrivacyError.invalidParameter(
        field: "delta", value: delta.description, requirement: "must be in (0, 1)")
    }
    var d = Double(delta)
    if Rational(exactly: d) > delta { d = d.nextDown }
    func meets(_ rho: Rational) throws -> Bool {
      Rational(exactly: try Accounting.epsilon(rho: rho, delta: d)) <= epsilon
    }
    var hi = epsilon * epsilon / 2
    var doublings = 0
    while try meets(hi) {
      doublings += 1
      guard doublings <= 64 else {
        throw PrivacyError.invalidParameter(
          field: "epsilon", value: epsilon.description,
          requirement: "no ρ found: the (ε, δ) conversion stays below ε")
      }
      hi = hi * 2
    }
    var lo = Rational(0)
    for _ in 0..<64 {
      let mid = (lo + hi) / 2
      if try meets(mid) { lo = mid } else { hi = mid }
    }
    guard lo.signum > 0 else {
      throw PrivacyError.invalidParameter(
        field: "epsilon", value: epsilon.description,
        requirement: "too small for any ρ at δ = \(delta)")
    }
    // Six significant digits, rounded down.
    let e = Int(log10(Double(lo)).rounded(.down)) - 5
    let unit =
      e >= 0
      ? Rational(BigInt(10).power(e)) : try Rational(BigInt(1), BigInt(10).power(-e))
    var steps = (lo / unit).floor
    var rho = Rational(steps) * unit
    while steps > 0, try !meets(rho) {
      steps -= 1
      rho = Rational(steps) * unit
    }
    guard rho.signum > 0 else {
      throw PrivacyError.invalidParameter(
        field: "epsilon", value: epsilon.description,
        requirement: "too small for any ρ at δ = \(delta)")
    }
    return rho
  }
}
