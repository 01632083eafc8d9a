import Foundation
import MPCBigInt
import Testing

@Suite struct BigIntArithmeticTests {
  @Test func literalsAndDescription() {
    let a: BigInt = 12345
    #expect(a.description == "12345")
    #expect(BigInt(-7).description == "-7")
    #expect(BigInt(0).description == "0")
    #expect(BigInt(UInt64.max).description == "18446744073709551615")
  }

  @Test(arguments: [
    ("0", "0"), ("-0", "0"), ("+42", "42"), ("0x1F", "31"), ("-0xff", "-255"),
    ("170141183460469231731687303715884105727", "170141183460469231731687303715884105727"),
  ])
  func parsing(text: String, decimal: String) throws {
    #expect(try BigInt(parsing: text).description == decimal)
  }

  @Test(arguments: [("", 0), ("-", 1), ("12a", 2), ("0x", 2), ("0xg1", 2), ("1 2", 1)])
  func parsingErrorsNameTheCharacter(text: String, offset: Int) {
    #expect(throws: BigIntError.self) { try BigInt(parsing: text) }
    do {
      _ = try BigInt(parsing: text)
    } catch let error as BigIntError {
      guard case .invalidNumber(_, let at, _) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(at == offset)
      #expect(error.description.contains("character \(offset + 1)"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func hexRoundTrip() throws {
    let p = (BigInt(1) << 127) - 1
    #expect(p.hexString == "0x7fffffffffffffffffffffffffffffff")
    #expect(try BigInt(parsing: p.hexString) == p)
    #expect((-p).hexString == "-0x7fffffffffffffffffffffffffffffff")
    #expect(try BigInt(parsing: (-p).hexString) == -p)
  }

  @Test func arithmeticAcrossLimbs() {
    let a = (BigInt(1) << 64) - 1
    #expect(a + 1 == BigInt(1) << 64)
    #expect((BigInt(1) << 64) - 1 == a)
    #expect(a * a == (BigInt(1) << 128) - (BigInt(1) << 65) + 1)
    #expect(BigInt(3).power(100).description == "515377520732011331036461129765621272702107522001")
  }

  /// Truncated division follows Int; floor division and modulo follow their documented rules.
  @Test(arguments: [(7, 2), (-7, 2), (7, -2), (-7, -2), (6, 3), (0, 5), (-1, 7)])
  func signRules(a: Int, b: Int) throws {
    let x = BigInt(a)
    let y = BigInt(b)
    #expect(x / y == BigInt(a / b))
    #expect(x % y == BigInt(a % b))
    let (q, r) = try x.quotientAndRemainder(dividingBy: y)
    #expect(q == BigInt(a / b) && r == BigInt(a % b))
    let floorQ = Int((Double(a) / Double(b)).rounded(.down))
    #expect(try x.floorDivided(by: y) == BigInt(floorQ))
    let ceilQ = Int((Double(a) / Double(b)).rounded(.up))
    #expect(try x.ceilDivided(by: y) == BigInt(ceilQ))
    let m = try x.modulo(y)
    #expect(m >= 0 && m < y.magnitude)
    #expect(try (x - m).modulo(y) == 0)
  }

  @Test func divisionByZeroThrows() {
    #expect(throws: BigIntError.divisionByZero) {
      try BigInt(1).quotientAndRemainder(dividingBy: 0)
    }
    #expect(throws: BigIntError.divisionByZero) { try BigInt(1).modulo(0) }
    #expect(throws: BigIntError.divisionByZero) { try BigInt(1).floorDivided(by: 0) }
  }

  @Test func modularArithmetic() throws {
    let p = (BigInt(1) << 127) - 1
    let a = BigInt(123_456_789)
    let inv = try a.inverse(modulo: p)
    #expect(try (a * inv).modulo(p) == 1)
    // Fermat: a^(p-1) = 1 mod p.
    #expect(try a.power(p - 1, modulo: p) == 1)
    #expect(try a.power(-1, modulo: p) == inv)
    #expect(throws: BigIntError.notInvertible) { try BigInt(6).inverse(modulo: 9) }
    #expect(try BigInt(-3).power(3, modulo: 10) == 3)  // -27 mod 10
  }

