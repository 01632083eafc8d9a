import NIOCore
import NIOPosix

/// A TCP proxy on 127.0.0.1 that forwards to a target port and rewrites the
/// initiator → responder stream after the handshake: flips one bit of a frame, or sends a frame
/// twice. It parses the link's wire format (`protocols/channel.md` §1–2) only to find frames.
struct TamperProxy: Sendable {
  enum Tamper: Sendable {
    case flipBit(frame: Int)
    case replay(frame: Int)
    /// Every read is held this long before it is passed on, in both directions (a slow peer).
    case delay(Duration)
  }

  typealias Raw = NIOAsyncChannel<ByteBuffer, ByteBuffer>
  let server: NIOAsyncChannel<Raw, Never>
  let port: Int

  static func start(target: Int, tamper: Tamper) async throws -> TamperProxy {
    let group = MultiThreadedEventLoopGroup.singleton
    let server = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0) {
      channel in
      channel.eventLoop.makeCompletedFuture { try Raw(wrappingChannelSynchronously: channel) }
    }
    Task {
      try? await server.executeThenClose { inbound in
        for try await client in inbound {
          Task {
            let upstream = try await ClientBootstrap(group: group).connect(
              host: "127.0.0.1", port: target
            ) { channel in
              channel.eventLoop.makeCompletedFuture {
                try Raw(wrappingChannelSynchronously: channel)
              }
            }
            try await relay(client: client, upstream: upstream, tamper: tamper)
          }
        }
      }
    }
    return TamperProxy(server: server, port: server.channel.localAddress!.port!)
  }

  /// Pumps both directions until either side closes, then closes both.
  static func relay(client: Raw, upstream: Raw, tamper: Tamper) async throws {
    try await client.executeThenClose { clientIn, clientOut in
      try await upstream.executeThenClose { upIn, upOut in
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask {
            var rewriter = Rewriter(tamper: tamper)
            for try await bytes in clientIn {
              if case .delay(let d) = tamper { try await Task.sleep(for: d) }
              let out = rewriter.feed(Array(buffer: bytes))
              if !out.isEmpty { try await upOut.write(ByteBuffer(bytes: out)) }
            }
          }
          group.addTask {
            for try await bytes in upIn {
              if case .delay(let d) = tamper { try await Task.sleep(for: d) }
              try await clientOut.write(bytes)
            }
          }
          _ = try await group.next()
          group.cancelAll()
        }
      }
    }
  }

  func close() async {
    try? await server.channel.close()
  }

  /// Passes the initiator's handshake bytes (messages 1 and 3) through, then whole frames.
  struct Rewriter {
    let tamper: Tamper
    var handshakeLeft = 94 + 38
    var pending: [UInt8] = []
    var frame = 0

    init(tamper: Tamper) { self.tamper = tamper }

    mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
      pending += bytes
      var out: [UInt8] = []
      let pass = min(handshakeLeft, pending.count)
      out += pending[0..<pass]
      pending.removeFirst(pass)
      handshakeLeft -= pass
      while handshakeLeft == 0, pending.count >= 4 {
        let length = (0..<4).reduce(0) { $0 | Int(pending[$1]) << (8 * $1) }
        guard pending.count >= 4 + length else { break }
        var bytes = Array(pending[0..<(4 + length)])
        pending.removeFirst(4 + length)
        switch tamper {
        case .flipBit(let f) where f == frame:
          bytes[4 + length / 2] ^= 0x10
          out += bytes
        case .replay(let f) where f == frame:
          out += bytes + bytes
        case .flipBit, .replay, .delay:
          out += bytes
        }
        frame += 1
      }
      return out
    }
  }
}
