public import MPCCrypto

/// A seeded ChaCha20 stream (`protocols/random.md` §2) that counts the bytes read, so vectors
/// can record how much of the stream every sampler consumed.
public struct CountingRandom: RandomSource {
  private var base: ChaCha20PRG
  /// Bytes read so far.
  public private(set) var consumed = 0

  /// `PRG(seed, streamID)`.
  public init(seed: [UInt8], stream: UInt64) throws {
    base = try ChaCha20PRG(seed: SecretBytes(copying: seed), streamID: stream)
  }

  /// The seeded stream of a case input's `seed` (hex) and `stream` (integer) keys.
  public init(_ input: VectorValue) throws {
    try self.init(seed: try input["seed"].bytes(), stream: UInt64(try input["stream"].int()))
  }

  /// The next bytes of the stream, counted.
  public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    base.fill(buffer)
    consumed += buffer.count
  }
}

/// A random source that yields exactly the given bytes, for protocol steps whose randomness
/// a vector states explicitly (ephemeral keys, nonces, session contributions, pair secrets).
/// Reading past the end yields zeros and sets ``overrun``; callers turn that into an error.
public struct FixedBytesSource: RandomSource {
  private let bytes: [UInt8]
  /// Bytes read so far.
  public private(set) var position = 0
  /// Whether more bytes were read than given.
  public private(set) var overrun = false

  /// A source yielding `bytes`, then nothing.
  public init(_ bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// The next given bytes (zeros past the end, which sets ``overrun``).
  public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count {
      if position < bytes.count {
        buffer[i] = bytes[position]
      } else {
        buffer[i] = 0
        overrun = true
      }
      position += 1
    }
  }

  /// Throws unless exactly every byte was read.
  public func checkFullyConsumed(_ what: String) throws {
    guard !overrun, position == bytes.count else {
      throw VectorError.invalidCase(
        problem: "\(what): \(bytes.count) random bytes given, \(position) read")
    }
  }
}
