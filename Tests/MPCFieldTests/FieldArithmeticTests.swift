import Foundation
import MPCBigInt
import MPCCrypto
import MPCField
import Testing
import _MPCTestSupport

/// Primes of 61, 64, 89, 127, 128, 192, 255 and 521 bits, small ones, and the ones just below
/// a limb boundary (2^64 − 59, 2^128 − 159).
let testPrimes: [BigInt] = [
  101, 65537,
  (BigInt(1) << 61) - 1,
  (BigInt(1) << 64) - 59,
  (BigInt(1) << 89) - 1,
  (BigInt(1) << 127) - 1,
  (BigInt(1) << 128) - 159,
  (BigInt(1) << 192) - (BigInt(1) << 64) - 1,
  (BigInt(1) << 255) - 19,
  (BigInt(1) << 521) - 1,
]

/// Edge elements: 0, 1, p − 1, p − 2, (p ± 1)/2, and values around limb boundaries.
func edgeElements(_ p: BigInt) -> [BigInt] {
  var values: [BigInt] = [0, 1, 2, p - 1, p - 2, (p - 1) >> 1, (p + 1) >> 1]
  for bits in stride(from: 64, to: p.bitWidth, by: 64) {
    values += [(BigInt(1) << bits) - 1, BigInt(1) << bits, (BigInt(1) << bits) + 1]
  }
  return values.filter { $0 >= 0 && $0 < p }
}

/// Random elements from a seeded stream, reduced with BigInt (independent of the field code).
func randomElements(_ p: BigInt, count: Int, label: String) -> [BigInt] {
  var random = SeededRandom.make(label)
  let width = (p.bitWidth + 7) / 8 + 8
  return (0..<count).map { _ in try! BigInt(littleEndianBytes: random.bytes(count: width)).modulo(p)
  }
}

@Suite struct FieldArithmeticTests {
  func operands(_ p: BigInt) -> ([BigInt], [BigInt]) {
    let edges = edgeElements(p)
    // Every pair of edge elements, then random pairs.
    var a: [BigInt] = []
    var b: [BigInt] = []
    for x in edges {
      for y in edges {
        a.append(x)
        b.append(y)
      }
    }
    a += randomElements(p, count: 300, label: "a-\(p)")
    b += randomElements(p, count: 300, label: "b-\(p)")
    return (a, b)
  }

  @Test(arguments: testPrimes)
  func vectorOperationsMatchBigInt(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    #expect(field.limbCount == (p.bitWidth + 63) / 64)
    #expect(field.elementByteCount == (p.bitWidth + 7) / 8)
    let (a, b) = operands(p)
    let va = FieldVector(a, in: field)
    let vb = FieldVector(b, in: field)

    var sum = va
    try sum.add(vb)
    var difference = va
    try difference.subtract(vb)
    var negated = va
    negated.negate()
    let scalar = b[b.count - 1]
    var shifted = va
    shifted.addScalar(scalar)
    for i in 0..<a.count {
      #expect(sum[i] == (try (a[i] + b[i]).modulo(p)), "add \(i)")
      #expect(difference[i] == (try (a[i] - b[i]).modulo(p)), "subtract \(i)")
      #expect(negated[i] == (try (-a[i]).modulo(p)), "negate \(i)")
      #expect(shifted[i] == (try (a[i] + scalar).modulo(p)), "addScalar \(i)")
    }
    // The original is untouched (copy on write).
    #expect(va[0] == a[0] && va[a.count - 1] == a[a.count - 1])
  }

  @Test(arguments: testPrimes)
  func encodingRoundTripAndSignedDecode(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let values = edgeElements(p) + randomElements(p, count: 50, label: "enc-\(p)")
    let v = FieldVector(values, in: field)
    let bytes = v.encoded()
    #expect(bytes.count == values.count * field.elementByteCount)
    for (i, x) in values.enumerated() {
      let w = field.elementByteCount
      #expect(Array(bytes[(i * w)..<((i + 1) * w)]) == (try x.littleEndianBytes(count: w)))
    }
    let back = try FieldVector(decoding: bytes, in: field)
    #expect(back.limbs == v.limbs)
    // Signed: v ↦ v mod p, decoded back as v − p above (p − 1)/2.
    let half = (p - 1) >> 1
    let signed: [BigInt] = [0, 1, -1, half, -half, 7, -7]
    let sv = FieldVector(signed, in: field)
    #expect(sv.signedValues == signed)
  }

