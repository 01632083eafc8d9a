public import MPCBigInt
import MPCCrypto

/// A value of the canonical encoding (`protocols/manifest.md`, "Canonical encoding"): a tagged,
/// length-prefixed tree whose records are sorted by key, so the bytes depend only on meaning,
/// never on JSON key order, whitespace or number spelling.
public indirect enum CanonicalValue: Sendable, Hashable {
  /// Absent optional value (tag 0x00).
  case absent
  /// A boolean (tag 0x01).
  case bool(Bool)
  /// An integer, written in canonical decimal (tag 0x02).
  case integer(BigInt)
  /// A rational in lowest terms, `n` or `n/d` (tag 0x03).
  case rational(Rational)
  /// UTF-8 text (tag 0x04).
  case string(String)
  /// Raw bytes (tag 0x05).
  case bytes([UInt8])
  /// A list (tag 0x06).
  case list([CanonicalValue])
  /// A record; encoded with its keys sorted bytewise by UTF-8 (tag 0x07). Keys must be unique.
  case record([String: CanonicalValue])

  /// The canonical bytes.
  public var encoded: [UInt8] {
    var out: [UInt8] = []
    encode(into: &out)
    return out
  }

  /// Appends the canonical bytes to `out`.
  public func encode(into out: inout [UInt8]) {
    switch self {
    case .absent:
      out.append(0x00)
    case .bool(let value):
      out += [0x01, value ? 1 : 0]
    case .integer(let value):
      out.append(0x02)
      Self.appendBlock(Array(value.description.utf8), to: &out)
    case .rational(let value):
      out.append(0x03)
      Self.appendBlock(Array(value.description.utf8), to: &out)
    case .string(let value):
      out.append(0x04)
      Self.appendBlock(Array(value.utf8), to: &out)
    case .bytes(let value):
      out.append(0x05)
      Self.appendBlock(value, to: &out)
    case .list(let items):
      out.append(0x06)
      Self.appendLength(items.count, to: &out)
      for item in items { item.encode(into: &out) }
    case .record(let fields):
      out.append(0x07)
      Self.appendLength(fields.count, to: &out)
      let sorted = fields.map { (Array($0.key.utf8), $0.value) }.sorted {
        $0.0.lexicographicallyPrecedes($1.0)
      }
      for (key, value) in sorted {
        Self.appendBlock(key, to: &out)
        value.encode(into: &out)
      }
    }
  }

  /// BLAKE2b-256 of `LE32(|domain|) ‖ domain ‖ encoded`.
  public func hash(domain: String) -> [UInt8] {
    var message: [UInt8] = []
    Self.appendBlock(Array(domain.utf8), to: &message)
    encode(into: &message)
    // Cannot throw: 32 bytes is a valid BLAKE2b digest size and there is no key.
    return try! Blake2b.hash(message, outputByteCount: 32)
  }

  static func appendLength(_ count: Int, to out: inout [UInt8]) {
    let n = UInt32(count)
    out += [
      UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8),
      UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24),
    ]
  }

  static func appendBlock(_ bytes: [UInt8], to out: inout [UInt8]) {
    appendLength(bytes.count, to: &out)
    out += bytes
  }
}

extension CanonicalValue {
  /// An integer from a machine integer.
  static func int(_ value: some BinaryInteger) -> CanonicalValue { .integer(BigInt(value)) }
}
