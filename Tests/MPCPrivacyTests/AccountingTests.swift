import Foundation
import MPCBigInt
import MPCPrivacy
import Testing

@Suite struct AccountingTests {
  /// research-numbers.md: zCDP → (ε, δ) by CKS20, δ = 1e-6, to half a unit of the last digit
  /// given (1e-6 for the 6-decimal values), and never below the rounded reference.
  @Test(arguments: [
    (Rational(1, 2), 5.221534, 1e-6), (Rational(1, 50), 0.899935, 1e-6),
    (Rational(1, 800), 0.205902, 1e-6), (Rational(1, 25), 1.30499, 5e-6),
  ])
  func cksConversion(_ rho: Rational, _ expected: Double, _ tolerance: Double) throws {
    let epsilon = try Accounting.epsilon(rho: rho, delta: 1e-6)
    #expect(abs(epsilon - expected) <= tolerance)
    #expect(epsilon >= expected - tolerance)
  }

  /// The conversion is an upper bound: it is above the value at any fixed α (here a fine grid).
  @Test func conversionIsTheInfimumRoundedUp() throws {
    let rho = 0.02
    let delta = 1e-6
    var best = Double.infinity
    var alpha = 1.001
    while alpha < 2_000 {
      let e =
        alpha * rho + (log(1 / delta) + (alpha - 1) * log1p(-1 / alpha) - log(alpha)) / (alpha - 1)
      best = min(best, e)
      alpha *= 1.0002
    }
    let epsilon = try Accounting.epsilon(rho: Rational(1, 50), delta: delta)
    #expect(epsilon <= best + 1e-9)
    #expect(epsilon >= best - 1e-6)
  }

  @Test func compositionOfPureReleases() throws {
    var total = PrivacyCost.pure(epsilon: 0)
    var asZCDP = PrivacyCost.zcdp(rho: 0)
    for _ in 0..<100 {
      total = total + .pure(epsilon: Rational(1, 10))
      asZCDP = asZCDP + PrivacyCost.pure(epsilon: Rational(1, 10)).asZCDP
    }
    #expect(total == .pure(epsilon: 10))
    #expect(asZCDP == .zcdp(rho: Rational(1, 2)))
    let eps = try asZCDP.epsilon(delta: 1e-6)
    #expect(abs(eps - 5.2215) < 1e-4)
    #expect(Accounting.rho(pureEpsilon: Rational(1, 10)) == Rational(1, 200))
  }

  @Test func budgetComparisonsAndMixing() throws {
    let budget = PrivacyCost.zcdp(rho: Rational(1, 10))
    #expect(try PrivacyCost.zcdp(rho: Rational(1, 10)).fits(in: budget))
    #expect(try !PrivacyCost.zcdp(rho: Rational(101, 1000)).fits(in: budget))
    #expect(try PrivacyCost.pure(epsilon: Rational(2, 5)).fits(in: budget))  // 0.08 ≤ 0.1
    #expect(try !PrivacyCost.pure(epsilon: Rational(1, 2)).fits(in: budget))  // 0.125
    #expect(PrivacyCost.pure(epsilon: 1) + .zcdp(rho: 1) == .zcdp(rho: Rational(3, 2)))
    #expect(throws: PrivacyError.mixedCostKinds("zCDP", "pure-ε budget")) {
      try PrivacyCost.zcdp(rho: 1).fits(in: .pure(epsilon: 1))
    }
    #expect(
      try budget.remaining(after: .pure(epsilon: Rational(2, 5))) == .zcdp(rho: Rational(1, 50)))
    #expect(
      try PrivacyCost.pure(epsilon: 1).remaining(after: .pure(epsilon: 2)) == .pure(epsilon: -1))
    #expect(throws: PrivacyError.self) {
      try PrivacyCost.pure(epsilon: 1).remaining(after: .zcdp(rho: 1))
    }
    let data = try JSONEncoder().encode(PrivacyCost.zcdp(rho: Rational(1, 3)))
    #expect(try JSONDecoder().decode(PrivacyCost.self, from: data) == .zcdp(rho: Rational(1, 3)))
  }

  @Test func conversionErrors() throws {
    #expect(throws: PrivacyError.self) { try Accounting.epsilon(rho: -1, delta: 1e-6) }
    do {
      _ = try Accounting.epsilon(rho: 1, delta: 1.5)
      Issue.record("δ = 1.5 accepted")
    } catch {
      #expect("\(error)" == "invalid delta 1.5: must be in (0, 1)")
    }
    #expect(try Accounting.epsilon(rho: 0, delta: 1e-6) == 0)
  }
}
