public import MPCProtocol

/// Errors of the network layer. Every case names the peer (party id and, where known, address)
/// and the step; none carries key material.
public indirect enum NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
  // A `peer` that is nil: an accepted connection before its first handshake message named one.

  /// A handshake message that is malformed (wrong magic, version, type or length).
  case malformedHandshake(peer: Int?, step: RunStep, reason: String)
  /// The peer did not prove possession of the key pinned for it in the study file.
  case peerKeyMismatch(peer: Int, step: RunStep)
  /// The peer is in a different study or claims a different party id.
  case wrongStudyOrParty(peer: Int?, reason: String)
  /// A frame failed authentication: tampered, replayed, reordered or from another session.
  case frameRejected(peer: Int?, frame: UInt64)
  /// A frame longer than the declared maximum (refused before allocation).
  case frameTooLarge(peer: Int?, length: Int, maximum: Int)

  /// A frame this party was asked to send is above the maximum.
  case outgoingFrameTooLarge(peer: Int, length: Int, maximum: Int)

  // MARK: - Connections

  /// This party's key pair is not the one pinned for it in the study file.
  case ownKeyMismatch(party: Int)
  /// A party id outside the study.
  case unknownParty(party: Int, partyCount: Int)
  /// An address that is not `host:port` with a port in 0…65535.
  case invalidAddress(party: Int, address: String)
  /// This party could not listen on its address.
  case cannotListen(address: String, reason: String)
  /// No link with the peer within the connect deadline; `lastError` is the last attempt's failure.
  case peerUnreachable(
    peer: Int, address: String, step: RunStep, seconds: Double, lastError: String?)
  /// The handshake did not complete within its deadline.
  case handshakeTimeout(peer: Int?, seconds: Double)
  /// The link closed before the handshake and preface completed.
  case closedDuringHandshake(peer: Int?, step: RunStep)
  /// The peer's link preface is malformed or says it runs the other mode (`run` or `doctor`).
  case prefaceRejected(peer: Int, reason: String)
  /// The peer holds a different study file (its hash differs).
  case studyMismatch(peer: Int, theirs: String, ours: String)
  /// A connection that failed before the other end proved the key pinned for a party (a bad
  /// or junk handshake message, a wrong key, a timeout): never attributed to a party, never
  /// definitive, retried (`protocols/channel.md` §6). `address` is the dialed address, or the
  /// source of an accepted connection; `claimedPeer` is the party it was dialed as or claimed.
  case unauthenticated(address: String, dialed: Bool, claimedPeer: Int?, failure: NetworkError)
  /// A failure on the link to `peer` at `address` during `step` (`"connecting to"`, …).
  case link(peer: Int, address: String, step: RunStep, error: NetworkError)

  public var description: String {
    switch self {
    case .malformedHandshake(let peer, let step, let reason):
      return "\(party(peer)): malformed handshake at \(step): \(reason)"
    case .peerKeyMismatch(let peer, let step):
      return
        "party \(peer) did not prove the public key pinned for it in the study file (at \(step)); "
        + "check that it runs with its own key and that every site holds the same study file"
    case .wrongStudyOrParty(let peer, let reason):
      return "\(party(peer)): \(reason)"
    case .frameRejected(let peer, let frame):
      return
        "frame \(frame) from \(party(peer)) failed authentication "
        + "(tampered, replayed, reordered or from another session); aborting"
    case .frameTooLarge(let peer, let length, let maximum):
      return "\(party(peer)) sent a frame of \(length) bytes, above the maximum of \(maximum)"
    case .outgoingFrameTooLarge(let peer, let length, let maximum):
      return "a frame of \(length) bytes for party \(peer) is above the maximum of \(maximum)"
    case .ownKeyMismatch(let party):
      return
        "this key is not the public key pinned for party \(party) in the study file; "
        + "use party \(party)'s own key file, or fix parties[\(party)].public_key"
    case .unknownParty(let party, let partyCount):
      return "party \(party) is not in the study (ids are 0…\(partyCount - 1))"
    case .invalidAddress(let party, let address):
      return "party \(party): address \"\(address)\" is not host:port"
    case .cannotListen(let address, let reason):
      return
        "cannot listen on \(address): \(reason); is another mpc already running with this "
        + "address, or does the address belong to another machine?"
    case .peerUnreachable(let peer, let address, let step, let seconds, let lastError):
      let last = lastError.map { " (last attempt: \($0))" } ?? ""
      return
        "\(step) party \(peer) at \(address): no link within \(format(seconds)) s\(last); "
        + "check that party \(peer) is running and that its address in the study file is right"
    case .handshakeTimeout(let peer, let seconds):
      return "\(party(peer)) did not complete the handshake within \(format(seconds)) s"
    case .closedDuringHandshake(let peer, let step):
      return
        "\(party(peer)) closed the connection during the handshake (at \(step)); it may have "
        + "refused our key or study"
    case .prefaceRejected(let peer, let reason):
      return "party \(peer): \(reason)"
    case .studyMismatch(let peer, let theirs, let ours):
      return
        "party \(peer) holds a different study file (study hash \(theirs)…, here \(ours)…); "
        + "every site must hold the same study file"
    case .link(let peer, let address, let step, let error):
      return "\(step) party \(peer) at \(address): \(error)"
    case .unauthenticated(let address, let dialed, let claimed, let failure):
      let who =
        dialed
        ? "the host at \(address)" + (claimed.map { " (dialed as party \($0))" } ?? "")
        : "an unauthenticated connection from \(address)"
          + (claimed.map { " (claiming to be party \($0))" } ?? "")
      return "\(who) failed before proving its key: \(failure.preAuthenticationReason)"
    }
  }

  /// The underlying error of a ``link(peer:address:step:error:)`` wrapper, or `self`.
  public var underlying: NetworkError {
    if case .link(_, _, _, let error) = self { return error.underlying }
    return self
  }
}

