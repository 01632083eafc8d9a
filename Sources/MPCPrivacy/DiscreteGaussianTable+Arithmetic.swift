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

  /// The 512-bit product lhs·rhs as its upper and lower 256 bits.
  static func multipliedFullWidth(_ lhs: UInt256, _ rhs: UInt256) -> (
    high: UInt256, low: UInt256
  ) {
    // Schoolbook on 128-bit digits: lhs·rhs = ll + (lh + hl)·2^128 + hh·2^256.
    let ll = lhs.low.multipliedFullWidth(by: rhs.low)
    let lh = lhs.low.multipliedFullWidth(by: rhs.high)
    let hl = lhs.high.multipliedFullWidth(by: rhs.low)
    let hh = lhs.high.multipliedFullWidth(by: rhs.high)
    // Digit 1 (bits 128 … 255) and the carries it sends to digit 2.
    let (d1a, c1a) = ll.high.addingReportingOverflow(lh.low)
    let (d1, c1b) = d1a.addingReportingOverflow(hl.low)
    let carry1 = UInt128((c1a ? 1 : 0) + (c1b ? 1 : 0))
    // Digit 2 (bits 256 … 383); digit 3 cannot overflow since the product is below 2^512.
    let (d2a, c2a) = hh.low.addingReportingOverflow(lh.high)
    let (d2b, c2b) = d2a.addingReportingOverflow(hl.high)
    let (d2, c2c) = d2b.addingReportingOverflow(carry1)
    let d3 = hh.high &+ UInt128((c2a ? 1 : 0) + (c2b ? 1 : 0) + (c2c ? 1 : 0))
    return (UInt256(high: d3, low: d2), UInt256(high: d1, low: ll.low))
  }

  /// lhs·rhs mod 2^256.
  static func multipliedLow(_ lhs: UInt256, _ rhs: UInt256) -> UInt256 {
    let ll = lhs.low.multipliedFullWidth(by: rhs.low)
    return UInt256(high: ll.high &+ lhs.low &* rhs.high &+ lhs.high &* rhs.low, low: ll.low)
  }

  /// ⌊lhs·rhs / 2^192⌋ (`roundingUp` false) or ⌈lhs·rhs / 2^192⌉ (true), for a result below
  /// 2^256.
  static func productShifted192(_ lhs: UInt256, _ rhs: UInt256, roundingUp: Bool) -> UInt256 {
    let product = multipliedFullWidth(lhs, rhs)
    precondition(product.high.high >> 64 == 0, "UInt256: product shifted by 192 overflows")
    // Bits 192 … 447 of the product.
    let result = UInt256(
      high: product.high.high << 64 | product.high.low >> 64,
      low: product.high.low << 64 | product.low.high >> 64)
    let dropped = product.low.low != 0 || product.low.high & UInt128(UInt64.max) != 0
    return roundingUp && dropped ? result + UInt256(high: 0, low: 1) : result
  }

  /// (self·2^160) mod 2^256: the bits of self below 2^96, moved up by 160.
  var shiftedLeft160Low: UInt256 {
    UInt256(high: low << 32, low: 0)
  }
}

// MARK: - Division by a fixed divisor

/// Exact division of s·2^160 by a fixed Z with 2^161 ≤ Z < 2^255, for any 256-bit s, through a
/// precomputed reciprocal V = ⌊2^416 / Z⌋ and one correction step.
///
/// With q = ⌊s·2^160 / Z⌋ and q̂ = ⌊s·V / 2^256⌋: V ≤ 2^416/Z < V + 1 gives
/// s·V/2^256 ≤ s·2^160/Z < s·V/2^256 + s/2^256, and s < 2^256, so q − 1 ≤ q̂ ≤ q. The remainder
/// r = s·2^160 − q̂·Z then lies in [0, 2Z) ⊂ [0, 2^256) and is computed exactly modulo 2^256;
/// if r ≥ Z the quotient is q̂ + 1 and the remainder r − Z. A final check r < Z guards the
/// argument.
struct FixedDivisor {
  /// Z.
  let divisor: UInt256
  /// V = ⌊2^416 / Z⌋ (at most 2^255).
  let reciprocal: UInt256

  init(_ divisor: BigInt) {
    precondition(
      divisor >= BigInt(1) << 161 && divisor < BigInt(1) << 255, "FixedDivisor: Z out of range")
    self.divisor = UInt256(divisor)
    reciprocal = UInt256((BigInt(1) << 416) / divisor)
  }

  /// (⌊s·2^160 / Z⌋, s·2^160 mod Z).
  @inline(__always)
  func divide(shifted s: UInt256) -> (quotient: UInt256, remainder: UInt256) {
    var quotient = UInt256.multipliedFullWidth(s, reciprocal).high
    var remainder = s.shiftedLeft160Low &- UInt256.multipliedLow(quotient, divisor)
    if !(remainder < divisor) {
      quotient = quotient + UInt256(high: 0, low: 1)
      remainder = remainder - divisor
    }
    precondition(remainder < divisor, "FixedDivisor: reciprocal estimate off by more than one")
    return (quotient, remainder)
  }

  /// ⌊s·2^160 / Z⌋.
  @inline(__always)
  func floorQuotient(shifted s: UInt256) -> UInt256 {
    divide(shifted: s).quotient
  }

  /// ⌈s·2^160 / Z⌉.
  @inline(__always)
  func ceilQuotient(shifted s: UInt256) -> UInt256 {
    let (quotient, remainder) = divide(shifted: s)
    return remainder.isZero ? quotient : quotient + UInt256(high: 0, low: 1)
  }
}
