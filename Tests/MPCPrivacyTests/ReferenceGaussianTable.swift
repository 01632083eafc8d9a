import MPCBigInt
import MPCCrypto

@testable import MPCPrivacy

/// The table construction of protocols/noise.md §4.1 written directly with `BigInt`, exactly as
/// `DiscreteGaussianTable.init` computed it before the fixed-width rewrite. It is slow and is
/// kept only as the reference that the fast construction must match bit for bit.
struct ReferenceGaussianTable {
  let bound: Int
  let cumulative: [UInt128]
  let guide: [Int32]
  let guideBits: Int
  let statisticalDistanceBound: Rational

  init(sigmaSquared: Rational) {
    let p = DiscreteGaussianTable.weightPrecision
    let q = DiscreteGaussianTable.cumulativePrecision
    let n = sigmaSquared.numerator
    let d = sigmaSquared.denominator
    let b180 = (Rational(180) * sigmaSquared).ceiling
    var bBig = try! b180.squareRootFloor()
    if bBig * bBig < b180 { bBig += 1 }
    let b = Int(exactly: bBig)!
    bound = b

    let inverse = try! sigmaSquared.reciprocal()
    let r0 = VerifiedMath.expMinus(inverse / 2, precision: p)
    let step = VerifiedMath.expMinus(inverse, precision: p)
    var wLo = [BigInt](repeating: 0, count: b + 1)
    var wHi = [BigInt](repeating: 0, count: b + 1)
    wLo[0] = BigInt(1) << p
    wHi[0] = BigInt(1) << p
    var rLo = r0.lo
    var rHi = r0.hi
    for x in 0..<b {
      wLo[x + 1] = (wLo[x] * rLo) >> p
      wHi[x + 1] = VerifiedMath.ceilShift(wHi[x] * rHi, p)
      rLo = (rLo * step.lo) >> p
      rHi = VerifiedMath.ceilShift(rHi * step.hi, p)
    }
    let tailHi = VerifiedMath.ceilDiv(wHi[b] * n, d * BigInt(b))
    var zLo = BigInt(0)
    var zHi = BigInt(2) * tailHi
    for x in -b...b {
      zLo += wLo[abs(x)]
      zHi += wHi[abs(x)]
    }

    let outcomes = 2 * b + 1
    var table = [UInt128](repeating: 0, count: outcomes - 1)
    var sLo = BigInt(0)
    var sHi = BigInt(0)
    var widthSum = BigInt(0)
    let oneQ = BigInt(1) << q
    for j in 0..<(outcomes - 1) {
      let x = abs(j - b)
      sLo += wLo[x]
      sHi += wHi[x]
      let fLo = (sLo << q) / zHi
      let fHi = VerifiedMath.ceilDiv((sHi + tailHi) << q, zLo)
      widthSum += min(fHi, oneQ) - fLo
      let c = fLo >> (q - 128)
      let limbs = try! c.limbs(count: 2)
      table[j] = UInt128(limbs[1]) << 64 | UInt128(limbs[0])
    }
    cumulative = table
    statisticalDistanceBound =
      (try! Rational(widthSum, oneQ))
      + (try! Rational(BigInt(outcomes - 1), BigInt(1) << 128))
      + (try! Rational(BigInt(2) * tailHi, zLo))

    var g = 8
    while (1 << g) < 2 * outcomes && g < 20 { g += 1 }
    guideBits = g
    var guideTable = [Int32](repeating: 0, count: 1 << g)
    var j = 0
    for bucket in 0..<(1 << g) {
      let threshold = UInt128(bucket) << (128 - g)
      while j < table.count && table[j] <= threshold { j += 1 }
      guideTable[bucket] = Int32(j)
    }
    guide = guideTable
  }
}

/// A BLAKE2b-256 digest (hex) of everything a table fixes: B, every Ĉ_j (16 bytes little-endian),
/// the distance bound (as text), the guide bits and every guide entry (4 bytes little-endian).
func tableDigest(
  bound: Int, cumulative: [UInt128], statisticalDistanceBound: Rational, guideBits: Int,
  guide: [Int32]
) -> String {
  var hasher = try! Blake2b(outputByteCount: 32)  // 32 is a valid digest size
  var bytes: [UInt8] = []
  bytes.reserveCapacity(16 * cumulative.count + 4 * guide.count + 64)
  func append<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }
  append(Int64(bound))
  for c in cumulative { append(c) }
  bytes.append(contentsOf: Array(statisticalDistanceBound.description.utf8))
  append(Int64(guideBits))
  for entry in guide { append(entry) }
  hasher.update(bytes)
  return Hex.encode(hasher.finalize())
}
