import MPCCrypto
import MPCProtocol
import NIOCore
import NIOPosix

typealias FrameChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

/// At most two decoded frames wait in a link's inbound stream before NIO stops reading (TCP
/// then pushes back on the sender): with the inbox, memory per peer stays a few frames.
let frameChannelConfiguration = FrameChannel.Configuration(
  backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2))

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

  // MARK: - Listening

  /// Binds this party's address and accepts links into `table` until the server is closed.
  func listen(table: LinkTable) async throws -> NIOAsyncChannel<FrameChannel, Never> {
    let address = listenAddress
    // Cannot be nil: checked in init.
    let hostPort = HostPort(address)!
    let maximum = options.maximumFrame
    let server: NIOAsyncChannel<FrameChannel, Never>
    do {
      server = try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: hostPort.host, port: hostPort.port) { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
              ByteToMessageHandler(LinkFrameDecoder.responder(maximumFrame: maximum)))
            return try FrameChannel(
              wrappingChannelSynchronously: channel, configuration: frameChannelConfiguration)
          }
        }
    } catch {
      throw NetworkError.cannotListen(address: address, reason: describe(error))
    }
    let factory = self
    Task {
      try? await server.executeThenClose { inbound in
        for try await child in inbound {
          Task { await factory.accept(child, table: table) }
        }
      }
    }
    return server
  }

  func accept(_ child: FrameChannel, table: LinkTable) async {
    do {
      try await runLink(child, initiator: nil, deadline: .now + options.handshakeTimeout) {
        await table.register($0)
      }
    } catch let error as NetworkError {
      await table.recordFailure(error)
    } catch {
      // runLink throws only NetworkError.
    }
  }

  // MARK: - Dialing

  /// Dials `peer` until a link is up or `deadline`; definitive failures (wrong key, wrong
  /// study) end the attempts at once.
  func dial(_ peer: Int, deadline: ContinuousClock.Instant) async throws -> Link {
    let address = dialAddress(peer)
    // Cannot be nil: checked in init.
    let hostPort = HostPort(address)!
    var backoff = options.initialBackoff
    var lastError: String?
    while true {
      try Task.checkCancellation()
      let remaining = deadline - .now
      guard remaining > .zero else {
        throw NetworkError.peerUnreachable(
          peer: peer, address: address, step: .connect,
          seconds: options.connectDeadline.seconds, lastError: lastError)
      }
      // One attempt (TCP connect, handshake, preface) waits at most the handshake timeout and
      // never past the connect deadline: no wait of its own.
      let attemptDeadline = min(deadline, .now + options.handshakeTimeout)
      do {
        return try await openLink(to: peer, at: hostPort, deadline: attemptDeadline)
      } catch let error as NetworkError where error.isDefinitive {
        throw NetworkError.link(peer: peer, address: address, step: .connect, error: error)
      } catch is CancellationError {
        throw CancellationError()
      } catch {
        lastError = describe(error)
      }
      let pause = min(backoff, deadline - .now)
      if pause > .zero { try await Task.sleep(for: pause) }
      backoff = min(backoff * 2, options.maximumBackoff)
    }
  }

  /// One attempt: TCP connect, handshake as initiator, preface.
  func openLink(to peer: Int, at hostPort: HostPort, deadline: ContinuousClock.Instant)
    async throws -> Link
  {
    let maximum = options.maximumFrame
    let channel = try await ClientBootstrap(group: group)
      .connectTimeout(.nanoseconds(max(deadline - .now, .milliseconds(1)).nanoseconds))
      .connect(host: hostPort.host, port: hostPort.port) { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LinkFrameDecoder.initiator(peer: peer, maximumFrame: maximum)))
          return try FrameChannel(
            wrappingChannelSynchronously: channel, configuration: frameChannelConfiguration)
        }
      }
    return try await withCheckedThrowingContinuation { continuation in
      Task {
        do {
          try await runLink(channel, initiator: peer, deadline: deadline) { link in
            continuation.resume(returning: link)
            return true
          }
        } catch {
          continuation.resume(throwing: error)
        }
      }
    }
  }

  // MARK: - One link

  /// Runs a link from handshake to close. Throws (a ``NetworkError``) only if the handshake or
  /// preface fails, and then `onReady` was never called; otherwise `onReady` decides whether
  /// the link is kept, and the link then reads into its inbox until it closes.
  /// `initiator` is the peer dialed, nil on an accepted connection.
  func runLink(
    _ asyncChannel: FrameChannel, initiator peer: Int?, deadline: ContinuousClock.Instant,
    onReady: @Sendable (Link) async -> Bool
  ) async throws {
    let channel = asyncChannel.channel
    let start = ContinuousClock.now
    let timeout = deadline - start
    let watchdog = channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
      channel.close(promise: nil)
    }
    let failure: NetworkError? = try await asyncChannel.executeThenClose { inbound, outbound in
      var iterator = inbound.makeAsyncIterator()
      let link: Link
      var receiveCipher: FrameCipher
      do {
        (link, receiveCipher) = try await handshake(
          peer: peer, iterator: &iterator, outbound: outbound, channel: channel)
      } catch {
        var error =
          error as? NetworkError ?? .closedDuringHandshake(peer: peer ?? -1, step: .linkStart)
        if ContinuousClock.now >= deadline {
          error = .handshakeTimeout(peer: error.peer ?? -1, seconds: timeout.seconds)
        }
        return error
      }
      watchdog.cancel()
      guard await onReady(link) else { return nil }
      // The reader: decrypt in order into the inbox until the stream ends or a frame fails.
      do {
        while let buffer = try await iterator.next() {
          await link.inbox.put(try receiveCipher.open(buffer))
        }
        await link.inbox.finish(nil)
      } catch let error as NetworkError {
        await link.inbox.finish(error.relabeled(peer: link.peer))
      } catch {
        await link.inbox.finish(nil)
      }
      return nil
    }
    if let failure { throw failure }
  }

  /// The handshake (initiator or responder) and the preface exchange; returns the link and
  /// the receiving cipher (owned by the reader).
  func handshake(
    peer dialed: Int?, iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
    outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel
  ) async throws -> (Link, FrameCipher) {
    var random = SystemRandom()
    let peer: Int
    let keys: LinkKeys
    let sendDirection: UInt8
    if let dialed {
      peer = dialed
      let initiator = LinkHandshake.Initiator(
        context: context(initiator: me, responder: peer), identity: identity, using: &random)
      try await write(outbound, initiator.message1, peer: peer, step: .handshake(message: 1))
      let message2 = try await read(&iterator, peer: peer, step: .handshake(message: 2))
      let (message3, k) = try initiator.finish(message2: message2)
      try await write(outbound, message3, peer: peer, step: .handshake(message: 3))
      keys = k
      sendDirection = 0
    } else {
      let message1 = try await read(&iterator, peer: -1, step: .handshake(message: 1))
      try checkHeader(
        message1, size: LinkHandshake.message1Size, type: 1, peer: -1, step: .handshake(message: 1))
      peer = readLE32(message1, 6)
      guard (0..<me).contains(peer) else {
        throw NetworkError.wrongStudyOrParty(
          peer: peer,
          reason: "dialed party \(me) as party \(peer); only a lower id dials a higher one, "
            + "and ids are 0…\(partyCount - 1)")
      }
      let responder = try LinkHandshake.Responder(
        context: context(initiator: peer, responder: me), identity: identity,
        message1: message1, using: &random)
      try await write(outbound, responder.message2, peer: peer, step: .handshake(message: 2))
      let message3 = try await read(&iterator, peer: peer, step: .handshake(message: 3))
      keys = try responder.finish(message3: message3)
      sendDirection = 1
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
      preface: theirs, sender: LinkSender(peer: peer, cipher: sendCipher, writer: outbound),
      inbox: LinkInbox(peer: peer), channel: channel)
    return (link, receiveCipher)
  }

  func read(
    _ iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, peer: Int,
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

// MARK: - Accepted links

/// The links accepted from lower ids, and why the last attempt of each failed.
actor LinkTable {
  let factory: LinkFactory
  let expected: Set<Int>
  /// Doctor: a definitive failure settles a peer; run: it aborts the connect.
  let settleOnFailure: Bool
  var links: [Int: Link] = [:]
  var failures: [Int: NetworkError] = [:]
  var fatal: NetworkError?
  var isClosed = false
  var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
  var nextID: UInt64 = 0

  init(factory: LinkFactory, expected: Set<Int>, settleOnFailure: Bool) {
    self.factory = factory
    self.expected = expected
    self.settleOnFailure = settleOnFailure
  }

  /// Keeps a link; false (refused) for an unexpected or duplicate peer or after ``close()``.
  func register(_ link: Link) -> Bool {
    guard !isClosed, expected.contains(link.peer) else { return false }
    if let existing = links[link.peer], existing.channel.isActive { return false }
    links[link.peer] = link
    failures[link.peer] = nil
    wake()
    return true
  }

  func recordFailure(_ error: NetworkError) {
    guard !isClosed, let peer = error.peer, expected.contains(peer), links[peer] == nil else {
      return
    }
    failures[peer] = error
    if error.isDefinitive && !settleOnFailure && fatal == nil {
      fatal = .link(
        peer: peer, address: factory.study.parties[peer].address, step: .accept,
        error: error)
    }
    wake()
  }

  var isSettled: Bool {
    expected.allSatisfy {
      links[$0] != nil || (settleOnFailure && failures[$0]?.isDefinitive == true)
    }
  }

  func wake() {
    guard fatal != nil || isSettled else { return }
    for (_, w) in waiters {
      if let fatal { w.resume(throwing: fatal) } else { w.resume() }
    }
    waiters = [:]
  }

  /// Returns when every expected peer has a link (or, for the doctor, a definitive failure).
  func waitUntilSettled() async throws {
    if let fatal { throw fatal }
    if isSettled { return }
    try Task.checkCancellation()
    let id = nextID
    nextID += 1
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { waiters[id] = $0 }
    } onCancel: {
      Task { await self.cancel(id) }
    }
  }

  func cancel(_ id: UInt64) {
    waiters.removeValue(forKey: id)?.resume(throwing: CancellationError())
  }

  /// Waits until settled or `deadline`; throws naming the first peer that did not connect.
  func waitUntilSettled(deadline: ContinuousClock.Instant) async throws {
    let settled: Void? = try await withDeadline(deadline) { try await self.waitUntilSettled() }
    if settled != nil { return }
    if let fatal { throw fatal }
    guard let missing = expected.sorted().first(where: { links[$0] == nil }) else { return }
    throw NetworkError.peerUnreachable(
      peer: missing, address: factory.study.parties[missing].address,
      step: .awaitLinks, seconds: factory.options.connectDeadline.seconds,
      lastError: failures[missing]?.description)
  }

  /// Stops accepting; returns the links kept so far.
  func close() -> [Int: Link] {
    isClosed = true
    return links
  }
}

// MARK: - Helpers

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
    case .ownKeyMismatch, .unknownParty, .invalidAddress, .cannotListen:
      return nil
    }
    return p >= 0 ? p : nil
  }

  /// A failure that retrying cannot fix: the peer proved another key or another study.
  var isDefinitive: Bool {
    switch underlying {
    case .peerKeyMismatch, .wrongStudyOrParty, .studyMismatch, .malformedHandshake: return true
    default: return false
    }
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
