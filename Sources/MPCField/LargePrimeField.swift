public import MPCBigInt
package import MPCCrypto

/// Z_p for any prime (typically ≥ 2^64): L = ⌈bitlen(p)/64⌉ limbs per element, carry chains
/// on machine words, a dedicated two-limb path (the 89-, 107-, 127- and 128-bit fields).
public struct LargePrimeField: PrimeField, PrimeFieldKernels, Hashable {
  /// p as `limbCount` little-endian limbs.
  public let limbs: [UInt64]
  public let modulus: BigInt
  public let bitWidth: Int
  public let limbCount: Int
  public let elementByteCount: Int

  /// The field of `modulus`; throws unless it is a prime ≥ 3 within the supported width.
  public init(modulus: BigInt) throws {
    try validatePrime(modulus)
    self.modulus = modulus
    bitWidth = modulus.bitWidth
    limbCount = (bitWidth + 63) / 64
    elementByteCount = (bitWidth + 7) / 8
    limbs = try modulus.limbs(count: limbCount)
  }

  /// The kernels for a modulus another ``PrimeField`` conformance has already validated.
  init(validatedModulus modulus: BigInt) {
    self.modulus = modulus
    bitWidth = modulus.bitWidth
    limbCount = (bitWidth + 63) / 64
    elementByteCount = (bitWidth + 7) / 8
    // Cannot throw: p fits in its own limb count.
    limbs = try! modulus.limbs(count: limbCount)
  }

  // MARK: - Add

  package func add(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) {
    precondition(a.count == b.count && a.count % limbCount == 0, "length mismatch")
    if limbCount == 2 {
      add2(a, stride: 2) { b[$0] }
    } else {
      limbs.withUnsafeBufferPointer { p in
        var i = 0
        while i < a.count {
          addElement(a.baseAddress! + i, b.baseAddress! + i, p.baseAddress!)
          i += limbCount
        }
      }
    }
  }

  package func addScalar(_ a: UnsafeMutableBufferPointer<UInt64>, _ s: UnsafeBufferPointer<UInt64>)
  {
    precondition(s.count == limbCount && a.count % limbCount == 0, "length mismatch")
    if limbCount == 2 {
      add2(a, stride: 0) { s[$0] }
    } else {
      limbs.withUnsafeBufferPointer { p in
        var i = 0
        while i < a.count {
          addElement(a.baseAddress! + i, s.baseAddress!, p.baseAddress!)
          i += limbCount
        }
      }
    }
  }

