import MPCBigInt

// MARK: - 256-bit unsigned integers

/// A 256-bit unsigned integer as two 128-bit halves: the fixed-width arithmetic of the table
/// construction (protocols/noise.md §4.1), which never allocates. Every operation is exact;
/// one that would leave 0 … 2^256 − 1 stops the program (the table's values are far inside).
struct UInt256: Equatable, Comparable {
  /// Bits 128 … 255.
  var high: UInt128
  /// Bits 0 … 127.
  var low: UInt128

  static let zero = UInt256(high: 0, low: 0)

  init(high: UInt128, low: UInt128) {
    self.high = high
    self.low = low
  }

  /// `value`, which must satisfy 0 ≤ value < 2^256.
  init(_ value: BigInt) {
    precondition(value.signum >= 0, "UInt256: negative value")
    let limbs = try! value.limbs(count: 4)  // the table's values are below 2^256
    high = UInt128(limbs[3]) << 64 | UInt128(limbs[2])
    low = UInt128(limbs[1]) << 64 | UInt128(limbs[0])
  }

  /// The same value as a `BigInt`.
  var bigInt: BigInt {
    BigInt(limbs: [
      UInt64(truncatingIfNeeded: low), UInt64(truncatingIfNeeded: low >> 64),
      UInt64(truncatingIfNeeded: high), UInt64(truncatingIfNeeded: high >> 64),
    ])
  }

  var isZero: Bool { high == 0 && low == 0 }

  static func < (lhs: UInt256, rhs: UInt256) -> Bool {
    lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
  }

  static func + (lhs: UInt256, rhs: UInt256) -> UInt256 {
    let (low, carry) = lhs.low.addingReportingOverflow(rhs.low)
    return UInt256(high: lhs.high + rhs.high + (carry ? 1 : 0), low: low)
  }

  static func += (lhs: inout UInt256, rhs: UInt256) {
    lhs = lhs + rhs
  }

  static func - (lhs: UInt256, rhs: UInt256) -> UInt256 {
    let (low, borrow) = lhs.low.subtractingReportingOverflow(rhs.low)
    return UInt256(high: lhs.high - rhs.high - (borrow ? 1 : 0), low: low)
  }

  /// (lhs − rhs) mod 2^256.
  static func &- (lhs: UInt256, rhs: UInt256) -> UInt256 {
    let (low, borrow) = lhs.low.subtractingReportingOverflow(rhs.low)
    return UInt256(high: lhs.high &- rhs.high &- (borrow ? 1 : 0), low: low)
  }

  /// The 64-bit limbs, least significant first.
  @inline(__always)
  var limbs: (UInt64, UInt64, UInt64, UInt64) {
    (
      UInt64(truncatingIfNeeded: low), UInt64(truncatingIfNeeded: low >> 64),
      UInt64(truncatingIfNeeded: high), UInt64(truncatingIfNeeded: high >> 64)
    )
  }

  /// The value of four 64-bit limbs, least significant first.
  @inline(__always)
  init(limbs l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
    self.init(high: UInt128(l3) << 64 | UInt128(l2), low: UInt128(l1) << 64 | UInt128(l0))
  }

