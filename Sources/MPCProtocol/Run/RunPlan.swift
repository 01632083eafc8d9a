import Foundation
public import MPCBigInt
public import MPCCrypto
public import MPCField
public import MPCPrivacy

/// One separately noised part of a query with its calibrated noise.
public struct NoisedComponent: Sendable {
  /// The plan component (name, offset, dimension, sensitivity, cost).
  public let component: PlanComponent
  /// The calibration of its noise.
  public let noise: NoisePlan
  /// The per-party sampler.
  public let sampler: any NoiseSampler
}

/// Everything a run derives before it touches the network: the plan, each component's noise
/// calibration and sampler, and the field. Deterministic from the manifests, so every party
/// derives the same one (and tests can replay a party's noise).
public struct RunPlan: Sendable {
  /// The query plan (dimension, components, cost).
  public let plan: QueryPlan
  /// The components with their noise.
  public let components: [NoisedComponent]
  /// The field, sized so the opened value never wraps.
  public let field: any PrimeField
  /// Per component, the range its opened coordinates lie in except with probability < 2^−64
  /// each: the range of its true total widened by its noise tail (`protocols/query.md` §5.1).
  /// An opened value outside it is no DP result but a failed protocol (wrong masks, a peer
  /// that sent garbage), and is refused.
  public let plausibleRanges: [ClosedRange<BigInt>]
  /// What the plan was derived from (a precomputed plan must match the run's).
  let derivedFrom: Derivation

  struct Derivation: Sendable, Hashable {
    let study: StudyManifest
    let query: QueryManifest
    let force: Bool
    let timing: DiscreteGaussianSampler.Timing
  }

  /// Round `component` of an adaptive query whose carrier plan is `carrier`: that component
  /// alone, at offset 0 with `dimension` (at most the component's), with the carrier's noise
  /// calibration (made for the larger dimension, so it meets the round's ρ), sampler, field
  /// and plausible range.
  init(round component: Int, dimension: Int, of carrier: RunPlan) {
    let nc = carrier.components[component]
    var pc = nc.component
    pc.offset = 0
    pc.dimension = dimension
    var plan = carrier.plan
    plan.components = [pc]
    plan.dimension = dimension
    plan.cost = pc.cost
    self.plan = plan
    components = [NoisedComponent(component: pc, noise: nc.noise, sampler: nc.sampler)]
    field = carrier.field
    plausibleRanges = [carrier.plausibleRanges[component]]
    derivedFrom = carrier.derivedFrom
  }

  /// Gaussian draws behind one run: n parties × m coordinates (0 for laplace).
  public var gaussianDraws: Int {
    plan.mechanism == .gaussian ? derivedFrom.study.partyCount * plan.dimension : 0
  }

  /// The (ε, δ) the charged cost meets, the table δ of ``gaussianDraws`` combined.
  public var privacy: PrivacyStatement? {
    PrivacyStatement(cost: plan.cost, tableDraws: gaussianDraws, study: derivedFrom.study)
  }

  /// The largest number of rows a party may contribute; bounds the field size for counts.
  public static let maxRowsPerParty = BigInt(1) << 32

  /// Derives the run plan; throws if the query does not fit the study or the field.
  public init(
    study: StudyManifest, query: QueryManifest, force: Bool = false,
    timing: DiscreteGaussianSampler.Timing = .variable
  ) throws {
    let plan = try query.plan(for: study)
    let isMean: Bool
    if case .mean = query.kind { isMean = true } else { isMean = false }
    // A mean's interval combines two components: each is computed at β/2 (union bound).
    let beta = isMean ? NoiseInterval.defaultBeta / 2 : NoiseInterval.defaultBeta
    let delta = study.delta ?? Rational(1, 1_000_000)
    // The study's recorded method and timing mode; without one, the table method with the
    // caller's timing mode.
    let noiseSetting =
      study.noise ?? StudyNoise(gaussianMethod: StudyNoise.default.gaussianMethod, timing: timing)
    var components: [NoisedComponent] = []
    for component in plan.components {
      // Gaussian noise is calibrated to the ρ that is charged (an ε given for it was turned into
      // the largest ρ meeting (ε, δ), GaussianEpsilon);
      // Laplace to its pure ε.
      let target: PrivacyTarget =
        plan.mechanism == .gaussian
        ? .rho(component.parameter.asZCDP.amount) : .epsilon(component.parameter.amount)
      let request = CalibrationRequest(
        mechanism: plan.mechanism, target: target,
        sensitivity: component.sensitivity,
        dimension: component.dimension, parties: study.partyCount, colluders: study.colluders,
        delta: delta, force: force, beta: beta)
      let noise = try NoiseCalibration.plan(request)
      let sampler: any NoiseSampler
      switch noise.perParty {
      case .gaussian(let sigmaSquared):
        // Above the table's limit: a refusal naming the query field and the remedies.
        if noiseSetting.gaussianMethod == .table,
          sigmaSquared > DiscreteGaussianTable.maxSigmaSquared
        {
          throw query.tableLimitRefusal(part: component.name, shareSigmaSquared: sigmaSquared)
        }
        sampler = try DiscreteGaussianSampler(
          sigmaSquared: sigmaSquared, method: noiseSetting.gaussianMethod,
          timing: noiseSetting.timing)
      case .polya(let scale, let shares):
        sampler = try PolyaShareSampler(scale: scale, shares: shares)
      }
      components.append(NoisedComponent(component: component, noise: noise, sampler: sampler))
    }
    self.plan = plan
    self.components = components
    derivedFrom = Derivation(study: study, query: query, force: force, timing: timing)
    plausibleRanges = components.map {
      let truth = Self.truthRange(query: query, study: study, component: $0.component.name)
      let tail = Self.noiseTail($0, parties: study.partyCount)
      return (truth.lowerBound - tail)...(truth.upperBound + tail)
    }
    field = try study.field.resolve(
      bound: Self.resultBound(query: query, study: study, components: components))
  }

