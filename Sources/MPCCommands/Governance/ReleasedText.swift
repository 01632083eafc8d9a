import Foundation
import MPCProtocol

/// The text `mpc run` prints: ``ResultFormatter/text(_:query:study:)``, or, when the study
/// policy has output rules, the same result after them (post-processing: rounded values,
/// suppressed small counts), said so.
enum ReleasedText {
  static func text(
    _ output: RunOutput, result: QueryResult, query: QueryManifest, study: StudyManifest
  ) -> String {
    let plain = ResultFormatter.text(result, query: query, study: study)
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
