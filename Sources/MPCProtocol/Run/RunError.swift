/// Errors of running a query (`protocols/query.md`): a peer that disagrees or aborted, or a
/// set-up that cannot run. Cases name the party and the step, never a data value.
public enum RunError: Error, Equatable, Sendable, CustomStringConvertible {
  /// This party's own set-up cannot run (found before anything is sent).
  case invalidSetUp(problem: String)
  /// A peer's message disagrees with this party at `step` (study, query, ledger, chunk).
  case peerMismatch(peer: Int, step: RunStep, problem: String)
  /// A peer aborted or refused the query.
  case peerAborted(peer: Int, reason: String)
  /// An opened value lies outside the range the field was sized for (`protocols/query.md`
  /// §5.1): the opening failed (masks of different sessions, a party that sent garbage), and
  /// nothing is released. The charge stands: the masked values had left.
  case implausibleResult(component: String, coordinate: Int, range: String)

  public var description: String {
    switch self {
    case .invalidSetUp(let problem):
      return "this party's set-up cannot run: \(problem)"
    case .peerMismatch(let peer, let step, let problem):
      return "party \(peer) at \(step): \(problem); the query is aborted"
    case .peerAborted(let peer, let reason):
      return "party \(peer) aborted the query: \(reason)"
    case .implausibleResult(let component, let coordinate, let range):
      return "the opened \(component) value at coordinate \(coordinate) lies outside \(range), "
        + "where every honest opening lies except with probability below 2^-64: the opening "
        + "failed (a party sent values of another session or garbage), so nothing is "
        + "released; the charge stands"
    }
  }
}
