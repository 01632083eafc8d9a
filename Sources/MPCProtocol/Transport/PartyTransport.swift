public import MPCCrypto

/// How a party talks to the others (DESIGN §4): ordered, authenticated byte frames per peer,
/// every wait bounded by a deadline. `MPCNetwork` implements it over TCP with encrypted links;
/// ``InMemoryNetwork`` implements it in one process for tests and embedding.
public protocol PartyTransport: Sendable {
  /// This party's id.
  var partyID: Int { get }
  /// Number of parties n.
  var partyCount: Int { get }
  /// Sends one frame to `peer` (frames from one sender to one peer arrive in order).
  func send(_ frame: [UInt8], to peer: Int) async throws
  /// The next frame from `peer`; throws ``TransportError/timeout(peer:step:seconds:)`` if none
  /// arrives within `timeout`.
  func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8]
  /// The 32-byte secret this party shares with `peer` for this session (for pairwise masks),
  /// established by the authenticated key exchange of the link.
  func pairSecret(with peer: Int) throws -> SecretBytes
  /// A 16-byte id of the links' session, bound into the query session id.
  func linkSessionID(with peer: Int) throws -> [UInt8]
}

/// Transport failures: every case names the peer and the protocol step.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Nothing arrived from `peer` within the deadline.
  case timeout(peer: Int, step: RunStep, seconds: Double)
  /// The link to `peer` is closed (the peer exited or the connection broke).
  case closed(peer: Int, step: RunStep)
  /// `peer` is not a valid peer id for this party.
  case unknownPeer(peer: Int)

  public var description: String {
    switch self {
    case .timeout(let peer, let step, let seconds):
      return "party \(peer) sent nothing for \(seconds) s while waiting for \(step)"
    case .closed(let peer, let step):
      return "the link to party \(peer) closed while waiting for \(step)"
    case .unknownPeer(let peer):
      return "party \(peer) is not a peer of this study"
    }
  }
}
