import MPCCrypto
import MPCProtocol
import NIOCore
import Synchronization

extension LinkFactory {
  // MARK: - One link

  /// Runs a link from handshake to close. Throws (a ``NetworkError``) only if the handshake or
  /// preface fails by `deadline`, and then `onReady` was never called; otherwise `onReady`
  /// decides whether the link is kept, and the link's reader and writer then run here until it
  /// closes. `initiator` is the peer dialed, nil on an accepted connection. Cancelling the task
  /// closes the connection.
  func runLink(
    _ asyncChannel: FrameChannel, initiator peer: Int?, deadline: ContinuousClock.Instant,
    onReady: @Sendable (Link) async -> Bool
  ) async throws {
    let channel = asyncChannel.channel
    // Taken now: a closed channel no longer knows its peer's address.
    let remote = remoteAddress(channel, dialed: peer)
    let clock = options.clock
    let timeout = deadline - clock.now()
    // The watchdog closes the connection at the deadline unless the handshake was done by then.
    let handshakeDone = DoneFlag()
    let failure: NetworkError? = try await withThrowingTaskGroup(of: Void.self) { watchdog in
      watchdog.addTask {
        try? await clock.sleepUntil(deadline)
        if !handshakeDone.value.load(ordering: .acquiring) { channel.close(promise: nil) }
      }
      defer { watchdog.cancelAll() }
      return try await withTaskCancellationHandler {
        try await asyncChannel.executeThenClose { inbound, outbound in
          // With half-closure, ending the closure only sends FIN: close fully, whatever happened.
          defer { channel.close(promise: nil) }
          var iterator = inbound.makeAsyncIterator()
          let link: Link
          let ciphers: (send: FrameCipher, receive: FrameCipher)
          do {
            (link, ciphers) = try await handshake(
              peer: peer, remote: remote, iterator: &iterator, outbound: outbound, channel: channel)
          } catch {
            let error =
              error as? NetworkError ?? .closedDuringHandshake(peer: peer, step: .linkStart)
            guard clock.now() >= deadline else { return error }
            // The watchdog closed the connection.
            if case .unauthenticated(let address, let dialed, let claimed, _) = error {
              return .unauthenticated(
                address: address, dialed: dialed, claimedPeer: claimed,
                failure: .handshakeTimeout(peer: claimed, seconds: timeout.seconds))
            }
            return .handshakeTimeout(peer: error.peer, seconds: timeout.seconds)
          }
          handshakeDone.value.store(true, ordering: .releasing)
          guard await onReady(link) else { return nil }
          await withTaskGroup(of: Void.self) { group in
            group.addTask { await link.write(to: outbound, cipher: ciphers.send) }
            // The reader ends the writer when it ends (the outgoing mailbox closes).
            await link.read(&iterator, cipher: ciphers.receive)
          }
          return nil
        }
      } onCancel: {
        channel.close(promise: nil)
      }
    }
    if let failure { throw failure }
  }

  /// The handshake (initiator or responder) and the preface exchange; returns the link and
  /// its two ciphers (owned by its writer and reader).
  func handshake(
    peer dialed: Int?, remote: String,
    iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
    outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel
  ) async throws -> (Link, (send: FrameCipher, receive: FrameCipher)) {
    // Until the peer has proved its pinned key, nothing it sends is attributed to a party:
    // every failure is an unauthenticated connection's, and retryable (channel.md §6).
    let (peer, keys, sendDirection): (Int, LinkKeys, UInt8)
    do {
      (peer, keys, sendDirection) = try await keyExchange(
        peer: dialed, iterator: &iterator, outbound: outbound)
    } catch let error as NetworkError {
      throw NetworkError.unauthenticated(
        address: remote, dialed: dialed != nil,
        claimedPeer: dialed ?? error.peer, failure: error)
    }
    let forward = sendDirection == 0 ? keys.initiatorToResponder : keys.responderToInitiator
    let backward = sendDirection == 0 ? keys.responderToInitiator : keys.initiatorToResponder
    var sendCipher = FrameCipher(
      key: forward, direction: sendDirection, peer: peer, maximumFrame: options.maximumFrame)
    var receiveCipher = FrameCipher(
      key: backward, direction: 1 - sendDirection, peer: peer,
      maximumFrame: options.maximumFrame)
    try await outbound.write(try sendCipher.sealFrame(preface.encoded()))
    let theirs = try LinkPreface(
      decoding: try receiveCipher.open(try await read(&iterator, peer: peer, step: .preface)),
      peer: peer)
    if mode == .run {
      guard theirs.mode == .run else {
        throw NetworkError.prefaceRejected(
          peer: peer, reason: "is running `\(theirs.mode.command)`, not `mpc run`")
      }
      guard theirs.studyHash == preface.studyHash else {
        throw NetworkError.studyMismatch(
          peer: peer, theirs: Hex.encode(theirs.studyHash.prefix(8)),
          ours: Hex.encode(preface.studyHash.prefix(8)))
      }
    }
    let link = Link(
      peer: peer, address: dialed.map(dialAddress) ?? study.parties[peer].address, keys: keys,
      preface: theirs, channel: channel, maximumFrame: options.maximumFrame,
      closeTimeout: options.handshakeTimeout, clock: options.clock)
    return (link, (sendCipher, receiveCipher))
  }

