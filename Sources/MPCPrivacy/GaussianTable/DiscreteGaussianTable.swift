public import MPCBigInt

/// The inversion table of the fast discrete Gaussian path (protocols/noise.md §4): 128-bit
/// fixed-point cumulative probabilities over [−B, B], B = ⌈√(180·σ²)⌉, built with verified
/// interval arithmetic on exact integers, plus a proven bound on its statistical distance from
/// N_Z(0, σ²).
public final class DiscreteGaussianTable: Sendable {
  /// σ² of the law the table approximates.
  public let sigmaSquared: Rational
  /// The support bound B: outputs lie in [−B, B].
  public let bound: Int
  /// The upper 64 bits of Ĉ_j for j = 0 … 2B − 1, where the output is −B + #{j : Ĉ_j ≤ U} for
  /// a uniform 128-bit U. Scans read these first (half the memory of whole entries).
  let cumulativeHigh: [UInt64]
  /// The lower 64 bits of Ĉ_j, read only when the upper halves of Ĉ_j and U are equal.
  let cumulativeLow: [UInt64]
  /// guide[b] = #{j : Ĉ_j ≤ b·2^(128 − guideBits)}: where the scan for a U starting with the
  /// guide bits b begins.
  let guide: [Int32]
  /// Number of leading bits of U that index ``guide``.
  let guideBits: Int
  /// A proven upper bound on the statistical distance between one table draw and N_Z(0, σ²).
  public let statisticalDistanceBound: Rational

  /// The largest σ² a table is built for (about σ ≤ 11585; beyond, use the exact sampler).
  public static let maxSigmaSquared = Rational(1 << 27)
  /// The distance every table is guaranteed to meet: 2^−100.
  public static let distanceTarget = try! Rational(1, BigInt(1) << 100)  // denominator > 0

  /// Fixed-point precision (bits) of the weights.
  static let weightPrecision = 192
  /// Fixed-point precision (bits) of the cumulative bounds before truncation to 128 bits.
  static let cumulativePrecision = 160

  /// Builds the table for N_Z(0, σ²), 0 < σ² ≤ ``maxSigmaSquared``.
  public init(sigmaSquared: Rational) throws {
    guard sigmaSquared.signum > 0, sigmaSquared <= Self.maxSigmaSquared else {
      throw PrivacyError.invalidParameter(
        field: "sigma-squared", value: sigmaSquared.description,
        requirement: "the table path needs 0 < σ² ≤ \(Self.maxSigmaSquared); use the exact sampler")
    }
    self.sigmaSquared = sigmaSquared
    let p = Self.weightPrecision
    let q = Self.cumulativePrecision
    let n = sigmaSquared.numerator
    let d = sigmaSquared.denominator
    // B = ⌈√(180·σ²)⌉, so B²/(2σ²) ≥ 90 and e^{−90} < 2^−129.
    let b180 = (Rational(180) * sigmaSquared).ceiling
    var bBig = try! b180.squareRootFloor()  // cannot throw: positive
    if bBig * bBig < b180 { bBig += 1 }
    let b = Int(exactly: bBig)!
    bound = b

    // Weights w_x = exp(−x²/(2σ²)), x = 0 … B, as intervals [lo, hi]·2^−p (§4.1 step 3).
    // Every integer of §4.1 steps 3–6 is below 2^256 (weights ≤ 2^192, sums < 2^210), so they
    // are computed exactly in fixed width (UInt256), without allocating per entry.
    let inverse = try! sigmaSquared.reciprocal()  // σ² > 0
    let r0 = VerifiedMath.expMinus(inverse / 2, precision: p)
    let step = VerifiedMath.expMinus(inverse, precision: p)
    let wLo = Self.weights(
      count: b + 1, ratio: UInt256(r0.lo), step: UInt256(step.lo), roundingUp: false)
    let wHi = Self.weights(
      count: b + 1, ratio: UInt256(r0.hi), step: UInt256(step.hi), roundingUp: true)
    // One-sided tail: Σ_{x>B} w_x ≤ ∫_B^∞ e^{−x²/(2σ²)} dx ≤ (σ²/B)·e^{−B²/(2σ²)}.
    let tailHiBig = VerifiedMath.ceilDiv(wHi[b].bigInt * n, d * BigInt(b))
    let tailHi = UInt256(tailHiBig)
    var zLo = wLo[0]
    var zHi = wHi[0] + tailHi + tailHi
    for x in 1...b {
      zLo += wLo[x] + wLo[x]
      zHi += wHi[x] + wHi[x]
    }
    let zLoBig = zLo.bigInt

    // Ĉ_j = ⌊2^128·lower bound of F_j⌋; δ_j ≤ (upper − lower bound of F_j) + 2^−128.
    precondition(q == 160, "FixedDivisor divides s·2^160")
    let outcomes = 2 * b + 1
    let (high, low, widthSum) = Self.entries(
      weightsLo: wLo, weightsHi: wHi, tailHi: tailHi, zLo: zLo, zHi: zHi)
    cumulativeHigh = high
    cumulativeLow = low
    // dist ≤ Σ_j δ_j + T, T = mass outside [−B, B] ≤ 2·tail/Z.
    let distance =
      (try! Rational(widthSum.bigInt, BigInt(1) << q))
      + (try! Rational(BigInt(outcomes - 1), BigInt(1) << 128))
      + (try! Rational(BigInt(2) * tailHiBig, zLoBig))
    guard distance <= Self.distanceTarget else {
      throw PrivacyError.invalidParameter(
        field: "sigma-squared", value: sigmaSquared.description,
        requirement: "the table's proven distance bound exceeds 2^-100; use the exact sampler")
    }
    statisticalDistanceBound = distance

    var g = 8
    while (1 << g) < 2 * outcomes && g < 20 { g += 1 }
    guideBits = g
    guide = Self.guide(bits: g, high: high, low: low)
  }

