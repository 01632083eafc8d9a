public import MPCBigInt
package import MPCCrypto

/// Z_p for a prime p < 2^64: one machine word per element, branch-light add/subtract.
public struct SmallPrimeField: PrimeField, PrimeFieldKernels, Hashable {
  /// p as a machine word.
  public let p: UInt64
  public let modulus: BigInt
  public let bitWidth: Int
  public var limbCount: Int { 1 }
  public let elementByteCount: Int

  /// The field of `modulus`; throws unless it is a prime in [3, 2^64).
  public init(modulus: BigInt) throws {
    try validatePrime(modulus)
    guard let word = UInt64(exactly: modulus) else {
      throw FieldError.modulusTooLarge(bitWidth: modulus.bitWidth, maximum: 64)
    }
    p = word
    self.modulus = modulus
    bitWidth = modulus.bitWidth
    elementByteCount = (bitWidth + 7) / 8
  }

  @inline(__always)
  func addWord(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (s, carry) = a.addingReportingOverflow(b)
    return (carry || s >= p) ? s &- p : s
  }

  package func add(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) {
    precondition(a.count == b.count, "length mismatch")
    for i in 0..<a.count { a[i] = addWord(a[i], b[i]) }
  }

  package func add(
    _ a: UnsafeMutableBufferPointer<UInt64>, unalignedLimbs b: UnsafeRawBufferPointer
  ) {
    precondition(b.count == 8 * a.count, "length mismatch")
    for i in 0..<a.count {
      let limb = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
      a[i] = addWord(a[i], limb)
    }
  }

  package func subtract(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) {
    precondition(a.count == b.count, "length mismatch")
    for i in 0..<a.count {
      let (d, borrow) = a[i].subtractingReportingOverflow(b[i])
      a[i] = borrow ? d &+ p : d
    }
  }

  package func negate(_ a: UnsafeMutableBufferPointer<UInt64>) {
    for i in 0..<a.count { a[i] = a[i] == 0 ? 0 : p &- a[i] }
  }

  package func addScalar(_ a: UnsafeMutableBufferPointer<UInt64>, _ s: UnsafeBufferPointer<UInt64>)
  {
    precondition(s.count == 1, "scalar must be one limb")
    let c = s[0]
    for i in 0..<a.count { a[i] = addWord(a[i], c) }
  }

  package func fillUniform(
    _ a: UnsafeMutableBufferPointer<UInt64>, using random: inout some RandomSource
  ) {
    for i in 0..<a.count {
      var candidate: UInt64
      repeat { candidate = random.nextBits(bitWidth) } while candidate >= p
      a[i] = candidate
    }
  }
}
