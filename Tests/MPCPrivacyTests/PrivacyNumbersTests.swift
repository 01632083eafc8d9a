import MPCBigInt
import MPCPrivacy
import Testing

/// One number rule for ε, δ and ρ in human output (README "Numbers in the output").
@Suite struct PrivacyNumbersTests {
  @Test func epsilonHasFourSignificantDigitsRoundedUp() {
    #expect(PrivacyNumbers.epsilon(2.1419) == "2.142")
    #expect(PrivacyNumbers.epsilon(2.1411) == "2.142")  // up: a bound is never understated
    #expect(PrivacyNumbers.epsilon(2.142) == "2.142")
    #expect(PrivacyNumbers.epsilon(5.221534) == "5.222")
    #expect(PrivacyNumbers.epsilon(0.5) == "0.5")
    #expect(PrivacyNumbers.epsilon(1.0) == "1")
    #expect(PrivacyNumbers.epsilon(13.4649) == "13.47")
    #expect(PrivacyNumbers.epsilon(9.99951) == "10")
    #expect(PrivacyNumbers.epsilon(1234.5) == "1235")
    #expect(PrivacyNumbers.epsilon(0.0012345) == "0.001235")
    #expect(PrivacyNumbers.epsilon(0.000015) == "1.5e-5")
    #expect(PrivacyNumbers.epsilon(12_345_678.0) == "1.235e7")
    #expect(PrivacyNumbers.epsilon(0.0) == "0")
    #expect(PrivacyNumbers.epsilon(.infinity) == "∞")
    #expect(PrivacyNumbers.epsilon(Rational(1, 2)) == "0.5")
    #expect(PrivacyNumbers.epsilon(Rational(2)) == "2")
    // An exact ε is a decimal only when the decimal is exact, else the rational stays.
    #expect(PrivacyNumbers.epsilon(Rational(1, 3)) == "1/3 (≈0.3334)")
    #expect(PrivacyNumbers.epsilon(Rational(1, 8)) == "0.125")
    #expect(PrivacyNumbers.epsilon(Rational(123_457, 100_000)) == "123457/100000 (≈1.235)")
  }

  @Test func deltaIsScientificRoundedUp() {
    #expect(PrivacyNumbers.delta(Rational(1, 1_000_000)) == "1e-6")
    #expect(PrivacyNumbers.delta(1e-6) == "1e-6")
    #expect(PrivacyNumbers.delta(Rational(1, 1_000_000_000)) == "1e-9")
    #expect(PrivacyNumbers.delta(3.21e-25) == "3.3e-25")
    #expect(PrivacyNumbers.delta(2.5e-7) == "2.5e-7")
    #expect(PrivacyNumbers.delta(Rational(1, 20)) == "5e-2")
    #expect(PrivacyNumbers.delta(0.0) == "0")
  }

  /// ρ stated exactly stays exact: a long rational keeps every digit, with a rounded-up
  /// decimal beside it marked ≈.
  @Test func rhoIsTheExactRationalAndALongOneKeepsItsDigits() {
    #expect(PrivacyNumbers.rho(Rational(1, 10)) == "1/10")
    #expect(PrivacyNumbers.rho(Rational(7, 20)) == "7/20")
    #expect(PrivacyNumbers.rho(Rational(10)) == "10")
    #expect(PrivacyNumbers.rho(Rational(0)) == "0")
    #expect(PrivacyNumbers.rho(Rational(123_456_789, 987_654_321)) == "13717421/109739369 (≈0.125)")
    #expect(
      PrivacyNumbers.rho(Rational(123_456_789, 1_000_000_000)) == "123456789/1000000000 (≈0.1235)")
    #expect(PrivacyNumbers.rho(Rational(1, 3_000_000_000_000)) == "1/3000000000000 (≈3.334e-13)")
  }

  /// A ρ that is an upper bound (`ρ ≤ …`) is one number: the rational when short, else 4
  /// significant digits rounded up, never below it and never marked ≈.
  @Test func rhoBoundIsOneNumberRoundedUp() throws {
    #expect(PrivacyNumbers.rhoBound(Rational(1, 25)) == "1/25")
    let plan = Rational(40_000_000_077, 2_000_000_000_000)  // `privacy plan --sigma 5`, k = 10
    #expect(PrivacyNumbers.rhoBound(plan) == "0.02001")
    for x in [plan, Rational(123_456_789, 987_654_321), Rational(1, 3_000_000_000_000)] {
      let text = PrivacyNumbers.rhoBound(x)
      #expect(!text.contains("≈") && !text.contains("/"), "\(text)")
      let shown = try #require(Double(text))
      #expect(Rational(exactly: shown) >= x, "\(text) below \(x)")
    }
  }
}
