import MPCBigInt
public import MPCCrypto

/// A sampler of integer noise: one draw, or a whole vector filled in place.
///
/// Draws from a generator consume its bytes in the exact order of `protocols/noise.md`, so
/// a seeded `ChaCha20PRG` replays the same noise bit for bit.
public protocol NoiseSampler: Sendable {
  /// One draw.
  func sample(using random: inout some RandomSource) -> Int64

  /// Fills `buffer` with independent draws, in index order (the same bytes as repeated
  /// ``sample(using:)``), without allocating per element.
  func fill(_ buffer: UnsafeMutableBufferPointer<Int64>, using random: inout some RandomSource)
}

extension NoiseSampler {
  /// Fills `values` in place with independent draws.
  public func fill(_ values: inout [Int64], using random: inout some RandomSource) {
    values.withUnsafeMutableBufferPointer { fill($0, using: &random) }
  }

  /// `count` independent draws.
  public func samples(count: Int, using random: inout some RandomSource) -> [Int64] {
    var values = [Int64](repeating: 0, count: count)
    fill(&values, using: &random)
    return values
  }
}

// MARK: - Parameter checks

/// Limits that keep every drawn value far inside `Int64`.
enum SamplerLimits {
  /// The largest Laplace or geometric scale accepted: 2^40.
  static let maxScale = Rational(BigInt(1) << 40)
  /// The largest σ² accepted: 2^80.
  static let maxSigmaSquared = Rational(BigInt(1) << 80)

  static func checkPositive(_ value: Rational, field: String, atMost limit: Rational) throws {
    guard value.signum > 0, value <= limit else {
      throw PrivacyError.invalidParameter(
        field: field, value: value.description, requirement: "must be > 0 and ≤ \(limit)")
    }
  }
}

/// Numerator and denominator of a positive rational, with machine-word copies when both are
/// below 2^62 (the fast path's precondition).
struct RationalParts: Sendable {
  let num: BigInt
  let den: BigInt
  let small: (num: UInt64, den: UInt64)?

  init(_ value: Rational) {
    num = value.numerator
    den = value.denominator
    if let n = UInt64(exactly: num), let d = UInt64(exactly: den), n < 1 << 62, d < 1 << 62 {
      small = (n, d)
    } else {
      small = nil
    }
  }
}