  @Test func primality() throws {
    #expect(((BigInt(1) << 61) - 1).isProbablePrime())
    #expect(((BigInt(1) << 127) - 1).isProbablePrime())
    #expect(((BigInt(1) << 255) - 19).isProbablePrime())
    #expect(!((BigInt(1) << 128) - 1).isProbablePrime())
    #expect(!BigInt(561).isProbablePrime())  // Carmichael
    #expect(BigInt(2).isProbablePrime())
    #expect(!BigInt(1).isProbablePrime())
  }

  @Test func conversions() {
    #expect(Int(exactly: BigInt(Int.min)) == Int.min)
    #expect(Int(exactly: BigInt(1) << 63) == nil)
    #expect(UInt64(exactly: BigInt(UInt64.max)) == UInt64.max)
    #expect(UInt64(exactly: BigInt(-1)) == nil)
    #expect(BigInt(Int64.min).description == "-9223372036854775808")
    #expect(Double(BigInt(1) << 70) == 0x1p70)
    #expect(((BigInt(1) << 127) - 1).bitWidth == 127)
    #expect(BigInt(0).bitWidth == 0)
    #expect(try! BigInt(100).squareRootFloor() == 10)
    #expect(try! BigInt(99).squareRootFloor() == 9)
  }

  @Test func hashingAndEquality() {
    let a = BigInt(1) << 100
    let b = (BigInt(1) << 101) / 2
    #expect(a == b)
    #expect(a.hashValue == b.hashValue)
    #expect(Set([a, b, -a]).count == 2)
  }

  @Test func copyOnWrite() {
    let a = BigInt(5)
    var b = a
    b += 1
    #expect(a == 5 && b == 6)
    var c = b
    c -= 10
    c *= 2
    #expect(b == 6 && c == -8)
  }
}

@Suite struct BigIntBytesTests {
  @Test func fixedWidthLittleEndian() throws {
    let v = BigInt(0x0102_0304)
    #expect(try v.littleEndianBytes(count: 6) == [4, 3, 2, 1, 0, 0])
    #expect(BigInt(littleEndianBytes: [4, 3, 2, 1, 0, 0]) == v)
    #expect(BigInt(littleEndianBytes: []) == 0)
    let big = (BigInt(1) << 127) - 1
    let bytes = try big.littleEndianBytes(count: 16)
    #expect(bytes == Array(repeating: 0xff, count: 15) + [0x7f])
    #expect(BigInt(littleEndianBytes: bytes) == big)
  }

  @Test func encodingErrors() {
    #expect(throws: BigIntError.doesNotFit(bitWidth: 17, byteCount: 2)) {
      try BigInt(1 << 16).littleEndianBytes(count: 2)
    }
    #expect(throws: BigIntError.self) { try BigInt(-1).littleEndianBytes(count: 8) }
  }

  @Test func limbs() throws {
    let v = (BigInt(3) << 64) + 5
    #expect(try v.limbs() == [5, 3])
    #expect(try v.limbs(count: 4) == [5, 3, 0, 0])
    #expect(BigInt(limbs: [5, 3, 0]) == v)
    #expect(throws: BigIntError.self) { try v.limbs(count: 1) }
  }

  @Test func codableAsString() throws {
    struct Box: Codable, Equatable { var x: BigInt }
    let original = Box(x: -(BigInt(1) << 90))
    let json = try JSONEncoder().encode(original)
    #expect(String(decoding: json, as: UTF8.self) == #"{"x":"-1237940039285380274899124224"}"#)
    #expect(try JSONDecoder().decode(Box.self, from: json) == original)
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(Box.self, from: Data(#"{"x":"12z"}"#.utf8))
    }
  }
}
