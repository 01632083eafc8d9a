import Foundation
import MPCPrivacy

/// The self-contained HTML report of `mpc audit export` for a privacy board: no external
/// resource (styles, charts and the check script inline), one section per release with its
/// question, answer and 95% intervals, cost, approvers, running total and guarantee; charts as
/// inline SVG (`svg.chart`): bars with interval whiskers for every release with several values
/// (histogram bins, vector coordinates), and the budget spent over time.
enum AuditHTML {
  /// Releases with more values than this get a table but no bar chart.
  static let maxBars = 200

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  static func number(_ x: Double) -> String { String(format: "%.1f", x) }

  /// Whether a release gets a bar chart: one component with several values (histogram bins,
  /// vector coordinates), not a mean's sum and count (different scales).
  static func hasBars(_ r: AuditReport.Release) -> Bool {
    let shown = r.values.filter { !$0.suppressed }
    return Set(r.values.map(\.component)).count == 1 && r.values.count > 1
      && r.values.count <= maxBars && !shown.isEmpty
  }

  /// Bars with 95% interval whiskers.
  static func bars(_ r: AuditReport.Release) -> String {
    let (width, height, left, bottom) = (640.0, 240.0, 48.0, 36.0)
    let shown = r.values.compactMap { v -> (String, Double, Double, Double)? in
      guard let value = v.value.flatMap(Double.init), let lo = v.lower.flatMap(Double.init),
        let hi = v.upper.flatMap(Double.init)
      else { return nil }
      return (v.label, value, lo, hi)
    }
    let top = max(1, shown.map(\.3).max() ?? 1)
    let floor = min(0, shown.map(\.2).min() ?? 0)
    let plotH = height - bottom - 10
    func y(_ v: Double) -> Double { 10 + plotH * (top - v) / (top - floor) }
    let slot = (width - left - 10) / Double(r.values.count)
    var svg =
      "<svg class=\"chart bars\" role=\"img\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
      + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
      + "<title>\(escape(r.queryID)): released values with 95% intervals</title>"
      + "<line x1=\"\(number(left))\" y1=\"\(number(y(0)))\" x2=\"\(number(width - 10))\" "
      + "y2=\"\(number(y(0)))\" stroke=\"#444\"/>"
      + "<text x=\"4\" y=\"\(number(y(top) + 4))\" font-size=\"11\">\(number(top))</text>"
      + "<text x=\"4\" y=\"\(number(y(0) + 4))\" font-size=\"11\">0</text>"
    for (i, v) in r.values.enumerated() {
      let x = left + Double(i) * slot
      if r.values.count <= 24 {
        svg +=
          "<text x=\"\(number(x + slot / 2))\" y=\"\(number(height - bottom + 16))\" "
          + "font-size=\"11\" text-anchor=\"middle\">\(escape(String(v.label.prefix(10))))</text>"
      }
      guard let value = v.value.flatMap(Double.init), let lo = v.lower.flatMap(Double.init),
        let hi = v.upper.flatMap(Double.init)
      else {
        svg +=
          "<text x=\"\(number(x + slot / 2))\" y=\"\(number(y(0) - 4))\" font-size=\"10\" "
          + "text-anchor=\"middle\">supp.</text>"
        continue
      }
      let barTop = y(max(value, 0))
      let barHeight = max(1, abs(y(value) - y(0)))
      svg +=
        "<rect class=\"bar\" x=\"\(number(x + slot * 0.15))\" y=\"\(number(value >= 0 ? barTop : y(0)))\" "
        + "width=\"\(number(slot * 0.7))\" height=\"\(number(barHeight))\" fill=\"#4a78b5\">"
        + "<title>\(escape(v.label)): \(escape(v.value ?? "")) [\(escape(v.lower ?? "")), "
        + "\(escape(v.upper ?? ""))]</title></rect>"
      let cx = number(x + slot / 2)
      svg +=
        "<line class=\"whisker\" x1=\"\(cx)\" y1=\"\(number(y(lo)))\" x2=\"\(cx)\" "
        + "y2=\"\(number(y(hi)))\" stroke=\"#111\" stroke-width=\"1.5\"/>"
        + "<line x1=\"\(number(x + slot * 0.35))\" y1=\"\(number(y(hi)))\" "
        + "x2=\"\(number(x + slot * 0.65))\" y2=\"\(number(y(hi)))\" stroke=\"#111\"/>"
        + "<line x1=\"\(number(x + slot * 0.35))\" y1=\"\(number(y(lo)))\" "
        + "x2=\"\(number(x + slot * 0.65))\" y2=\"\(number(y(lo)))\" stroke=\"#111\"/>"
    }
    return svg + "</svg>"
  }

