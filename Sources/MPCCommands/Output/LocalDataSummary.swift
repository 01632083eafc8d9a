import Foundation
import MPCProtocol

/// What a site's data file held for a query: rows read, clipped, outside the bins (by value),
/// malformed. Printed at the site before the run (standard error) and a field of its JSON;
/// never sent to peers (`protocols/query.md`, "Data-dependent decisions").
struct LocalDataSummary: Codable, Hashable {
  /// One malformed row: its physical line and what was wrong.
  struct Malformed: Codable, Hashable {
    var line: Int
    var problem: String
  }

  var file: String
  /// Records read (bad rows excluded; every element of a vector).
  var rows: Int
  /// Rows or elements that did not parse; each contributed 0.
  var malformed: Int
  /// The first few of them.
  var malformedRows: [Malformed]
  /// Values changed by clipping to the query's bounds.
  var clipped: Int
  /// Histogram rows outside the bins, counted in `other`.
  var outside: Int
  /// Those rows by value (the first 20 distinct values).
  var outsideValues: [String: Int]
  var blankLines: Int
  /// Local totals clamped into the signed 64-bit range.
  var saturated: Int
  /// More malformed rows than the query's `max_bad_rows`.
  var exceedsMaxBadRows: Bool
  /// Whether the query has bins (the `outside` counts mean something).
  var hasBins: Bool

  enum CodingKeys: String, CodingKey {
    case file, rows, malformed, clipped, outside, saturated
    case malformedRows = "malformed_rows"
    case outsideValues = "outside_values"
    case blankLines = "blank_lines"
    case exceedsMaxBadRows = "exceeds_max_bad_rows"
    case hasBins = "has_bins"
  }

  init(_ input: LocalVector, query: QueryManifest, file: String) {
    self.file = file
    rows = input.rows
    malformed = input.badRowCount
    malformedRows = input.badRows.map { Malformed(line: $0.line, problem: $0.problem) }
    clipped = input.clippedCount
    outside = input.outsideCount
    outsideValues = input.outsideValues
    blankLines = input.blankLines
    saturated = input.saturatedCount
    exceedsMaxBadRows = input.exceedsExpectedBadRows(of: query)
    if case .histogram = query.kind { hasBins = true } else { hasBins = false }
  }

  /// The lines printed on standard error before the run: one summary line, then one line per
  /// kind of surprise (malformed rows, values outside the bins, saturated totals).
  func lines(maxBadRows: Int) -> [String] {
    var out = [
      "local data \(file): \(rows) row(s) read, \(clipped) clipped, "
        + (hasBins ? "\(outside) outside the bins, " : "")
        + "\(malformed) malformed (this summary stays at this site)"
    ]
    if malformed > 0 {
      let first = malformedRows.map { "\($0.line) (\($0.problem))" }.joined(separator: ", ")
      out.append(
        "note: \(malformed) unparseable row(s) counted as 0, first at line \(first); reported "
          + "here only, never sent, and never stops the run (a stop would reveal the data "
          + "without a charge)")
      if exceedsMaxBadRows {
        out.append(
          "warning: more unparseable rows than the query's max_bad_rows (\(maxBadRows)); "
            + "check \(file) before the next query, or raise max_bad_rows in the query at "
            + "every site")
      }
    }
    if outside > 0 {
      let byValue = outsideValues.sorted {
        $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key)
      }
      .map { "'\($0.key)' \($0.value)" }.joined(separator: ", ")
      let more = outsideValues.values.reduce(0, +) < outside ? ", and others" : ""
      out.append(
        "note: \(outside) row(s) fell outside the bins into 'other': \(byValue)\(more) "
          + "(categories match exactly, case included)")
    }
    if saturated > 0 {
      out.append(
        "note: \(saturated) local total(s) exceeded the signed 64-bit range and were clamped to it")
    }
    return out
  }
}
