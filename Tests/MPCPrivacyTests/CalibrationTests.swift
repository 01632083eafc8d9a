import Foundation
import MPCBigInt
import Testing

@testable import MPCPrivacy

@Suite struct CalibrationTests {
  static let delta = Rational(1, 1_000_000)

  func request(
    _ mechanism: NoiseMechanism, _ target: PrivacyTarget, l1: Rational = 1, l2: Rational = 1,
    d: Int = 1, n: Int, t: Int, delta: Rational = delta, force: Bool = false
  ) throws -> CalibrationRequest {
    CalibrationRequest(
      mechanism: mechanism, target: target, sensitivity: try Sensitivity(l1: l1, l2: l2),
      dimension: d, parties: n, colluders: t, delta: delta, force: force)
  }

  /// research-numbers.md, KLS21 table: τ and ε from the bound.
  @Test func kls21Numbers() throws {
    let a = try NoiseCalibration.plan(request(.gaussian, .sigma(5), n: 10, t: 0))
    #expect(a.k == 10)
    #expect(a.perParty == .gaussian(sigmaSquared: Rational(5, 2)))
    #expect(abs(Double(a.tau) - 1.925e-10) < 0.001e-10)
    #expect(abs(a.epsilon - 0.89994) < 1e-5)
    let b = try NoiseCalibration.plan(request(.gaussian, .sigma(2), n: 3, t: 0, force: true))
    #expect(abs(Double(b.tau) - 1.951e-05) < 0.001e-5)
    #expect(abs(b.epsilon - 2.41919) < 1e-5)
    // σ = 1, k = 10: s ≈ 0.316 is below the forced floor of 1/2 (no plan), so the bound's
    // numbers directly.
    let tauC = NoiseCalibration.tauUpperBound(sigmaSquared: 1, k: 10)
    #expect(abs(Double(tauC) - 19.72) < 0.01)
    let rhoC = NoiseCalibration.rhoUpperBound(
      sigmaSquared: 1, l2Squared: 1, dimension: 1, tau: tauC)
    // research-numbers.md lists ε = 24.94 here; ρ = ½(1 + 19.72)² = 214.62 gives ε = 321.03
    // by the same CKS20 conversion (checked with an independent Python grid search).
    #expect(abs(try Accounting.epsilon(rho: rhoC, delta: Double(Self.delta)) - 321.028) < 0.01)
    // τ charged is an upper bound of the Double formula.
    let s2 = 2.5
    var tau = 0.0
    for j in 1..<10 {
      let exponent: Double = -2 * Double.pi * Double.pi * s2 * Double(j) / Double(j + 1)
      tau += 10 * exp(exponent)
    }
    #expect(Double(a.tau) >= tau * (1 - 1e-14) && Double(a.tau) <= tau * (1 + 1e-12))
  }

