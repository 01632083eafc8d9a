public import MPCBigInt

/// Verified (interval) arithmetic on big integers: every result is a pair of fixed-point
/// bounds [lo, hi]·2^−precision that provably contains the true value. No floating point.
public enum VerifiedMath {
  /// Bounds on exp(−r) for a rational r ≥ 0, as integers lo ≤ 2^p·exp(−r) ≤ hi.
  ///
  /// r is halved k times until r/2^k ≤ 1/2; the Taylor series of exp(−r/2^k) alternates with
  /// decreasing terms, so consecutive partial sums bracket it; the bracket is then squared k
  /// times, rounding the lower bound down and the upper bound up.
  public static func expMinus(_ r: Rational, precision p: Int) -> (lo: BigInt, hi: BigInt) {
    precondition(r.signum >= 0, "expMinus needs r ≥ 0")
    var k = 0
    var y = r
    let half = Rational(1, 2)
    while y > half {
      y = y / 2
      k += 1
    }
    // Partial sums S_N; stop once the next term is below 2^−(p + 8 + 2k).
    let cutoff = Rational(1) / Rational(BigInt(1) << (p + 8 + 2 * k))
    var term = Rational(1)
    var sum = Rational(1)
    var previous = Rational(1)
    var n = 0
    repeat {
      n += 1
      term = term * y / Rational(n)
      previous = sum
      sum = n.isMultiple(of: 2) ? sum + term : sum - term
    } while term >= cutoff || n < 2
    let scale = Rational(BigInt(1) << (p + 2 * k))
    let wp = p + 2 * k
    var lo = (min(sum, previous) * scale).floor
    var hi = (max(sum, previous) * scale).ceiling
    var bits = wp
    if lo.isNegative { lo = 0 }
    for _ in 0..<k {
      lo = (lo * lo) >> bits
      hi = ceilShift(hi * hi, bits)
      bits = wp
    }
    // Drop the 2k guard bits.
    return (lo >> (2 * k), ceilShift(hi, 2 * k))
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

  /// An upper bound on exp(r) for r ≥ 0, as a rational.
  public static func expUpper(_ r: Rational, precision p: Int = 128) -> Rational {
    let lo = expMinus(r, precision: p).lo
    precondition(lo.signum > 0, "expUpper: r too large for the precision")
    return try! Rational(BigInt(1) << p, lo)  // lo > 0
  }
}
