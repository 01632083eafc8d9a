import Foundation
import MPCProtocol

/// The bench's text and JSON output.
enum BenchReport {
  static let phases = RunStatistics.Phase.allCases.map(\.rawValue)

  static func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  /// Per phase, the median over parties.
  static func phaseMedians(_ run: BenchRun) -> [String: Double] {
    var result: [String: Double] = [:]
    for phase in phases { result[phase] = median(run.parties.map { $0.phases[phase] ?? 0 }) }
    return result
  }

  static func bytesMedian(_ run: BenchRun) -> Double {
    median(run.parties.map { Double($0.bytesSent) })
  }

  static func rssMaxMiB(_ run: BenchRun) -> Double {
    Double(run.parties.map(\.maxRSSKiB).max() ?? 0) / 1024
  }

  /// CPU seconds of all parties together (on c cores, wall ≥ this / c).
  static func cpuTotal(_ run: BenchRun) -> Double { run.parties.map(\.cpuSeconds).reduce(0, +) }

  static func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

  static func line(_ run: BenchRun) -> String {
    let p = phaseMedians(run)
    let phaseText = phases.map { "\($0) \(f(p[$0] ?? 0))" }.joined(separator: ", ")
    return "run \(run.repetition): wall \(f(run.wallSeconds)) s; phases (s, median over parties): "
      + "\(phaseText); sent \(f(bytesMedian(run) / 1e6, 2)) MB/party; max RSS "
      + "\(f(rssMaxMiB(run), 1)) MiB; CPU \(f(cpuTotal(run))) s (all parties); check \(run.checkPassed ? "ok" : "FAILED: \(run.checkDetail)")"
  }

  static func summary(setup: BenchSetup, runs: [BenchRun]) -> String {
    let o = setup.options
    var lines = [
      "median over \(runs.count) repetition(s): n = \(o.parties), m = \(o.length), field "
        + "\(o.field), \(o.mechanism) (\(o.mechanism == "gaussian" ? "ρ" : "ε") = \(setup.parameter)), "
        + "input \(o.input)",
      "  wall \(f(median(runs.map(\.wallSeconds)))) s",
    ]
    for phase in phases {
      let value = median(runs.map { phaseMedians($0)[phase] ?? 0 })
      lines.append("  \(phase.padding(toLength: 16, withPad: " ", startingAt: 0)) \(f(value)) s")
    }
    lines.append("  sent per party   \(f(median(runs.map(bytesMedian)) / 1e6, 3)) MB")
    lines.append("  max RSS/party    \(f(median(runs.map(rssMaxMiB)), 1)) MiB")
    lines.append("  CPU, all parties \(f(median(runs.map(cpuTotal)))) s (user + system)")
    let failed = runs.filter { !$0.checkPassed }.count
    lines.append(
      "  check            \(failed == 0 ? "ok (\(runs.count)/\(runs.count))" : "FAILED in \(failed) run(s)")"
    )
    lines.append("  files in \(setup.base.path)")
    return lines.joined(separator: "\n")
  }

  static func jsonObject(setup: BenchSetup, runs: [BenchRun]) -> [String: Any] {
    let o = setup.options
    let runObjects: [[String: Any]] = runs.map { run in
      [
        "repetition": run.repetition, "wall_seconds": run.wallSeconds,
        "phases_seconds_median": phaseMedians(run),
        "parties": run.parties.enumerated().map { i, p -> [String: Any] in
          [
            "party": i, "phases_seconds": p.phases, "bytes_sent": p.bytesSent,
            "max_rss_mib": Double(p.maxRSSKiB) / 1024, "cpu_seconds": p.cpuSeconds,
          ]
        },
        "check": ["passed": run.checkPassed, "detail": run.checkDetail],
      ]
    }
    var phaseMedian: [String: Double] = [:]
    for phase in phases { phaseMedian[phase] = median(runs.map { phaseMedians($0)[phase] ?? 0 }) }
    return [
      "parties": o.parties, "length": o.length, "field": o.field, "mechanism": o.mechanism,
      "parameter": setup.parameter, "input": o.input, "directory": setup.base.path,
      "runs": runObjects,
      "median": [
        "wall_seconds": median(runs.map(\.wallSeconds)), "phases_seconds": phaseMedian,
        "bytes_sent_per_party": median(runs.map(bytesMedian)),
        "max_rss_mib": median(runs.map(rssMaxMiB)),
        "cpu_seconds_all_parties": median(runs.map(cpuTotal)),
      ],
      "check_passed": runs.allSatisfy(\.checkPassed),
    ]
  }
}
