public import ArgumentParser

/// Every exit status of `mpc`, in one place (README's exit-code table lists exactly these;
/// `ExitStatusTests` compares the two).
public enum ExitStatus: Int32, CaseIterable, Sendable {
  /// The command did what it was asked.
  case success = 0
  /// The operation failed at run time: a peer, the budget, the network, the data, a failed
  /// check; the message names which, where and what.
  case failure = 1
  /// Bad flags, or input files that cannot be read or are invalid (study, query, key, data),
  /// or a request refused before any network activity; nothing was sent or charged.
  case usage = 64
  /// Stopped by SIGINT or SIGTERM (`mpc run`): the other sites were told, and the message says
  /// whether this site's charge stands.
  case interrupted = 130

  /// The status as ArgumentParser's exit code.
  public var code: ExitCode { ExitCode(rawValue) }

  /// README's wording of the status (its exit-code table).
  public var summary: String {
    switch self {
    case .success: "success"
    case .failure:
      "the operation failed at run time (a peer, the budget, the network), or a check failed "
        + "(`query verify`, `run --dry-run` would be refused, `audit verify`)"
    case .usage: "bad flags or bad input files (nothing was sent or charged)"
    case .interrupted:
      "interrupted (SIGINT or SIGTERM); the other sites were told, and the message says whether the charge stands"
    }
  }
}
