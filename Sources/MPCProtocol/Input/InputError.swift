/// Errors loading a party's local data. Cases name the file, the line and the column, never a
/// value read from the file (the text may end up in an `abort` message sent to peers).
public enum InputError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A data file could not be read at all.
  case unreadableFile(file: String, problem: String)
  /// The query's column is not in the CSV header.
  case missingColumn(file: String, column: String, available: [String])
  /// The header row is unusable (empty file, duplicate name of the query's column).
  case invalidHeader(file: String, problem: String)
  /// More unparseable rows than the query allows; `first` lists the first few.
  case tooManyBadRows(file: String, count: Int, limit: Int, first: [BadRow])
  /// A value under `outside: refuse` fell outside the declared bins, at physical `line`.
  case valueOutsideBins(file: String, line: Int)
  /// A local total does not fit in a signed 64-bit integer.
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
    case .tooManyBadRows(let file, let count, let limit, let first):
      let shown = first.map { "line \($0.line): \($0.problem)" }.joined(separator: "; ")
      return "\(file): \(count) unparseable rows (the query allows \(limit)): \(shown)"
    case .valueOutsideBins(let file, let line):
      return "\(file):\(line): value outside the declared bins and the query says 'refuse'"
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
