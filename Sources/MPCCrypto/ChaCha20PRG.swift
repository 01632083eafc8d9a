internal import CSodium

/// A deterministic generator: the ChaCha20 (RFC 8439, IETF variant) keystream under a 32-byte
/// key and a 12-byte nonce, block counter starting at 0, consumed byte by byte in order.
///
/// A reference type on purpose: copying a variable shares one stream instead of duplicating
/// it, so two consumers can never draw the same bytes by accident. For tests, known-answer
/// vectors and mask expansion only; production noise uses ``SystemRandom``.
///
/// Not `Sendable`: every draw mutates the stream position, so a generator belongs to one
/// task. To hand one to another task, transfer it (`sending`) rather than share it.
public final class ChaCha20PRG: RandomSource {
  private let key: SecretBytes
  private let nonce: [UInt8]
  private var nextBlock: UInt64 = 0
  private let buffer: UnsafeMutableRawBufferPointer
  private var position: Int

  /// Bytes of keystream produced per refill of the internal buffer.
  static let bufferSize = 64 * 64
  /// Keystream block size.
  static let blockSize = 64
  /// Blocks available per (key, nonce): the IETF counter is 32 bits.
  static let maxBlocks: UInt64 = 1 << 32

  /// A generator for `key` (32 bytes) and `nonce` (12 bytes).
  public init(key: SecretBytes, nonce: [UInt8]) throws {
    guard key.count == 32 else {
      throw CryptoError.invalidLength(what: "ChaCha20 key", expected: 32, actual: key.count)
    }
    guard nonce.count == 12 else {
      throw CryptoError.invalidLength(what: "ChaCha20 nonce", expected: 12, actual: nonce.count)
    }
    Sodium.ensureInitialized()
    self.key = key
    self.nonce = nonce
    buffer = .allocate(byteCount: Self.bufferSize, alignment: 64)
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    position = Self.bufferSize
  }

  /// A generator for `seed` (32 bytes) on stream `streamID`: nonce = LE64(streamID) ‖ 0x00000000.
  public convenience init(seed: SecretBytes, streamID: UInt64 = 0) throws {
    var nonce = [UInt8](repeating: 0, count: 12)
    for i in 0..<8 { nonce[i] = UInt8(truncatingIfNeeded: streamID >> (8 * UInt64(i))) }
    try self.init(key: seed, nonce: nonce)
  }

  /// A generator from a 64-hex-digit seed (the `--seed` of the CLI), stream 0.
  public convenience init(seedHex: String, streamID: UInt64 = 0) throws {
    let bytes = try Hex.decode(seedHex)
    guard bytes.count == 32 else {
      throw CryptoError.invalidLength(what: "seed", expected: 32, actual: bytes.count)
    }
    try self.init(seed: SecretBytes(copying: bytes), streamID: streamID)
  }

  deinit {
    sodium_memzero(buffer.baseAddress, buffer.count)
    buffer.deallocate()
  }

  /// Writes `blocks` keystream blocks starting at the current block counter into `out`.
  private func generate(into out: UnsafeMutableRawPointer, blocks: Int) {
    precondition(
      nextBlock + UInt64(blocks) <= Self.maxBlocks,
      "ChaCha20PRG exhausted: 2^32 blocks per (key, nonce); derive a new key")
    let length = blocks * Self.blockSize
    out.initializeMemory(as: UInt8.self, repeating: 0, count: length)
    let typed = out.assumingMemoryBound(to: UInt8.self)
    nonce.withUnsafeBufferPointer { n in
      key.withUnsafeBytes { k in
        _ = crypto_stream_chacha20_ietf_xor_ic(
          typed, typed, UInt64(length), n.baseAddress!, UInt32(nextBlock),
          k.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
    }
    nextBlock += UInt64(blocks)
  }

  public func fill(_ target: UnsafeMutableRawBufferPointer) {
    guard var out = target.baseAddress else { return }
    var remaining = target.count
    while remaining > 0 {
      if position == Self.bufferSize {
        // Buffer empty and a whole number of blocks wanted: write them straight to the caller.
        let direct = remaining / Self.blockSize
        if direct > 0 {
          let blocks = min(direct, 1 << 20)
          generate(into: out, blocks: blocks)
          out += blocks * Self.blockSize
          remaining -= blocks * Self.blockSize
          continue
        }
        generate(into: buffer.baseAddress!, blocks: Self.bufferSize / Self.blockSize)
        position = 0
      }
      let take = min(remaining, Self.bufferSize - position)
      out.copyMemory(from: buffer.baseAddress! + position, byteCount: take)
      position += take
      out += take
      remaining -= take
    }
  }

  public func nextUInt64() -> UInt64 {
    if Self.bufferSize - position >= 8 {
      let v = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
      position += 8
      return UInt64(littleEndian: v)
    }
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) { fill($0) }
    return UInt64(littleEndian: value)
  }
}

extension ChaCha20PRG {
  /// A generator keyed with 32 fresh bytes of the system CSPRNG (`randombytes_buf`), for bulk
  /// production randomness such as noise vectors: the standard DRBG construction, ~20× cheaper
  /// per draw than calling the CSPRNG for every few bytes. Never reuse its output elsewhere.
  public static func freshlyKeyed() -> ChaCha20PRG {
    var system = SystemRandom()
    let key = SecretBytes(randomCount: 32, using: &system)
    // Cannot throw: the key is 32 bytes and the nonce 12.
    return try! ChaCha20PRG(key: key, nonce: [UInt8](repeating: 0, count: 12))
  }
}
