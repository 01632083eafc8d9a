import MPCProtocol
import NIOCore
import NIOPosix
import Synchronization

/// The listening side (`protocols/channel.md` §4): binds this party's address and runs every
/// accepted connection as a child task until the server is closed and its links have ended.
extension LinkFactory {
  typealias Server = NIOAsyncChannel<FrameChannel, Never>

  /// Binds this party's listen address (its study address unless `options.listenAddress`).
  /// Every accepted connection is wrapped and recorded in `accepted` until the accept loop
  /// takes it (or refused once `accepted` is closed).
  func bind(_ accepted: AcceptedChannels) async throws -> Server {
    let address = listenAddress
    // Cannot be nil: checked in init.
    let hostPort = HostPort(address)!
    let maximum = options.maximumFrame
    do {
      return try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: hostPort.host, port: hostPort.port) { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
              ByteToMessageHandler(LinkFrameDecoder.responder(maximumFrame: maximum)))
            return try accepted.wrap(channel)
          }
        }
    } catch {
      throw NetworkError.cannotListen(address: address, reason: describe(error))
    }
  }

  /// Accepts connections into `table`, each in a child task, until `server` is closed (then
  /// `loopEnded` is signalled: every connection accepted has been taken); returns when the last
  /// accepted link has ended.
  func serve(
    _ server: Server, table: LinkTable, accepted: AcceptedChannels, loopEnded: Latch
  ) async {
    defer { loopEnded.signal() }
    let pending = PendingHandshakes(
      total: options.maximumPendingHandshakes, perSource: options.maximumPendingPerSource)
    try? await server.executeThenClose { inbound in
      await withDiscardingTaskGroup { group in
        do {
          for try await child in inbound {
            accepted.taken(child)
            // Before anything is proved, a connection costs only what the caps allow.
            let source = child.channel.remoteAddress?.ipAddress ?? "unknown"
            guard pending.admit(source) else {
              group.addTask { try? await child.executeThenClose { _, _ in } }
              continue
            }
            group.addTask {
              await self.accept(child, table: table, pending: pending, source: source)
            }
          }
        } catch {
          // The server channel failed: no more connections; the accepted ones run on.
        }
        loopEnded.signal()
      }
    }
  }

  /// One accepted connection: handshake as responder, then the link until it closes. Its place
  /// in `pending` is given back when the handshake ends, either way.
  func accept(
    _ child: FrameChannel, table: LinkTable, pending: PendingHandshakes, source: String
  ) async {
    // The place is given back exactly once: when the handshake succeeds (the link is
    // registered) or, if it never did, when the connection ends. A link that fails later must
    // not give it back again, or every such link would raise the caps by one.
    let place = PendingHandshakes.Place(pending, source: source)
    do {
      try await runLink(
        child, initiator: nil, deadline: options.clock.now() + options.handshakeTimeout
      ) {
        place.release()
        return table.register($0)
      }
    } catch let error as NetworkError {
      place.release()
      // An unauthenticated failure is noted for the party it claimed (a hint in the message
      // when that party never comes up), never held against it.
      if let peer = error.peer ?? error.claimedPeer {
        table.recordFailure(error, peer: peer, step: .accept)
      }
    } catch {
      // runLink throws only NetworkError.
      place.release()
    }
  }
}

/// Accepted connections still in their handshake, in total and per source address.
final class PendingHandshakes: Sendable {
  let total: Int
  let perSource: Int
  private let counts = Mutex<(total: Int, bySource: [String: Int])>((0, [:]))

  init(total: Int, perSource: Int) {
    self.total = total
    self.perSource = perSource
  }

  /// Takes a place for a connection from `source`; false when a cap is reached.
  func admit(_ source: String) -> Bool {
    counts.withLock { c in
      guard c.total < total, c.bySource[source, default: 0] < perSource else { return false }
      c.total += 1
      c.bySource[source, default: 0] += 1
      return true
    }
  }

  /// One admitted connection's place, given back at most once.
  final class Place: Sendable {
    private let pending: PendingHandshakes
    private let source: String
    private let released = Mutex(false)

    init(_ pending: PendingHandshakes, source: String) {
      self.pending = pending
      self.source = source
    }

    /// Gives the place back the first time; later calls do nothing.
    func release() {
      let first = released.withLock { wasReleased in
        defer { wasReleased = true }
        return !wasReleased
      }
      if first { pending.done(source) }
    }
  }

  /// Gives the place back.
  func done(_ source: String) {
    counts.withLock { c in
      c.total -= 1
      let left = c.bySource[source, default: 1] - 1
      c.bySource[source] = left > 0 ? left : nil
    }
  }
}

/// The connections accepted and wrapped for the accept loop but not yet taken by it. NIO
/// traps when such a wrapped connection is dropped unclosed, which it does with one whose
/// wrapping completes as the server closes (it is then never handed to the loop). So each is
/// recorded here when wrapped; at shutdown the ones never taken are closed from here, and
/// connections wrapped after that are refused (closed by NIO before they are wrapped).
final class AcceptedChannels: Sendable {
  private struct State {
    var isClosed = false
    var waiting: [ObjectIdentifier: FrameChannel] = [:]
  }
  private let state = Mutex(State())

  /// Wraps an accepted connection (on its event loop) and records it; throws once closed.
  func wrap(_ channel: any Channel) throws -> FrameChannel {
    try state.withLock { s in
      guard !s.isClosed else {
        channel.close(promise: nil)
        throw ChannelError.ioOnClosedChannel
      }
      let wrapped = try FrameChannel(
        wrappingChannelSynchronously: channel, configuration: frameChannelConfiguration)
      s.waiting[ObjectIdentifier(channel)] = wrapped
      return wrapped
    }
  }

  /// The accept loop has taken `child` (and will close it).
  func taken(_ child: FrameChannel) {
    _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(child.channel)) }
  }

  /// Refuses later connections and closes the ones never taken.
  func closeRest() async {
    let rest: [FrameChannel] = state.withLock { s in
      s.isClosed = true
      defer { s.waiting = [:] }
      return Array(s.waiting.values)
    }
    for child in rest { try? await child.executeThenClose { _, _ in } }
  }
}
