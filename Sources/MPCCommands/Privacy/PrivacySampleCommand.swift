import ArgumentParser
import MPCBigInt
import MPCCrypto
import MPCPrivacy

/// `mpc privacy sample`: draw noise, one integer per line.
struct PrivacySampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Draw noise from a sampler, one integer per line.",
    discussion: """
      Without --seed the noise comes from the system CSPRNG. With --seed (64 hex digits) it is \
      replayed from the seeded ChaCha20 PRG exactly as protocols/noise.md specifies: for tests \
      and known-answer vectors only, never for real releases.

      Examples:
        mpc privacy sample --mechanism gaussian --sigma-squared 9/4 --count 5
        mpc privacy sample --mechanism gaussian --sigma-squared 100 --method exact --count 5
        mpc privacy sample --mechanism laplace --scale 3/2 --count 5 --seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
        mpc privacy sample --mechanism polya --scale 10 --shares 3 --count 5
      """)

  @Option(help: "gaussian, laplace or polya.")
  var mechanism: SampleMechanism

  @Option(name: .customLong("sigma-squared"), help: "σ² of N_Z(0, σ²) (gaussian).")
  var sigmaSquared: RationalArgument?

  @Option(help: "Scale t of DLap(t) (laplace), or of the DLap the shares sum to (polya).")
  var scale: RationalArgument?

  @Option(help: "Number k of Pólya shares that sum to DLap(scale) (polya).")
  var shares: Int?

  @Option(help: "Number of draws.")
  var count: Int

  @Option(help: "64 hex digits: replay from the seeded PRG (testing only).")
  var seed: String?

  @Option(help: "Gaussian method: table (fast, within 2^-100) or exact (CKS20).")
  var method: GaussianMethodArgument = .table

  @Option(help: "Gaussian timing: variable or fixed-work (table only).")
  var timing: TimingArgument = .variable

  func validate() throws {
    guard count >= 0 else { throw ValidationError("invalid count \(count): must be ≥ 0") }
    switch mechanism {
    case .gaussian:
      guard sigmaSquared != nil else { throw ValidationError("gaussian needs --sigma-squared") }
      guard scale == nil, shares == nil else {
        throw ValidationError("--scale and --shares do not apply to gaussian")
      }
    case .laplace:
      guard scale != nil else { throw ValidationError("laplace needs --scale") }
      guard sigmaSquared == nil, shares == nil else {
        throw ValidationError("--sigma-squared and --shares do not apply to laplace")
      }
    case .polya:
      guard scale != nil, shares != nil else {
        throw ValidationError("polya needs --scale and --shares")
      }
      guard sigmaSquared == nil else {
        throw ValidationError("--sigma-squared does not apply to polya")
      }
    }
  }

  func run() throws {
    try execute(writer: .standardOutput, warnings: .standardError)
  }

  func makeSampler() throws -> any NoiseSampler {
    try usageErrors { () throws -> any NoiseSampler in
      switch mechanism {
      case .gaussian:
        return try DiscreteGaussianSampler(
          sigmaSquared: sigmaSquared!.value, method: method.method, timing: timing.timing)
      case .laplace:
        return try DiscreteLaplaceSampler(scale: scale!.value)
      case .polya:
        return try PolyaShareSampler(scale: scale!.value, shares: shares!)
      }
    }
  }

  func execute(writer: OutputWriter, warnings: OutputWriter) throws {
    let sampler = try makeSampler()
    if let seed {
      let prg: ChaCha20PRG
      do {
        prg = try ChaCha20PRG(seedHex: seed)
      } catch {
        throw ValidationError("invalid --seed: \(error); expected 64 hex digits")
      }
      warnings.write(
        "warning: seeded noise is reproducible by anyone with the seed: for testing only\n")
      var random = prg
      emit(sampler, using: &random, writer: writer)
    } else {
      var random = SystemRandom()
      emit(sampler, using: &random, writer: writer)
    }
  }

  private func emit(
    _ sampler: any NoiseSampler, using random: inout some RandomSource, writer: OutputWriter
  ) {
    var remaining = count
    var values = [Int64](repeating: 0, count: min(count, 1 << 16))
    while remaining > 0 {
      let n = min(remaining, values.count)
      values.withUnsafeMutableBufferPointer { buffer in
        sampler.fill(UnsafeMutableBufferPointer(rebasing: buffer[0..<n]), using: &random)
      }
      var text = ""
      for v in values[0..<n] {
        text += String(v)
        text += "\n"
      }
      writer.write(text)
      remaining -= n
    }
  }
}

/// `--mechanism` of `sample`.
enum SampleMechanism: String, ExpressibleByArgument, CaseIterable, Sendable {
  case gaussian
  case laplace
  case polya
}
