import Foundation
public import MPCBigInt

/// The distributed noise mechanisms (DESIGN §5).
public enum NoiseMechanism: String, Codable, Sendable, CaseIterable {
  /// Each party adds N_Z(0, σ²/k); zCDP ledger.
  case gaussian
  /// Each party adds a Pólya share summing, over any k parties, to DLap(Δ1/ε); pure-ε ledger.
  case laplace
}

/// What the plan must achieve: a total σ (gaussian), or a privacy level to solve σ or the scale for.
public enum PrivacyTarget: Sendable, Hashable {
  /// The standard deviation parameter σ of the k honest parties' total (gaussian only).
  case sigma(Rational)
  /// ε: pure ε (laplace) or ε at the given δ through the CKS20 conversion (gaussian).
  case epsilon(Rational)
  /// ρ-zCDP (laplace: ε = ⌊√(2ρ)⌋ rounded down to 9 decimals).
  case rho(Rational)
}

/// Query sensitivities; Δ2 is carried as Δ2² so that √2 (replace-one histograms) is exact.
public struct Sensitivity: Sendable, Hashable, Codable, CustomStringConvertible {
  /// Δ1, the L1 sensitivity.
  public let l1: Rational
  /// Δ2², the square of the L2 sensitivity.
  public let l2Squared: Rational

  /// Sensitivities from Δ1 and Δ2² (both ≥ 0).
  public init(l1: Rational, l2Squared: Rational) throws {
    guard l1.signum >= 0 else {
      throw PrivacyError.invalidParameter(
        field: "l1", value: l1.description, requirement: "sensitivity must be ≥ 0")
    }
    guard l2Squared.signum >= 0 else {
      throw PrivacyError.invalidParameter(
        field: "l2", value: "sqrt(\(l2Squared))", requirement: "sensitivity must be ≥ 0")
    }
    self.l1 = l1
    self.l2Squared = l2Squared
  }

  /// Sensitivities from Δ1 and a rational Δ2 (both ≥ 0).
  public init(l1: Rational, l2: Rational) throws {
    guard l2.signum >= 0 else {
      throw PrivacyError.invalidParameter(
        field: "l2", value: l2.description, requirement: "sensitivity must be ≥ 0")
    }
    try self.init(l1: l1, l2Squared: l2 * l2)
  }

  /// Both scaled for a person present at `sites` ≥ 1 sites: Δ1·s, Δ2²·s².
  public func scaled(bySites sites: Int) throws -> Sensitivity {
    let s = Rational(sites)
    return try Sensitivity(l1: l1 * s, l2Squared: l2Squared * s * s)
  }

  public var description: String { "Δ1 = \(l1), Δ2² = \(l2Squared)" }
}

/// Everything a study fixes before calibrating its noise.
public struct CalibrationRequest: Sendable, Hashable {
  /// The mechanism.
  public var mechanism: NoiseMechanism
  /// The target σ, ε or ρ.
  public var target: PrivacyTarget
  /// Δ1 and Δ2.
  public var sensitivity: Sensitivity
  /// The number d of released coordinates.
  public var dimension: Int
  /// The number n of parties.
  public var parties: Int
  /// The number t of parties that may collude (k = n − t honest shares meet the target).
  public var colluders: Int
  /// δ for reporting (ε, δ) (gaussian).
  public var delta: Rational
  /// Accept a Gaussian share with s < 1.2 (where the KLS21 bound is useless).
  public var force: Bool
  /// 1 − the confidence level of the reported interval.
  public var beta: Double

  /// A request; see the properties.
  public init(
    mechanism: NoiseMechanism, target: PrivacyTarget, sensitivity: Sensitivity,
    dimension: Int = 1, parties: Int, colluders: Int, delta: Rational, force: Bool = false,
    beta: Double = NoiseInterval.defaultBeta
  ) {
    self.mechanism = mechanism
    self.target = target
    self.sensitivity = sensitivity
    self.dimension = dimension
    self.parties = parties
    self.colluders = colluders
    self.delta = delta
    self.force = force
    self.beta = beta
  }
}

/// One party's noise share.
public enum ShareParameters: Sendable, Hashable, Codable {
  /// N_Z(0, σ²/k).
  case gaussian(sigmaSquared: Rational)
  /// NB(1/k, e^{−1/scale}) − NB'(1/k, e^{−1/scale}).
  case polya(scale: Rational, shares: Int)
}