  /// Ĉ_j for j = 0 … 2B − 1, as whole 128-bit values.
  var cumulative: [UInt128] {
    zip(cumulativeHigh, cumulativeLow).map { UInt128($0) << 64 | UInt128($1) }
  }

  /// The output for a uniform 128-bit `u`, scanning from the guide entry (variable time).
  @inline(__always)
  func lookup(_ u: UInt128) -> Int64 {
    let uHigh = UInt64(truncatingIfNeeded: u >> 64)
    let start = Int(guide[Int(uHigh >> (64 - guideBits))])
    return Int64(scan(from: start, uHigh: uHigh, uLow: UInt64(truncatingIfNeeded: u)) - bound)
  }

  /// #{j : Ĉ_j ≤ u} for u = uHigh·2^64 + uLow, given that Ĉ_j ≤ u for every j < `start`.
  @inline(__always)
  func scan(from start: Int, uHigh: UInt64, uLow: UInt64) -> Int {
    cumulativeHigh.withUnsafeBufferPointer { high in
      cumulativeLow.withUnsafeBufferPointer { low in
        // Ĉ_i ≤ u ⟺ high_i < uHigh, or high_i = uHigh and low_i ≤ uLow.
        var i = start
        while i < high.count && high[i] <= uHigh {
          if high[i] == uHigh && low[i] > uLow { break }
          i += 1
        }
        return i
      }
    }
  }

  /// The outputs of ``lookup(_:)`` for draws i = 0 … n − 1, whose values are
  /// `words[2i] + 2^64·words[2i + 1]`, written to `out[0 … n − 1]`.
  ///
  /// Three passes over the batch instead of one draw at a time: the guide entries, then the
  /// first table entry of each scan, are loaded by loops without data-dependent branches, so
  /// their cache misses overlap; the scans then mostly hit the cache.
  @inline(__always)
  func lookup(words: UnsafeBufferPointer<UInt64>, into out: UnsafeMutableBufferPointer<Int64>) {
    let n = out.count
    precondition(words.count >= 2 * n)
    let shift = 64 - guideBits
    guide.withUnsafeBufferPointer { guide in
      for i in 0..<n { out[i] = Int64(guide[Int(words[2 * i + 1] >> shift)]) }
    }
    cumulativeHigh.withUnsafeBufferPointer { high in
      // Step past the first entry when its upper half is below U's: loads high[start] early.
      let last = high.count - 1
      for i in 0..<n {
        let start = Int(out[i])
        let entry = high[min(start, last)]
        out[i] = Int64(start + (start <= last && entry < words[2 * i + 1] ? 1 : 0))
      }
    }
    for i in 0..<n {
      let i0 = Int(out[i])
      out[i] = Int64(scan(from: i0, uHigh: words[2 * i + 1], uLow: words[2 * i]) - bound)
    }
  }

  /// The same output as ``lookup(_:)`` by a branch-free scan of the whole table: the work and
  /// the memory accesses do not depend on `u`.
  @inline(__always)
  func lookupFixedWork(_ u: UInt128) -> Int64 {
    let uHigh = UInt64(truncatingIfNeeded: u >> 64)
    let uLow = UInt64(truncatingIfNeeded: u)
    return cumulativeHigh.withUnsafeBufferPointer { high in
      cumulativeLow.withUnsafeBufferPointer { low in
        var count: UInt64 = 0
        for i in 0..<min(high.count, low.count) {
          count &+= Self.notAbove(high: high[i], low: low[i], uHigh: uHigh, uLow: uLow)
        }
        return Int64(count) - Int64(bound)
      }
    }
  }

  /// 1 if high·2^64 + low ≤ uHigh·2^64 + uLow, else 0, without a comparison the compiler
  /// could turn into a branch: 1 − the borrow out of the 128-bit subtraction u − Ĉ, with each
  /// borrow taken from the top bit of ((¬a ∧ b) ∨ (¬(a ⊕ b) ∧ (a − b − borrow in))) (Hacker's
  /// Delight §2–13).
  @inline(__always)
  static func notAbove(high: UInt64, low: UInt64, uHigh: UInt64, uLow: UInt64) -> UInt64 {
    let lowBorrow = ((~uLow & low) | (~(uLow ^ low) & (uLow &- low))) >> 63
    let difference = uHigh &- high &- lowBorrow
    let highBorrow = ((~uHigh & high) | (~(uHigh ^ high) & difference)) >> 63
    return 1 &- highBorrow
  }
}
