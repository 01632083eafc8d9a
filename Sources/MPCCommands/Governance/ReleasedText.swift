import Foundation
import MPCProtocol

/// The text `mpc run` prints: ``ResultFormatter/text(_:query:study:)``, or, when the study
/// policy has output rules, the same result after them (post-processing: rounded values,
/// suppressed small counts), said so.
enum ReleasedText {
  /// The keys of `mpc run --json` that differ between parties (or runs): left out of the
  /// release log's `result`, so that records are identical at every party except for their
  /// times (`protocols/ledger.md` §6).
  static let localKeyNames = [
    "party", "time", "bad_rows", "statistics", "local_data", "seeded_noise",
  ]

  /// The run's JSON without ``localKeyNames`` (keys sorted, compact).
  static func sharedResult(_ json: String) throws -> String {
    guard var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    else { return json }
    for key in localKeyNames { object[key] = nil }
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  /// This site's keys for a replayed result (its statistics are absent: nothing ran).
  static func localKeys(party: Int, badRows: Int, now: Date = Date()) -> [String: Any] {
    ["party": party, "bad_rows": badRows, "time": ISO8601DateFormatter().string(from: now)]
  }

  static func text(
    _ output: RunOutput, result: QueryResult, query: QueryManifest, study: StudyManifest,
    rest: String? = nil
  ) -> String {
    var plain = ResultFormatter.text(result, query: query, study: study, rest: rest)
    if let statistic = output.statistic {
      plain +=
        "\n  \(statistic.kind):\n" + StatisticsRelease.text(statistic).joined(separator: "\n")
    }
    guard let rules = output.outputRules else { return plain }
    // The header and privacy lines of the plain rendering; the values from `output`.
    let lines = plain.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var out = [lines.first ?? ""]
    for c in output.components {
      if output.components.count > 1 { out.append("  \(c.name):") }
      let width = max(8, c.values.map(\.label.count).max() ?? 0)
      out.append("  \(String(repeating: " ", count: width))    DP value   95% interval")
      for v in c.values {
        let label = v.label.padding(toLength: width, withPad: " ", startingAt: 0)
        if v.suppressed == true {
          out.append("  \(label)  suppressed (noisy count below the policy threshold)")
          continue
        }
        let value = v.value.description
        out.append(
          "  \(label)  \(String(repeating: " ", count: max(0, 10 - value.count)))\(value)   "
            + "[\(v.lower), \(v.upper)]")
      }
    }
    if let mean = output.mean {
      if let value = mean.value, let lower = mean.lower, let upper = mean.upper {
        out.append(
          "  mean = sum / count = "
            + String(format: "%.2f (not rounded)   [%.2f, %.2f]", value, lower, upper))
      } else if mean.value == nil {
        out.append("  mean: not released (its count is suppressed or not positive)")
      }
    }
    out.append("output rules (post-processing, no privacy cost): \(rules)")
    if let privacy = lines.last(where: { $0.hasPrefix("privacy:") }) { out.append(privacy) }
    return out.joined(separator: "\n")
  }
}