  @Test func narrowShareIsRefusedUnlessForced() throws {
    do {
      _ = try NoiseCalibration.plan(request(.gaussian, .sigma(1), n: 10, t: 0))
      Issue.record("s = 0.316 accepted")
    } catch let error as PrivacyError {
      #expect(
        error
          == .shareTooNarrow(shareSigma: "0.3162", minimum: "1.2", advice: "use sigma ≥ 3.799"))
      #expect(error.description.contains("pass --force"))
      #expect(!error.description.contains("raise sigma"))
    }
  }

  /// `--force` stops at s = 1/2, where KLS21 ends: s = 0.316 is refused even forced; s = 0.6
  /// is accepted forced and refused unforced.
  @Test func forceHasAHardFloorAtOneHalf() throws {
    let forced = try request(.gaussian, .sigma(1), n: 10, t: 0, force: true)
    #expect(
      throws: PrivacyError.shareTooNarrow(
        shareSigma: "0.3162", minimum: "1/2", advice: "use sigma ≥ 1.583")
    ) {
      try NoiseCalibration.plan(forced)
    }
    let sigma = Rational(19, 10)  // s ≈ 0.60
    let between = try request(.gaussian, .sigma(sigma), n: 10, t: 0)
    #expect(throws: PrivacyError.self) { try NoiseCalibration.plan(between) }
    let forcedBetween = try request(.gaussian, .sigma(sigma), n: 10, t: 0, force: true)
    #expect(try NoiseCalibration.plan(forcedBetween).k == 10)
  }

  /// k = 1: the one honest share is the whole Gaussian, exact; no share floor applies.
  @Test func noShareFloorWithOneHonestParty() throws {
    let plan = try NoiseCalibration.plan(request(.gaussian, .sigma(Rational(1, 2)), n: 3, t: 2))
    #expect(plan.k == 1)
    #expect(plan.tau.isZero)
  }

  /// A ρ or ε target that is too loose names the largest one this study accepts, and that
  /// target (as shown) is accepted.
  @Test func refusalNamesTheLargestAcceptedTarget() throws {
    for target in [PrivacyTarget.rho(10), .epsilon(20)] {
      do {
        _ = try NoiseCalibration.plan(request(.gaussian, target, n: 10, t: 0))
        Issue.record("\(target) accepted")
      } catch let error as PrivacyError {
        guard case .shareTooNarrow(_, _, let advice) = error else {
          Issue.record("\(error)")
          continue
        }
        let name = if case .rho = target { "ρ = " } else { "ε = " }
        let text = try #require(
          advice.components(separatedBy: name).last?.split(separator: " ").first)
        let largest = Rational(exactly: try #require(Double(String(text))))
        let accepted: PrivacyTarget =
          if case .rho = target { .rho(largest) } else { .epsilon(largest) }
        #expect(try NoiseCalibration.plan(request(.gaussian, accepted, n: 10, t: 0)).k == 10)
        #expect(!error.description.contains("raise sigma"))
      }
    }
  }

  /// k = 1: full noise at each party, τ = 0, ρ = Δ2²/(2σ²) exactly; replace-one histogram.
  @Test func singleHonestPartyAndReplaceOne() throws {
    let plan = try NoiseCalibration.plan(
      CalibrationRequest(
        mechanism: .gaussian, target: .sigma(5), sensitivity: try Sensitivity(l1: 2, l2Squared: 2),
        parties: 3, colluders: 2, delta: Self.delta))
    #expect(plan.k == 1 && plan.tau.isZero)
    #expect(plan.perParty == .gaussian(sigmaSquared: 25))
    #expect(plan.rho == Rational(1, 25))
    #expect(plan.cost == .zcdp(rho: Rational(1, 25)))
    #expect(abs(plan.epsilon - 1.30499) < 1e-5)
    #expect(plan.tableDelta > 0 && plan.tableDelta < Rational(1, 1 << 60))
  }

  /// The table δ is min(1, (1 + e^ε)·N·2^−100): tiny for a small ε, exactly 1 once the bound
  /// passes 1, and 1 without computing e^ε for ε > 128 (ε = 10^5 would take minutes).
  @Test func tableDeltaIsCappedAtOne() throws {
    let small = NoiseCalibration.tableDeltaCharge(epsilon: 1, samples: 1000)
    let bound = try Rational(1, BigInt(1) << 80)
    #expect(small > 0 && small < bound)
    // (1 + e^100)·2^−100 ≈ 2^44: capped, computed the verified way.
    #expect(NoiseCalibration.tableDeltaCharge(epsilon: 100, samples: 1) == 1)
    #expect(NoiseCalibration.tableDeltaCharge(epsilon: Rational(100_000), samples: 3) == 1)
    #expect(NoiseCalibration.tableDeltaCharge(epsilon: Rational(100_000), samples: 0) == 0)
  }

  /// Solving for σ²: the result meets the target and 0.1% less does not.
  @Test func solvesForTargets() throws {
    let byRho = try NoiseCalibration.plan(request(.gaussian, .rho(Rational(1, 50)), n: 5, t: 1))
    #expect(byRho.rho <= Rational(1, 50))
    guard case .gaussian(let share) = byRho.perParty else {
      throw PrivacyError.unsupportedCombination("")
    }
    let smaller = share * Rational(4, 1) * Rational(999, 1000)
    let tau = NoiseCalibration.tauUpperBound(sigmaSquared: smaller, k: 4)
    #expect(
      NoiseCalibration.rhoUpperBound(sigmaSquared: smaller, l2Squared: 1, dimension: 1, tau: tau)
        > Rational(1, 50))
    let byEpsilon = try NoiseCalibration.plan(request(.gaussian, .epsilon(1), d: 100, n: 5, t: 2))
    #expect(byEpsilon.epsilon <= 1)
    #expect(byEpsilon.epsilon > 0.999)
    // k = 1 with a ρ target: σ² = Δ2²/(2ρ) exactly.
    let exact = try NoiseCalibration.plan(request(.gaussian, .rho(Rational(1, 50)), n: 2, t: 1))
    #expect(exact.perParty == .gaussian(sigmaSquared: 25))
  }

  @Test func laplacePlans() throws {
    let plan = try NoiseCalibration.plan(request(.laplace, .epsilon(Rational(1, 10)), n: 3, t: 1))
    #expect(plan.perParty == .polya(scale: 10, shares: 2))
    #expect(plan.cost == .pure(epsilon: Rational(1, 10)))
    #expect(plan.rho == Rational(1, 200))
    #expect(plan.intervalHalfWidth == 36)
    let fromRho = try NoiseCalibration.plan(request(.laplace, .rho(Rational(1, 2)), n: 3, t: 2))
    #expect(fromRho.cost == .pure(epsilon: 1))
    #expect(fromRho.perParty == .polya(scale: 1, shares: 1))
    // k = 1: all 3 parties add full DLap(1) noise, so the total is GDL(3, e^−1).
    #expect(fromRho.intervalHalfWidth == 5)
    let single = try NoiseCalibration.plan(request(.laplace, .epsilon(1), n: 1, t: 0))
    #expect(single.intervalHalfWidth == 3)
  }

  /// Every invalid input is a typed error naming the field.
  @Test func invalidInputs() throws {
    let cases: [(CalibrationRequest, String)] = [
      (try request(.gaussian, .sigma(5), n: 3, t: 3), "invalid colluders 3"),
      (try request(.gaussian, .sigma(5), n: 3, t: -1), "invalid colluders -1"),
      (try request(.gaussian, .sigma(5), n: 0, t: 0), "invalid parties 0"),
      (try request(.laplace, .epsilon(0), n: 3, t: 1), "invalid epsilon 0"),
      (try request(.laplace, .epsilon(-1), n: 3, t: 1), "invalid epsilon -1"),
      (try request(.gaussian, .rho(0), n: 3, t: 1), "invalid rho 0"),
      (try request(.gaussian, .sigma(5), n: 3, t: 1, delta: 1), "invalid delta 1"),
      (try request(.gaussian, .sigma(5), n: 3, t: 1, delta: 0), "invalid delta 0"),
      (try request(.gaussian, .sigma(5), d: 0, n: 3, t: 1), "invalid dimension 0"),
      (try request(.gaussian, .sigma(5), l2: 0, n: 3, t: 1), "invalid l2 0"),
      (try request(.laplace, .epsilon(1), l1: 0, n: 3, t: 1), "invalid l1 0"),
      (try request(.laplace, .sigma(1), n: 3, t: 1), "--sigma applies to the gaussian"),
    ]
    for (r, message) in cases {
      do {
        _ = try NoiseCalibration.plan(r)
        Issue.record("accepted: \(message)")
      } catch {
        #expect("\(error)".hasPrefix(message), "\(error)")
      }
    }
    #expect(
      throws: PrivacyError.invalidParameter(
        field: "l1", value: "-1", requirement: "sensitivity must be ≥ 0")
    ) {
      try Sensitivity(l1: -1, l2: 1)
    }
    #expect(throws: PrivacyError.self) { try Sensitivity(l1: 1, l2: -1) }
  }

  /// The laplace calibration refuses a scale above 2^20 before any plan exists (so before any
  /// charge), naming the scale and the cap; at the cap it calibrates, its interval from the
  /// bounded path.
  @Test func laplaceScaleCap() throws {
    let refused = #expect(throws: PrivacyError.self) {
      try NoiseCalibration.plan(request(.laplace, .epsilon(1), l1: 1_000_000_000, n: 3, t: 1))
    }
    let message = refused.map(String.init(describing:)) ?? ""
    #expect(message.contains("laplace scale Δ1/ε"), "\(message)")
    #expect(message.contains("1048576"), "\(message)")
    #expect(message.contains("gaussian"), "\(message)")
    let plan = try NoiseCalibration.plan(request(.laplace, .epsilon(1), l1: 1_000_000, n: 3, t: 1))
    #expect(plan.perParty == .polya(scale: Rational(1_000_000), shares: 2))
    let report = try NoiseInterval.polyaTotalReport(
      scale: Rational(1_000_000), shares: 2, parties: 3)
    #expect(!report.exact && plan.intervalHalfWidth == report.halfWidth)
    let atCap = try NoiseCalibration.plan(
      request(.laplace, .epsilon(1), l1: NoiseCalibration.maxLaplaceScale, n: 3, t: 1))
    #expect(atCap.perParty == .polya(scale: NoiseCalibration.maxLaplaceScale, shares: 2))
    #expect(throws: PrivacyError.self) {
      try NoiseCalibration.plan(
        request(
          .laplace, .epsilon(1), l1: NoiseCalibration.maxLaplaceScale + Rational(1, 1000), n: 3,
          t: 1))
    }
  }
}

