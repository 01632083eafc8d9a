public import MPCBigInt

/// Errors of the budget ledger: admission refusals and ledger files that cannot be trusted.
/// Cases carry file names and line numbers, never a data value.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Admission refused: `spent + cost > total` (all in the ledger's unit, ε or ρ).
  case budgetExhausted(spent: Rational, total: Rational, cost: Rational)
  /// A cost in one unit was offered to a ledger kept in the other (ε against ρ).
  case budgetUnitMismatch(ledger: String, cost: String)
  /// A cost that is zero or negative was offered to the ledger.
  case nonPositiveCost(cost: Rational)
  /// A ledger line that is complete but wrong: bad JSON in the middle, a broken hash chain,
  /// a sequence gap, a release without its charge.
  case corrupt(file: String, line: Int, problem: String)
  /// The last line of a ledger is torn (no trailing newline, or not parseable); it is never
  /// dropped silently: `BudgetLedger.repair` moves it aside only when asked.
  case tornTail(file: String, line: Int, problem: String)
  /// A system call on a ledger file failed.
  case io(file: String, operation: String, errno: Int32)
  /// Another process holds the ledger lock.
  case busy(file: String)
  /// `release` named a charge that does not exist or was already released.
  case chargeNotFound(queryId: String, sessionId: String)
  /// A charge for this (query id, session id) already exists: sessions are never reused.
  case duplicateCharge(queryId: String, sessionId: String)
  /// A release (refund) or a second `upload` entry for a charge whose masked value may have
  /// left this party: that charge stands for good.
  case chargeStands(queryId: String, sessionId: String)

  public var description: String {
    switch self {
    case .budgetExhausted(let spent, let total, let cost):
      return
        "budget exhausted: spent \(spent) + cost \(cost) exceeds the total \(total) "
        + "(remaining \(total - spent))"
    case .budgetUnitMismatch(let ledger, let cost):
      return "a \(cost) cost cannot be charged to a \(ledger) budget"
    case .nonPositiveCost(let cost):
      return "a privacy cost must be positive, found \(cost)"
    case .corrupt(let file, let line, let problem):
      return "\(file):\(line): ledger is corrupt: \(problem)"
    case .tornTail(let file, let line, let problem):
      return
        "\(file):\(line): torn last ledger entry (\(problem)); inspect it, then run "
        + "`mpc budget repair --study <study.json> --party <id>` to move it to \(file).torn "
        + "(the whole file is backed up first)"
    case .io(let file, let operation, let errno):
      return "\(file): \(operation) failed (errno \(errno))"
    case .busy(let file):
      return "\(file): the ledger is locked by another process"
    case .chargeNotFound(let queryId, let sessionId):
      return "no open charge for query '\(queryId)' in session \(sessionId)"
    case .duplicateCharge(let queryId, let sessionId):
      return "query '\(queryId)' was already charged in session \(sessionId)"
    case .chargeStands(let queryId, let sessionId):
      return
        "the charge of query '\(queryId)' in session \(sessionId) stands: a masked value of "
        + "it may have left this site (never refunded)"
    }
  }
}