/// The result of calibration: each party's share, the charge and what is reported.
public struct NoisePlan: Sendable, Hashable, Codable {
  /// The mechanism.
  public let mechanism: NoiseMechanism
  /// n.
  public let parties: Int
  /// t.
  public let colluders: Int
  /// k = n − t.
  public let k: Int
  /// d.
  public let dimension: Int
  /// Each party's share.
  public let perParty: ShareParameters
  /// The exact cost charged to the ledger (ρ is an upper bound when τ > 0).
  public let cost: PrivacyCost
  /// ρ (exact or rational upper bound): the charged ρ for gaussian, ε²/2 for laplace.
  public let rho: Rational
  /// ε reported: pure ε (laplace) or ε at δ by CKS20 (gaussian), rounded up.
  public let epsilon: Double
  /// δ used for the (ε, δ) report.
  public let delta: Rational
  /// An upper bound on KLS21's τ (zero for k = 1 and for laplace).
  public let tau: Rational
  /// δ to add when the Gaussian table path is used: (1 + e^ε)·n·d·2^−100 (upper bound).
  public let tableDelta: Rational
  /// The (1 − β) half-width of the total noise when all n parties add their shares.
  public let intervalHalfWidth: Int64
  /// β of ``intervalHalfWidth``.
  public let beta: Double
}

/// Distributed calibration (DESIGN §5, protocols/noise.md §5).
public enum NoiseCalibration {
  /// The smallest per-party share σ for which the KLS21 bound is accepted without `force`.
  public static let minimumShareSigma = Rational(6, 5)
  /// The share σ below which KLS21's bound on the sum of k ≥ 2 shares does not hold: refused
  /// even when forced (`protocols/noise.md` §5.1).
  public static let forcedShareSigmaFloor = Rational(1, 2)

  /// Computes each party's share parameters so that any k = n − t honest shares meet the target.
  public static func plan(_ request: CalibrationRequest) throws -> NoisePlan {
    try validate(request)
    let k = request.parties - request.colluders
    switch request.mechanism {
    case .gaussian: return try planGaussian(request, k: k)
    case .laplace: return try planLaplace(request, k: k)
    }
  }

  static func validate(_ r: CalibrationRequest) throws {
    guard r.parties >= 1 else {
      throw PrivacyError.invalidParameter(
        field: "parties", value: "\(r.parties)", requirement: "must be at least 1")
    }
    guard r.colluders >= 0, r.colluders < r.parties else {
      throw PrivacyError.tooManyColluders(parties: r.parties, colluders: r.colluders)
    }
    guard r.dimension >= 1 else {
      throw PrivacyError.invalidParameter(
        field: "dimension", value: "\(r.dimension)", requirement: "must be at least 1")
    }
    guard r.delta.signum > 0, r.delta < 1 else {
      throw PrivacyError.invalidParameter(
        field: "delta", value: r.delta.description, requirement: "must be in (0, 1)")
    }
    try NoiseInterval.check(beta: r.beta)
    switch r.target {
    case .sigma(let v):
      guard v.signum > 0 else { throw positive("sigma", v) }
    case .epsilon(let v):
      guard v.signum > 0 else { throw positive("epsilon", v) }
    case .rho(let v):
      guard v.signum > 0 else { throw positive("rho", v) }
    }
  }

  static func positive(_ field: String, _ value: Rational) -> PrivacyError {
    .invalidParameter(field: field, value: value.description, requirement: "must be > 0")
  }

  // MARK: - Gaussian

  /// An upper bound on τ = 10·Σ_{j=1}^{k−1} exp(−2π²s²·j/(j+1)), s² = σ²/k, as a rational
  /// (π replaced by a rational lower bound, each exponential by a verified upper bound).
  public static func tauUpperBound(sigmaSquared: Rational, k: Int) -> Rational {
    guard k > 1 else { return .zero }
    let s2 = sigmaSquared / Rational(k)
    let pi2 = VerifiedMath.piLower * VerifiedMath.piLower
    var sum = Rational.zero
    for j in 1..<k {
      sum = sum + VerifiedMath.expMinusUpper(2 * pi2 * s2 * Rational(j, j + 1))
    }
    return 10 * sum
  }

  /// An upper bound on ρ = ½(Δ2/σ + τ√d)² (KLS21): exact when τ = 0, otherwise rounded up to
  /// 12 significant decimal digits (so the ledger stores a short rational).
  public static func rhoUpperBound(
    sigmaSquared: Rational, l2Squared: Rational, dimension: Int, tau: Rational
  ) -> Rational {
    let base = l2Squared / sigmaSquared
    if tau.isZero { return base / 2 }
    let cross = 2 * tau * VerifiedMath.sqrtUpper(base * Rational(dimension))
    return roundUpDecimal((base + cross + tau * tau * Rational(dimension)) / 2, digits: 12)
  }