@Suite struct IntervalTests {
  static let laplaceCases: [(Rational, Int64)] = [
    (Rational(10), 30), (Rational(2), 6), (Rational(1), 3), (Rational(1, 2), 1),
  ]
  static let gaussianCases: [(Rational, Int64)] = [
    (Rational(1), 2), (Rational(25), 10), (Rational(400), 39),
  ]

  @Test(arguments: laplaceCases)
  func discreteLaplace(_ scale: Rational, _ h: Int64) throws {
    #expect(try NoiseInterval.discreteLaplace(scale: scale) == h)
  }

  @Test(arguments: gaussianCases)
  func discreteGaussian(_ s2: Rational, _ h: Int64) throws {
    #expect(try NoiseInterval.discreteGaussianSum(shareSigmaSquared: s2, shares: 1) == h)
  }

  @Test func polyaTotals() throws {
    #expect(try NoiseInterval.polyaTotal(scale: 1, shares: 2, parties: 3) == 3)
    #expect(try NoiseInterval.polyaTotal(scale: 10, shares: 2, parties: 3) == 36)
  }

  /// The Chernoff half-width is a valid (never narrower) and close bound: checked against the
  /// exact pmf computation where both run.
  @Test(arguments: [(1, 2, 3), (30, 2, 3), (1000, 2, 3), (200, 3, 5), (500, 1, 4)])
  func polyaChernoffBoundsTheExactWidth(_ scale: Int, _ k: Int, _ n: Int) throws {
    let exact = try NoiseInterval.polyaTotalReport(scale: Rational(scale), shares: k, parties: n)
    #expect(exact.exact && exact.pmfEntries > 0 && exact.boundEvaluations == 0)
    let (bound, _) = NoiseInterval.chernoffHalfWidth(
      r: Double(n) / Double(k), a: 1 / Double(scale), beta: NoiseInterval.defaultBeta)
    #expect(bound >= exact.halfWidth)
    #expect(Double(bound) <= 2 * Double(exact.halfWidth) + 3)
  }

