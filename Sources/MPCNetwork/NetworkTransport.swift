public import MPCCrypto
public import MPCProtocol
import NIOCore

/// The TCP `PartyTransport` (DESIGN §6): one authenticated, encrypted link per pair of
/// parties, open for the duration of ``withLinks(study:partyID:identity:options:_:)``, the
/// library's "run one site":
///
/// ```swift
/// let result = try await NetworkTransport.withLinks(
///   study: study, partyID: 1, identity: key, options: NetworkOptions(softwareVersion: "1.0")
/// ) { transport in
///   try await QueryRunner.run(setup, transport: transport, noise: &noise, session: &session)
/// }
/// ```
public final class NetworkTransport: PartyTransport {
  /// This party's id.
  public let partyID: Int
  /// Number of parties n.
  public let partyCount: Int
  let links: [Int: Link]
  /// The clock of receive timeouts (``NetworkOptions``).
  let clock: NetworkClock

  init(partyID: Int, partyCount: Int, links: [Int: Link], clock: NetworkClock) {
    self.partyID = partyID
    self.partyCount = partyCount
    self.links = links
    self.clock = clock
  }

  /// Connects party `partyID` to every other party of `study` (`protocols/channel.md` §4),
  /// runs `body` with the transport, and closes every link when `body` returns or throws
  /// (frames already sent are written first).
  ///
  /// Listens on its study address (or `options.listenAddress`), dials every higher id with
  /// retries and backoff, accepts every lower id, and runs the pinned-key handshake and the
  /// preface on each link; every listener, dialer, reader and writer is a child task of this
  /// call. Throws a ``NetworkError`` naming the peer, its address and the step when a peer does
  /// not come up by `options.connectDeadline`, proves another key or holds another study file.
  public static func withLinks<Result>(
    study: StudyManifest, partyID: Int, identity: X25519.KeyPair,
    options: NetworkOptions = NetworkOptions(),
    _ body: (NetworkTransport) async throws -> Result
  ) async throws -> Result {
    let factory = try LinkFactory(
      study: study, partyID: partyID, identity: identity, options: options, mode: .run)
    return try await factory.withLinkSet(policy: .run) { set in
      try await set.table.waitUntilSettled(deadline: set.deadline)
      await set.stopListening()
      let transport = NetworkTransport(
        partyID: partyID, partyCount: study.partyCount, links: set.table.close().links,
        clock: options.clock)
      return try await body(transport)
    }
  }

  func link(_ peer: Int) throws -> Link {
    guard let link = links[peer] else { throw TransportError.unknownPeer(peer: peer) }
    return link
  }

  /// Sends one frame to `peer`, encrypted with the link's next counter. On a link that failed
  /// (a frame from `peer` was refused) it throws that failure, the cause, not the closed socket.
  public func send(_ frame: [UInt8], to peer: Int) async throws {
    let link = try link(peer)
    if let failure = link.failure { throw failure }
    do {
      try await link.send(frame)
    } catch {
      throw link.failure ?? error
    }
  }

  /// The next frame from `peer`. Throws `TransportError.timeout(peer:step:seconds:)` after
  /// `timeout`, `TransportError.closed(peer:step:)` as soon as the link closes, and
  /// ``NetworkError/frameRejected(peer:frame:)`` if a frame fails authentication.
  public func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    let link = try link(peer)
    guard
      let frame = try await clock.withDeadline(
        clock.now() + timeout, { try await link.receive(step: step) })
    else {
      throw TransportError.timeout(peer: peer, step: step, seconds: timeout.seconds)
    }
    return frame
  }

  /// The link's pair secret with `peer` (`protocols/channel.md` §1, S_ij).
  public func pairSecret(with peer: Int) throws -> SecretBytes {
    try link(peer).keys.pairSecret
  }

  /// The link's 16-byte session id with `peer`.
  public func linkSessionID(with peer: Int) throws -> [UInt8] {
    try link(peer).keys.sessionID
  }

  /// Closes every link; pending and later receives fail with
  /// `TransportError.closed(peer:step:)`.
  public func close() async {
    for peer in links.keys.sorted() { await links[peer]?.close() }
  }
}
