/// Lower-case hexadecimal encoding of byte strings (vectors, seeds, public keys).
public enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  /// Lower-case hex of `bytes`.
  public static func encode(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Bytes of a hex string (either case, even length, no prefix).
  public static func decode(_ text: String) throws -> [UInt8] {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { throw CryptoError.invalidHex(offset: chars.count) }
    var out = [UInt8]()
    out.reserveCapacity(chars.count / 2)
    func nibble(_ i: Int) throws -> UInt8 {
      let c = chars[i]
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
      default: throw CryptoError.invalidHex(offset: i)
      }
    }
    var i = 0
    while i < chars.count {
      out.append(try nibble(i) << 4 | nibble(i + 1))
      i += 2
    }
    return out
  }
}