  /// A sum bounded by 10^9 at ε = 1 (scale 10^9, n = 3, one colluder): the interval takes the
  /// Chernoff path with no pmf in memory and a few thousand evaluations, and scales like the
  /// exactly computed width at scale 10^3 (the total divided by its scale converges in law).
  @Test func polyaIntervalAtScale1e9IsBoundedWork() throws {
    let big = try NoiseInterval.polyaTotalReport(
      scale: Rational(1_000_000_000), shares: 2, parties: 3)
    #expect(!big.exact)
    #expect(big.pmfEntries == 0)
    #expect(big.boundEvaluations > 0 && big.boundEvaluations <= 10_000)
    let small = try NoiseInterval.polyaTotalReport(scale: Rational(1000), shares: 2, parties: 3)
    let ratio = Double(big.halfWidth) / 1e9 / (Double(small.halfWidth) / 1e3)
    #expect(ratio >= 0.99 && ratio <= 2, "ratio \(ratio)")
    // Above the exact limit the pmf is never built, at any scale up to the sampler limit.
    let widest = try NoiseInterval.polyaTotalReport(
      scale: Rational(BigInt(1) << 40), shares: 7, parties: 20)
    #expect(!widest.exact && widest.pmfEntries == 0 && widest.boundEvaluations <= 10_000)
  }