extension NetworkError {
  /// What went wrong before the key was proved, without naming a party (it may be anyone).
  var preAuthenticationReason: String {
    switch underlying {
    case .peerKeyMismatch: return "it did not prove the pinned key"
    case .malformedHandshake(_, let step, let reason): return "malformed \(step): \(reason)"
    case .wrongStudyOrParty(_, let reason): return reason
    case .closedDuringHandshake(_, let step): return "it closed the connection at \(step)"
    case .handshakeTimeout(_, let seconds):
      return "no complete handshake within \(format(seconds)) s"
    case .frameTooLarge(_, let length, let maximum):
      return "a handshake message of \(length) bytes (at most \(maximum))"
    case .unauthenticated(_, _, _, let failure): return failure.preAuthenticationReason
    default: return underlyingDescription
    }
  }

  private var underlyingDescription: String { underlying.description }
}

/// "party 2", or "the peer" before a connection named its party.
private func party(_ peer: Int?) -> String {
  peer.map { "party \($0)" } ?? "the peer"
}

/// Seconds for a message: whole seconds as integers, else to a tenth (at least 0.1).
func format(_ seconds: Double) -> String {
  if seconds == seconds.rounded() { return String(Int(seconds)) }
  let tenths = max(1, Int((seconds * 10).rounded()))
  return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
}

extension NetworkError: AbortReason {
  /// Link failures abort as `internal-error`, except a different study file.
  public var reasonCode: ReasonCode {
    switch self {
    case .studyMismatch: .manifestMismatch
    case .link(_, _, _, let error): error.reasonCode
    case .malformedHandshake, .peerKeyMismatch, .wrongStudyOrParty, .frameRejected,
      .frameTooLarge, .outgoingFrameTooLarge, .ownKeyMismatch, .unknownParty, .invalidAddress,
      .cannotListen, .peerUnreachable, .handshakeTimeout, .closedDuringHandshake,
      .prefaceRejected, .unauthenticated:
      .internalError
    }
  }
}