  /// The Int64 fast path of signed decoding agrees with the BigInt path, and refuses (nil)
  /// exactly when some value does not fit.
  @Test(arguments: testPrimes)
  func signedInt64DecodingMatchesBigInt(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let half = (p - 1) >> 1
    var values: [BigInt] = [0, 1, -1, 42, -42, half, -half]
    values += [BigInt(Int64.max), BigInt(Int64.min), BigInt(Int64.max) - 1, BigInt(Int64.min) + 1]
    values = values.filter { $0.magnitude <= half }
    for v in values {
      let vector = FieldVector([v, 5, -5], in: field)
      let fits = Int(exactly: v) != nil
      if fits {
        let decoded = try #require(vector.signedInt64Values(), "\(v) mod \(p)")
        #expect(decoded.map { BigInt(Int($0)) } == vector.signedValues)
      } else {
        #expect(vector.signedInt64Values() == nil, "\(v) mod \(p)")
      }
    }
    let random = randomElements(p, count: 200, label: "int64-\(p)")
    let vector = FieldVector(random, in: field)
    if let decoded = vector.signedInt64Values() {
      #expect(decoded.map { BigInt(Int($0)) } == vector.signedValues)
    } else {
      #expect(vector.signedValues.contains { Int(exactly: $0) == nil })
    }
  }

  @Test(arguments: testPrimes)
  func signedMachineIntegers(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let values: [Int64] = [0, 1, -1, 50, -50, Int64.max, Int64.min + 1, -12_345_678_901]
    let v = FieldVector(signed: values, in: field)
    for (i, x) in values.enumerated() {
      #expect(v[i] == (try BigInt(x).modulo(p)))
    }
    // A collection without contiguous storage takes the copying path, to the same limbs.
    #expect(FieldVector(signed: values.lazy.map { $0 }, in: field).limbs == v.limbs)
    #expect(
      FieldVector(signed: values[2..<5], in: field).limbs
        == Array(v.limbs[(2 * field.limbCount)..<(5 * field.limbCount)]))
  }

  /// Adding encoded bytes in place equals decoding then adding, at every alignment of the
  /// bytes; a bad element, a partial element or another length throws and changes nothing.
  @Test(arguments: testPrimes)
  func addEncodedMatchesDecodeThenAdd(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let w = field.elementByteCount
    let a = edgeElements(p) + randomElements(p, count: 40, label: "add-enc-a-\(p)")
    let b = randomElements(p, count: a.count - 3, label: "add-enc-b-\(p)") + [p - 1, 0, 1]
    let encoded = FieldVector(b, in: field).encoded()
    var expected = FieldVector(a, in: field)
    try expected.add(FieldVector(decoding: encoded, in: field))
    for shift in 0..<8 {
      let framed = [UInt8](repeating: 0xEE, count: shift) + encoded
      var sum = FieldVector(a, in: field)
      try framed.withUnsafeBytes {
        try sum.addEncoded(UnsafeRawBufferPointer(rebasing: $0[shift...]))
      }
      #expect(sum.limbs == expected.limbs, "shift \(shift)")
    }
    let original = FieldVector(a, in: field)
    var bad = encoded
    bad.replaceSubrange((5 * w)..<(6 * w), with: try p.littleEndianBytes(count: w))
    var target = original
    #expect(throws: FieldError.elementOutOfRange(index: 5)) {
      try bad.withUnsafeBytes { try target.addEncoded($0) }
    }
    #expect(target.limbs == original.limbs)
    #expect(throws: FieldError.lengthMismatch(expected: a.count, actual: a.count - 1)) {
      try encoded.dropLast(w).withUnsafeBytes { try target.addEncoded($0) }
    }
    if w > 1 {
      #expect(
        throws: FieldError.invalidEncodingLength(byteCount: encoded.count - 1, elementByteCount: w)
      ) {
        try encoded.dropLast().withUnsafeBytes { try target.addEncoded($0) }
      }
    }
    #expect(target.limbs == original.limbs)
  }

  /// Decoding reads the bytes at any alignment inside a frame (never binds them as UInt64).
  @Test(arguments: testPrimes)
  func decodingFromAnyOffsetMatchesAligned(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let values = edgeElements(p) + randomElements(p, count: 17, label: "dec-off-\(p)")
    let encoded = FieldVector(values, in: field).encoded()
    for shift in 1..<8 {
      let framed = [UInt8](repeating: 0xA5, count: shift) + encoded
      let decoded = try framed.withUnsafeBytes {
        try FieldVector(decoding: UnsafeRawBufferPointer(rebasing: $0[shift...]), in: field)
      }
      #expect(decoded.limbs == FieldVector(values, in: field).limbs, "shift \(shift)")
    }
  }

  /// A `PrimeField` conformance outside the package has no kernels of its own: vectors over
  /// it compute exactly what the package's field of the same modulus computes.
  @Test(arguments: testPrimes)
  func foreignConformanceUsesKernelsOfItsModulus(p: BigInt) throws {
    let own = try makePrimeField(modulus: p)
    let foreign = ForeignField(modulus: p)
    let a = edgeElements(p) + randomElements(p, count: 20, label: "foreign-a-\(p)")
    let b = randomElements(p, count: a.count, label: "foreign-b-\(p)")
    func ops(_ f: any PrimeField) throws -> [[UInt64]] {
      var sum = FieldVector(a, in: f)
      try sum.add(FieldVector(b, in: f))
      var difference = FieldVector(a, in: f)
      try difference.subtract(FieldVector(b, in: f))
      var negated = FieldVector(a, in: f)
      negated.negate()
      var shifted = FieldVector(a, in: f)
      shifted.addScalar(p - 2)
      var encodedSum = FieldVector(a, in: f)
      try FieldVector(b, in: f).encoded().withUnsafeBytes { try encodedSum.addEncoded($0) }
      var random = try ChaCha20PRG(seed: SecretBytes(copying: [UInt8](repeating: 7, count: 32)))
      let uniform = FieldVector(uniformCount: 30, in: f, using: &random)
      return [sum, difference, negated, shifted, encodedSum, uniform].map(\.limbs)
    }
    #expect(try ops(foreign) == ops(own))
  }

  @Test(arguments: testPrimes)
  func decodingRejectsOutOfRangeAndPartialElements(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let w = field.elementByteCount
    var bytes = try (p - 1).littleEndianBytes(count: w) + (try p.littleEndianBytes(count: w))
    #expect(throws: FieldError.elementOutOfRange(index: 1)) {
      try FieldVector(decoding: bytes, in: field)
    }
    // A partial trailing element (only possible when elements are wider than one byte).
    if w > 1 {
      bytes.removeLast()
      #expect(throws: FieldError.invalidEncodingLength(byteCount: 2 * w - 1, elementByteCount: w)) {
        try FieldVector(decoding: bytes, in: field)
      }
    }
  }

  @Test func mismatchedVectorsThrow() throws {
    let f61 = NamedField.m61.field
    let f127 = NamedField.m127.field
    var a = FieldVector(zeros: 3, in: f61)
    #expect(throws: FieldError.lengthMismatch(expected: 3, actual: 4)) {
      try a.add(FieldVector(zeros: 4, in: f61))
    }
    #expect(throws: FieldError.self) { try a.subtract(FieldVector(zeros: 3, in: f127)) }
  }
}

