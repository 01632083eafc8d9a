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
    do {
      try initializer(bytes)
    } catch {
      sodium_memzero(bytes.baseAddress, bytes.count)
      bytes.deallocate()
      throw error
    }
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
