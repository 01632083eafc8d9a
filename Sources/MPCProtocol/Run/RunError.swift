/// Errors of running a query (`protocols/query.md`): a peer that disagrees or aborted, or a
/// set-up that cannot run. Cases name the party and the step, never a data value.
public enum RunError: Error, Equatable, Sendable, CustomStringConvertible {
  /// This party's own set-up cannot run (found before anything is sent).
  case invalidSetUp(problem: String)
  /// A peer's message disagrees with this party at `step` (study, query, ledger, chunk).
  case peerMismatch(peer: Int, step: RunStep, problem: String)
  /// A peer aborted or refused the query.
  case peerAborted(peer: Int, reason: String)

  public var description: String {
    switch self {
    case .invalidSetUp(let problem):
      return "this party's set-up cannot run: \(problem)"
    case .peerMismatch(let peer, let step, let problem):
      return "party \(peer) at \(step): \(problem); the query is aborted"
    case .peerAborted(let peer, let reason):
      return "party \(peer) aborted the query: \(reason)"
    }
  }
}
