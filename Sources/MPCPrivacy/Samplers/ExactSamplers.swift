import Foundation
public import MPCBigInt
public import MPCCrypto

// MARK: - Geometric

/// Geometric noise on {0, 1, 2, …}: P(k) = (1 − q)·q^k with q = e^{−rate}, rate rational.
public struct GeometricSampler: NoiseSampler, NoiseFillKernel {
  /// The rate a of q = e^{−a}.
  public let rate: Rational
  let parts: RationalParts

  /// A sampler for q = e^{−rate}; `rate` must be positive with 1/rate ≤ 2^40.
  public init(rate: Rational) throws {
    guard rate.signum > 0 else {
      throw PrivacyError.invalidParameter(
        field: "rate", value: rate.description, requirement: "must be > 0")
    }
    try SamplerLimits.checkPositive(
      try rate.reciprocal(), field: "1/rate", atMost: SamplerLimits.maxScale)
    self.rate = rate
    parts = RationalParts(rate)
  }

  /// One draw (protocols/noise.md §3–§4).
  public func sample(using random: inout some RandomSource) -> Int64 {
    if let p = parts.small {
      return ExactSampling.geometricCore(s: p.num, t: p.den, using: &random)
    }
    return ExactSampling.toInt64(
      ExactSampling.geometricCore(s: parts.num, t: parts.den, using: &random))
  }
}

// MARK: - Discrete Laplace

/// Discrete Laplace DLap(t): P(x) ∝ e^{−|x|/t} on ℤ, exact (CKS20 Algorithm 2).
public struct DiscreteLaplaceSampler: NoiseSampler, NoiseFillKernel {
  /// The scale t (rational, 0 < t ≤ 2^40).
  public let scale: Rational
  let parts: RationalParts

  /// A sampler with the given scale.
  public init(scale: Rational) throws {
    try SamplerLimits.checkPositive(scale, field: "scale", atMost: SamplerLimits.maxScale)
    self.scale = scale
    parts = RationalParts(scale)
  }

  /// The variance 2q/(1 − q)², q = e^{−1/t} (reporting only).
  public var variance: Double {
    let q = exp(-1 / Double(scale))
    return 2 * q / ((1 - q) * (1 - q))
  }

  /// One draw (protocols/noise.md §3–§4).
  public func sample(using random: inout some RandomSource) -> Int64 {
    // scale = num/den: CKS20's t is the numerator and s the denominator.
    if let p = parts.small {
      return ExactSampling.discreteLaplace(s: p.den, t: p.num, using: &random)
    }
    return ExactSampling.toInt64(
      ExactSampling.discreteLaplace(s: parts.den, t: parts.num, using: &random))
  }
}

// MARK: - Negative binomial and Pólya shares

/// Negative binomial NB(r, q) with q = e^{−rate}: P(k) = C(k + r − 1, k)·(1 − q)^r·q^k, for a
/// rational 0 < r ≤ 1; exact (geometric proposal, acceptance Π_{j<k} (j + r)/(j + 1)).
public struct NegativeBinomialSampler: NoiseSampler, NoiseFillKernel {
  /// The shape r.
  public let shape: Rational
  /// The rate a of q = e^{−a}.
  public let rate: Rational
  let shapeParts: RationalParts
  let rateParts: RationalParts

  /// A sampler for NB(shape, e^{−rate}); 0 < shape ≤ 1, rate > 0 with 1/rate ≤ 2^40.
  public init(shape: Rational, rate: Rational) throws {
    guard shape.signum > 0, shape <= 1 else {
      throw PrivacyError.invalidParameter(
        field: "shape", value: shape.description, requirement: "must be in (0, 1]")
    }
    _ = try GeometricSampler(rate: rate)
    self.shape = shape
    self.rate = rate
    shapeParts = RationalParts(shape)
    rateParts = RationalParts(rate)
  }

  /// One draw (protocols/noise.md §3–§4).
  public func sample(using random: inout some RandomSource) -> Int64 {
    if let r = shapeParts.small, let a = rateParts.small {
      return ExactSampling.negativeBinomial(u: r.num, v: r.den, s: a.num, t: a.den, using: &random)
    }
    return ExactSampling.toInt64(
      ExactSampling.negativeBinomial(
        u: shapeParts.num, v: shapeParts.den, s: rateParts.num, t: rateParts.den,
        using: &random))
  }
}

/// One party's Pólya share NB(1/k, q) − NB'(1/k, q), q = e^{−1/scale}: any k independent
/// shares sum to exactly DLap(scale). The first NB is drawn before the second.
public struct PolyaShareSampler: NoiseSampler, NoiseFillKernel {
  /// The scale t of the discrete Laplace the k shares sum to.
  public let scale: Rational
  /// The number k of shares that sum to DLap(scale).
  public let shares: Int
  let negativeBinomial: NegativeBinomialSampler

  /// A share sampler; `shares` ≥ 1 and 0 < `scale` ≤ 2^40.
  public init(scale: Rational, shares: Int) throws {
    try SamplerLimits.checkPositive(scale, field: "scale", atMost: SamplerLimits.maxScale)
    guard shares >= 1 else {
      throw PrivacyError.invalidParameter(
        field: "shares", value: "\(shares)", requirement: "must be at least 1")
    }
    self.scale = scale
    self.shares = shares
    negativeBinomial = try NegativeBinomialSampler(
      shape: Rational(1, shares), rate: try scale.reciprocal())
  }

  /// The variance of one share, 2·(1/k)·q/(1 − q)², q = e^{−1/scale} (reporting only).
  public var variance: Double {
    let q = exp(-1 / Double(scale))
    return 2 * q / (Double(shares) * (1 - q) * (1 - q))
  }

  /// One draw (protocols/noise.md §3–§4).
  public func sample(using random: inout some RandomSource) -> Int64 {
    let x = negativeBinomial.sample(using: &random)
    let y = negativeBinomial.sample(using: &random)
    return x - y
  }
}
