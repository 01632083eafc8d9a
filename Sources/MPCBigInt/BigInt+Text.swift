internal import CGMP

// MARK: - Parsing and printing

extension BigInt: LosslessStringConvertible, CustomStringConvertible {
  /// Parses decimal (`-123`) or hexadecimal with a `0x` prefix (`0x1f`, `-0xFF`).
  public init?(_ description: String) {
    guard let value = try? BigInt(parsing: description) else { return nil }
    self = value
  }

  /// Parses decimal, or hexadecimal with a `0x`/`0X` prefix, with an optional sign.
  /// Throws ``BigIntError/invalidNumber(text:offset:expected:)`` naming the bad character.
  public init(parsing text: String) throws {
    let chars = Array(text.utf8)
    var i = 0
    var negative = false
    if i < chars.count, chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") {
      negative = chars[i] == UInt8(ascii: "-")
      i += 1
    }
    var radix: Int32 = 10
    if i + 1 < chars.count, chars[i] == UInt8(ascii: "0"),
      chars[i + 1] == UInt8(ascii: "x") || chars[i + 1] == UInt8(ascii: "X")
    {
      radix = 16
      i += 2
    }
    let digitsStart = i
    let expected = radix == 16 ? "hexadecimal digits" : "decimal digits"
    guard digitsStart < chars.count else {
      throw BigIntError.invalidNumber(text: text, offset: digitsStart, expected: expected)
    }
    for j in digitsStart..<chars.count {
      let c = chars[j]
      let ok: Bool
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): ok = true
      case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
        ok = radix == 16
      default: ok = false
      }
      guard ok else { throw BigIntError.invalidNumber(text: text, offset: j, expected: expected) }
    }
    let digits = Array(chars[digitsStart...]) + [0]
    let s = MPZStorage()
    let rc = digits.withUnsafeBufferPointer { buf in
      buf.withMemoryRebound(to: CChar.self) { __gmpz_set_str(s.pointer, $0.baseAddress, radix) }
    }
    guard rc == 0 else {
      throw BigIntError.invalidNumber(text: text, offset: digitsStart, expected: expected)
    }
    if negative { __gmpz_neg(s.pointer, s.pointer) }
    storage = s
  }

  /// Decimal.
  public var description: String { toString(radix: 10) }

  /// Lower-case hexadecimal with a `0x` prefix (`-0x1f` for negatives).
  public var hexString: String {
    isNegative ? "-0x" + magnitude.toString(radix: 16) : "0x" + toString(radix: 16)
  }

  /// Digits in `radix` (2…62), with a leading `-` for negatives, no prefix.
  public func toString(radix: Int) -> String {
    precondition((2...62).contains(radix), "radix out of range")
    let size = Int(__gmpz_sizeinbase(storage.pointer, Int32(radix))) + 2
    var buffer = [CChar](repeating: 0, count: size)
    buffer.withUnsafeMutableBufferPointer { buf in
      _ = __gmpz_get_str(buf.baseAddress, Int32(radix), storage.pointer)
    }
    let end = buffer.firstIndex(of: 0) ?? buffer.count
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

// MARK: - Codable (as a decimal string)

extension BigInt: Codable {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try BigInt(parsing: text)
    } catch let error as BigIntError {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: error.description)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

// MARK: - Fixed-width little-endian bytes

extension BigInt {
  /// The non-negative value as exactly `count` little-endian bytes.
  /// Throws if negative or if it needs more than `count` bytes.
  public func littleEndianBytes(count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    try out.withUnsafeMutableBytes { try writeLittleEndian(into: $0) }
    return out
  }

  /// Writes the non-negative value into `buffer` as little-endian bytes, zero-padded to its
  /// full length. Throws if negative or too wide.
  public func writeLittleEndian(into buffer: UnsafeMutableRawBufferPointer) throws {
    guard !isNegative else {
      throw BigIntError.negativeValue(context: "fixed-width unsigned encoding")
    }
    guard (bitWidth + 7) / 8 <= buffer.count else {
      throw BigIntError.doesNotFit(bitWidth: bitWidth, byteCount: buffer.count)
    }
    guard let base = buffer.baseAddress else { return }
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    var written = 0
    _ = __gmpz_export(base, &written, -1, 1, 0, 0, storage.pointer)
  }

  /// The non-negative value of little-endian bytes (any length; empty is zero).
  public init(littleEndianBytes bytes: some Collection<UInt8>) {
    let array = Array(bytes)
    self = BigInt.make { z in
      array.withUnsafeBufferPointer { buf in
        if buf.count > 0 { __gmpz_import(z, buf.count, -1, 1, 0, 0, buf.baseAddress) }
      }
    }
  }
}
