public import MPCBigInt

/// Errors of the protocol layer: manifests, the budget ledger, the message codec and local data
/// loading. Cases carry file names, line numbers, field paths, offsets and sizes; never key,
/// share or mask bytes, and never a data value read from a party's file (the text of an error
/// may end up in an `abort` message sent to peers).
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
  // MARK: - Manifests

  /// A study or query manifest is invalid: `field` is the JSON path (`parties[1].public_key`).
  case invalidManifest(file: String, field: String, problem: String)
  /// A file could not be read at all.
  case unreadableFile(file: String, problem: String)

  // MARK: - Budget ledger

  /// Admission refused: `spent + cost > total` (all in the ledger's unit, ε or ρ).
  case budgetExhausted(spent: Rational, total: Rational, cost: Rational)
  /// A cost in one unit was offered to a ledger kept in the other (ε against ρ).
  case budgetUnitMismatch(ledger: String, cost: String)
  /// A cost that is zero or negative was offered to the ledger.
  case nonPositiveCost(cost: Rational)
  /// A ledger line that is complete but wrong: bad JSON in the middle, a broken hash chain,
  /// a sequence gap, a release without its charge.
  case ledgerCorrupt(file: String, line: Int, problem: String)
  /// The last line of a ledger is torn (no trailing newline, or not parseable); it is never
  /// dropped silently: `BudgetLedger.repair` moves it aside only when asked.
  case ledgerTornTail(file: String, line: Int, problem: String)
  /// A system call on a ledger file failed.
  case ledgerIO(file: String, operation: String, errno: Int32)
  /// Another process holds the ledger lock.
  case ledgerBusy(file: String)
  /// `release` named a charge that does not exist or was already released.
  case chargeNotFound(queryId: String, sessionId: String)
  /// A charge for this (query id, session id) already exists: sessions are never reused.
  case duplicateCharge(queryId: String, sessionId: String)

  // MARK: - Message codec

  /// The input ended at `offset` where `expected` was still needed.
  case truncated(offset: Int, expected: String)
  /// The bytes at `offset` are not what `expected` says.
  case malformed(offset: Int, expected: String)
  /// A declared length at `offset` is over its limit; refused before allocating.
  case oversized(offset: Int, what: String, limit: Int, actual: Int)

  // MARK: - Running a query

  /// A peer's message disagrees with this party at `step` (study, query, ledger, chunk).
  case peerMismatch(peer: Int, step: String, problem: String)
  /// A peer aborted or refused the query.
  case peerAborted(peer: Int, reason: String)

  // MARK: - Local data

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
    case .invalidManifest(let file, let field, let problem):
      return "\(file): field \(field.isEmpty ? "(top level)" : "'\(field)'"): \(problem)"
    case .unreadableFile(let file, let problem):
      return "\(file): cannot read: \(problem)"
    case .budgetExhausted(let spent, let total, let cost):
      return
        "budget exhausted: spent \(spent) + cost \(cost) exceeds the total \(total) "
        + "(remaining \(total - spent))"
    case .budgetUnitMismatch(let ledger, let cost):
      return "a \(cost) cost cannot be charged to a \(ledger) budget"
    case .nonPositiveCost(let cost):
      return "a privacy cost must be positive, found \(cost)"
    case .ledgerCorrupt(let file, let line, let problem):
      return "\(file):\(line): ledger is corrupt: \(problem)"
    case .ledgerTornTail(let file, let line, let problem):
      return
        "\(file):\(line): torn last ledger entry (\(problem)); inspect it, then run "
        + "`mpc budget repair --study <study.json> --party <id>` to move it to \(file).torn "
        + "(the whole file is backed up first)"
    case .ledgerIO(let file, let operation, let errno):
      return "\(file): \(operation) failed (errno \(errno))"
    case .ledgerBusy(let file):
      return "\(file): the ledger is locked by another process"
    case .chargeNotFound(let queryId, let sessionId):
      return "no open charge for query '\(queryId)' in session \(sessionId)"
    case .duplicateCharge(let queryId, let sessionId):
      return "query '\(queryId)' was already charged in session \(sessionId)"
    case .truncated(let offset, let expected):
      return "message truncated at byte \(offset): expected \(expected)"
    case .malformed(let offset, let expected):
      return "malformed message at byte \(offset): expected \(expected)"
    case .oversized(let offset, let what, let limit, let actual):
      return "message field at byte \(offset): \(what) of \(actual) exceeds the limit \(limit)"
    case .peerMismatch(let peer, let step, let problem):
      return "party \(peer) at \(step): \(problem); the query is aborted"
    case .peerAborted(let peer, let reason):
      return "party \(peer) aborted the query: \(reason)"
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
