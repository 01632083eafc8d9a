public import MPCBigInt
public import MPCCrypto

/// A vector of field elements in one contiguous buffer of little-endian 64-bit limbs
/// (`count · field.limbCount` of them), every element reduced into [0, p).
/// A value type: copies share storage until one is written (Array copy-on-write).
public struct FieldVector: Sendable {
  /// The field the elements belong to.
  public let field: any PrimeField
  /// The limbs, element after element.
  public private(set) var limbs: [UInt64]

  /// Number of elements.
  public var count: Int { limbs.count / field.limbCount }

  /// `count` zeros.
  public init(zeros count: Int, in field: any PrimeField) {
    self.field = field
    limbs = [UInt64](repeating: 0, count: count * field.limbCount)
  }

  /// The elements v mod p of arbitrary integers.
  public init(_ values: [BigInt], in field: any PrimeField) {
    self.init(zeros: values.count, in: field)
    let l = field.limbCount
    for (i, v) in values.enumerated() {
      // Cannot throw: a reduced element fits in limbCount limbs.
      let e = try! field.element(v).limbs(count: l)
      for k in 0..<l { limbs[i * l + k] = e[k] }
    }
  }

  /// The elements v mod p of machine integers (negative values map to p − |v|), without
  /// allocating per element.
  public init(signed values: some Collection<Int64>, in field: any PrimeField) {
    // One loop over contiguous storage: a generic iterator across modules costs ~10× more.
    if let vector = values.withContiguousStorageIfAvailable({
      FieldVector(signedBuffer: $0, in: field)
    }) {
      self = vector
    } else {
      self = Array(values).withUnsafeBufferPointer { FieldVector(signedBuffer: $0, in: field) }
    }
  }

  private init(signedBuffer values: UnsafeBufferPointer<Int64>, in field: any PrimeField) {
    self.init(zeros: values.count, in: field)
    let l = field.limbCount
    // Cannot throw: p fits in limbCount limbs.
    let p = try! field.modulus.limbs(count: l)
    limbs.withUnsafeMutableBufferPointer { out in
      for (i, v) in values.enumerated() {
        let magnitude = v.magnitude
        if l == 1 && magnitude >= p[0] {
          // Only for tiny fields: reduce through BigInt.
          out[i] = try! field.element(BigInt(v)).limbs(count: 1)[0]
        } else if v >= 0 {
          out[i * l] = magnitude
        } else if magnitude != 0 {
          // p − |v| with the borrow carried through the upper limbs.
          var borrow: UInt64 = 0
          for k in 0..<l {
            let (d, b1) = p[k].subtractingReportingOverflow(k == 0 ? magnitude : 0)
            let (e, b2) = d.subtractingReportingOverflow(borrow)
            out[i * l + k] = e
            borrow = (b1 || b2) ? 1 : 0
          }
        }
      }
    }
  }

  /// Adopts limbs that are already reduced; throws if any element is ≥ p.
  public init(limbs: [UInt64], in field: any PrimeField) throws {
    guard limbs.count % field.limbCount == 0 else {
      throw FieldError.invalidEncodingLength(
        byteCount: limbs.count * 8, elementByteCount: field.limbCount * 8)
    }
    self.field = field
    self.limbs = limbs
    let l = field.limbCount
    let p = try field.modulus.limbs(count: l)
    for i in 0..<count where !Self.isBelow(limbs, at: i * l, p) {
      throw FieldError.elementOutOfRange(index: i)
    }
  }

  static func isBelow(_ x: [UInt64], at offset: Int, _ p: [UInt64]) -> Bool {
    var k = p.count - 1
    while k >= 0 {
      if x[offset + k] != p[k] { return x[offset + k] < p[k] }
      k -= 1
    }
    return false
  }

  /// `count` elements uniform in [0, p), drawn by the field's rejection rule.
  public init(
    uniformCount count: Int, in field: any PrimeField, using random: inout some RandomSource
  ) {
    self.init(zeros: count, in: field)
    let kernels = field.kernels
    limbs.withUnsafeMutableBufferPointer { kernels.fillUniform($0, using: &random) }
  }

  /// Element `index` as an integer in [0, p).
  public subscript(index: Int) -> BigInt {
    let l = field.limbCount
    return BigInt(limbs: limbs[(index * l)..<((index + 1) * l)])
  }

  /// Element `index` as a signed integer in [−(p−1)/2, (p−1)/2].
  public func signedValue(at index: Int) -> BigInt {
    field.signedValue(self[index])
  }

  /// All elements as signed integers.
  public var signedValues: [BigInt] { (0..<count).map(signedValue(at:)) }