  /// The 512-bit product lhs·rhs as its upper and lower 256 bits (schoolbook on 64-bit limbs).
  @inline(__always)
  static func multipliedFullWidth(_ lhs: UInt256, _ rhs: UInt256) -> (
    high: UInt256, low: UInt256
  ) {
    let (a0, a1, a2, a3) = lhs.limbs
    let (b0, b1, b2, b3) = rhs.limbs
    var c: UInt64
    var p0: UInt64
    var p1: UInt64
    var p2: UInt64
    var p3: UInt64
    var p4: UInt64
    var p5: UInt64
    var p6: UInt64
    var p7: UInt64
    (c, p0) = multiplyAdd(a0, b0, 0, 0)
    (c, p1) = multiplyAdd(a0, b1, 0, c)
    (c, p2) = multiplyAdd(a0, b2, 0, c)
    (p4, p3) = multiplyAdd(a0, b3, 0, c)
    (c, p1) = multiplyAdd(a1, b0, p1, 0)
    (c, p2) = multiplyAdd(a1, b1, p2, c)
    (c, p3) = multiplyAdd(a1, b2, p3, c)
    (p5, p4) = multiplyAdd(a1, b3, p4, c)
    (c, p2) = multiplyAdd(a2, b0, p2, 0)
    (c, p3) = multiplyAdd(a2, b1, p3, c)
    (c, p4) = multiplyAdd(a2, b2, p4, c)
    (p6, p5) = multiplyAdd(a2, b3, p5, c)
    (c, p3) = multiplyAdd(a3, b0, p3, 0)
    (c, p4) = multiplyAdd(a3, b1, p4, c)
    (c, p5) = multiplyAdd(a3, b2, p5, c)
    (p7, p6) = multiplyAdd(a3, b3, p6, c)
    return (UInt256(limbs: p4, p5, p6, p7), UInt256(limbs: p0, p1, p2, p3))
  }

  /// ⌊lhs·rhs / 2^192⌋ (`roundingUp` false) or ⌈lhs·rhs / 2^192⌉ (true), for lhs, rhs < 2^192
  /// (the result is then below 2^192 too): a 3 × 3-limb product.
  @inline(__always)
  static func productShifted192(_ lhs: UInt256, _ rhs: UInt256, roundingUp: Bool) -> UInt256 {
    let (a0, a1, a2, a3) = lhs.limbs
    let (b0, b1, b2, b3) = rhs.limbs
    precondition(a3 == 0 && b3 == 0, "UInt256: factor of a 192-bit product ≥ 2^192")
    var c: UInt64
    var p0: UInt64
    var p1: UInt64
    var p2: UInt64
    var p3: UInt64
    var p4: UInt64
    var p5: UInt64
    (c, p0) = multiplyAdd(a0, b0, 0, 0)
    (c, p1) = multiplyAdd(a0, b1, 0, c)
    (p3, p2) = multiplyAdd(a0, b2, 0, c)
    (c, p1) = multiplyAdd(a1, b0, p1, 0)
    (c, p2) = multiplyAdd(a1, b1, p2, c)
    (p4, p3) = multiplyAdd(a1, b2, p3, c)
    (c, p2) = multiplyAdd(a2, b0, p2, 0)
    (c, p3) = multiplyAdd(a2, b1, p3, c)
    (p5, p4) = multiplyAdd(a2, b2, p4, c)
    let result = UInt256(limbs: p3, p4, p5, 0)
    let dropped = p0 | p1 | p2 != 0
    return roundingUp && dropped ? result + UInt256(high: 0, low: 1) : result
  }

  /// a·b + c + d as (high, low) 64-bit halves; never overflows: (2^64 − 1)² + 2(2^64 − 1) < 2^128.
  @inline(__always)
  static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (
    high: UInt64, low: UInt64
  ) {
    let t = UInt128(a) &* UInt128(b) &+ UInt128(c) &+ UInt128(d)
    return (UInt64(truncatingIfNeeded: t >> 64), UInt64(truncatingIfNeeded: t))
  }

  /// (self·2^160) mod 2^256: the bits of self below 2^96, moved up by 160.
  var shiftedLeft160Low: UInt256 {
    UInt256(high: low << 32, low: 0)
  }
}

// MARK: - Division by a fixed divisor

/// An exact division n = quotient·Z + remainder with 0 ≤ remainder < Z.
struct Division {
  var quotient: UInt256
  var remainder: UInt256

  /// ⌊n / Z⌋.
  var floor: UInt256 { quotient }

  /// ⌈n / Z⌉.
  var ceiling: UInt256 { remainder.isZero ? quotient : quotient + UInt256(high: 0, low: 1) }

  /// ⌊(a − b) / Z⌋ for a ≥ b: a − b = (qa − qb)·Z + (ra − rb) with −Z < ra − rb < Z.
  @inline(__always)
  static func floorOfDifference(_ a: Division, _ b: Division) -> UInt256 {
    let difference = a.quotient - b.quotient
    return a.remainder < b.remainder ? difference - UInt256(high: 0, low: 1) : difference
  }

