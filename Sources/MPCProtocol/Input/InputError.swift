/// Errors loading a party's local data. Cases name the file, the line and the column, never a
/// value read from the file (the text may end up in an `abort` message sent to peers).
///
/// Only the file's shape can fail a load (unreadable, header, missing column, wrong
/// `vector-sum` length); what the rows contain never does (`protocols/query.md`,
/// "Data-dependent decisions").
public enum InputError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A data file could not be read at all.
  case unreadableFile(file: String, problem: String)
  /// The query's column is not in the CSV header.
  case missingColumn(file: String, column: String, available: [String])
  /// The header row is unusable (empty file, duplicate name of the query's column).
  case invalidHeader(file: String, problem: String)
  /// The local input is larger than the protocol supports (more than 2^32 rows).
  case localOverflow(file: String, what: String)
  /// A `vector-sum` input has the wrong number of elements.
  case vectorLength(file: String, expected: Int, actual: Int)

  public var description: String {
    switch self {
    case .unreadableFile(let file, let problem):
      return "\(file): cannot read: \(problem)"
    case .missingColumn(let file, let column, let available):
      return
        "\(file): no column '\(column)'; available: "
        + available.map { "'\($0)'" }.joined(separator: ", ")
    case .invalidHeader(let file, let problem):
      return "\(file): header row: \(problem)"
    case .localOverflow(let file, let what):
      return "\(file): \(what) does not fit in a signed 64-bit integer"
    case .vectorLength(let file, let expected, let actual):
      return "\(file): expected \(expected) elements, found \(actual)"
    }
  }
}

/// One unparseable data row: the physical line where its record starts and what was wrong
/// (never the value itself).
public struct BadRow: Hashable, Sendable {
  /// The 1-based physical line where the record starts (the header is line 1).
  public var line: Int
  /// What was wrong, without the offending value.
  public var problem: String

  /// A bad row at `line`.
  public init(line: Int, problem: String) {
    self.line = line
    self.problem = problem
  }
}