  /// research-numbers.md variances (GDL(r, q): 2rq/(1 − q)²).
  @Test func polyaVariances() throws {
    #expect(abs(try PolyaShareSampler(scale: 1, shares: 2).variance - 0.9207) < 1e-4)
    #expect(abs(try PolyaShareSampler(scale: 10, shares: 5).variance - 39.9667) < 1e-4)
    #expect(abs(try DiscreteLaplaceSampler(scale: 1).variance - 1.841347188416) < 1e-9)
    #expect(abs(try DiscreteLaplaceSampler(scale: 10).variance - 199.833416633609) < 1e-6)
    let q1 = exp(-1.0)
    #expect(abs(3 * 2 * 0.5 * q1 / ((1 - q1) * (1 - q1)) - 2.7620) < 1e-4)
  }

  /// Exact convolution and the KLS21 approximation agree where both apply, and the sum of n
  /// shares is wider than one share.
  @Test func gaussianSumConvolutionAgreesWithApproximation() throws {
    for shares in [2, 5] {
      let exact = try NoiseInterval.discreteGaussianSum(shareSigmaSquared: 16, shares: shares)
      let pmf = NoiseInterval.gaussianPmf(sigmaSquared: 16 * Double(shares))
      let approx = NoiseInterval.halfWidth(centeredPmf: pmf, beta: 0.05)
      #expect(abs(exact - approx) <= 1)
    }
    // σ = 10^4 split over n = 20 (k = 19): close to 1.96·σ·√(20/19).
    let big = try NoiseInterval.discreteGaussianSum(
      shareSigmaSquared: Rational(100_000_000, 19), shares: 20)
    let expected: Double = 1.959964 * 1e4 * (20.0 / 19).squareRoot()
    #expect(abs(Double(big) - expected) < 2)
  }

  /// The bounded-memory Gaussian half-width (noise.md §7.2) is never below the exact one and
  /// at most one above it where both can be computed, and it is what wide laws get: the
  /// share σ² ≈ 2.5·10^14 that once built an 11 GB pmf before its refusal now needs no pmf.
  @Test func gaussianTailBoundIsValidAndTight() throws {
    for sigma in [1e3, 1e4, 4e4] {
      for beta in [0.05, 0.01, 1e-6] {
        let exact = NoiseInterval.halfWidth(
          centeredPmf: NoiseInterval.gaussianPmf(sigmaSquared: sigma * sigma), beta: beta)
        let bound = NoiseInterval.gaussianTailBound(sigmaSquared: sigma * sigma, beta: beta)
        #expect(bound >= exact && bound - exact <= 1, "σ \(sigma), β \(beta): \(bound) vs \(exact)")
      }
    }
    #expect(
      2 * NoiseInterval.gaussianSupport(sigmaSquared: 2.5e14) + 1
        > NoiseInterval.exactGaussianPmfLimit)
    let wide = try NoiseInterval.discreteGaussianSum(
      shareSigmaSquared: Rational(250_000_000_000_000), shares: 3)
    let sigma = (3 * 2.5e14).squareRoot()
    #expect(abs(Double(wide) - 1.959964 * sigma) <= 1 + 1e-6 * sigma)
  }

  @Test func invalidBeta() {
    #expect(throws: PrivacyError.self) { try NoiseInterval.discreteLaplace(scale: 1, beta: 0) }
    #expect(throws: PrivacyError.self) {
      try NoiseInterval.discreteGaussianSum(shareSigmaSquared: 1, shares: 0)
    }
  }
}
