import MPCBigInt
import MPCCrypto
import MPCField
import Testing
import _MPCTestSupport

/// A random source that replays fixed bytes, to check the rejection rule exactly.
final class ScriptedRandom: RandomSource {
  var bytes: [UInt8]
  var consumed = 0
  init(_ bytes: [UInt8]) { self.bytes = bytes }
  func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count {
      buffer[i] = bytes[consumed]
      consumed += 1
    }
  }
}

@Suite struct FieldSamplingTests {
  /// 2^61 − 1: 8-byte candidates masked to 61 bits; all-ones masks to p itself → rejected.
  @Test func rejectionRuleSmallField() {
    let field = NamedField.m61.field
    let random = ScriptedRandom(
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + [5, 0, 0, 0, 0, 0, 0, 0xe0])
    var source = random
    let v = FieldVector(uniformCount: 1, in: field, using: &source)
    #expect(v[0] == 5)  // 0xe0 top bits are masked away
    #expect(random.consumed == 16)
  }

  /// 2^127 − 1: 16-byte candidates; p itself rejected, then p − 1 accepted.
  @Test func rejectionRuleLargeField() {
    let field = NamedField.m127.field
    let p = field.modulus
    let reject = try! p.littleEndianBytes(count: 16)
    var accept = try! (p - 1).littleEndianBytes(count: 16)
    accept[15] |= 0x80  // the 128th bit is masked off
    let random = ScriptedRandom(reject + accept)
    var source = random
    let v = FieldVector(uniformCount: 1, in: field, using: &source)
    #expect(v[0] == p - 1)
    #expect(random.consumed == 32)
  }

  /// 89-bit field: 12-byte candidates, so the stream advances by 12 per accepted element.
  @Test func candidateWidthIsElementByteCount() {
    let field = NamedField.m89.field
    var bytes: [UInt8] = []
    for i in 0..<3 { bytes += [UInt8(i + 1)] + [UInt8](repeating: 0, count: 11) }
    let random = ScriptedRandom(bytes)
    var source = random
    let v = FieldVector(uniformCount: 3, in: field, using: &source)
    #expect(v.signedValues == [1, 2, 3])
    #expect(random.consumed == 36)
  }

  /// The bulk fill equals drawing element by element (w bytes, little-endian, top limb masked,
  /// redrawn while ≥ p) on primes just above a power of two, where about half the candidates
  /// are rejected: 65 bits (9-byte candidates), 128 bits (16 bytes, whole limbs), 193 bits.
  @Test(arguments: [
    (BigInt(1) << 64) + 13, (BigInt(1) << 127) + 29, (BigInt(1) << 192) + 133,
  ])
  func bulkFillMatchesElementByElementRejection(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    let w = field.elementByteCount
    let count = 300
    var bulkSource = SeededRandom.make("bulk-fill-\(p)")
    let bulk = FieldVector(uniformCount: count, in: field, using: &bulkSource)
    var reference = SeededRandom.make("bulk-fill-\(p)")
    var expected: [BigInt] = []
    var rejected = 0
    let topBits = p.bitWidth % 8 == 0 ? 8 : p.bitWidth % 8
    while expected.count < count {
      var candidate = reference.bytes(count: w)
      candidate[w - 1] &= UInt8((1 << topBits) - 1)
      let value = BigInt(littleEndianBytes: candidate)
      if value < p { expected.append(value) } else { rejected += 1 }
    }
    #expect(rejected > count / 4, "the test must exercise rejection")
    #expect((0..<count).map { bulk[$0] } == expected)
    // Both consumed the same number of bytes: the next draws agree.
    #expect(bulkSource.bytes(count: 8) == reference.bytes(count: 8))
  }

  /// χ² on a small field: 101 cells, 50,500 draws.
  @Test(arguments: [BigInt(101), BigInt(65537)])
  func uniformityOnSmallField(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    var random = SeededRandom.make("uniform-\(p)")
    let cells = 101
    let draws = 50_500
    let v = FieldVector(uniformCount: draws, in: field, using: &random)
    var counts = [Int](repeating: 0, count: cells)
    let width = UInt64(exactly: p)! / UInt64(cells)
    for x in v.limbs where x < width * UInt64(cells) { counts[Int(x / width)] += 1 }
    let total = Double(counts.reduce(0, +))
    let expected = total / Double(cells)
    let chi2 = counts.reduce(0.0) {
      $0 + (Double($1) - expected) * (Double($1) - expected) / expected
    }
    // 100 degrees of freedom: the 0.999 quantile is 149.4.
    #expect(chi2 < 149.4)
  }

  @Test(arguments: testPrimes)
  func uniformElementsAreReduced(p: BigInt) throws {
    let field = try makePrimeField(modulus: p)
    var random = SeededRandom.make("reduced-\(p)")
    let v = FieldVector(uniformCount: 500, in: field, using: &random)
    // Re-adopting the limbs validates every element < p.
    _ = try FieldVector(limbs: v.limbs, in: field)
    // The top bits are used: some element exceeds p/2 (probability 1 − 2^−500 otherwise).
    #expect((0..<v.count).contains { v[$0] > p >> 1 })
  }
}
