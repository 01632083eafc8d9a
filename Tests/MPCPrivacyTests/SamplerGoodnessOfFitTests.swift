import Foundation
import MPCBigInt
import MPCCrypto
import Testing
import _MPCTestSupport

@testable import MPCPrivacy

/// χ² goodness of fit of every sampler against its exact pmf: 20,000 draws from a fixed seed,
/// so each test is repeatable; p must be above 0.001.
@Suite struct SamplerGoodnessOfFitTests {
  static let draws = 20_000

  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let make: @Sendable () throws -> any NoiseSampler
    let pmf: @Sendable () -> (Int64) -> Double
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "DLap(1)", make: { try DiscreteLaplaceSampler(scale: 1) },
      pmf: { Statistics.laplacePmf(scale: 1) }),
    Case(
      name: "DLap(10)", make: { try DiscreteLaplaceSampler(scale: 10) },
      pmf: { Statistics.laplacePmf(scale: 10) }),
    Case(
      name: "DLap(3/2)", make: { try DiscreteLaplaceSampler(scale: Rational(3, 2)) },
      pmf: { Statistics.laplacePmf(scale: 1.5) }),
    Case(
      // Numerator and denominator above 2^62: the BigInt path throughout.
      name: "DLap((2^70+3)/2^69) big path",
      make: {
        try DiscreteLaplaceSampler(
          scale: try Rational(BigInt(1) << 70 + 3, BigInt(1) << 69))
      },
      pmf: { Statistics.laplacePmf(scale: 2) }),
    Case(
      name: "Geometric(rate 1/2)", make: { try GeometricSampler(rate: Rational(1, 2)) },
      pmf: { Statistics.geometricPmf(rate: 0.5) }),
    Case(
      name: "Geometric(rate 3/2)", make: { try GeometricSampler(rate: Rational(3, 2)) },
      pmf: { Statistics.geometricPmf(rate: 1.5) }),
    Case(
      name: "N_Z(0,1) exact",
      make: { try DiscreteGaussianSampler(sigmaSquared: 1, method: .exact) },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 1) }),
    Case(
      name: "N_Z(0,25) exact",
      make: { try DiscreteGaussianSampler(sigmaSquared: 25, method: .exact) },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 25) }),
    Case(
      name: "N_Z(0,1/4) exact",
      make: { try DiscreteGaussianSampler(sigmaSquared: Rational(1, 4), method: .exact) },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 0.25) }),
    Case(
      name: "N_Z(0,9/4) exact",
      make: { try DiscreteGaussianSampler(sigmaSquared: Rational(9, 4), method: .exact) },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 2.25) }),
    Case(
      // σ² with a 70-bit denominator: every acceptance step overflows into BigInt.
      name: "N_Z(0,(9·2^70+1)/2^72) exact big path",
      make: {
        try DiscreteGaussianSampler(
          sigmaSquared: try Rational(BigInt(9) << 70 + 1, BigInt(1) << 72), method: .exact)
      },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 2.25) }),
    Case(
      name: "N_Z(0,9/4) table",
      make: { try DiscreteGaussianSampler(sigmaSquared: Rational(9, 4), method: .table) },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 2.25) }),
    Case(
      name: "N_Z(0,25) table", make: { try DiscreteGaussianSampler(sigmaSquared: 25) },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 25) }),
    Case(
      name: "N_Z(0,9/4) table fixed-work",
      make: {
        try DiscreteGaussianSampler(
          sigmaSquared: Rational(9, 4), method: .table, timing: .fixedWork)
      },
      pmf: { Statistics.gaussianPmf(sigmaSquared: 2.25) }),
    Case(
      name: "NB(1/2, e^-1)",
      make: { try NegativeBinomialSampler(shape: Rational(1, 2), rate: 1) },
      pmf: { Statistics.negativeBinomialPmf(r: 0.5, rate: 1) }),
    Case(
      name: "NB(1/3, e^-(2/3))",
      make: { try NegativeBinomialSampler(shape: Rational(1, 3), rate: Rational(2, 3)) },
      pmf: { Statistics.negativeBinomialPmf(r: 1.0 / 3, rate: 2.0 / 3) }),
    Case(
      name: "Pólya share scale 3/2, k = 2",
      make: { try PolyaShareSampler(scale: Rational(3, 2), shares: 2) },
      pmf: { Statistics.polyaSharePmf(r: 0.5, rate: 2.0 / 3) }),
  ]

  @Test(arguments: cases)
  func matchesExactPmf(_ c: Case) throws {
    let sampler = try c.make()
    var random = SeededRandom.make("gof \(c.name)")
    let samples = sampler.samples(count: Self.draws, using: &random)
    let result = Statistics.chiSquare(samples, pmf: c.pmf())
    #expect(result.p > 0.001, "χ² = \(result.statistic), df = \(result.degrees)")
  }

  /// Any k Pólya shares sum to DLap(scale) exactly: the sum of 3 shares of scale 3/2.
  @Test func polyaSharesSumToDiscreteLaplace() throws {
    let sampler = try PolyaShareSampler(scale: Rational(3, 2), shares: 3)
    var random = SeededRandom.make("polya sum")
    var sums = [Int64](repeating: 0, count: Self.draws)
    for _ in 0..<3 {
      let shares = sampler.samples(count: Self.draws, using: &random)
      for i in sums.indices { sums[i] += shares[i] }
    }
    let result = Statistics.chiSquare(sums, pmf: Statistics.laplacePmf(scale: 1.5))
    #expect(result.p > 0.001, "χ² = \(result.statistic), df = \(result.degrees)")
  }

  /// The χ² test does reject a wrong law (guards the helper itself).
  @Test func chiSquareRejectsWrongScale() throws {
    let sampler = try DiscreteLaplaceSampler(scale: Rational(3, 2))
    var random = SeededRandom.make("gof reject")
    let samples = sampler.samples(count: Self.draws, using: &random)
    #expect(Statistics.chiSquare(samples, pmf: Statistics.laplacePmf(scale: 1.7)).p < 1e-6)
  }

  /// The research-numbers pmf anchors, for the helper pmfs the tests compare against.
  @Test func pmfAnchors() {
    let dlap1 = Statistics.laplacePmf(scale: 1)
    #expect(abs(dlap1(0) - 0.462117157260010) < 1e-12)
    #expect(abs(dlap1(5) - 3.113720912985989e-03) < 1e-12)
    let dlap10 = Statistics.laplacePmf(scale: 10)
    #expect(abs(dlap10(1) - 0.045204207006160) < 1e-12)
    #expect(abs(Statistics.gaussianPmf(sigmaSquared: 1)(1) - 0.241970723224461) < 1e-12)
    #expect(abs(Statistics.gaussianPmf(sigmaSquared: 25)(5) - 4.839414490382866e-02) < 1e-12)
    #expect(abs(Statistics.gaussianPmf(sigmaSquared: 0.25)(0) - 0.786570707041948) < 1e-12)
    let nb = Statistics.negativeBinomialPmf(r: 0.5, rate: 1)
    #expect(abs(nb(0) - 0.795060097620650) < 1e-12)
    #expect(abs(nb(1) - 0.146243132205199) < 1e-12)
  }
}