  static func planGaussian(_ r: CalibrationRequest, k: Int) throws -> NoisePlan {
    let l2s = r.sensitivity.l2Squared
    guard l2s.signum > 0 else {
      throw PrivacyError.invalidParameter(
        field: "l2", value: "0", requirement: "gaussian needs an L2 sensitivity > 0")
    }
    let deltaDouble = Double(r.delta)
    func rho(_ sigmaSquared: Rational) -> Rational {
      rhoUpperBound(
        sigmaSquared: sigmaSquared, l2Squared: l2s, dimension: r.dimension,
        tau: tauUpperBound(sigmaSquared: sigmaSquared, k: k))
    }
    let sigmaSquared: Rational
    switch r.target {
    case .sigma(let sigma):
      sigmaSquared = sigma * sigma
    case .rho(let target):
      sigmaSquared = try solve(start: l2s / (2 * target)) { rho($0) <= target }
    case .epsilon(let target):
      // ρ with ε(ρ) ≈ target, by bisection in Double, to start the exact search.
      var lo = 0.0
      var hi = 1.0
      while try Accounting.epsilon(rho: Rational(exactly: hi), delta: deltaDouble)
        < Double(target)
      {
        hi *= 2
      }
      for _ in 0..<60 {
        let mid = (lo + hi) / 2
        if try Accounting.epsilon(rho: Rational(exactly: mid), delta: deltaDouble)
          <= Double(target)
        {
          lo = mid
        } else {
          hi = mid
        }
      }
      let start = l2s / (2 * Rational(exactly: max(hi, .leastNormalMagnitude)))
      sigmaSquared = try solve(start: start) {
        let e = try Accounting.epsilon(rho: rho($0), delta: deltaDouble)
        return Rational(exactly: e) <= target
      }
    }
    let share = sigmaSquared / Rational(k)
    // k = 1: the one honest share is the whole N_Z(0, σ²), exact; no KLS21 bound is needed.
    let floor = r.force ? forcedShareSigmaFloor : minimumShareSigma
    if k > 1 && share < floor * floor {
      throw PrivacyError.shareTooNarrow(
        shareSigma: String(format: "%.4f", Double(share).squareRoot()),
        minimum: r.force ? "1/2" : "1.2",
        advice: largestTargetAdvice(r, k: k, shareSigma: floor))
    }
    let tau = tauUpperBound(sigmaSquared: sigmaSquared, k: k)
    let rhoValue = rhoUpperBound(
      sigmaSquared: sigmaSquared, l2Squared: l2s, dimension: r.dimension, tau: tau)
    let epsilon = try Accounting.epsilon(rho: rhoValue, delta: deltaDouble)
    let tableDelta = tableDeltaCharge(
      epsilon: Rational(exactly: epsilon), samples: r.parties * r.dimension)
    let width = try NoiseInterval.discreteGaussianSum(
      shareSigmaSquared: share, shares: r.parties, beta: r.beta)
    return NoisePlan(
      mechanism: .gaussian, parties: r.parties, colluders: r.colluders, k: k,
      dimension: r.dimension, perParty: .gaussian(sigmaSquared: share),
      cost: .zcdp(rho: rhoValue), rho: rhoValue, epsilon: epsilon, delta: r.delta, tau: tau,
      tableDelta: tableDelta, intervalHalfWidth: width, beta: r.beta)
  }

  /// What the refused target may be at most for shares of σ ≥ `shareSigma`: the largest σ-,
  /// ρ- or ε-target (at the request's δ) in the request's terms, rounded towards acceptance.
  static func largestTargetAdvice(_ r: CalibrationRequest, k: Int, shareSigma: Rational) -> String {
    let sigmaSquared = shareSigma * shareSigma * Rational(k)
    let rho = rhoUpperBound(
      sigmaSquared: sigmaSquared, l2Squared: r.sensitivity.l2Squared, dimension: r.dimension,
      tau: tauUpperBound(sigmaSquared: sigmaSquared, k: k))
    // 4 significant digits, moved 0.1% towards the safe side first.
    func shown(_ x: Double, up: Bool) -> String {
      String(format: "%.4g", up ? x * (1 + 1e-3) : x * (1 - 1e-3))
    }
    switch r.target {
    case .sigma:
      return "use sigma ≥ \(shown(Double(sigmaSquared).squareRoot(), up: true))"
    case .rho:
      return "use ρ = \(shown(Double(rho), up: false)) or less (the largest this noise "
        + "component may use with k = \(k) honest parties)"
    case .epsilon:
      let epsilon = (try? Accounting.epsilon(rho: rho, delta: Double(r.delta))) ?? 0
      return "use ε = \(shown(epsilon, up: false)) or less at δ = \(r.delta) (the largest this "
        + "noise component may use with k = \(k) honest parties)"
    }
  }

