public import MPCBigInt
public import MPCCrypto

/// The exact building blocks of every sampler (protocols/noise.md §2): uniform integers by
/// rejection, Bernoulli(p/q) and Bernoulli(exp(−num/den)) on integers, never floating point.
///
/// Each primitive has a machine-word form and a `BigInt` form that consume exactly the same
/// bytes for the same integers, so a fast path may hand any step to GMP on overflow.
public enum ExactSampling {
  // MARK: - Uniform

  /// A uniform integer in `[0, bound)`: the rule of `RandomSource.uniform(below:)` (candidates
  /// of ⌈k/8⌉ little-endian bytes masked to k = bitlen(bound − 1) bits, rejected while
  /// ≥ bound; `bound` = 1 reads nothing), compiled here so that it is specialised for the
  /// concrete generator (the protocol extension in `MPCCrypto` is not inlinable).
  @inline(__always)
  public static func uniform(below bound: UInt64, using random: inout some RandomSource)
    -> UInt64
  {
    precondition(bound > 0, "uniform(below: 0)")
    if bound == 1 { return 0 }
    let k = 64 - (bound - 1).leadingZeroBitCount
    let byteCount = (k + 7) / 8
    let mask: UInt64 = k == 64 ? ~0 : (1 << UInt64(k)) &- 1
    while true {
      var value: UInt64 = 0
      withUnsafeMutableBytes(of: &value) {
        random.fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<byteCount]))
      }
      let candidate = UInt64(littleEndian: value) & mask
      if candidate < bound { return candidate }
    }
  }

  /// A uniform integer in `[0, bound)` by rejection: candidates of ⌈k/8⌉ little-endian bytes
  /// masked to k = bitlen(bound − 1) bits, rejected while ≥ bound; `bound` = 1 reads nothing.
  public static func uniform(below bound: BigInt, using random: inout some RandomSource)
    -> BigInt
  {
    precondition(bound.signum > 0, "uniform(below:) needs a positive bound")
    if let small = UInt64(exactly: bound) {
      return BigInt(uniform(below: small, using: &random))
    }
    let k = (bound - 1).bitWidth
    let byteCount = (k + 7) / 8
    let topBits = k - 8 * (byteCount - 1)
    let topMask = UInt8(truncatingIfNeeded: (1 << topBits) - 1)
    var bytes = [UInt8](repeating: 0, count: byteCount)
    while true {
      bytes.withUnsafeMutableBytes { random.fill($0) }
      bytes[byteCount - 1] &= topMask
      let candidate = BigInt(littleEndianBytes: bytes)
      if candidate < bound { return candidate }
    }
  }

  // MARK: - Bernoulli(p/q)

  /// Bernoulli(p/q): false without reading if p = 0, true without reading if p ≥ q, else
  /// `uniform(below: q) < p`.
  @inline(__always)
  public static func bernoulli(
    _ p: UInt64, over q: UInt64, using random: inout some RandomSource
  ) -> Bool {
    if p == 0 { return false }
    if p >= q { return true }
    return uniform(below: q, using: &random) < p
  }

  /// Bernoulli(p/q) for big integers, with the same rule and the same bytes as the word form.
  public static func bernoulli(
    _ p: BigInt, over q: BigInt, using random: inout some RandomSource
  ) -> Bool {
    precondition(q.signum > 0 && p.signum >= 0, "Bernoulli(p/q) needs p ≥ 0, q > 0")
    if p.isZero { return false }
    if p >= q { return true }
    if let small = UInt64(exactly: q) {
      return uniform(below: small, using: &random) < UInt64(exactly: p)!
    }
    return uniform(below: q, using: &random) < p
  }

  // MARK: - Bernoulli(exp(−γ))

  /// Bernoulli(exp(−num/den)) by CKS20 Algorithm 1 on the integers exactly as given
  /// (not reduced): for num ≤ den the alternating-series loop, otherwise ⌊num/den⌋ trials of
  /// Bernoulli(exp(−1)) (stopping at the first failure) then Bernoulli(exp(−(num mod den)/den)).
  @inline(__always)
  public static func bernoulliExpMinus(
    _ num: UInt64, over den: UInt64, using random: inout some RandomSource
  ) -> Bool {
    precondition(den > 0, "Bernoulli(exp(−γ)) needs a positive denominator")
    if num <= den { return bernoulliExpMinusAtMostOne(num, over: den, using: &random) }
    var whole = num / den
    while whole > 0 {
      if !bernoulliExpMinusAtMostOne(1, over: 1, using: &random) { return false }
      whole -= 1
    }
    return bernoulliExpMinusAtMostOne(num % den, over: den, using: &random)
  }

  /// Bernoulli(exp(−num/den)) for num ≤ den: K = 1, 2, … while Bernoulli(num/(den·K))
  /// succeeds; true iff the first failing K is odd.
  @inline(__always)
  static func bernoulliExpMinusAtMostOne(
    _ num: UInt64, over den: UInt64, using random: inout some RandomSource
  ) -> Bool {
    var k: UInt64 = 1
    while true {
      let (q, overflow) = den.multipliedReportingOverflow(by: k)
      let success =
        overflow
        ? bernoulli(BigInt(num), over: BigInt(den) * BigInt(k), using: &random)
        : bernoulli(num, over: q, using: &random)
      if !success { break }
      k += 1
    }
    return k & 1 == 1
  }

  /// Bernoulli(exp(−num/den)) for big integers, consuming the same bytes as the word form.
  public static func bernoulliExpMinus(
    _ num: BigInt, over den: BigInt, using random: inout some RandomSource
  ) -> Bool {
    precondition(den.signum > 0 && num.signum >= 0, "Bernoulli(exp(−γ)) needs γ ≥ 0")
    if let n = UInt64(exactly: num), let d = UInt64(exactly: den) {
      return bernoulliExpMinus(n, over: d, using: &random)
    }
    if num <= den { return bigAtMostOne(num, over: den, using: &random) }
    var whole = num / den
    while whole.signum > 0 {
      if !bernoulliExpMinusAtMostOne(1, over: 1, using: &random) { return false }
      whole -= 1
    }
    return bigAtMostOne(num % den, over: den, using: &random)
  }

  private static func bigAtMostOne(
    _ num: BigInt, over den: BigInt, using random: inout some RandomSource
  ) -> Bool {
    var k = 1
    while bernoulli(num, over: den * BigInt(k), using: &random) { k += 1 }
    return k & 1 == 1
  }

  /// Bernoulli(exp(−γ)) for a rational γ ≥ 0 in lowest terms.
  public static func bernoulliExpMinus(
    _ gamma: Rational, using random: inout some RandomSource
  ) -> Bool {
    bernoulliExpMinus(gamma.numerator, over: gamma.denominator, using: &random)
  }
}