@Suite struct FieldConstructionTests {
  @Test func rejectsCompositeAndTooSmall() {
    #expect(throws: FieldError.notPrime(modulus: "340282366920938463463374607431768211455")) {
      try makePrimeField(modulus: (BigInt(1) << 128) - 1)
    }
    #expect(throws: FieldError.notPrime(modulus: "561")) { try makePrimeField(modulus: 561) }
    #expect(throws: FieldError.self) { try makePrimeField(modulus: 2) }
    #expect(throws: FieldError.self) { try makePrimeField(modulus: -7) }
    #expect(throws: FieldError.self) { try makePrimeField(modulus: BigInt(1) << 5000) }
    let message = FieldError.notPrime(modulus: "561").description
    #expect(message == "field modulus 561 is not prime")
  }

  @Test func namedFields() {
    for named in NamedField.allCases {
      let f = named.field
      #expect(f.modulus == (BigInt(1) << named.exponent) - 1)
      #expect(f.description == named.rawValue)
    }
    #expect(NamedField.m61.field is SmallPrimeField)
    #expect(NamedField.m127.field is LargePrimeField)
    #expect(NamedField.m127.field.elementByteCount == 16)
    #expect(NamedField.m89.field.elementByteCount == 12)
  }

  @Test func autoSizingPicksTheSmallestSafeField() throws {
    #expect(try FieldChoice.auto.resolve(bound: 1_000).modulus == NamedField.m61.modulus)
    #expect(try FieldChoice.auto.resolve(bound: BigInt(1) << 59).modulus == NamedField.m61.modulus)
    #expect(try FieldChoice.auto.resolve(bound: BigInt(1) << 60).modulus == NamedField.m89.modulus)
    #expect(
      try FieldChoice.auto.resolve(bound: BigInt(1) << 100).modulus == NamedField.m107.modulus)
    #expect(throws: FieldError.self) { try FieldChoice.auto.resolve(bound: BigInt(1) << 126) }
    #expect(throws: FieldError.self) { try FieldChoice.named(.m61).resolve(bound: BigInt(1) << 60) }
    #expect(throws: FieldError.self) { try FieldChoice.prime(101).resolve(bound: 60) }
    #expect(try FieldChoice.prime(101).resolve(bound: 49).modulus == 101)
  }

  @Test func parsing() throws {
    #expect(try FieldChoice(parsing: "auto") == .auto)
    #expect(try FieldChoice(parsing: " m127 ") == .named(.m127))
    #expect(try FieldChoice(parsing: "0x65") == .prime(101))
    #expect(throws: FieldError.unknownField(name: "m128")) { try FieldChoice(parsing: "m128") }
    let json = try JSONEncoder().encode([FieldChoice.named(.m89), .auto, .prime(101)])
    #expect(String(decoding: json, as: UTF8.self) == #"["m89","auto","101"]"#)
    #expect(
      try JSONDecoder().decode([FieldChoice].self, from: json) == [
        .named(.m89), .auto, .prime(101),
      ])
  }
}

/// A field declared outside the package: only the public requirements.
struct ForeignField: PrimeField {
  let modulus: BigInt
  var bitWidth: Int { modulus.bitWidth }
  var limbCount: Int { (bitWidth + 63) / 64 }
  var elementByteCount: Int { (bitWidth + 7) / 8 }
}
