import Foundation
import MPCProtocol

/// `mpc bench --json`: every repetition, every party, and the medians over repetitions.
struct BenchOutput: CommandOutput {
  static let schema = "mpc.bench/1"

  /// One party's measurements in one repetition (read back from its `mpc.run/1` statistics).
  struct Party: Codable, Hashable {
    var party: Int
    var phasesSeconds: [String: Double]
    var bytesSent: Int
    var maxRSSMiB: Double
    /// User + system CPU time of the party process.
    var cpuSeconds: Double

    enum CodingKeys: String, CodingKey {
      case party
      case phasesSeconds = "phases_seconds"
      case bytesSent = "bytes_sent"
      case maxRSSMiB = "max_rss_mib"
      case cpuSeconds = "cpu_seconds"
    }
  }

  /// The replay check of one repetition (`BenchCheck`).
  struct Check: Codable, Hashable {
    var passed: Bool
    var detail: String
  }

  /// One repetition: wall time (first process start to last exit), parties, check.
  struct Run: Codable, Hashable {
    var repetition: Int
    var wallSeconds: Double
    /// Per phase, the median over parties.
    var phasesSecondsMedian: [String: Double]
    var parties: [Party]
    var check: Check

    enum CodingKeys: String, CodingKey {
      case repetition, parties, check
      case wallSeconds = "wall_seconds"
      case phasesSecondsMedian = "phases_seconds_median"
    }
  }

  /// Medians over the repetitions.
  struct Median: Codable, Hashable {
    var wallSeconds: Double
    var phasesSeconds: [String: Double]
    var bytesSentPerParty: Double
    var maxRSSMiB: Double
    var cpuSecondsAllParties: Double

    enum CodingKeys: String, CodingKey {
      case wallSeconds = "wall_seconds"
      case phasesSeconds = "phases_seconds"
      case bytesSentPerParty = "bytes_sent_per_party"
      case maxRSSMiB = "max_rss_mib"
      case cpuSecondsAllParties = "cpu_seconds_all_parties"
    }
  }

  var schema: String
  var parties: Int
  var length: Int
  var field: String
  var mechanism: String
  /// ρ (gaussian) or ε (laplace) of each repetition's query, exact.
  var parameter: String
  var input: String
  var directory: String
  var runs: [Run]
  var median: Median
  var checkPassed: Bool

  enum CodingKeys: String, CodingKey {
    case schema, parties, length, field, mechanism, parameter, input, directory, runs, median
    case checkPassed = "check_passed"
  }

  init(setup: BenchSetup, runs: [Run]) {
    let o = setup.options
    schema = Self.schema
    parties = o.parties
    length = o.length
    field = o.field
    mechanism = o.mechanism.rawValue
    parameter = setup.parameter
    input = o.input.rawValue
    directory = setup.base.path
    self.runs = runs
    typealias R = BenchReport
    var phases: [String: Double] = [:]
    for phase in R.phases {
      phases[phase] = R.median(runs.map { $0.phasesSecondsMedian[phase] ?? 0 })
    }
    median = Median(
      wallSeconds: R.median(runs.map(\.wallSeconds)), phasesSeconds: phases,
      bytesSentPerParty: R.median(runs.map(R.bytesMedian)),
      maxRSSMiB: R.median(runs.map(R.rssMaxMiB)),
      cpuSecondsAllParties: R.median(runs.map(R.cpuTotal)))
    checkPassed = runs.allSatisfy(\.check.passed)
  }
}

/// The bench's text output and the medians it and ``BenchOutput`` report.
enum BenchReport {
  static let phases = RunStatistics.Phase.allCases.map(\.rawValue)

  static func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  /// Per phase, the median over parties.
  static func phaseMedians(_ parties: [BenchOutput.Party]) -> [String: Double] {
    var result: [String: Double] = [:]
    for phase in phases { result[phase] = median(parties.map { $0.phasesSeconds[phase] ?? 0 }) }
    return result
  }

  static func bytesMedian(_ run: BenchOutput.Run) -> Double {
    median(run.parties.map { Double($0.bytesSent) })
  }

  static func rssMaxMiB(_ run: BenchOutput.Run) -> Double {
    run.parties.map(\.maxRSSMiB).max() ?? 0
  }

  /// CPU seconds of all parties together (on c cores, wall ≥ this / c).
  static func cpuTotal(_ run: BenchOutput.Run) -> Double {
    run.parties.map(\.cpuSeconds).reduce(0, +)
  }

  static func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

  static func line(_ run: BenchOutput.Run) -> String {
    let p = run.phasesSecondsMedian
    let phaseText = phases.map { "\($0) \(f(p[$0] ?? 0))" }.joined(separator: ", ")
    let check = run.check.passed ? "ok" : "FAILED: \(run.check.detail)"
    return "run \(run.repetition): wall \(f(run.wallSeconds)) s; phases (s, median over parties): "
      + "\(phaseText); sent \(f(bytesMedian(run) / 1e6, 2)) MB/party; max RSS "
      + "\(f(rssMaxMiB(run), 1)) MiB; CPU \(f(cpuTotal(run))) s (all parties); check \(check)"
  }

  static func summary(_ output: BenchOutput) -> String {
    let m = output.median
    let symbol = output.mechanism == MechanismArgument.gaussian.rawValue ? "ρ" : "ε"
    var lines = [
      "median over \(output.runs.count) repetition(s): n = \(output.parties), m = \(output.length), "
        + "field \(output.field), \(output.mechanism) (\(symbol) = \(output.parameter)), "
        + "input \(output.input)",
      "  wall \(f(m.wallSeconds)) s",
    ]
    for phase in phases {
      let value = m.phasesSeconds[phase] ?? 0
      lines.append("  \(phase.padding(toLength: 16, withPad: " ", startingAt: 0)) \(f(value)) s")
    }
    lines.append("  sent per party   \(f(m.bytesSentPerParty / 1e6, 3)) MB")
    lines.append("  max RSS/party    \(f(m.maxRSSMiB, 1)) MiB")
    lines.append("  CPU, all parties \(f(m.cpuSecondsAllParties)) s (user + system)")
    let failed = output.runs.filter { !$0.check.passed }.count
    let count = output.runs.count
    lines.append(
      "  check            \(failed == 0 ? "ok (\(count)/\(count))" : "FAILED in \(failed) run(s)")")
    lines.append("  files in \(output.directory)")
    return lines.joined(separator: "\n")
  }
}
