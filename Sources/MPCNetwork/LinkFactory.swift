import MPCCrypto
import MPCProtocol
import NIOCore
import NIOPosix

typealias FrameChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

/// At most two decoded frames wait in a link's inbound stream before NIO stops reading (TCP
/// then pushes back on the sender): with the inbox, memory per peer stays a few frames.
/// Finishing the writer half-closes the connection (TCP FIN), so a closing link can still read
/// until its peer closes: a peer's last frames (an abort) are not lost to a reset.
let frameChannelConfiguration = FrameChannel.Configuration(
  backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2),
  isOutboundHalfClosureEnabled: true)

/// Opens one party's links (`protocols/channel.md` §4): listens on its address, dials every
/// higher id with retries, accepts every lower id, and runs the handshake and preface on each.
struct LinkFactory: Sendable {
  let study: StudyManifest
  let me: Int
  let identity: X25519.KeyPair
  let options: NetworkOptions
  let mode: LinkMode
  let preface: LinkPreface

  var group: MultiThreadedEventLoopGroup { .singleton }
  var partyCount: Int { study.partyCount }

  init(
    study: StudyManifest, partyID: Int, identity: X25519.KeyPair, options: NetworkOptions,
    mode: LinkMode
  ) throws {
    guard (0..<study.partyCount).contains(partyID) else {
      throw NetworkError.unknownParty(party: partyID, partyCount: study.partyCount)
    }
    guard identity.publicKey == study.parties[partyID].publicKey else {
      throw NetworkError.ownKeyMismatch(party: partyID)
    }
    self.study = study
    self.me = partyID
    self.identity = identity
    self.options = options
    self.mode = mode
    preface = LinkPreface(
      mode: mode, studyHash: LinkPreface.studyHash(study),
      softwareVersion: options.softwareVersion)
    for p in 0..<study.partyCount where HostPort(dialAddress(p)) == nil {
      throw NetworkError.invalidAddress(party: p, address: dialAddress(p))
    }
    if HostPort(listenAddress) == nil {
      throw NetworkError.invalidAddress(party: partyID, address: listenAddress)
    }
  }

  var listenAddress: String { options.listenAddress ?? study.parties[me].address }

  func dialAddress(_ peer: Int) -> String {
    options.dialAddresses[peer] ?? study.parties[peer].address
  }

  func context(initiator: Int, responder: Int) -> LinkContext {
    LinkContext(
      studyID: study.id, initiator: initiator, responder: responder,
      initiatorStatic: study.parties[initiator].publicKey,
      responderStatic: study.parties[responder].publicKey)
  }
}

extension LinkFactory {
  /// Opens this party's links and runs `body` while they are up, all in one task group: the
  /// listener (and every accepted connection) and one dialer per higher id are its children,
  /// so no task outlives the call. `body` sees the ``LinkSet`` (typically it waits until the
  /// table is settled, then stops listening). Afterwards the server is closed, every link is
  /// closed (queued frames are written first) and the children are cancelled and awaited.
  func withLinkSet<Result>(
    policy: LinkTable.Policy, _ body: (LinkSet) async throws -> Result
  ) async throws -> Result {
    let deadline = options.clock.now() + options.connectDeadline
    let table = LinkTable(factory: self, policy: policy)
    let accepted = AcceptedChannels()
    let server = try await bind(accepted)
    // NIO leaves every accepted connection to its consumer to close; an accept loop that is
    // cancelled stops taking them, and one still buffered is then dropped unclosed (NIO traps
    // on that). So the listener is not a child of the group below, whose cancellation would
    // reach its loop: it is ended by closing the server, its loop is awaited before anything
    // is cancelled, and the listener itself is awaited before this call returns.
    let loopEnded = Latch()
    let serving = Task {
      await self.serve(server, table: table, accepted: accepted, loopEnded: loopEnded)
    }
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
      for peer in (me + 1)..<max(me + 1, partyCount) {
        group.addTask { await self.dial(peer, deadline: deadline, table: table) }
      }
      func finish() async {
        try? await server.channel.close()
        await loopEnded.wait()
        await accepted.closeRest()
        for link in table.close().links.values { await link.close() }
        group.cancelAll()
        // Ends the connections still in their handshake; the links are closed already.
        serving.cancel()
        await serving.value
      }
      do {
        let result = try await body(LinkSet(table: table, deadline: deadline, server: server))
        await finish()
        return result
      } catch {
        await finish()
        throw error
      }
    }
  }
}

/// What ``LinkFactory/withLinkSet(policy:_:)`` hands its body.
struct LinkSet: Sendable {
  /// The links as they come up.
  let table: LinkTable
  /// The connect deadline.
  let deadline: ContinuousClock.Instant
  let server: LinkFactory.Server

  /// Closes the listening socket: no new connections (the accepted ones run on).
  func stopListening() async {
    try? await server.channel.close()
  }
}
