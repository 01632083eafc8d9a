import Foundation
import MPCBigInt
import MPCCrypto
import Testing
import _MPCTestSupport

@testable import MPCPrivacy

@Suite struct GaussianTableTests {
  /// exp(−r) is bracketed tightly: lo ≤ 2^p·e^{−r} ≤ hi, hi − lo tiny.
  @Test(arguments: [
    Rational(0), Rational(1, 3), Rational(1), Rational(9, 4), Rational(50),
    Rational(1, 200_000_000),
  ])
  func expMinusBrackets(_ r: Rational) {
    let p = 128
    let (lo, hi) = VerifiedMath.expMinus(r, precision: p)
    #expect(lo <= hi)
    #expect(hi - lo <= 8)
    let scale = pow(2.0, Double(p))
    let truth = exp(-Double(r))
    #expect(Double(lo) / scale <= truth * (1 + 1e-15))
    #expect(Double(hi) / scale >= truth * (1 - 1e-15))
    if r.isZero { #expect(lo == BigInt(1) << p && hi == BigInt(1) << p) }
  }

  /// The shortcut for r ≥ 2p returns exactly what the full bracket computes there.
  @Test(arguments: [64, 128, 192])
  func expMinusShortcutMatchesTheBracket(p: Int) {
    let values = [
      Rational(2 * p), Rational(2 * p) + Rational(1, 7), Rational(3 * p), Rational(10_000),
      Rational(52_359_877, 3),
    ]
    for r in values {
      let full = VerifiedMath.bracket(r, precision: p)
      #expect(full.lo == 0 && full.hi == 1, "r = \(r)")
      #expect(VerifiedMath.expMinus(r, precision: p) == full, "r = \(r)")
    }
    // Just below the threshold the full algorithm still runs, and agrees with itself.
    let below = Rational(2 * p) - Rational(1, 3)
    #expect(VerifiedMath.expMinus(below, precision: p) == VerifiedMath.bracket(below, precision: p))
  }

  /// exp(−1) to 30 digits: 0.367879441171442321595523770161.
  @Test func expMinusOneDigits() throws {
    let (lo, hi) = VerifiedMath.expMinus(1, precision: 128)
    let digits = try BigInt(parsing: "367879441171442321595523770161")
    let scaledLo = (lo * BigInt(10).power(30)) >> 128
    let scaledHi = ((hi * BigInt(10).power(30)) >> 128) + 1
    #expect(scaledLo <= digits && digits <= scaledHi)
  }

  @Test func squareRootBounds() {
    let lower = VerifiedMath.sqrtLower(2)
    let upper = VerifiedMath.sqrtUpper(2)
    #expect(lower * lower <= 2 && upper * upper >= 2)
    #expect(upper - lower <= (try! Rational(1, BigInt(1) << 63)))
    #expect(VerifiedMath.sqrtUpper(Rational(9, 4)) == Rational(3, 2))
  }

  /// The proven distance is below 2^−100 and the table's probabilities match the pmf.
  @Test(arguments: [Rational(1, 4), Rational(9, 4), Rational(25), Rational(10_000)])
  func tableMatchesPmf(_ s2: Rational) throws {
    let table = try DiscreteGaussianTable(sigmaSquared: s2)
    #expect(table.statisticalDistanceBound <= DiscreteGaussianTable.distanceTarget)
    #expect(table.statisticalDistanceBound.signum > 0)
    let v = Double(s2)
    var z = 0.0
    for x in -table.bound...table.bound { z += exp(-Double(x * x) / (2 * v)) }
    var previous: UInt128 = 0
    var worst = 0.0
    for (j, c) in table.cumulative.enumerated() {
      #expect(c >= previous)
      let p = Double(c - previous) / 0x1p128
      let x = j - table.bound
      worst = max(worst, abs(p - exp(-Double(x * x) / (2 * v)) / z))
      previous = c
    }
    #expect(worst < 1e-15)
    // The guide entries are never past the true scan start.
    for u in [UInt128(0), UInt128.max, UInt128(1) << 127, (UInt128(1) << 127) - 1] {
      let fast = table.lookup(u)
      #expect(fast == table.lookupFixedWork(u))
    }
  }

  /// A table draw reads exactly 16 bytes, little-endian, and outputs −B + #{Ĉ_j ≤ U}.
  @Test func tableDrawRule() throws {
    let sampler = try DiscreteGaussianSampler(sigmaSquared: 25)
    let table = try #require(sampler.table)
    var a = SeededRandom.make("table rule")
    var b = SeededRandom.make("table rule")
    let draw = sampler.sample(using: &a)
    let bytes = b.bytes(count: 16)
    var u: UInt128 = 0
    for (i, byte) in bytes.enumerated() { u |= UInt128(byte) << (8 * i) }
    #expect(draw == Int64(table.cumulative.filter { $0 <= u }.count - table.bound))
    #expect(a.nextUInt64() == b.nextUInt64())
  }
}
