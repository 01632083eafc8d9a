public import ArgumentParser
import Foundation
import MPCBigInt
import MPCPrivacy

/// `mpc privacy`: plan distributed noise, convert zCDP to (ε, δ), sample noise, benchmark.
public struct PrivacyCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "privacy",
    abstract: "Plan, convert and sample distributed differential-privacy noise.",
    discussion: """
      Numbers are exact rationals: 3, 0.1, 9/4 or 1e-6. See protocols/noise.md.

      Examples:
        mpc privacy plan --mechanism gaussian --sigma 5 --l1 1 --l2 1 --parties 5 --colluders 1 --delta 1e-6
        mpc privacy plan --mechanism laplace --epsilon 0.5 --l1 2 --l2 "sqrt(2)" --parties 3 --colluders 1 --delta 1e-6 --json
        mpc privacy convert --rho 0.02 --delta 1e-6
        mpc privacy sample --mechanism gaussian --sigma-squared 9/4 --count 10
      """,
    subcommands: [
      PrivacyPlanCommand.self, PrivacyConvertCommand.self, PrivacySampleCommand.self,
      PrivacyBenchCommand.self,
    ]
  )

  /// Creates the command (ArgumentParser fills the options).
  public init() {}
}

// MARK: - Arguments

/// An exact rational command-line value ("3", "0.1", "9/4", "1e-6").
struct RationalArgument: ExpressibleByArgument, Sendable {
  let value: Rational

  init?(argument: String) {
    guard let value = Rational(argument) else { return nil }
    self.value = value
  }
}

/// An L2 sensitivity: a rational, or `sqrt(X)` for an irrational √X; carried as its square.
struct L2Argument: ExpressibleByArgument, Sendable {
  let squared: Rational
  let text: String

  init?(argument: String) {
    let trimmed = argument.replacingOccurrences(of: " ", with: "")
    if trimmed.hasPrefix("sqrt("), trimmed.hasSuffix(")") {
      guard let inner = Rational(String(trimmed.dropFirst(5).dropLast())) else { return nil }
      squared = inner
    } else {
      guard let value = Rational(trimmed) else { return nil }
      guard value.signum >= 0 else { return nil }
      squared = value * value
    }
    text = argument
  }
}

/// `--method` of the Gaussian sampler.
enum GaussianMethodArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
  case exact
  case table

  var method: DiscreteGaussianSampler.Method { self == .exact ? .exact : .table }
}

/// `--timing` of the Gaussian sampler.
enum TimingArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
  case variable
  case fixedWork = "fixed-work"

  var timing: DiscreteGaussianSampler.Timing { self == .variable ? .variable : .fixedWork }
}

// MARK: - Output

/// Where command output goes: standard output by default, a closure in tests.
struct OutputWriter {
  let write: (String) -> Void

  static var standardOutput: OutputWriter {
    OutputWriter { text in FileHandle.standardOutput.write(Data(text.utf8)) }
  }

  static var standardError: OutputWriter {
    OutputWriter { text in FileHandle.standardError.write(Data(text.utf8)) }
  }
}

/// Runs `body`, turning privacy-layer errors into usage errors (exit 64) with their message.
func usageErrors<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as PrivacyError {
    throw ValidationError(error.description)
  } catch let error as BigIntError {
    throw ValidationError(error.description)
  }
}

/// A `Double` for people: up to 7 significant digits.
func formatted(_ value: Double) -> String {
  String(format: "%.7g", value)
}

/// The nearest `Double` at or above `value` (0 stays 0): for displaying charged bounds.
func roundedUp(_ value: Rational) -> Double {
  let d = Double(value)
  return Rational(exactly: d) >= value ? d : d.nextUp
}
