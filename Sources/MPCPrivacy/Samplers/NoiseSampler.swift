import MPCBigInt
public import MPCCrypto

/// A sampler of integer noise: one draw, or a whole vector filled in place.
///
/// Draws from a generator consume its bytes in the exact order of `protocols/noise.md`, so
/// a seeded `ChaCha20PRG` replays the same noise bit for bit. Filling a vector gives the
/// same values and consumes the same bytes as repeated ``sample(using:)``.
public protocol NoiseSampler: Sendable {
  /// One draw.
  func sample(using random: inout some RandomSource) -> Int64
}

extension NoiseSampler {
  /// Fills `values` in place with independent draws, in index order.
  public func fill(_ values: inout [Int64], using random: inout some RandomSource) {
    values.withUnsafeMutableBufferPointer { fill($0, using: &random) }
  }

  /// `count` independent draws.
  public func samples(count: Int, using random: inout some RandomSource) -> [Int64] {
    var values = [Int64](repeating: 0, count: count)
    fill(&values, using: &random)
    return values
  }

  /// Fills `buffer` with draws in index order: the package's samplers through their kernel
  /// (`NoiseFillKernel`), any other conformance by repeated ``sample(using:)``.
  package func fill(
    _ buffer: UnsafeMutableBufferPointer<Int64>, using random: inout some RandomSource
  ) {
    if let kernel = self as? any NoiseFillKernel {
      kernel.fillKernel(buffer, using: &random)
    } else {
      for i in buffer.indices { buffer[i] = sample(using: &random) }
    }
  }
}

/// The bulk path of the package's samplers: fill a buffer without allocating per element.
/// Package API; the public way in is `fill(_ values: inout [Int64], using:)`.
package protocol NoiseFillKernel: NoiseSampler {
  /// Fills `buffer` with draws in index order, the same bytes as repeated ``sample(using:)``.
  func fillKernel(
    _ buffer: UnsafeMutableBufferPointer<Int64>, using random: inout some RandomSource)
}

extension NoiseFillKernel {
  /// The default kernel: repeated ``sample(using:)``.
  package func fillKernel(
    _ buffer: UnsafeMutableBufferPointer<Int64>, using random: inout some RandomSource
  ) {
    fillBySampling(buffer, using: &random)
  }

  /// Repeated ``sample(using:)``, with the draw loop specialised for the two generators the
  /// package uses. A call through `some RandomSource` from another module runs unspecialised
  /// generic code (a witness call per byte request); opening the concrete type here, the one
  /// place that does it, lets the compiler specialise `sample` per (sampler, generator).
  /// `ChaCha20PRG` is a class, so the cast shares the caller's stream; `SystemRandom` is
  /// stateless.
  @inline(__always)
  func fillBySampling(
    _ buffer: UnsafeMutableBufferPointer<Int64>, using random: inout some RandomSource
  ) {
    if var prg = random as? ChaCha20PRG { return samplingLoop(buffer, &prg) }
    if var system = random as? SystemRandom { return samplingLoop(buffer, &system) }
    samplingLoop(buffer, &random)
  }

  @inline(__always)
  func samplingLoop<R: RandomSource>(_ buffer: UnsafeMutableBufferPointer<Int64>, _ random: inout R)
  {
    for i in buffer.indices { buffer[i] = sample(using: &random) }
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