  /// Fills `buffer` with this party's noise for coordinates [start, start + buffer.count):
  /// every component's sampler fills its part of the range in coordinate order, so the noise
  /// does not depend on how a vector is cut into chunks (`protocols/query.md` §4).
  public func fillNoise(
    _ buffer: UnsafeMutableBufferPointer<Int64>, from start: Int,
    using random: inout some RandomSource
  ) {
    let end = start + buffer.count
    for nc in components {
      let lo = max(start, nc.component.offset)
      let hi = min(end, nc.component.offset + nc.component.dimension)
      guard lo < hi else { continue }
      nc.sampler.fill(
        UnsafeMutableBufferPointer(rebasing: buffer[(lo - start)..<(hi - start)]), using: &random)
    }
  }

  /// B: the largest |opened value| of any coordinate except with probability 2^−64: the largest
  /// possible |true total| plus 2^32 standard deviations of the total noise (Chebyshev).
  public static func resultBound(
    query: QueryManifest, study: StudyManifest, components: [NoisedComponent]
  ) -> BigInt {
    let n = BigInt(study.partyCount)
    let rows = maxRowsPerParty
    var truth: BigInt
    switch query.kind {
    case .count, .histogram, .synth: truth = n * rows
    case .sum(_, let b), .mean(_, let b, _): truth = n * rows * b.maxMagnitude
    case .statistic(let s): truth = n * rows * s.rowBound
    case .vectorSum(let m, let bounds):
      // Largest |bound| over coordinates, on machine words (no BigInt per coordinate).
      var largest: UInt64 = 0
      for j in 0..<m {
        let b = bounds.bounds(at: j)
        largest = max(largest, b.lower.magnitude, b.upper.magnitude)
      }
      truth = BigInt(largest) * n
    }
    var noise = BigInt(0)
    for c in components { noise = max(noise, noiseTail(c, parties: study.partyCount)) }
    return truth + noise
  }

  /// ⌈√V + 1⌉·2^32 for the variance V of the component's total noise over `parties` shares:
  /// by Chebyshev the noise exceeds it with probability < 2^−64.
  static func noiseTail(_ c: NoisedComponent, parties: Int) -> BigInt {
    let variance: Double
    switch c.noise.perParty {
    case .gaussian(let s2): variance = Double(parties) * Double(s2)
    case .polya(let scale, let shares):
      let q = Foundation.exp(-1 / Double(scale))
      variance = Double(parties) * 2 * q / (Double(shares) * (1 - q) * (1 - q))
    }
    return BigInt(Int((variance.squareRoot() + 1).rounded(.up))) << 32
  }

  /// The range of a component's true total over n parties of at most 2^32 rows each: counts
  /// [0, n·2^32]; sums n·2^32·[min(L, 0), max(U, 0)] (a bad row contributes 0); vector-sum
  /// n·[min(min_j L_j, 0), max(max_j U_j, 0)].
  static func truthRange(query: QueryManifest, study: StudyManifest, component: String)
    -> ClosedRange<BigInt>
  {
    let n = BigInt(study.partyCount)
    let zero = BigInt(0)
    func range(_ lower: Int64, _ upper: Int64, times: BigInt) -> ClosedRange<BigInt> {
      (times * min(BigInt(Int(lower)), zero))...(times * max(BigInt(Int(upper)), zero))
    }
    switch query.kind {
    case .count, .histogram, .synth: return zero...(n * maxRowsPerParty)
    case .mean where component == "count": return zero...(n * maxRowsPerParty)
    case .sum(_, let b), .mean(_, let b, _):
      return range(b.lower, b.upper, times: n * maxRowsPerParty)
    case .vectorSum(let m, let bounds):
      var lowest: Int64 = 0
      var highest: Int64 = 0
      for j in 0..<m {
        let b = bounds.bounds(at: j)
        lowest = min(lowest, b.lower)
        highest = max(highest, b.upper)
      }
      return range(lowest, highest, times: n)
    case .statistic(let s):
      // Every coordinate is a sum over rows of a per-row term bounded by `rowBound` in absolute
      // value (counts are also ≥ 0).
      let t = n * maxRowsPerParty * s.rowBound
      return s.isCount(component) ? zero...t : (zero - t)...t
    }
  }
}
