internal import CSodium

/// Secret bytes (keys, seeds, pair secrets) in storage that is wiped with `sodium_memzero`
/// when the last reference goes away. Never printed: `description` shows only the length.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible {
  // Invariant: `bytes` is written only during `init`; afterwards it is read-only.
  private let bytes: UnsafeMutableRawBufferPointer

  /// Number of bytes.
  public var count: Int { bytes.count }

  /// `count` bytes written by `initializer` (called once, on zeroed memory).
  public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
    Sodium.ensureInitialized()
    bytes = .allocate(byteCount: count, alignment: 16)
    bytes.initializeMemory(as: UInt8.self, repeating: 0)
    // Every stored property is set, so if `initializer` throws, the instance is released and
    // `deinit` wipes and frees the storage (freeing it here too was a double free).
    try initializer(bytes)
  }

  /// A copy of `source`; the caller should wipe its own copy.
  public convenience init(copying source: some Collection<UInt8>) {
    let array = Array(source)
    self.init(count: array.count) { buf in
      buf.copyBytes(from: array)
    }
  }

  /// `count` bytes from `random`.
  public convenience init(randomCount count: Int, using random: inout some RandomSource) {
    self.init(count: count) { random.fill($0) }
  }

  /// The bytes of `digits` (2·n hexadecimal digits, either case) decoded straight into
  /// zeroizing storage; throws ``CryptoError/invalidHex(offset:)`` at the first bad digit.
  public convenience init(hexDigits digits: UnsafeRawBufferPointer) throws {
    guard digits.count % 2 == 0 else { throw CryptoError.invalidHex(offset: digits.count) }
    func nibble(_ i: Int) throws -> UInt8 {
      let c = digits[i]
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
      default: throw CryptoError.invalidHex(offset: i)
      }
    }
    try self.init(count: digits.count / 2) { out in
      for i in 0..<out.count { out[i] = try nibble(2 * i) << 4 | nibble(2 * i + 1) }
    }
  }

  /// Appends the lower-case hex of the bytes to `text` without an intermediate copy; `text`
  /// must have the capacity already (no reallocation leaves a stale copy) and the caller
  /// wipes it with ``wipe(_:)``.
  public func appendHex(to text: inout [UInt8]) {
    precondition(text.capacity - text.count >= 2 * count, "reserve the capacity first")
    let digits: StaticString = "0123456789abcdef"
    digits.withUTF8Buffer { d in
      for b in UnsafeRawBufferPointer(bytes) {
        text.append(d[Int(b >> 4)])
        text.append(d[Int(b & 0x0f)])
      }
    }
  }

  /// Overwrites `buffer` with zeros in a way the optimiser cannot remove (`sodium_memzero`):
  /// for read buffers and scratch that held secret bytes.
  public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    sodium_memzero(base, buffer.count)
  }

  deinit {
    sodium_memzero(bytes.baseAddress, bytes.count)
    bytes.deallocate()
  }

  /// Read access to the bytes; do not let the pointer escape.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(bytes))
  }

  /// A copy of the bytes, for serialising into an encrypted message or a vector file.
  public func exposedBytes() -> [UInt8] {
    Array(UnsafeRawBufferPointer(bytes))
  }

  /// Constant-time equality (`sodium_memcmp`).
  public func constantTimeEquals(_ other: SecretBytes) -> Bool {
    guard count == other.count else { return false }
    return other.withUnsafeBytes { o in sodium_memcmp(bytes.baseAddress, o.baseAddress, count) == 0
    }
  }

  public var description: String { "SecretBytes(\(count) bytes)" }
}
