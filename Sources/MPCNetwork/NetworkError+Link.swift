import MPCProtocol
import NIOCore
import NIOPosix

#if canImport(Glibc)
  import Glibc
#endif

extension NetworkError {
  /// The peer the error is about, if known.
  var peer: Int? {
    switch self {
    case .malformedHandshake(let peer, _, _), .wrongStudyOrParty(let peer, _),
      .frameRejected(let peer, _),
      .frameTooLarge(let peer, _, _), .handshakeTimeout(let peer, _),
      .closedDuringHandshake(let peer, _):
      return peer
    case .peerKeyMismatch(let peer, _), .outgoingFrameTooLarge(let peer, _, _),
      .peerUnreachable(let peer, _, _, _, _),
      .prefaceRejected(let peer, _), .studyMismatch(let peer, _, _), .link(let peer, _, _, _):
      return peer
    case .ownKeyMismatch, .unknownParty, .invalidAddress, .cannotListen, .unauthenticated:
      return nil
    }
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
  func relabeled(peer: Int?) -> NetworkError {
    switch self {
    case .frameTooLarge(nil, let length, let maximum):
      return .frameTooLarge(peer: peer, length: length, maximum: maximum)
    case .frameRejected(nil, let frame): return .frameRejected(peer: peer, frame: frame)
    default: return self
    }
  }
}

/// A short text for a connection error, in the operator's words (never the socket library's
/// function names or errno numbers).
func describe(_ error: any Error) -> String {
  if let error = error as? NetworkError { return error.description }
  if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
    return describe(first.error)
  }
  if let error = error as? IOError { return describe(errno: error.errnoCode) }
  if let error = error as? ChannelError {
    switch error {
    case .connectTimeout: return "the connection attempt timed out"
    case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
      return "the connection closed"
    default: return "the connection failed"
    }
  }
  return String(describing: error)
}

/// What a socket error number means for the operator.
func describe(errno code: Int32) -> String {
  switch code {
  case ECONNREFUSED: return "nothing is listening there (connection refused)"
  case ECONNRESET, EPIPE: return "the other end reset the connection"
  case ETIMEDOUT: return "the connection timed out"
  case EHOSTUNREACH, ENETUNREACH, ENETDOWN: return "that host cannot be reached from here"
  case EADDRINUSE: return "the address is already in use by another program"
  case EADDRNOTAVAIL: return "this machine does not have that address"
  case EACCES, EPERM: return "not permitted (ports below 1024 need privileges)"
  default: return "the network refused (\(String(cString: strerror(code))))"
  }
}

extension Duration {
  /// The duration in whole nanoseconds (saturating).
  var nanoseconds: Int64 {
    let (s, atto) = components
    let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
    return overflow ? .max : ns + atto / 1_000_000_000
  }
}
