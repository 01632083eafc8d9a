import Foundation
import MPCBigInt

/// The terminal bar chart of histogram-like results (histogram bins, crosstab cells, the bins
/// of a quantile): one row per labelled value, a bar to the DP value and the 95% interval
/// around it, in plain Unicode block characters (no colour, no escape sequences), fitted to
/// the terminal width. It is drawn from the released values (after output rules), so it shows
/// exactly what the table above it shows.
///
/// Each row's cells cover equal parts of the scale `lo … hi` (0 … the largest upper bound, or
/// below 0 when an interval reaches below it):
/// - `█` up to the interval's lower bound,
/// - `▓` from the lower bound to the DP value,
/// - `░` from the DP value to the upper bound.
enum BarChart {
  /// One bar: a label, the DP value and its 95% interval (`nil` when suppressed).
  struct Row: Equatable {
    var label: String
    var value: Int64
    var lower: Int64
    var upper: Int64
    var suppressed = false
  }

  /// A component with fewer labelled values than this is not charted (a count, a sum).
  static let minimumRows = 2
  /// A component with more labelled values than this is not charted (it would not be read).
  static let maximumRows = 60
  /// Labels are cut to this many characters (with `…`).
  static let maximumLabel = 24
  /// The narrowest bar area drawn, whatever the terminal says.
  static let minimumBarWidth = 10

  /// The terminal width: `COLUMNS` when it is a positive number, else 80.
  static func terminalWidth(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> Int
  {
    if let text = environment["COLUMNS"], let n = Int(text.trimmingCharacters(in: .whitespaces)),
      n > 0
    {
      return n
    }
    return 80
  }

  /// The chart of `rows` in `width` columns, each line at most `width` characters (but never
  /// narrower than ``minimumBarWidth`` bar cells); empty when there is nothing to chart.
  static func render(_ rows: [Row], title: String? = nil, width: Int) -> [String] {
    guard (minimumRows...maximumRows).contains(rows.count) else { return [] }
    let shown = rows.filter { !$0.suppressed }
    guard !shown.isEmpty else { return [] }
    let labels = rows.map { cut($0.label) }
    let labelWidth = labels.map(\.count).max() ?? 0
    // "  " + label + " │" + bar + " " + value.
    let numbers = rows.map { $0.suppressed ? "suppressed" : String($0.value) }
    let numberWidth = numbers.map(\.count).max() ?? 0
    let barWidth = max(minimumBarWidth, width - 2 - labelWidth - 2 - 1 - numberWidth)
    let lo = min(0, shown.map(\.lower).min() ?? 0)
    let hi = max(lo + 1, shown.map(\.upper).max() ?? 1)
    var out: [String] = []
    out.append(
      "  " + (title.map { "\($0): " } ?? "") + "bar to the DP value, 95% interval ▓ below it, "
        + "░ above it; scale \(lo) … \(hi)")
    for (i, row) in rows.enumerated() {
      let label = labels[i].padding(toLength: labelWidth, withPad: " ", startingAt: 0)
      let bar: String
      if row.suppressed {
        bar = String(repeating: " ", count: barWidth)
      } else {
        let a = cell(row.lower, lo: lo, hi: hi, width: barWidth)
        let b = max(a, cell(row.value, lo: lo, hi: hi, width: barWidth))
        let c = max(b, cell(row.upper, lo: lo, hi: hi, width: barWidth))
        bar =
          String(repeating: "█", count: a) + String(repeating: "▓", count: b - a)
          + String(repeating: "░", count: c - b) + String(repeating: " ", count: barWidth - c)
      }
      let number = String(repeating: " ", count: numberWidth - numbers[i].count) + numbers[i]
      out.append("  \(label) │\(bar) \(number)")
    }
    return out
  }

  /// The number of cells (0 … `width`) up to `x` on the scale `lo … hi`, rounded to nearest.
  static func cell(_ x: Int64, lo: Int64, hi: Int64, width: Int) -> Int {
    let clamped = min(max(x, lo), hi)
    // In Double: a count's range is far below 2^53, and a cell is a picture, not a result.
    let fraction = Double(clamped - lo) / Double(hi - lo)
    return min(width, max(0, Int((fraction * Double(width)).rounded())))
  }

  static func cut(_ label: String) -> String {
    label.count <= maximumLabel ? label : String(label.prefix(maximumLabel - 1)) + "…"
  }

  // MARK: - From a result

  /// The charts of a run's released components, separated from the table by a blank line;
  /// empty when no component is histogram-like.
  static func text(_ components: [ChartComponent], width: Int) -> String {
    var blocks: [String] = []
    for c in components {
      let rows = c.values.compactMap { v -> Row? in
        if v.suppressed == true {
          return Row(label: v.label, value: 0, lower: 0, upper: 0, suppressed: true)
        }
        guard let value = Int(exactly: v.value.value), let lower = Int(exactly: v.lower.value),
          let upper = Int(exactly: v.upper.value)
        else { return nil }
        return Row(label: v.label, value: Int64(value), lower: Int64(lower), upper: Int64(upper))
      }
      guard rows.count == c.values.count else { continue }
      let lines = render(rows, title: components.count > 1 ? c.name : nil, width: width)
      if !lines.isEmpty { blocks.append(lines.joined(separator: "\n")) }
    }
    return blocks.isEmpty ? "" : "\n" + blocks.joined(separator: "\n")
  }

  /// The charts of a stored result (the release log's `result` JSON); empty when it cannot be
  /// read or has nothing to chart.
  static func text(storedResult json: String, width: Int) -> String {
    guard let stored = try? JSONDecoder().decode(StoredComponents.self, from: Data(json.utf8))
    else { return "" }
    return text(stored.components, width: width)
  }

  /// What a chart reads of a component (of `mpc run --json` or of a stored result).
  struct ChartComponent: Decodable {
    var name: String
    var values: [RunOutput.Value]
  }

  private struct StoredComponents: Decodable {
    var components: [ChartComponent]
  }
}

extension BarChart.ChartComponent {
  init(_ c: RunOutput.Component) {
    name = c.name
    values = c.values
  }
}
