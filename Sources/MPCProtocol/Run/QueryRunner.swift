import Foundation
public import MPCBigInt
public import MPCCrypto
public import MPCField
public import MPCPrivacy
import MPCSharing

/// What one party brings to a run: the agreed manifests, its local vector and its ledger.
public struct PartySetup: Sendable {
  /// The study (identical at every party).
  public var study: StudyManifest
  /// The query (identical at every party).
  public var query: QueryManifest
  /// This party's clipped local vector x_i (``LocalData``).
  public var input: LocalVector
  /// This party's budget ledger.
  public var ledger: BudgetLedger
  /// Deadline of every wait for a peer.
  public var timeout: Duration
  /// Elements per upload chunk (memory per chunk, not per vector).
  public var chunkElements: Int
  /// Accept a Gaussian share σ below 1.2 (KLS21's bound is then loose).
  public var force: Bool
  /// The Gaussian sampler's timing mode (`protocols/noise.md`); Laplace is always exact.
  public var timing: DiscreteGaussianSampler.Timing
  /// The run plan, if the caller derived it already (e.g. while connecting: building a large
  /// σ's noise table takes a few milliseconds); it must come from `RunPlan(study:query:force:
  /// timing:)` with this setup's values, which the run checks.
  public var runPlan: RunPlan?

  /// Elements per upload chunk unless a setup says otherwise: 32,768, i.e. 512 KiB frames in a
  /// 16-byte field. Measured (Sources/Benchmarks/BENCHMARKS.md) faster than 64 Ki elements, and
  /// with less memory in flight; 16 Ki elements costs more per chunk than it saves.
  public static let defaultChunkElements = 1 << 15

  /// A setup with the default deadline (60 s) and chunk size (``defaultChunkElements``).
  public init(
    study: StudyManifest, query: QueryManifest, input: LocalVector, ledger: BudgetLedger,
    timeout: Duration = .seconds(60), chunkElements: Int = defaultChunkElements,
    force: Bool = false,
    timing: DiscreteGaussianSampler.Timing = .variable
  ) {
    self.study = study
    self.query = query
    self.input = input
    self.ledger = ledger
    self.timeout = timeout
    self.chunkElements = chunkElements
    self.force = force
    self.timing = timing
  }
}

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
  /// What the plan was derived from (a precomputed plan must match the run's).
  let derivedFrom: Derivation

  struct Derivation: Sendable, Hashable {
    let study: StudyManifest
    let query: QueryManifest
    let force: Bool
    let timing: DiscreteGaussianSampler.Timing
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
        sampler = try DiscreteGaussianSampler(sigmaSquared: sigmaSquared, timing: timing)
      case .polya(let scale, let shares):
        sampler = try PolyaShareSampler(scale: scale, shares: shares)
      }
      components.append(NoisedComponent(component: component, noise: noise, sampler: sampler))
    }
    self.plan = plan
    self.components = components
    derivedFrom = Derivation(study: study, query: query, force: force, timing: timing)
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
    case .count, .histogram: truth = n * rows
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
    for c in components {
      let variance: Double
      switch c.noise.perParty {
      case .gaussian(let s2): variance = Double(study.partyCount) * Double(s2)
      case .polya(let scale, let shares):
        let q = Foundation.exp(-1 / Double(scale))
        variance = Double(study.partyCount) * 2 * q / (Double(shares) * (1 - q) * (1 - q))
      }
      let tail = BigInt(Int((variance.squareRoot() + 1).rounded(.up))) << 32
      noise = max(noise, tail)
    }
    return truth + noise
  }
}

// MARK: - Results

/// One released coordinate.
public struct ReleasedValue: Sendable, Hashable, Codable {
  /// Its label: a histogram bin, "count", "sum", or the coordinate index.
  public var label: String
  /// The noisy total as opened (true total + all parties' noise).
  public var raw: BigInt
  /// The post-processed value (counts clamped at 0); equals `raw` otherwise.
  public var value: BigInt
  /// Lower end of the (1 − β) interval of the true value.
  public var lower: BigInt
  /// Upper end of the interval.
  public var upper: BigInt
}

/// A released component (a mean has two: `sum` and `count`).
///
/// The opened values are held compactly (machine integers when they fit) so that a 10^6-long
/// vector costs no allocation per coordinate; ``values`` builds the per-coordinate view on demand.
public struct ReleasedComponent: Sendable {
  /// The opened raw values of one component: machine integers, or big integers if any is wide.
  public enum RawValues: Sendable {
    /// Every value fits in an `Int64`.
    case small([Int64])
    /// Some value needs more than 64 bits.
    case big([BigInt])

    /// Number of values.
    public var count: Int {
      switch self {
      case .small(let v): v.count
      case .big(let v): v.count
      }
    }

    /// Value `i`.
    public subscript(i: Int) -> BigInt {
      switch self {
      case .small(let v): BigInt(Int(v[i]))
      case .big(let v): v[i]
      }
    }
  }

  /// The component's name.
  public var name: String
  /// The opened values (true total + all noise), before post-processing.
  public var raw: RawValues
  /// The interval half-width h (from ``noise``).
  public var halfWidth: BigInt
  /// Whether values are counts, clamped at 0.
  public var clampAtZero: Bool
  /// Labels: histogram bins, `count`, `sum`; nil means the coordinate index (vector-sum).
  public var labels: [String]?
  /// Its noise calibration (mechanism, k, per-party share, ρ/ε, interval half-width).
  public var noise: NoisePlan
  /// Its sensitivity.
  public var sensitivity: Sensitivity

  /// Value `i` post-processed, with its interval.
  public func value(at i: Int) -> ReleasedValue {
    let raw = self.raw[i]
    let zero = BigInt(0)
    let label = labels.map { $0[i] } ?? "\(i)"
    return ReleasedValue(
      label: label, raw: raw, value: clampAtZero ? max(raw, zero) : raw,
      lower: clampAtZero ? max(raw - halfWidth, zero) : raw - halfWidth, upper: raw + halfWidth)
  }

  /// Every value post-processed (allocates per coordinate: for display and small results).
  public var values: [ReleasedValue] { (0..<raw.count).map(value(at:)) }
}

/// The mean of a `mean` query: noisy sum / noisy count, clamped to [L, U].
public struct ReleasedMean: Sendable, Hashable, Codable {
  /// The clamped mean, or nil if the noisy count is not positive.
  public var value: Rational?
  /// Lower end of its ≥ 95% interval (nil if the count's interval reaches 0).
  public var lower: Rational?
  /// Upper end.
  public var upper: Rational?
}

/// What a run returns at every party.
public struct QueryResult: Sendable {
  /// The query id.
  public var queryID: String
  /// The 16-byte session id of the run.
  public var sessionID: [UInt8]
  /// The field used.
  public var field: String
  /// The mechanism.
  public var mechanism: Mechanism
  /// The released components.
  public var components: [ReleasedComponent]
  /// The mean, for `mean` queries.
  public var mean: ReleasedMean?
  /// The cost charged to the ledger for this query.
  public var cost: PrivacyCost
  /// The ledger's spent total after the run.
  public var spent: Rational
  /// The ledger's remaining budget after the run.
  public var remaining: Rational
  /// Per-phase durations and bytes sent per peer at this party (measurement only).
  public var statistics = RunStatistics()
}