  /// The budget spent after every ledger entry, against the total.
  static func budget(_ report: AuditReport) -> String {
    let (width, height, left) = (640.0, 200.0, 56.0)
    let total = Double(report.budget.total) ?? ratio(report.budget.total)
    let top = max(total, report.spending.map(\.spentAfterValue).max() ?? 0, 1e-12)
    func y(_ v: Double) -> Double { 10 + (height - 40) * (top - v) / top }
    let n = max(1, report.spending.count)
    func x(_ i: Int) -> Double { left + (width - left - 10) * Double(i) / Double(n) }
    var points = ["\(number(x(0))),\(number(y(0)))"]
    for (i, s) in report.spending.enumerated() {
      points.append("\(number(x(i + 1))),\(number(y(s.spentAfterValue)))")
    }
    var svg =
      "<svg class=\"chart budget\" role=\"img\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
      + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
      + "<title>Budget spent (\(escape(report.budget.unit))) after each ledger entry</title>"
      + "<text x=\"\(number(width - 10))\" y=\"\(number(height - 1))\" font-size=\"10\" "
      + "text-anchor=\"end\">ledger entry (seq)</text>"
      + "<line x1=\"\(number(left))\" y1=\"\(number(y(total)))\" x2=\"\(number(width - 10))\" "
      + "y2=\"\(number(y(total)))\" stroke=\"#b54a4a\" stroke-dasharray=\"6 4\"/>"
      + "<text x=\"4\" y=\"\(number(y(total) + 4))\" font-size=\"11\">total \(escape(report.budget.total))</text>"
      + "<text x=\"4\" y=\"\(number(y(0) + 4))\" font-size=\"11\">0</text>"
      + "<line x1=\"\(number(left))\" y1=\"\(number(y(0)))\" x2=\"\(number(width - 10))\" "
      + "y2=\"\(number(y(0)))\" stroke=\"#444\"/>"
    if !report.spending.isEmpty {
      svg +=
        "<polyline class=\"spent\" fill=\"none\" stroke=\"#4a78b5\" stroke-width=\"2\" "
        + "points=\"\(points.joined(separator: " "))\"/>"
      for (i, s) in report.spending.enumerated() {
        if report.spending.count <= 24 {
          svg +=
            "<text x=\"\(number(x(i + 1)))\" y=\"\(number(height - 12))\" font-size=\"10\" "
            + "text-anchor=\"middle\">\(s.seq)</text>"
        }
        svg +=
          "<circle cx=\"\(number(x(i + 1)))\" cy=\"\(number(y(s.spentAfterValue)))\" r=\"3\" "
          + "fill=\"#4a78b5\"><title>seq \(s.seq) \(escape(s.kind)) \(escape(s.queryID)): "
          + "spent \(escape(s.spentAfter))</title></circle>"
      }
    }
    return svg + "</svg>"
  }

  /// "a/b" as a Double (budget totals are exact rationals).
  static func ratio(_ text: String) -> Double {
    let parts = text.split(separator: "/").compactMap { Double($0) }
    return parts.count == 2 && parts[1] != 0 ? parts[0] / parts[1] : 0
  }

  static func total(_ t: AuditReport.Total) -> String {
    "\(t.unit == "rho" ? "ρ" : "ε") = \(t.amount) → (ε, δ) = (\(PrivacyNumbers.epsilon(t.epsilon)), "
      + "\(PrivacyNumbers.delta(t.delta)))"
  }

  /// After layout, marks every chart with how many of its shapes have a non-empty box
  /// (`data-drawn`), and the body with how many charts drew something (`data-charts-drawn`).
  static let checkScript = """
    document.addEventListener('DOMContentLoaded', function () {
      var drawn = 0;
      document.querySelectorAll('svg.chart').forEach(function (svg) {
        var n = 0;
        svg.querySelectorAll('rect, polyline, line.whisker, circle').forEach(function (el) {
          var b = el.getBBox();
          if (b.width > 0 || b.height > 0) { n += 1; }
        });
        svg.setAttribute('data-drawn', String(n));
        if (n > 0) { drawn += 1; }
      });
      document.body.setAttribute('data-charts-drawn', String(drawn));
    });
    """