  /// ⌈(a − b) / Z⌉ for a ≥ b.
  @inline(__always)
  static func ceilingOfDifference(_ a: Division, _ b: Division) -> UInt256 {
    let difference = a.quotient - b.quotient
    return b.remainder < a.remainder ? difference + UInt256(high: 0, low: 1) : difference
  }
}

/// Exact division of s·2^160 by a fixed Z with 2^192 ≤ Z < 2^255, for s < 2^223, through a
/// precomputed reciprocal V = ⌊(2^384 − 1) / Z⌋ < 2^192 (three limbs) and one correction step.
///
/// With q = ⌊s·2^160 / Z⌋ and q̂ = ⌊s·V / 2^224⌋: V ≤ 2^384/Z < V + 1 + 1/Z gives
/// s·V/2^224 ≤ s·2^160/Z < s·V/2^224 + s·(1 + 1/Z)/2^224 < s·V/2^224 + 1 (as s < 2^223), so
/// q − 1 ≤ q̂ ≤ q. The remainder r = s·2^160 − q̂·Z then lies in [0, 2Z) ⊂ [0, 2^256) and is
/// computed exactly modulo 2^256; if r ≥ Z the quotient is q̂ + 1 and the remainder r − Z. A
/// final check r < Z guards the argument.
struct FixedDivisor {
  /// Z.
  let divisor: UInt256
  /// V = ⌊(2^384 − 1) / Z⌋.
  let reciprocal: UInt256

  init(_ divisor: UInt256) {
    let z = divisor.bigInt
    precondition(z >= BigInt(1) << 192 && z < BigInt(1) << 255, "FixedDivisor: Z out of range")
    self.divisor = divisor
    reciprocal = UInt256(((BigInt(1) << 384) - 1) / z)
  }

  /// The division of s·2^160 by Z.
  @inline(__always)
  func divide(shifted s: UInt256) -> Division {
    let (s0, s1, s2, s3) = s.limbs
    let (v0, v1, v2, v3) = reciprocal.limbs
    precondition(s3 >> 31 == 0 && v3 == 0, "FixedDivisor: s ≥ 2^223")
    // p = s·V < 2^415 (4 × 3 limbs), then q̂ = ⌊p / 2^224⌋.
    var c: UInt64
    var p3: UInt64
    var p4: UInt64
    var p5: UInt64
    var p6: UInt64
    var t1: UInt64
    var t2: UInt64
    (c, _) = UInt256.multiplyAdd(s0, v0, 0, 0)
    (c, t1) = UInt256.multiplyAdd(s0, v1, 0, c)
    (p3, t2) = UInt256.multiplyAdd(s0, v2, 0, c)
    (c, _) = UInt256.multiplyAdd(s1, v0, t1, 0)
    (c, t2) = UInt256.multiplyAdd(s1, v1, t2, c)
    (p4, p3) = UInt256.multiplyAdd(s1, v2, p3, c)
    (c, _) = UInt256.multiplyAdd(s2, v0, t2, 0)
    (c, p3) = UInt256.multiplyAdd(s2, v1, p3, c)
    (p5, p4) = UInt256.multiplyAdd(s2, v2, p4, c)
    (c, p3) = UInt256.multiplyAdd(s3, v0, p3, 0)
    (c, p4) = UInt256.multiplyAdd(s3, v1, p4, c)
    (p6, p5) = UInt256.multiplyAdd(s3, v2, p5, c)
    var quotient = UInt256(
      limbs: p3 >> 32 | p4 << 32, p4 >> 32 | p5 << 32, p5 >> 32 | p6 << 32, p6 >> 32)
    var remainder = s.shiftedLeft160Low &- UInt256.multipliedFullWidth(quotient, divisor).low
    if !(remainder < divisor) {
      quotient = quotient + UInt256(high: 0, low: 1)
      remainder = remainder - divisor
    }
    precondition(remainder < divisor, "FixedDivisor: reciprocal estimate off by more than one")
    return Division(quotient: quotient, remainder: remainder)
  }
}
