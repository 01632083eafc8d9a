import MPCCrypto
import MPCProtocol
import NIOCore
import Synchronization

/// One established, authenticated link to a peer: its keys, the peer's preface, and two
/// ``Mailbox``es: `outgoing` (plaintexts the link's writer seals in order) and `inbox` (frames
/// the link's reader decrypted in order). Reader and writer run in the task that opened the
/// link (``LinkFactory/runLink(_:initiator:deadline:onReady:)``), a child of
/// ``NetworkTransport/withLinks(study:partyID:identity:options:_:)``.
final class Link: Sendable {
  /// A plaintext to seal and send, and where the writer reports that it was written.
  struct Outgoing: Sendable {
    var plaintext: [UInt8]
    var written: Mailbox<Void>
  }

  let peer: Int
  let address: String
  let keys: LinkKeys
  let preface: LinkPreface
  let channel: any Channel
  let maximumFrame: Int
  /// How long ``close()`` waits for queued frames to be written (the operator's --timeout).
  let closeTimeout: Duration
  /// The clock ``closeTimeout`` is measured on.
  let clock: NetworkClock
  /// One frame at a time: ``send(_:)`` waits until its frame is written.
  let outgoing = Mailbox<Outgoing>(capacity: 1)
  /// Frames received, in order, bounded: the reader waits while the inbox is full, so TCP
  /// flow control pushes back on a sender that runs ahead. Ends with ``LinkEnded``.
  let inbox = Mailbox<[UInt8]>(capacity: 1)
  /// Closed by the writer when it stops.
  let writerDone = Mailbox<Void>(capacity: 1)
  /// Closed by the reader when it stops.
  let readerDone = Mailbox<Void>(capacity: 1)
  /// Set by ``close()``: the reader then discards what still arrives until the peer closes.
  let closing = Atomic<Bool>(false)

  init(
    peer: Int, address: String, keys: LinkKeys, preface: LinkPreface, channel: any Channel,
    maximumFrame: Int, closeTimeout: Duration,
    clock: NetworkClock
  ) {
    self.peer = peer
    self.address = address
    self.keys = keys
    self.preface = preface
    self.channel = channel
    self.maximumFrame = maximumFrame
    self.closeTimeout = closeTimeout
    self.clock = clock
  }

  /// Seals and writes `plaintext` after every frame sent before it; returns once it is
  /// written. Throws `TransportError.closed(peer:step:)` if the link is closed.
  func send(_ plaintext: [UInt8]) async throws {
    guard plaintext.count <= maximumFrame else {
      throw NetworkError.outgoingFrameTooLarge(
        peer: peer, length: plaintext.count, maximum: maximumFrame)
    }
    let written = Mailbox<Void>(capacity: 1)
    do {
      try await outgoing.put(Outgoing(plaintext: plaintext, written: written))
      try await written.take()
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      throw TransportError.closed(peer: peer, step: .send)
    }
  }

  /// The writer: seals each queued plaintext with the next counter and writes it, until the
  /// outgoing mailbox ends or a write fails (then every later send fails as closed).
  func write(to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, cipher: FrameCipher) async {
    var cipher = cipher
    defer {
      outbound.finish()
      writerDone.close()
    }
    while let next = try? await outgoing.take() {
      do {
        try await outbound.write(try cipher.sealFrame(next.plaintext))
        _ = next.written.offer(())
      } catch {
        // Every frame queued behind this one fails too; later sends throw at once.
        let closed = TransportError.closed(peer: peer, step: .send)
        next.written.fail(closed)
        outgoing.close(throwing: closed)
        while let queued = try? await outgoing.take() { queued.written.fail(closed) }
        return
      }
    }
  }

  /// The reader: decrypts frames in order into the inbox until the stream ends, a frame fails
  /// (the inbox then ends with that failure) or the inbox is closed.
  func read(
    _ iterator: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
    cipher: FrameCipher
  ) async {
    var cipher = cipher
    defer { readerDone.close() }
    do {
      while let buffer = try await iterator.next() {
        let frame = try cipher.open(buffer)
        if closing.load(ordering: .acquiring) { continue }
        do {
          try await inbox.put(frame)
        } catch  where closing.load(ordering: .acquiring) {
          continue
        }
      }
      inbox.close(throwing: LinkEnded(failure: nil))
    } catch let error as NetworkError {
      inbox.close(throwing: LinkEnded(failure: error.relabeled(peer: peer)))
    } catch {
      inbox.close(throwing: LinkEnded(failure: nil))
    }
    // The writer runs on: a peer that half-closed (after its abort) still reads until it
    // closes, and a peer that is gone makes the next write fail.
  }

  /// The frame-authentication failure that ended the link, if one did.
  var failure: NetworkError? { (inbox.endError as? LinkEnded)?.failure }

  /// The next frame; throws the link's failure, or `TransportError.closed(peer:step:)` once the
  /// link has ended and nothing is queued.
  func receive(step: RunStep) async throws -> [UInt8] {
    do {
      return try await inbox.take()
    } catch let ended as LinkEnded {
      if let failure = ended.failure { throw failure }
      throw TransportError.closed(peer: peer, step: step)
    }
  }

  /// Writes what is queued, half-closes, and reads (discarding) until the peer closes too, all
  /// within ``closeTimeout``; then closes the connection and waits until it is closed. Pending
  /// and later receives fail as closed. Closing only after the peer did means a peer still
  /// sending gets no reset that would drop this side's last frames (an abort) unread.
  func close() async {
    closing.store(true, ordering: .releasing)
    inbox.close(throwing: LinkEnded(failure: nil))
    outgoing.close(throwing: TransportError.closed(peer: peer, step: .send))
    let (writer, reader) = (writerDone, readerDone)
    _ = try? await clock.withDeadline(clock.now() + closeTimeout) {
      _ = try? await writer.take()
      _ = try? await reader.take()
    }
    try? await channel.close()
    try? await channel.closeFuture.get()
    inbox.close(throwing: LinkEnded(failure: nil))
  }
}

/// How a link's inbox ends: closed (`failure` nil) or by a frame that failed authentication.
struct LinkEnded: Error, Sendable {
  var failure: NetworkError?
}
