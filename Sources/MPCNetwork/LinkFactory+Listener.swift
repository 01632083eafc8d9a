import MPCProtocol
import NIOCore
import NIOPosix

/// The listening side (`protocols/channel.md` §4): binds this party's address and runs every
/// accepted connection as a child task until the server is closed and its links have ended.
extension LinkFactory {
  typealias Server = NIOAsyncChannel<FrameChannel, Never>

  /// Binds this party's listen address (its study address unless `options.listenAddress`).
  func bind() async throws -> Server {
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
            return try FrameChannel(
              wrappingChannelSynchronously: channel, configuration: frameChannelConfiguration)
          }
        }
    } catch {
      throw NetworkError.cannotListen(address: address, reason: describe(error))
    }
  }

  /// Accepts connections into `table`, each in a child task, until `server` is closed; returns
  /// when the last accepted link has ended.
  func serve(_ server: Server, table: LinkTable) async {
    try? await server.executeThenClose { inbound in
      await withDiscardingTaskGroup { group in
        do {
          for try await child in inbound {
            group.addTask { await self.accept(child, table: table) }
          }
        } catch {
          // The server channel failed: no more connections; the accepted ones run on.
        }
      }
    }
  }

  /// One accepted connection: handshake as responder, then the link until it closes.
  func accept(_ child: FrameChannel, table: LinkTable) async {
    do {
      try await runLink(child, initiator: nil, deadline: .now + options.handshakeTimeout) {
        table.register($0)
      }
    } catch let error as NetworkError {
      // An unauthenticated failure is noted for the party it claimed (a hint in the message
      // when that party never comes up), never held against it.
      if let peer = error.peer ?? error.claimedPeer {
        table.recordFailure(error, peer: peer, step: .accept)
      }
    } catch {
      // runLink throws only NetworkError.
    }
  }
}