  package func add(
    _ a: UnsafeMutableBufferPointer<UInt64>, unalignedLimbs b: UnsafeRawBufferPointer
  ) {
    precondition(b.count == 8 * a.count && a.count % limbCount == 0, "length mismatch")
    @inline(__always) func limb(_ j: Int) -> UInt64 {
      UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self))
    }
    if limbCount == 2 {
      add2(a, stride: 2, limb)
      return
    }
    // One element at a time through an aligned copy of its limbs.
    let element = UnsafeMutablePointer<UInt64>.allocate(capacity: limbCount)
    defer { element.deallocate() }
    limbs.withUnsafeBufferPointer { p in
      var i = 0
      while i < a.count {
        for k in 0..<limbCount { element[k] = limb(i + k) }
        addElement(a.baseAddress! + i, element, p.baseAddress!)
        i += limbCount
      }
    }
  }

  /// Two-limb add of `b(j)`; `stride` 2 walks `b` with `a`, 0 adds the same scalar everywhere.
  /// Branch-free: s = a + b and d = s − p are both computed and d is kept when the sum
  /// carried out of 128 bits or did not borrow (s ≥ p). Random operands make that choice a
  /// coin flip, which a branch would mispredict half the time.
  @inline(__always)
  private func add2(
    _ a: UnsafeMutableBufferPointer<UInt64>, stride: Int, _ b: (Int) -> UInt64
  ) {
    let p0 = limbs[0]
    let p1 = limbs[1]
    var i = 0
    var j = 0
    while i < a.count {
      let (s0, c0) = a[i].addingReportingOverflow(b(j))
      let (t1, c1a) = a[i + 1].addingReportingOverflow(b(j + 1))
      let (s1, c1b) = t1.addingReportingOverflow(c0 ? 1 : 0)
      let (d0, b0) = s0.subtractingReportingOverflow(p0)
      let (e1, b1a) = s1.subtractingReportingOverflow(p1)
      let (d1, b1b) = e1.subtractingReportingOverflow(b0 ? 1 : 0)
      // keep = all ones when the reduced value d is the answer.
      let carry = (c1a || c1b) ? UInt64(1) : 0
      let borrow = (b1a || b1b) ? UInt64(1) : 0
      let keep = 0 &- (carry | (borrow ^ 1))
      a[i] = (d0 & keep) | (s0 & ~keep)
      a[i + 1] = (d1 & keep) | (s1 & ~keep)
      i += 2
      j += stride
    }
  }

  /// Two-limb subtract, branch-free: d = a − b, plus p when it borrowed.
  @inline(__always)
  private func subtract2(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>)
  {
    let p0 = limbs[0]
    let p1 = limbs[1]
    var i = 0
    while i < a.count {
      let (d0, b0) = a[i].subtractingReportingOverflow(b[i])
      let (e1, b1a) = a[i + 1].subtractingReportingOverflow(b[i + 1])
      let (d1, b1b) = e1.subtractingReportingOverflow(b0 ? 1 : 0)
      let wrap = 0 &- ((b1a || b1b) ? UInt64(1) : 0)
      let (r0, c0) = d0.addingReportingOverflow(p0 & wrap)
      a[i] = r0
      a[i + 1] = d1 &+ (p1 & wrap) &+ (c0 ? 1 : 0)
      i += 2
    }
  }

  /// x ← x + y mod p for one element of L limbs.
  @inline(__always)
  private func addElement(
    _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafePointer<UInt64>, _ p: UnsafePointer<UInt64>
  ) {
    let carry = addInPlace(x, y)
    if carry || !isBelow(x, p) {
      _ = subtractInPlace(x, p)
    }
  }

  /// x ← x + y mod 2^(64L); returns the carry out.
  @inline(__always)
  private func addInPlace(_ x: UnsafeMutablePointer<UInt64>, _ y: UnsafePointer<UInt64>) -> Bool {
    var carry: UInt64 = 0
    for k in 0..<limbCount {
      let (s, c1) = x[k].addingReportingOverflow(y[k])
      let (t, c2) = s.addingReportingOverflow(carry)
      x[k] = t
      carry = (c1 || c2) ? 1 : 0
    }
    return carry == 1
  }

  /// Whether x < p (limbs compared from the top).
  @inline(__always)
  private func isBelow(_ x: UnsafePointer<UInt64>, _ p: UnsafePointer<UInt64>) -> Bool {
    var k = limbCount - 1
    while k >= 0 {
      if x[k] != p[k] { return x[k] < p[k] }
      k -= 1
    }
    return false
  }

  /// out ← a − b mod 2^(64L) (`out` may alias `a` or `b`); returns the borrow out.
  @inline(__always)
  private func difference(
    _ out: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>
  ) -> Bool {
    var borrow: UInt64 = 0
    for k in 0..<limbCount {
      let (d, b1) = a[k].subtractingReportingOverflow(b[k])
      let (e, b2) = d.subtractingReportingOverflow(borrow)
      out[k] = e
      borrow = (b1 || b2) ? 1 : 0
    }
    return borrow == 1
  }

  /// x ← x − y mod 2^(64L); returns the borrow out.
  @inline(__always)
  private func subtractInPlace(_ x: UnsafeMutablePointer<UInt64>, _ y: UnsafePointer<UInt64>)
    -> Bool
  {
    difference(x, x, y)
  }

  // MARK: - Subtract, negate

  package func subtract(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) {
    precondition(a.count == b.count && a.count % limbCount == 0, "length mismatch")
    if limbCount == 2 {
      subtract2(a, b)
      return
    }
    limbs.withUnsafeBufferPointer { p in
      var i = 0
      while i < a.count {
        let x = a.baseAddress! + i
        if subtractInPlace(x, b.baseAddress! + i) {
          // x − y wrapped below zero: add p back (the carry out cancels the wrap).
          _ = addInPlace(x, p.baseAddress!)
        }
        i += limbCount
      }
    }
  }

  package func negate(_ a: UnsafeMutableBufferPointer<UInt64>) {
    precondition(a.count % limbCount == 0, "length mismatch")
    limbs.withUnsafeBufferPointer { p in
      var i = 0
      while i < a.count {
        let x = a.baseAddress! + i
        var isZero = true
        for k in 0..<limbCount where x[k] != 0 { isZero = false }
        if !isZero {
          _ = difference(x, p.baseAddress!, x)
        }
        i += limbCount
      }
    }
  }

  // MARK: - Sampling

  package func fillUniform(
    _ a: UnsafeMutableBufferPointer<UInt64>, using random: inout some RandomSource
  ) {
    precondition(a.count % limbCount == 0, "length mismatch")
    let l = limbCount
    let w = elementByteCount
    let topBits = bitWidth - 64 * (l - 1)
    let topMask: UInt64 = topBits == 64 ? .max : (1 << UInt64(topBits)) &- 1
    let total = a.count / l
    // Candidates are consecutive w-byte strings of the stream, drawn in bulk; the accepted
    // ones are kept in order. That is exactly drawing element by element and redrawing a
    // rejected one at once (field.md §3), without a call per element.
    var done = 0
    var bytes: [UInt8] = w == 8 * l ? [] : [UInt8](repeating: 0, count: total * w)
    limbs.withUnsafeBufferPointer { p in
      while done < total {
        let want = total - done
        let region = a.baseAddress! + done * l
        if w == 8 * l {
          random.fill(UnsafeMutableRawBufferPointer(start: region, count: want * w))
        } else {
          bytes.withUnsafeMutableBytes { raw in
            let candidates = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(want * w)])
            random.fill(candidates)
            let out = UnsafeMutableRawBufferPointer(start: region, count: want * l * 8)
            for c in 0..<want {
              for k in 0..<l { region[c * l + k] = 0 }
              UnsafeMutableRawBufferPointer(rebasing: out[(c * l * 8)..<(c * l * 8 + w)])
                .copyMemory(
                  from: UnsafeRawBufferPointer(rebasing: candidates[(c * w)..<((c + 1) * w)]))
            }
          }
        }
        var kept = 0
        for c in 0..<want {
          let x = region + c * l
          for k in 0..<l { x[k] = UInt64(littleEndian: x[k]) }
          x[l - 1] &= topMask
          guard isBelow(x, p.baseAddress!) else { continue }
          if kept != c { (region + kept * l).update(from: x, count: l) }
          kept += 1
        }
        done += kept
      }
    }
  }

}
