internal import CSodium

/// The one source of randomness every consumer takes (`inout some RandomSource`): production
/// code passes ``SystemRandom`` (libsodium's CSPRNG), tests and known-answer vectors pass a
/// seeded ``ChaCha20PRG``. Outputs are a byte stream consumed in order; the helpers below
/// define exactly how bytes become integers (see `protocols/random.md`).
public protocol RandomSource {
  /// Fills `buffer` with the next `buffer.count` bytes of the stream.
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)

  /// The next 8 bytes of the stream as a little-endian `UInt64`.
  mutating func nextUInt64() -> UInt64
}

extension RandomSource {
  /// The next 8 bytes of the stream as a little-endian `UInt64`.
  public mutating func nextUInt64() -> UInt64 {
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) { fill($0) }
    return UInt64(littleEndian: value)
  }

  /// The next `count` bytes.
  public mutating func bytes(count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { fill($0) }
    return out
  }

  /// The next `⌈k/8⌉` bytes as a little-endian integer masked to its low `k` bits (k ≤ 64).
  @inline(__always)
  public mutating func nextBits(_ k: Int) -> UInt64 {
    precondition(k >= 0 && k <= 64)
    if k == 0 { return 0 }
    if k == 64 { return nextUInt64() }
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) {
      fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<((k + 7) / 8)]))
    }
    return UInt64(littleEndian: value) & ((1 << UInt64(k)) &- 1)
  }

  /// A uniform integer in `[0, bound)` by rejection: each candidate is ``nextBits(_:)`` with
  /// k = bitlen(bound − 1), rejected while ≥ bound. No modulo bias; `bound` = 1 reads nothing.
  public mutating func uniform(below bound: UInt64) -> UInt64 {
    precondition(bound > 0, "uniform(below: 0)")
    if bound == 1 { return 0 }
    let k = 64 - (bound - 1).leadingZeroBitCount
    while true {
      let candidate = nextBits(k)
      if candidate < bound { return candidate }
    }
  }
}

/// libsodium's CSPRNG (`randombytes_buf`): the only source production code uses.
public struct SystemRandom: RandomSource, Sendable {
  /// The system CSPRNG.
  public init() {
    Sodium.ensureInitialized()
  }

  public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    randombytes_buf(base, buffer.count)
  }
}