  /// Mutable access to the raw limbs, for in-place kernels (keep every element reduced).
  package mutating func withUnsafeMutableLimbs<R>(
    _ body: (UnsafeMutableBufferPointer<UInt64>) throws -> R
  ) rethrows -> R {
    try limbs.withUnsafeMutableBufferPointer { try body($0) }
  }

  private func check(_ other: FieldVector) throws {
    guard other.field.modulus == field.modulus else {
      throw FieldError.fieldMismatch(expected: field.description, actual: other.field.description)
    }
    guard other.count == count else {
      throw FieldError.lengthMismatch(expected: count, actual: other.count)
    }
  }
}

// MARK: - Arithmetic (in place, no per-element allocation)

extension FieldVector {
  /// self ← self + other, element-wise mod p.
  public mutating func add(_ other: FieldVector) throws {
    try check(other)
    let f = field.kernels
    other.limbs.withUnsafeBufferPointer { b in limbs.withUnsafeMutableBufferPointer { f.add($0, b) }
    }
  }

  /// self ← self − other, element-wise mod p.
  public mutating func subtract(_ other: FieldVector) throws {
    try check(other)
    let f = field.kernels
    other.limbs.withUnsafeBufferPointer { b in
      limbs.withUnsafeMutableBufferPointer { f.subtract($0, b) }
    }
  }

  /// self ← −self.
  public mutating func negate() {
    let f = field.kernels
    limbs.withUnsafeMutableBufferPointer { f.negate($0) }
  }

  /// self ← self + s for every element (s is reduced mod p first).
  public mutating func addScalar(_ s: BigInt) {
    let f = field.kernels
    // Cannot throw: a reduced element fits in limbCount limbs.
    let scalar = try! f.element(s).limbs(count: f.limbCount)
    scalar.withUnsafeBufferPointer { sb in
      limbs.withUnsafeMutableBufferPointer { f.addScalar($0, sb) }
    }
  }
}

// MARK: - Encoding (DESIGN §3: fixed-width little-endian, ⌈bitlen(p)/8⌉ bytes per element)

extension FieldVector {
  /// Bytes of the whole vector.
  public var encodedByteCount: Int { count * field.elementByteCount }

  /// Writes the encoding into `out` (exactly ``encodedByteCount`` bytes).
  public func encode(into out: UnsafeMutableRawBufferPointer) {
    precondition(out.count == encodedByteCount, "encoding buffer size")
    let l = field.limbCount
    let w = field.elementByteCount
    if w == 8 * l && UInt64(1).littleEndian == 1 {
      // Whole limbs on a little-endian host: the limbs are the encoding.
      limbs.withUnsafeBytes { out.copyMemory(from: $0) }
      return
    }
    limbs.withUnsafeBufferPointer { src in
      var o = 0
      for i in 0..<count {
        var remaining = w
        for k in 0..<l {
          var limb = src[i * l + k]
          let take = min(8, remaining)
          for _ in 0..<take {
            out[o] = UInt8(truncatingIfNeeded: limb)
            limb >>= 8
            o += 1
          }
          remaining -= take
        }
      }
    }
  }

  /// The encoding as bytes.
  public func encoded() -> [UInt8] {
    var out = [UInt8](repeating: 0, count: encodedByteCount)
    out.withUnsafeMutableBytes { encode(into: $0) }
    return out
  }

  /// Decodes fixed-width little-endian elements; throws on a partial element or one ≥ p.
  public init(decoding bytes: UnsafeRawBufferPointer, in field: any PrimeField) throws {
    let w = field.elementByteCount
    guard bytes.count % w == 0 else {
      throw FieldError.invalidEncodingLength(byteCount: bytes.count, elementByteCount: w)
    }
    let n = bytes.count / w
    let l = field.limbCount
    var limbs = [UInt64](repeating: 0, count: n * l)
    if w == 8 * l && UInt64(1).littleEndian == 1 {
      limbs.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
    } else {
      var o = 0
      for i in 0..<n {
        for b in 0..<w {
          limbs[i * l + b / 8] |= UInt64(bytes[o]) << UInt64(8 * (b % 8))
          o += 1
        }
      }
    }
    try self.init(limbs: limbs, in: field)
  }