  /// The smallest σ² (decimal, 9 significant digits, rounded up) meeting `meets`, searching
  /// up from `start`; `start` itself is returned when it meets the target.
  static func solve(start: Rational, _ meets: (Rational) throws -> Bool) throws -> Rational {
    if try meets(start) { return start }
    var lo = start
    var hi = start * 2
    while try !meets(hi) {
      lo = hi
      hi = hi * 2
    }
    for _ in 0..<64 {
      let mid = roundUpDecimal((lo + hi) / 2, digits: 9)
      if mid >= hi { break }
      if try meets(mid) { hi = mid } else { lo = mid }
    }
    return hi
  }

  /// `x` rounded up to a multiple of 10^(e − digits + 1), e = ⌊log10 x⌋ (about `digits`
  /// significant digits; any x > 0 rounds to a value ≥ x).
  static func roundUpDecimal(_ x: Rational, digits: Int) -> Rational {
    let magnitude = Double(x)
    let e = magnitude > 0 && magnitude.isFinite ? Int(log10(magnitude).rounded(.down)) : 0
    let exponent = e - digits + 1
    let unit =
      exponent >= 0
      ? Rational(BigInt(10).power(exponent)) : try! Rational(1, BigInt(10).power(-exponent))
    return Rational((x / unit).ceiling) * unit
  }

  /// The δ charged for table sampling: min(1, (1 + e^ε)·samples·2^−100), an exact rational
  /// upper bound (a draw within statistical distance η of the exact law turns (ε, δ)-DP into
  /// (ε, δ + (1 + e^ε)·η)-DP per draw, summed over draws). Every mechanism is (ε, 1)-DP, so a
  /// larger value says nothing more; above ε = 128 the bound is ≥ 2^84 for one draw, and the
  /// verified e^ε would need ~2ε bits (minutes of GMP at ε = 10^5), so 1 is returned directly.
  public static func tableDeltaCharge(epsilon: Rational, samples: Int) -> Rational {
    guard samples > 0 else { return .zero }
    if epsilon > Rational(128) { return Rational(1) }
    let expUpper = VerifiedMath.expUpper(epsilon.signum > 0 ? epsilon : .zero, precision: 64)
    return min(
      Rational(1), (1 + expUpper) * Rational(samples) * DiscreteGaussianTable.distanceTarget)
  }

  // MARK: - Laplace (Pólya shares)

  /// The largest laplace scale T = Δ1/ε calibrated (2^20 = 1,048,576; protocols/noise.md
  /// §5.2.1). The exact Pólya share sampler (§3.4) runs at least about T/k Bernoulli trials
  /// per draw, so its work grows linearly with T; above the cap a run would take minutes per
  /// coordinate, and the calibration refuses before anything is charged.
  public static let maxLaplaceScale = Rational(BigInt(1) << 20)

  static func planLaplace(_ r: CalibrationRequest, k: Int) throws -> NoisePlan {
    let l1 = r.sensitivity.l1
    guard l1.signum > 0 else {
      throw PrivacyError.invalidParameter(
        field: "l1", value: "0", requirement: "laplace needs an L1 sensitivity > 0")
    }
    let epsilon: Rational
    switch r.target {
    case .sigma:
      throw PrivacyError.unsupportedCombination(
        "--sigma applies to the gaussian mechanism; give --epsilon or --rho for laplace")
    case .epsilon(let e):
      epsilon = e
    case .rho(let rho):
      // The largest 9-decimal ε with ε²/2 ≤ ρ.
      let scaled = (2 * rho * Rational(BigInt(10).power(18))).floor
      epsilon = try Rational(try scaled.squareRootFloor(), BigInt(10).power(9))
      guard epsilon.signum > 0 else { throw positive("epsilon from rho", epsilon) }
    }
    let scale = l1 / epsilon
    guard scale <= maxLaplaceScale else {
      throw PrivacyError.invalidParameter(
        field: "laplace scale Δ1/ε",
        value: "\(l1)/\(epsilon) ≈ \(String(format: "%.4g", Double(scale)))",
        requirement:
          "must be ≤ 2^20 = 1048576: the exact Pólya share sampler's work per draw grows "
          + "linearly with the scale; raise epsilon, lower the bound, or use the gaussian mechanism"
      )
    }
    let width = try NoiseInterval.polyaTotal(
      scale: scale, shares: k, parties: r.parties, beta: r.beta)
    return NoisePlan(
      mechanism: .laplace, parties: r.parties, colluders: r.colluders, k: k,
      dimension: r.dimension, perParty: .polya(scale: scale, shares: k),
      cost: .pure(epsilon: epsilon), rho: Accounting.rho(pureEpsilon: epsilon),
      epsilon: Double(epsilon).nextUp, delta: r.delta, tau: .zero, tableDelta: .zero,
      intervalHalfWidth: width, beta: r.beta)
  }
}
