/// Errors of the network layer. Every case names the peer (party id and, where known, address)
/// and the step; none carries key material.
public enum NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A handshake message that is malformed (wrong magic, version, type or length).
  case malformedHandshake(peer: Int, step: String, reason: String)
  /// The peer did not prove possession of the key pinned for it in the study file.
  case peerKeyMismatch(peer: Int, step: String)
  /// The peer is in a different study or claims a different party id.
  case wrongStudyOrParty(peer: Int, reason: String)
  /// A frame failed authentication: tampered, replayed, reordered or from another session.
  case frameRejected(peer: Int, frame: UInt64)
  /// A frame longer than the declared maximum (refused before allocation).
  case frameTooLarge(peer: Int, length: Int, maximum: Int)

  public var description: String {
    switch self {
    case .malformedHandshake(let peer, let step, let reason):
      return "party \(peer): malformed handshake at \(step): \(reason)"
    case .peerKeyMismatch(let peer, let step):
      return
        "party \(peer) did not prove the public key pinned for it in the study file (at \(step)); "
        + "check that it runs with its own key and that every site holds the same study file"
    case .wrongStudyOrParty(let peer, let reason):
      return "party \(peer): \(reason)"
    case .frameRejected(let peer, let frame):
      return
        "frame \(frame) from party \(peer) failed authentication "
        + "(tampered, replayed, reordered or from another session); aborting"
    case .frameTooLarge(let peer, let length, let maximum):
      return "party \(peer) sent a frame of \(length) bytes, above the maximum of \(maximum)"
    }
  }
}