  /// self ← self + the decoded `bytes`, element-wise mod p: the receiving side of an upload
  /// without a decoded copy. Throws like `init(decoding:in:)` on a partial element, one
  /// ≥ p or a length that differs from ``count``, and then leaves `self` unchanged.
  public mutating func addEncoded(_ bytes: UnsafeRawBufferPointer) throws {
    let l = field.limbCount
    let w = field.elementByteCount
    guard w == 8 * l, UInt64(1).littleEndian == 1 else {
      // Widths that are not whole limbs: decode, then add.
      try add(FieldVector(decoding: bytes, in: field))
      return
    }
    guard bytes.count % w == 0 else {
      throw FieldError.invalidEncodingLength(byteCount: bytes.count, elementByteCount: w)
    }
    guard bytes.count / w == count else {
      throw FieldError.lengthMismatch(expected: count, actual: bytes.count / w)
    }
    // Cannot throw: p fits in limbCount limbs.
    let p = try! field.modulus.limbs(count: l)
    // Pass 1: every element < p (the bytes may sit at any alignment inside a frame).
    for i in 0..<count {
      var k = l - 1
      while k >= 0 {
        let limb = bytes.loadUnaligned(fromByteOffset: (i * l + k) * 8, as: UInt64.self)
        if limb != p[k] {
          if limb > p[k] { throw FieldError.elementOutOfRange(index: i) }
          break
        }
        k -= 1
      }
      if k < 0 { throw FieldError.elementOutOfRange(index: i) }
    }
    // Pass 2: add, loading each limb unaligned (frame bytes are never bound as UInt64).
    let f = field.kernels
    limbs.withUnsafeMutableBufferPointer { f.add($0, unalignedLimbs: bytes) }
  }

  /// Decodes fixed-width little-endian elements from an array.
  public init(decoding bytes: [UInt8], in field: any PrimeField) throws {
    self = try bytes.withUnsafeBytes { try FieldVector(decoding: $0, in: field) }
  }
}

// MARK: - Signed machine integers (no per-element allocation)

extension FieldVector {
  /// Every element's signed value (DESIGN §3) as an `Int64`, or nil if any does not fit.
  /// The fast path of opening: no `BigInt` per element.
  public func signedInt64Values() -> [Int64]? {
    let l = field.limbCount
    let n = count
    // Cannot throw: p fits in limbCount limbs.
    let p = try! field.modulus.limbs(count: l)
    var ok = true
    let out = limbs.withUnsafeBufferPointer { e in
      [Int64](unsafeUninitializedCapacity: n) { out, initialized in
        initialized = n
        if l == 1 {
          // p < 2^64, so (p − 1)/2 < 2^63 and both branches fit.
          let p0 = p[0]
          let half = (p0 - 1) / 2
          for i in 0..<n {
            let v = e[i]
            out[i] = v <= half ? Int64(v) : -Int64(p0 - v)
          }
          return
        }
        if l == 2 {
          // p ≥ 2^64: e < 2^63 is positive; otherwise negative iff p − e ≤ 2^63.
          let (p0, p1) = (p[0], p[1])
          for i in 0..<n {
            let (e0, e1) = (e[2 * i], e[2 * i + 1])
            if e1 == 0 && e0 < 1 << 63 {
              out[i] = Int64(e0)
              continue
            }
            let (d0, borrow) = p0.subtractingReportingOverflow(e0)
            let d1 = p1 &- e1 &- (borrow ? 1 : 0)
            guard d1 == 0 && d0 <= 1 << 63 else {
              ok = false
              out.update(repeating: 0)
              return
            }
            out[i] = d0 == 1 << 63 ? Int64.min : -Int64(d0)
          }
          return
        }
        for i in 0..<n {
          guard let v = Self.signedInt64(e.baseAddress! + i * l, p, l) else {
            ok = false
            out.update(repeating: 0)
            return
          }
          out[i] = v
        }
      }
    }
    return ok ? out : nil
  }

  /// The signed value of one element of l ≥ 2 limbs (p ≥ 2^64) if it fits an Int64.
  @inline(__always)
  private static func signedInt64(_ e: UnsafePointer<UInt64>, _ p: [UInt64], _ l: Int) -> Int64? {
    // p ≥ 2^64 > 2·(2^63 − 1): any e < 2^63 is ≤ (p − 1)/2, hence positive.
    var upperZero = true
    for k in 1..<l where e[k] != 0 { upperZero = false }
    if upperZero && e[0] < 1 << 63 { return Int64(e[0]) }
    // Otherwise it is negative iff d = p − e is small; compute d from the top limbs down.
    var borrow: UInt64 = 0
    var low: UInt64 = 0
    var dUpperZero = true
    for k in 0..<l {
      let (x, b1) = p[k].subtractingReportingOverflow(e[k])
      let (y, b2) = x.subtractingReportingOverflow(borrow)
      if k == 0 { low = y } else if y != 0 { dUpperZero = false }
      borrow = (b1 || b2) ? 1 : 0
    }
    guard dUpperZero && low <= 1 << 63 else { return nil }
    return low == 1 << 63 ? Int64.min : -Int64(low)
  }
}
