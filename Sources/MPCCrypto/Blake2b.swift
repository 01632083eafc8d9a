internal import CSodium

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`: plain or keyed, 16…64 bytes out.
public struct Blake2b: ~Copyable {
  private let state: UnsafeMutableRawPointer
  private let outputByteCount: Int

  /// Smallest and largest digest and key sizes libsodium allows.
  public static let digestSizes = 16...64
  /// Key sizes: 0 (unkeyed) or 16…64.
  public static let keySizes = 16...64

  /// A streaming hasher with an optional key.
  public init(outputByteCount: Int = 32, key: SecretBytes? = nil) throws {
    guard Self.digestSizes.contains(outputByteCount) else {
      throw CryptoError.invalidLength(what: "BLAKE2b digest", expected: 32, actual: outputByteCount)
    }
    if let key, !Self.keySizes.contains(key.count) {
      throw CryptoError.invalidLength(what: "BLAKE2b key", expected: 32, actual: key.count)
    }
    Sodium.ensureInitialized()
    self.outputByteCount = outputByteCount
    state = .allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
    if let key {
      key.withUnsafeBytes { k in
        _ = mpc_generichash_init(
          state, k.baseAddress?.assumingMemoryBound(to: UInt8.self), k.count, outputByteCount)
      }
    } else {
      _ = mpc_generichash_init(state, nil, 0, outputByteCount)
    }
  }

  deinit {
    sodium_memzero(state, crypto_generichash_statebytes())
    state.deallocate()
  }

  /// Absorbs `data`.
  public mutating func update(_ data: UnsafeRawBufferPointer) {
    _ = mpc_generichash_update(
      state, data.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(data.count))
  }

  /// Absorbs `bytes`.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The digest; consumes the hasher.
  public consuming func finalize() -> [UInt8] {
    var out = [UInt8](repeating: 0, count: outputByteCount)
    out.withUnsafeMutableBufferPointer { o in
      _ = mpc_generichash_final(state, o.baseAddress, outputByteCount)
    }
    return out
  }

  /// The digest written straight into ``SecretBytes`` storage (no plain heap copy), for
  /// digests that are keys; consumes the hasher.
  public consuming func finalizeSecret() -> SecretBytes {
    let n = outputByteCount
    let st = state
    return SecretBytes(count: n) { out in
      _ = mpc_generichash_final(st, out.baseAddress!.assumingMemoryBound(to: UInt8.self), n)
    }
  }

  /// One-shot digest of `data`.
  public static func hash(_ data: [UInt8], key: SecretBytes? = nil, outputByteCount: Int = 32)
    throws -> [UInt8]
  {
    var h = try Blake2b(outputByteCount: outputByteCount, key: key)
    h.update(data)
    return h.finalize()
  }
}
