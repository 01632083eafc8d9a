import Foundation
public import MPCCrypto
public import MPCPrivacy

/// The exact law of the noise in one opened coordinate: the sum of the n parties' shares, each
/// drawn by the same sampler the parties use (`protocols/query.md`, "Statistics"). Used only to
/// simulate reference distributions (post-processing): it never touches data.
public struct NoiseLaw: Sendable {
  let sampler: any NoiseSampler
  /// n: the number of shares in an opened value.
  public let shares: Int

  /// The law of a component calibrated as `plan` (all n parties add a share).
  public init(_ plan: NoisePlan) throws {
    switch plan.perParty {
    case .gaussian(let sigmaSquared):
      // The table (within 2^−100 of the law) when it applies, else the exact sampler: a study
      // with `"gaussian_method": "exact"` may have shares above the table's limit.
      sampler = try DiscreteGaussianSampler(
        sigmaSquared: sigmaSquared,
        method: sigmaSquared <= DiscreteGaussianTable.maxSigmaSquared ? .table : .exact)
    case .polya(let scale, let shares):
      sampler = try PolyaShareSampler(scale: scale, shares: shares)
    }
    shares = plan.parties
  }

  /// The law of `shares` draws of `sampler` (a run plan's sampler, already built).
  public init(sampler: any NoiseSampler, shares: Int) {
    self.sampler = sampler
    self.shares = shares
  }

  /// One draw of the total noise.
  public func draw(using random: inout some RandomSource) -> Double {
    var total = 0.0
    for _ in 0..<shares { total += Double(sampler.sample(using: &random)) }
    return total
  }
}

/// The seeded stream of a statistic's simulations: ChaCha20 keyed by the session id (16
/// bytes, then 16 zero bytes) on stream 0x7374617473 ("stats"), so every party prints the same
/// intervals and p-values and a result can be recomputed from the release log.
public enum StatisticsRandom {
  /// The stream for `sessionID`.
  public static func stream(sessionID: [UInt8]) throws -> ChaCha20PRG {
    var seed = Array(sessionID.prefix(32))
    seed += [UInt8](repeating: 0, count: 32 - seed.count)
    return try ChaCha20PRG(seed: SecretBytes(copying: seed), streamID: 0x73_7461_7473)
  }

  /// A uniform double in (0, 1).
  static func uniform(_ random: inout some RandomSource) -> Double {
    (Double(random.nextUInt64() >> 11) + 0.5) * 0x1p-53
  }

  /// A standard normal (Box–Muller).
  static func normal(_ random: inout some RandomSource) -> Double {
    let u = uniform(&random)
    let v = uniform(&random)
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }

  /// Binomial(n, p) for the null tables of the χ² test: exact (Bernoulli sum) for n ≤ 30,
  /// Poisson(np) by inversion when np < 30, otherwise the rounded normal approximation.
  static func binomial(_ n: Int, _ p: Double, _ random: inout some RandomSource) -> Int {
    if n <= 0 || p <= 0 { return 0 }
    if p >= 1 { return n }
    if p > 0.5 { return n - binomial(n, 1 - p, &random) }
    if n <= 30 {
      var k = 0
      for _ in 0..<n where uniform(&random) < p { k += 1 }
      return k
    }
    let mean = Double(n) * p
    if mean < 30 {
      var k = 0
      var prob = exp(-mean)
      var cdf = prob
      let u = uniform(&random)
      while u > cdf && k < n {
        k += 1
        prob *= mean / Double(k)
        cdf += prob
      }
      return k
    }
    let x = (mean + (mean * (1 - p)).squareRoot() * normal(&random)).rounded()
    return Int(min(max(x, 0), Double(n)))
  }

  /// The empirical q-quantile of sorted `values` (nearest rank).
  static func quantile(_ sorted: [Double], _ q: Double) -> Double {
    sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
  }
}
