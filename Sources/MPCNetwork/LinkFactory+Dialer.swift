import MPCProtocol
import NIOCore
import NIOPosix

/// The dialing side (`protocols/channel.md` §4): a lower id dials each higher one with retries
/// and backoff until a link is up, a definitive failure, or the connect deadline.
extension LinkFactory {
  /// Dials `peer` until a link is registered in `table`, then runs it until it closes. Every
  /// failed attempt is recorded in `table`; a definitive one (wrong key, wrong study) ends the
  /// attempts at once. Each attempt waits at most the handshake timeout and never past
  /// `deadline`.
  func dial(_ peer: Int, deadline: ContinuousClock.Instant, table: LinkTable) async {
    let address = dialAddress(peer)
    // Cannot be nil: checked in init.
    let hostPort = HostPort(address)!
    var backoff = options.initialBackoff
    let clock = options.clock
    while !Task.isCancelled, deadline > clock.now() {
      let attemptDeadline = min(deadline, clock.now() + options.handshakeTimeout)
      do {
        let channel = try await connect(to: peer, at: hostPort, deadline: attemptDeadline)
        try await runLink(channel, initiator: peer, deadline: attemptDeadline) {
          table.register($0)
        }
        return
      } catch let error as NetworkError {
        // An attempt cut short by the connect deadline itself says nothing new: the failure
        // before it (a wrong key, say) stays the one reported.
        let cutShort = attemptDeadline == deadline && error.isHandshakeTimeout
        if !cutShort || !table.hasFailure(peer: peer) {
          table.recordFailure(error, peer: peer, step: .connect)
        }
        if error.isDefinitive { return }
      } catch {
        table.recordAttempt(peer: peer, failure: describe(error))
      }
      let now = clock.now()
      let pause = min(backoff, deadline - now)
      if pause > .zero { try? await clock.sleepUntil(now + pause) }
      backoff = min(backoff * 2, options.maximumBackoff)
    }
  }

  /// A TCP connection to `peer`, given up at `deadline`.
  func connect(to peer: Int, at hostPort: HostPort, deadline: ContinuousClock.Instant)
    async throws -> FrameChannel
  {
    let maximum = options.maximumFrame
    return try await ClientBootstrap(group: group)
      .connectTimeout(
        .nanoseconds(max(deadline - options.clock.now(), .milliseconds(1)).nanoseconds)
      )
      .connect(host: hostPort.host, port: hostPort.port) { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LinkFrameDecoder.initiator(peer: peer, maximumFrame: maximum)))
          return try FrameChannel(
            wrappingChannelSynchronously: channel, configuration: frameChannelConfiguration)
        }
      }
  }
}
