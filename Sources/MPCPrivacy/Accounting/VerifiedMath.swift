public import MPCBigInt

/// Verified (interval) arithmetic on big integers: every result is a pair of fixed-point
/// bounds [lo, hi]·2^−precision that provably contains the true value. No floating point.
public enum VerifiedMath {
  /// Bounds on exp(−r) for a rational r ≥ 0, as integers lo ≤ 2^p·exp(−r) ≤ hi.
  ///
  /// r is halved k times until y = r/2^k ≤ 1/2 and y is bracketed in fixed point
  /// [yLo, yHi]·2^−w (w = p + 2k + 16). The Taylor series of exp(−y) alternates with
  /// decreasing terms, so a partial sum ending on a subtracted term is below it and one ending
  /// on an added term is above it; terms are rounded in the direction that keeps each bound
  /// valid. The bracket is then squared k times, the lower bound rounded down and the upper
  /// bound up, and the guard bits dropped the same way.
  public static func expMinus(_ r: Rational, precision p: Int) -> (lo: BigInt, hi: BigInt) {
    precondition(r.signum >= 0, "expMinus needs r ≥ 0")
    // exp(−r) ≤ e^(−2p) < 2^(−2p): the bracket below would end at [0, 1] after ~log2(r)
    // squarings (its rounding error stays far below 2^−p), so answer that directly. This
    // keeps calibration fast for large σ, where every term of τ is this small.
    if r >= Rational(2 * p) { return (0, 1) }
    return bracket(r, precision: p)
  }

  /// ``expMinus(_:precision:)`` without the shortcut for large r (tests compare the two).
  static func bracket(_ r: Rational, precision p: Int) -> (lo: BigInt, hi: BigInt) {
    var k = 0
    var y = r
    let half = Rational(1, 2)
    while y > half {
      y = y / 2
      k += 1
    }
    let w = p + 2 * k + 16
    let scaled = y * Rational(BigInt(1) << w)
    let lo = taylorBound(y: scaled.ceiling, bits: w, upper: false)
    let hi = taylorBound(y: scaled.floor, bits: w, upper: true)
    var l = lo.signum > 0 ? lo : BigInt(0)
    var h = min(hi, BigInt(1) << w)
    for _ in 0..<k {
      l = (l * l) >> w
      h = ceilShift(h * h, w)
    }
    return (l >> (w - p), ceilShift(h, w - p))
  }

  /// A bound on 2^bits·exp(−y/2^bits) for 0 ≤ y ≤ 2^(bits−1): lower if `upper` is false.
  private static func taylorBound(y: BigInt, bits: Int, upper: Bool) -> BigInt {
    let one = BigInt(1) << bits
    var termLo = one
    var termHi = one
    var sum = one
    var n = 0
    while true {
      n += 1
      let divisor = BigInt(n) << bits
      termLo = (termLo * y) / divisor
      termHi = ceilDiv(termHi * y, divisor)
      if n % 2 == 1 {
        sum -= upper ? termLo : termHi
      } else {
        sum += upper ? termHi : termLo
      }
      // Stop after a subtracted term (lower) or an added term (upper) once terms vanish.
      if termHi <= 1 && (n % 2 == 1) != upper && n >= 2 { return sum }
    }
  }

  /// ⌈x / 2^bits⌉ for x ≥ 0.
  public static func ceilShift(_ x: BigInt, _ bits: Int) -> BigInt {
    if bits == 0 { return x }
    return (x + (BigInt(1) << bits) - 1) >> bits
  }

  /// ⌈a / b⌉ for a ≥ 0, b > 0.
  public static func ceilDiv(_ a: BigInt, _ b: BigInt) -> BigInt {
    (a + b - 1) / b
  }

  /// The smallest rational with denominator 2^p that is ≥ √x, for x ≥ 0.
  public static func sqrtUpper(_ x: Rational, precision p: Int = 64) -> Rational {
    precondition(x.signum >= 0)
    // √x ≤ ⌈√⌈x·2^(2p)⌉⌉ / 2^p.
    let scaled = (x * Rational(BigInt(1) << (2 * p))).ceiling
    var root = try! scaled.squareRootFloor()  // cannot throw: scaled ≥ 0
    if root * root < scaled { root += 1 }
    return try! Rational(root, BigInt(1) << p)  // cannot throw: denominator > 0
  }

  /// The largest rational with denominator 2^p that is ≤ √x, for x ≥ 0.
  public static func sqrtLower(_ x: Rational, precision p: Int = 64) -> Rational {
    precondition(x.signum >= 0)
    let scaled = (x * Rational(BigInt(1) << (2 * p))).floor
    let root = try! scaled.squareRootFloor()  // cannot throw: scaled ≥ 0
    return try! Rational(root, BigInt(1) << p)  // cannot throw: denominator > 0
  }

  /// A rational lower bound on π (error < 10^−30).
  public static let piLower = try! Rational(
    BigInt(parsing: "3141592653589793238462643383279"), BigInt(10).power(30))
  /// A rational upper bound on π (error < 10^−30).
  public static let piUpper = try! Rational(
    BigInt(parsing: "3141592653589793238462643383280"), BigInt(10).power(30))

  /// An upper bound on exp(−r) as a rational with denominator 2^p.
  public static func expMinusUpper(_ r: Rational, precision p: Int = 128) -> Rational {
    try! Rational(expMinus(r, precision: p).hi, BigInt(1) << p)  // denominator > 0
  }

  /// An upper bound on exp(r) for r ≥ 0, as a rational (relative precision about 2^−p).
  public static func expUpper(_ r: Rational, precision p: Int = 128) -> Rational {
    // exp(−r) ≥ 2^(−2⌈r⌉), so 2⌈r⌉ more bits keep p significant bits.
    let extra = 2 * (Int(exactly: r.ceiling) ?? Int.max / 4)
    precondition(extra < 1 << 24, "expUpper: r too large")
    let bits = p + extra
    let lo = expMinus(r, precision: bits).lo
    precondition(lo.signum > 0, "expUpper: r too large for the precision")
    return try! Rational(BigInt(1) << bits, lo)  // lo > 0
  }
}
