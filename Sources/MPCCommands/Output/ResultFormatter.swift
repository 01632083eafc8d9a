import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// Human and JSON renderings of a ``QueryResult`` (shared by `mpc run` and `mpc demo`).
enum ResultFormatter {
  static func shareDescription(_ p: ShareParameters) -> String {
    switch p {
    case .gaussian(let s2): "N_Z(0, \(s2)) per coordinate"
    case .polya(let scale, let shares):
      "Pólya share NB(1/\(shares)) − NB'(1/\(shares)) of DLap(\(scale))"
    }
  }

  static func decimal(_ r: Rational, digits: Int = 2) -> String {
    String(format: "%.\(digits)f", Double(r))
  }

  /// The text table of a result.
  /// The ε a Gaussian query gave (it was charged the largest ρ meeting (ε, study δ)).
  static func askedEpsilon(_ query: QueryManifest) -> Rational? {
    guard query.mechanism == .gaussian, case .pure(let epsilon) = query.privacy else { return nil }
    return epsilon
  }

  /// Rows shown of a long component; the rest are summarised in one line.
  static let shownRows = 10
  /// A component up to this long is shown whole.
  static let wholeRows = 20

  /// The text table of a result; a component longer than ``wholeRows`` shows its first
  /// ``shownRows`` rows and then `rest` (where the other values went).
  static func text(
    _ r: QueryResult, query: QueryManifest, study: StudyManifest, rest: String? = nil
  ) -> String {
    var out: [String] = []
    let first = r.components.first?.noise
    // A statistic names every column it reads (`crosstab of ward × age`).
    var subject = query.kind.column
    if case .statistic(let s) = query.kind { subject = s.subject }
    out.append(
      "query \(r.queryID) (\(query.kind.name)\(subject.map { " of \($0)" } ?? "")), "
        + "\(r.mechanism.rawValue) noise, k = \(first?.k ?? 0) of n = \(study.partyCount), "
        + "field \(r.field), session \(Hex.encode(r.sessionID.prefix(6)))…")
    for c in r.components {
      if r.components.count > 1 { out.append("  \(c.name):") }
      // A crosstab's label column is headed by its columns (`ward × age`), each cell's label
      // naming the levels in the same order.
      var heading = ""
      if case .statistic(.crosstab(let axes)) = query.kind {
        heading = axes.map(\.column).joined(separator: " × ")
      }
      let width = max(8, heading.count + 5, c.labels?.map(\.count).max() ?? String(c.length).count)
      out.append(
        "  "
          + (heading.isEmpty
            ? String(repeating: " ", count: width - 5)
            : heading.padding(toLength: width - 5, withPad: " ", startingAt: 0))
          + "    DP value   95% interval")
      let long = c.length > wholeRows
      let shown = long ? (0..<min(shownRows, c.raw.count)).map(c.value(at:)) : c.values
      for v in shown {
        let label = v.label.padding(toLength: width, withPad: " ", startingAt: 0)
        let value = String(describing: v.value)
        let clamped = v.value != v.raw ? "  (raw \(v.raw), clamped at 0)" : ""
        out.append(
          "  \(label)  \(String(repeating: " ", count: max(0, 10 - value.count)))\(value)   "
            + "[\(v.lower), \(v.upper)]\(clamped)")
      }
      if long {
        out.append(
          "  … \(c.length - shown.count) more of \(c.length) coordinates: "
            + (rest ?? "not shown; use --out FILE (--format csv, json or int64) for all of them"))
      }
    }
    if let mean = r.mean {
      if let value = mean.value {
        let interval =
          (mean.lower != nil && mean.upper != nil)
          ? "[\(decimal(mean.lower!)), \(decimal(mean.upper!))]" : "(count interval reaches 0)"
        out.append("  mean = sum / count = \(decimal(value))   \(interval)")
      } else {
        out.append("  mean: the noisy count is not positive; no mean is released")
      }
    }
    var privacy = "privacy: charged \(r.cost)"
    if let p = r.privacy {
      privacy += " (ε ≤ \(PrivacyNumbers.epsilon(p.epsilon)) at \(p.deltaText))"
    }
    if let asked = askedEpsilon(query) {
      privacy +=
        " for the requested ε = \(PrivacyNumbers.epsilon(asked)) at δ = "
        + PrivacyNumbers.delta(GaussianEpsilon.delta(of: study))
    }
    let unit = study.budget.unit
    privacy +=
      "; budget \(unit): spent \(PrivacyNumbers.rho(r.spent)), remaining "
      + "\(PrivacyNumbers.rho(r.remaining)) of \(PrivacyNumbers.rho(study.budget.amount))"
    out.append(privacy)
    return out.joined(separator: "\n")
  }
}