  /// The three handshake messages; returns the peer (the one dialed, or the one message 1
  /// names), the link keys and this side's send direction once the peer proved its key.
  func keyExchange(
    peer dialed: Int?, iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
    outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
  ) async throws -> (Int, LinkKeys, UInt8) {
    var random = SystemRandom()
    if let peer = dialed {
      let initiator = LinkHandshake.Initiator(
        context: context(initiator: me, responder: peer), identity: identity, using: &random)
      try await write(outbound, initiator.message1, peer: peer, step: .handshake(message: 1))
      let message2 = try await read(&iterator, peer: peer, step: .handshake(message: 2))
      let (message3, keys) = try initiator.finish(message2: message2)
      try await write(outbound, message3, peer: peer, step: .handshake(message: 3))
      return (peer, keys, 0)
    }
    let message1 = try await read(&iterator, peer: nil, step: .handshake(message: 1))
    try checkHeader(
      message1, size: LinkHandshake.message1Size, type: 1, peer: nil, step: .handshake(message: 1))
    let peer = readLE32(message1, 6)
    guard (0..<me).contains(peer) else {
      throw NetworkError.wrongStudyOrParty(
        peer: nil,
        reason: "dialed party \(me) as party \(peer); only a lower id dials a higher one, "
          + "and ids are 0…\(partyCount - 1)")
    }
    let responder = try LinkHandshake.Responder(
      context: context(initiator: peer, responder: me), identity: identity,
      message1: message1, using: &random)
    try await write(outbound, responder.message2, peer: peer, step: .handshake(message: 2))
    let message3 = try await read(&iterator, peer: peer, step: .handshake(message: 3))
    return (peer, try responder.finish(message3: message3), 1)
  }

  /// The other end's address as `host:port`: the dialed address, or the connection's source.
  func remoteAddress(_ channel: any Channel, dialed: Int?) -> String {
    if let dialed { return dialAddress(dialed) }
    guard let address = channel.remoteAddress, let ip = address.ipAddress else {
      return "an unknown address"
    }
    let host = ip.contains(":") ? "[\(ip)]" : ip
    return address.port.map { "\(host):\($0)" } ?? host
  }

  func read(
    _ iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, peer: Int?,
    step: RunStep
  ) async throws -> [UInt8] {
    let buffer: ByteBuffer?
    do {
      buffer = try await iterator.next()
    } catch let error as NetworkError {
      throw error.relabeled(peer: peer)
    } catch {
      throw NetworkError.closedDuringHandshake(peer: peer, step: step)
    }
    guard let buffer else { throw NetworkError.closedDuringHandshake(peer: peer, step: step) }
    return Array(buffer: buffer)
  }

  func write(
    _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ bytes: [UInt8], peer: Int,
    step: RunStep
  ) async throws {
    do {
      try await outbound.write(ByteBuffer(bytes: bytes))
    } catch {
      throw NetworkError.closedDuringHandshake(peer: peer, step: step)
    }
  }
}

/// Set once a link's handshake is done (its watchdog then leaves the connection open).
private final class DoneFlag: Sendable {
  let value = Atomic<Bool>(false)
}
