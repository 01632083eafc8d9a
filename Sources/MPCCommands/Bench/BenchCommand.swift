import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCProtocol

/// `mpc bench`: n real `mpc run` processes on loopback for a seeded vector-sum, timed and checked.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Benchmark a vector-sum of length m over n local party processes.",
    discussion: """
      Creates keys, a test study (\"test_study\": true) on free loopback \
      ports, deterministic per-party inputs in [0, 100] and a vector-sum query, \
      then per repetition starts n `mpc run` processes over encrypted links as \
      a user would, the values through `--out FILE --format int64`; only their \
      noise is seeded (per party and repetition, announced to the peers, \
      allowed in test studies only). Prints per run the wall time \
      (first process start to last exit), per-phase times (median over parties), bytes sent \
      and peak RSS per party, and checks the opened value against the exact sum plus every \
      party's replayed noise. Exit status 1 if any check fails.

      Example:
        mpc bench --parties 3 --length 1000000 --repetitions 3
      """)

  @Option(name: .long, help: "Number of parties n.")
  var parties = 3

  @Option(name: .long, help: "Vector length m.")
  var length = 1_000_000

  @Option(name: .long, help: "The study's field: auto, m61, m89, m107, m127 or a prime.")
  var field = "m127"

  @Option(name: .long, help: "gaussian or laplace.")
  var mechanism: MechanismArgument = .gaussian

  @Option(
    name: .long,
    help: "The query's ρ (gaussian) or ε (laplace); default max(1, m/10^4).")
  var rho: String?

  @Option(name: .long, help: "Repetitions (medians are reported over them).")
  var repetitions = 3

  @Option(name: .long, help: "Input file format: text or int64 (little-endian binary).")
  var input: VectorFormatArgument = .int64

  @Option(name: .long, help: "Working directory (default: a new temporary one).")
  var dir: String?

  @Option(name: .long, help: "Seconds each party waits for a peer.")
  var timeout = 300

  @Flag(name: .long, help: "Print JSON instead of the table.")
  var json = false

  func validate() throws {
    guard (2...1000).contains(parties) else {
      throw ValidationError("--parties must be between 2 and 1000")
    }
    guard length >= 1 else { throw ValidationError("--length must be at least 1") }
    guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    guard timeout >= 1 else { throw ValidationError("--timeout must be positive") }
    if let rho { _ = try Rational(parsing: rho) }
  }

  func run() throws {
    let runs: [BenchOutput.Run]
    do {
      let setup = try BenchSetup.create(self)
      var collected: [BenchOutput.Run] = []
      for r in 0..<repetitions {
        let run = try setup.runOnce(repetition: r)
        if !json { print(BenchReport.line(run)) }
        collected.append(run)
      }
      runs = collected
      let output = BenchOutput(setup: setup, runs: runs)
      if json {
        print(try OutputCoding.encode(output), terminator: "")
      } else {
        print(BenchReport.summary(output))
      }
    } catch let error as ExitCode {
      throw error
    } catch {
      throw CommandFailure.report(error)
    }
    if runs.contains(where: { !$0.check.passed }) { throw ExitStatus.failure.code }
  }
}
