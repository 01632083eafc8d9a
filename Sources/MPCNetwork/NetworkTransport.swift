public import MPCCrypto
public import MPCProtocol
import NIOCore

/// The TCP `PartyTransport` (DESIGN §6): one authenticated, encrypted link per pair of
/// parties, opened by ``connect(study:partyID:identity:options:)`` and closed by ``close()``.
///
/// ```swift
/// let transport = try await NetworkTransport.connect(
///   study: study, partyID: 1, identity: key, options: NetworkOptions(softwareVersion: "1.0"))
/// defer { Task { await transport.close() } }
/// let result = try await QueryRunner.run(setup, transport: transport, noise: &n, session: &s)
/// ```
public final class NetworkTransport: PartyTransport {
  /// This party's id.
  public let partyID: Int
  /// Number of parties n.
  public let partyCount: Int
  let links: [Int: Link]

  init(partyID: Int, partyCount: Int, links: [Int: Link]) {
    self.partyID = partyID
    self.partyCount = partyCount
    self.links = links
  }

  /// Connects party `partyID` to every other party of `study` (`protocols/channel.md` §4):
  /// listens on its study address (or `options.listenAddress`), dials every higher id with
  /// retries and backoff, accepts every lower id, and runs the pinned-key handshake and the
  /// preface on each link. Throws a ``NetworkError`` naming the peer, its address and the step
  /// when a peer does not come up by `options.connectDeadline`, proves another key or holds
  /// another study file.
  public static func connect(
    study: StudyManifest, partyID: Int, identity: X25519.KeyPair,
    options: NetworkOptions = NetworkOptions()
  ) async throws -> NetworkTransport {
    let factory = try LinkFactory(
      study: study, partyID: partyID, identity: identity, options: options, mode: .run)
    let deadline = ContinuousClock.now + options.connectDeadline
    let table = LinkTable(
      factory: factory, expected: Set(0..<partyID), settleOnFailure: false)
    let server = try await factory.listen(table: table)
    var links: [Int: Link] = [:]
    var failure: (any Error)?
    await withTaskGroup(of: Result<Link?, any Error>.self) { group in
      for peer in (partyID + 1)..<max(partyID + 1, study.partyCount) {
        group.addTask {
          do { return .success(try await factory.dial(peer, deadline: deadline)) } catch {
            return .failure(error)
          }
        }
      }
      group.addTask {
        do {
          try await table.waitUntilSettled(deadline: deadline)
          return .success(nil)
        } catch { return .failure(error) }
      }
      for await result in group {
        switch result {
        case .success(let link?): links[link.peer] = link
        case .success(nil): break
        case .failure(let error):
          if failure == nil {
            failure = error
            group.cancelAll()
          }
        }
      }
    }
    try? await server.channel.close()
    let accepted = await table.close()
    links.merge(accepted) { dialed, _ in dialed }
    if let failure {
      for link in links.values { await link.close() }
      throw failure
    }
    return NetworkTransport(partyID: partyID, partyCount: study.partyCount, links: links)
  }

  func link(_ peer: Int) throws -> Link {
    guard let link = links[peer] else { throw TransportError.unknownPeer(peer: peer) }
    return link
  }

  /// Sends one frame to `peer`, encrypted with the link's next counter. On a link that failed
  /// (a frame from `peer` was refused) it throws that failure, the cause, not the closed socket.
  public func send(_ frame: [UInt8], to peer: Int) async throws {
    let link = try link(peer)
    if let failure = await link.inbox.failure { throw failure }
    do {
      try await link.sender.send(frame, step: .send)
    } catch {
      throw await link.inbox.failure ?? error
    }
  }

  /// The next frame from `peer`. Throws `TransportError.timeout(peer:step:seconds:)` after
  /// `timeout`, `TransportError.closed(peer:step:)` as soon as the link closes, and
  /// ``NetworkError/frameRejected(peer:frame:)`` if a frame fails authentication.
  public func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    let inbox = try link(peer).inbox
    guard
      let frame = try await withDeadline(
        .now + timeout, { try await inbox.take(step: step) })
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