  static func render(_ report: AuditReport) -> String {
    var h = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <title>Release report: study \(escape(report.study)), party \(report.party)</title>
      <style>
      body { font-family: sans-serif; max-width: 60rem; margin: 2rem auto; color: #111; }
      table { border-collapse: collapse; margin: .5rem 0; }
      td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
      .guarantee { background: #eef4fb; padding: .5rem; border-left: 4px solid #4a78b5; }
      .problem { color: #b54a4a; font-weight: bold; }
      section { border-top: 1px solid #ccc; margin-top: 1.5rem; }
      </style></head><body>
      <h1>Release report: study \(escape(report.study))</h1>

      """
    h +=
      "<p>Party \(report.party) of n = \(report.parties); up to t = \(report.colluders) "
      + "colluding sites; the noise of k = \(report.honest) honest sites alone meets each "
      + "target. Study hash <code>\(escape(report.studyHash))</code>. Generated "
      + "\(escape(report.generated)).</p>\n"
    h +=
      "<table><tr><th>budget</th><td>\(escape(report.budget.unit)) = \(escape(report.budget.total))"
      + "</td></tr><tr><th>spent</th><td>\(escape(total(report.spentAsEpsilon)))</td></tr>"
      + "<tr><th>remaining</th><td>\(escape(report.budget.remaining))</td></tr>"
      + "<tr><th>releases</th><td>\(report.releases.count)</td></tr></table>\n"
    if report.problems.isEmpty {
      h += "<p>Ledger and release log verified: both hash chains intact and every release tied "
      h += "to the ledger charge that paid for it.</p>\n"
    } else {
      for p in report.problems { h += "<p class=\"problem\">\(escape(p))</p>\n" }
    }
    h += "<h2>Budget spent over time</h2>\n\(budget(report))\n"
    for r in report.releases {
      h += "<section><h2>Release \(r.seq): \(escape(r.queryID))</h2>\n"
      h += "<p><strong>Question.</strong> \(escape(r.question))</p>\n"
      if let purpose = r.purpose {
        h +=
          "<p><strong>Purpose.</strong> \(escape(purpose)) (use case "
          + "<code>\(escape(r.useCase ?? ""))</code>)</p>\n"
      }
      h +=
        "<p><strong>Approved by.</strong> "
        + (r.approvers.isEmpty
          ? "no registry approval recorded" : escape(r.approvers.joined(separator: ", ")))
        + "</p>\n"
      h +=
        "<p><strong>Released</strong> \(escape(r.time)), session <code>\(escape(String(r.session.prefix(16))))</code>, "
        + "\(escape(r.mechanism)) noise, k = \(r.k).</p>\n"
      h += "<table><tr><th>value</th><th>answer</th><th>95% interval</th></tr>"
      let components = Set(r.values.map(\.component)).count
      for v in r.values {
        let name =
          components > 1 && v.label != v.component ? "\(v.component) \(v.label)" : v.label
        if v.suppressed {
          h += "<tr><td>\(escape(name))</td><td colspan=\"2\">suppressed (small count)</td></tr>"
        } else {
          h +=
            "<tr><td>\(escape(name))</td><td>\(escape(v.value ?? ""))</td>"
            + "<td>[\(escape(v.lower ?? "")), \(escape(v.upper ?? ""))]</td></tr>"
        }
      }
      if let mean = r.mean { h += "<tr><td>mean</td><td colspan=\"2\">\(escape(mean))</td></tr>" }
      h += "</table>\n"
      if let rules = r.outputRules {
        h += "<p>Output rules applied as post-processing (no privacy cost): \(escape(rules)).</p>\n"
      }
      if hasBars(r) { h += bars(r) + "\n" }
      h +=
        "<p><strong>Cost.</strong> \(escape(total(r.cost))). <strong>Running total.</strong> "
        + "\(escape(total(r.runningTotal))).</p>\n"
      h += "<p class=\"guarantee\">\(escape(r.guarantee))</p></section>\n"
    }
    h += "<script>\n\(checkScript)\n</script>\n</body></html>\n"
    return h
  }
}
