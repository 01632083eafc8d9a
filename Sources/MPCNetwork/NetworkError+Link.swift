import MPCProtocol
import NIOCore
import NIOPosix

extension NetworkError {
  /// The peer the error is about, if known.
  var peer: Int? {
    let p: Int
    switch self {
    case .malformedHandshake(let peer, _, _), .peerKeyMismatch(let peer, _),
      .wrongStudyOrParty(let peer, _), .frameRejected(let peer, _),
      .frameTooLarge(let peer, _, _), .outgoingFrameTooLarge(let peer, _, _),
      .peerUnreachable(let peer, _, _, _, _), .handshakeTimeout(let peer, _),
      .closedDuringHandshake(let peer, _), .prefaceRejected(let peer, _),
      .studyMismatch(let peer, _, _), .link(let peer, _, _, _):
      p = peer
    case .ownKeyMismatch, .unknownParty, .invalidAddress, .cannotListen, .unauthenticated:
      return nil
    }
    return p >= 0 ? p : nil
  }

  /// A failure that retrying cannot fix: the peer proved its key and then showed another
  /// study file. Anything before the key proof is ``unauthenticated(address:dialed:claimedPeer:failure:)``
  /// and retried: anyone can send junk.
  var isDefinitive: Bool {
    switch underlying {
    case .studyMismatch: return true
    default: return false
    }
  }

  /// Whether the handshake ran out of time (the watchdog closed it).
  var isHandshakeTimeout: Bool {
    switch underlying {
    case .handshakeTimeout: return true
    case .unauthenticated(_, _, _, let failure): return failure.isHandshakeTimeout
    default: return false
    }
  }

  /// The party an unauthenticated connection was dialed as or claimed to be (a hint for the
  /// operator's message, never an attribution).
  var claimedPeer: Int? {
    if case .unauthenticated(_, _, let claimed, _) = underlying { return claimed }
    return nil
  }

  /// The same error naming `peer` where the decoder could not know it yet.
  func relabeled(peer: Int) -> NetworkError {
    switch self {
    case .frameTooLarge(-1, let length, let maximum):
      return .frameTooLarge(peer: peer, length: length, maximum: maximum)
    case .frameRejected(-1, let frame): return .frameRejected(peer: peer, frame: frame)
    default: return self
    }
  }
}

/// A short text for a connection error (the errno text for socket errors).
func describe(_ error: any Error) -> String {
  if let error = error as? NetworkError { return error.description }
  if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
    return describe(first.error)
  }
  if let error = error as? IOError { return error.description }
  if error is ChannelError { return "\(error)" }
  return String(describing: error)
}

extension Duration {
  /// The duration in whole nanoseconds (saturating).
  var nanoseconds: Int64 {
    let (s, atto) = components
    let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
    return overflow ? .max : ns + atto / 1_000_000_000
  }
}
