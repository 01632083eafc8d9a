import MPCCrypto
import MPCProtocol
import NIOCore

/// One established, authenticated link to a peer: its keys, the peer's preface, the sending
/// half (sealing frames in order) and the receiving mailbox the link's reader fills.
final class Link: Sendable {
  let peer: Int
  let address: String
  let keys: LinkKeys
  let preface: LinkPreface
  let sender: LinkSender
  let inbox: LinkInbox
  let channel: any Channel

  init(
    peer: Int, address: String, keys: LinkKeys, preface: LinkPreface, sender: LinkSender,
    inbox: LinkInbox, channel: any Channel
  ) {
    self.peer = peer
    self.address = address
    self.keys = keys
    self.preface = preface
    self.sender = sender
    self.inbox = inbox
    self.channel = channel
  }

  /// Closes the connection and waits until it is closed; pending receives fail as closed.
  func close() async {
    await sender.finish()
    try? await channel.close()
    try? await channel.closeFuture.get()
    await inbox.finish(nil)
  }
}

/// The sending half: seals with the direction's ``FrameCipher`` and writes, one frame at a
/// time in call order (a frame's counter must match its position on the wire).
actor LinkSender {
  let peer: Int
  var cipher: FrameCipher
  let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
  var busy = false
  var queue: [CheckedContinuation<Void, Never>] = []

  init(peer: Int, cipher: FrameCipher, writer: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
    self.peer = peer
    self.cipher = cipher
    self.writer = writer
  }

  func send(_ plaintext: [UInt8], step: RunStep) async throws {
    guard plaintext.count <= cipher.maximumFrame else {
      throw NetworkError.outgoingFrameTooLarge(
        peer: peer, length: plaintext.count, maximum: cipher.maximumFrame)
    }
    while busy { await withCheckedContinuation { queue.append($0) } }
    busy = true
    defer {
      busy = false
      if !queue.isEmpty { queue.removeFirst().resume() }
    }
    let frame = try cipher.sealFrame(plaintext)
    do {
      try await writer.write(frame)
    } catch {
      throw TransportError.closed(peer: peer, step: step)
    }
  }

  func finish() { writer.finish() }
}

/// Frames received from one peer, in order, bounded: the link's reader waits while the inbox
/// is full, so TCP flow control pushes back on a sender that runs ahead.
actor LinkInbox {
  enum State {
    case open
    case closed
    case failed(any Error)
  }

  let peer: Int
  let capacity: Int
  var frames: [[UInt8]] = []
  var state = State.open
  var waiters:
    [(id: UInt64, step: RunStep, continuation: CheckedContinuation<[UInt8], any Error>)] =
      []
  var spaceWaiters: [CheckedContinuation<Void, Never>] = []
  var nextID: UInt64 = 0

  init(peer: Int, capacity: Int = 1) {
    self.peer = peer
    self.capacity = capacity
  }

  /// Hands a frame to a waiting receiver or queues it; waits while the inbox is full.
  func put(_ frame: [UInt8]) async {
    guard case .open = state else { return }
    if !waiters.isEmpty {
      waiters.removeFirst().continuation.resume(returning: frame)
      return
    }
    frames.append(frame)
    while frames.count >= capacity, case .open = state {
      await withCheckedContinuation { spaceWaiters.append($0) }
    }
  }

  /// Ends the inbox: queued frames are still delivered, then receives throw `error`, or
  /// `TransportError.closed(peer:step:)` when `error` is nil.
  func finish(_ error: (any Error)?) {
    guard case .open = state else { return }
    state = error.map { .failed($0) } ?? .closed
    for w in waiters { w.continuation.resume(throwing: endError(step: w.step)) }
    waiters = []
    for s in spaceWaiters { s.resume() }
    spaceWaiters = []
  }

  /// The error the link failed with (a rejected frame), if it did.
  var failure: (any Error)? {
    if case .failed(let error) = state { return error }
    return nil
  }

  func endError(step: RunStep) -> any Error {
    if case .failed(let error) = state { return error }
    return TransportError.closed(peer: peer, step: step)
  }

  /// The next frame; throws when the link has ended and nothing is queued.
  func take(step: RunStep) async throws -> [UInt8] {
    if !frames.isEmpty {
      let frame = frames.removeFirst()
      if !spaceWaiters.isEmpty { spaceWaiters.removeFirst().resume() }
      return frame
    }
    if case .open = state {} else { throw endError(step: step) }
    try Task.checkCancellation()
    let id = nextID
    nextID += 1
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        waiters.append((id, step, continuation))
      }
    } onCancel: {
      Task { await self.cancel(id) }
    }
  }

  func cancel(_ id: UInt64) {
    guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
    waiters.remove(at: index).continuation.resume(throwing: CancellationError())
  }
}

/// Runs `operation` until `deadline`; nil if the deadline came first (the operation is then
/// cancelled and awaited).
func withDeadline<T: Sendable>(
  _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T? {
  try await withThrowingTaskGroup(of: T?.self) { group in
    group.addTask { try await operation() }
    group.addTask {
      try await Task.sleep(until: deadline, clock: .continuous)
      return nil
    }
    defer { group.cancelAll() }
    // Cannot be nil: the group has two tasks.
    return try await group.next()!
  }
}
