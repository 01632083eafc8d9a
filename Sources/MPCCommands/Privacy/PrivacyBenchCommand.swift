import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy

/// `mpc privacy bench` (hidden): samples per second filling one vector, per configuration.
struct PrivacyBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure noise sampling speed (samples/s filling one vector, one core).",
    shouldDisplay: false)

  @Option(help: "Length of the vector filled per configuration.")
  var count: Int = 1_000_000

  @Option(help: "Only run configurations whose name contains this text.")
  var filter: String?

  func validate() throws {
    guard count >= 1 else { throw ValidationError("invalid count \(count): must be ≥ 1") }
  }

  func run() throws {
    try execute(writer: .standardOutput)
  }

  /// The configurations measured: name and a sampler factory.
  static var configurations: [(String, Bool, () throws -> any NoiseSampler)] {
    [
      ("gaussian sigma=5 table", false, { try DiscreteGaussianSampler(sigmaSquared: 25) }),
      ("gaussian sigma=100 table", false, { try DiscreteGaussianSampler(sigmaSquared: 10_000) }),
      (
        "gaussian sigma=5000 table", false,
        { try DiscreteGaussianSampler(sigmaSquared: 25_000_000) }
      ),
      (
        "gaussian sigma=10^4 table", false,
        { try DiscreteGaussianSampler(sigmaSquared: 100_000_000) }
      ),
      (
        "gaussian sigma=5 table fixed-work", false,
        { try DiscreteGaussianSampler(sigmaSquared: 25, timing: .fixedWork) }
      ),
      (
        "gaussian sigma=5 exact", false,
        { try DiscreteGaussianSampler(sigmaSquared: 25, method: .exact) }
      ),
      (
        "gaussian sigma=100 exact", false,
        { try DiscreteGaussianSampler(sigmaSquared: 10_000, method: .exact) }
      ),
      (
        "gaussian sigma=10^4 exact", false,
        { try DiscreteGaussianSampler(sigmaSquared: 100_000_000, method: .exact) }
      ),
      ("laplace epsilon=0.1 (scale 10)", false, { try DiscreteLaplaceSampler(scale: 10) }),
      ("laplace epsilon=1 (scale 1)", false, { try DiscreteLaplaceSampler(scale: 1) }),
      ("polya scale=10 k=2", false, { try PolyaShareSampler(scale: 10, shares: 2) }),
      (
        "gaussian sigma=100 table, SystemRandom", true,
        { try DiscreteGaussianSampler(sigmaSquared: 10_000) }
      ),
      ("laplace epsilon=1, SystemRandom", true, { try DiscreteLaplaceSampler(scale: 1) }),
    ]
  }

  func execute(writer: OutputWriter) throws {
    #if arch(x86_64)
      let machine = "x86_64"
    #elseif arch(arm64)
      let machine = "aarch64"
    #else
      let machine = "unknown"
    #endif
    #if DEBUG
      let build = "debug build: use a release build for real figures"
    #else
      let build = "release build"
    #endif
    writer.write(
      "machine: \(machine), nproc \(ProcessInfo.processInfo.activeProcessorCount), \(build), "
        + "one thread, seeded ChaCha20 PRG unless marked SystemRandom\n"
        + "repeat: swift build -c release --product mpc && .build/release/mpc privacy bench "
        + "--count \(count)\n")
    var values = [Int64](repeating: 0, count: count)
    let clock = ContinuousClock()
    for (name, system, make) in Self.configurations
    where filter.map({ name.contains($0) }) ?? true {
      var sampler: (any NoiseSampler)?
      let setup = try clock.measure { sampler = try make() }
      let elapsed: Duration
      if system {
        var random = SystemRandom()
        elapsed = clock.measure { sampler!.fill(&values, using: &random) }
      } else {
        var random = try ChaCha20PRG(seed: SecretBytes(copying: [UInt8](repeating: 7, count: 32)))
        elapsed = clock.measure { sampler!.fill(&values, using: &random) }
      }
      let seconds = Self.seconds(elapsed)
      let rate = Double(count) / seconds
      writer.write(
        "\(name.padding(toLength: 40, withPad: " ", startingAt: 0)) "
          + String(format: "%12.0f samples/s  (setup %.1f ms)", rate, 1000 * Self.seconds(setup))
          + "\n")
    }
  }

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
