import Foundation
import MPCNetwork
import MPCProtocol
import Synchronization
import Testing
import _MPCTestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Calls `body` with a `sockaddr_in` for `host`:`port` and its length.
func withSocketAddress<T>(
  _ host: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
) -> T {
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_addr.s_addr = inet_addr(host)
  addr.sin_port = UInt16(port).bigEndian
  return withUnsafePointer(to: &addr) { p in
    p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
}

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them from the
/// backlog) and never answers: a hung peer.
final class SilentListener: Sendable {
  let port: Int
  let fd: Int32
  private let isOpen = Mutex(true)

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    // Inherited by accepted sockets, so a party can bind the port once this one is closed.
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var port = 0
    for candidate in LoopbackPorts.reserve(8) {
      if withSocketAddress("127.0.0.1", port: candidate, { bind(fd, $0, $1) == 0 }) {
        port = candidate
        break
      }
    }
    guard port != 0, listen(fd, 64) == 0 else {
      close(fd)
      throw POSIXError(.EADDRINUSE)
    }
    self.fd = fd
    self.port = port
  }

  /// Closes the socket now (the port is free for a real party).
  func closeNow() {
    if isOpen.withLock({ open in
      defer { open = false }
      return open
    }) {
      close(fd)
    }
  }

  deinit { closeNow() }
}

/// Every wait of the connect obeys the operator's deadlines: a peer that accepts connections
/// and never answers holds a party no longer than its connect deadline, whatever the
/// handshake timeout (`protocols/channel.md` §4).
@Suite struct DeadlineTests {
  /// On a clock moved by hand: the dialer gives up exactly when the clock reaches the connect
  /// deadline (not before, and not an attempt's handshake timeout later), naming the peer.
  @Test(arguments: [(2, 10), (2, 1), (3, 2)])
  func aSilentPeerHoldsTheDialerOnlyUntilTheConnectDeadline(connect: Int, handshake: Int)
    async throws
  {
    let silent = try SilentListener()
    let s = try NetStudy(n: 2, label: "silent", ports: [try freePorts(1)[0], silent.port])
    let clock = ManualClock()
    var options = NetStudy.fastOptions
    options.connectDeadline = .seconds(connect)
    options.handshakeTimeout = .seconds(handshake)
    options.clock = NetworkClock(clock)
    let chosen = options
    let run = Task { () -> (Result<Void, any Error>, Duration) in
      do {
        try await NetworkTransport.withLinks(
          study: s.study, partyID: 0, identity: s.keys[0], options: chosen
        ) { _ in }
        return (.success(()), clock.elapsed)
      } catch {
        return (.failure(error), clock.elapsed)
      }
    }
    // The connect deadline and the first attempt's watchdog are waiting.
    #expect(await clock.waitUntil { $0.count >= 2 })
    await clock.advance(to: .seconds(connect), step: .milliseconds(50))
    let (outcome, endedAt) = try await withHangGuard { await run.value }
    #expect(endedAt == .seconds(connect), "ended at \(endedAt) of the clock")
    guard
      case .failure(NetworkError.peerUnreachable(let peer, _, let step, let seconds, _)) = outcome
    else {
      Issue.record("not unreachable: \(outcome)")
      return
    }
    #expect(peer == 1 && step == .connect && seconds == Double(connect))
  }

  /// The same as the operator sees it: `mpc run --connect-timeout 2 --timeout 120` against a
  /// hung peer fails naming it at the connect deadline (the old code held each attempt for --timeout).
  @Test func runAgainstAHungPeerEndsAtTheConnectDeadline() async throws {
    let silent = try SilentListener()
    let sites = try await SiteDirectory(
      n: 2, label: "hung", addresses: [1: "127.0.0.1:\(silent.port)"])
    let data = try sites.data(0, "x\n1\n")
    let start = ContinuousClock.now
    let r = try await MPCProcess.run(
      ["run"] + sites.site(0) + [
        "--data", data, "--query-inline", #"{"id":"q","kind":"count","rho":"1/10"}"#,
        "--connect-timeout", "2", "--timeout", "120",
      ])
    let elapsed = secondsSince(start)
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("party 1"), "\(r.stderr)")
    // Far below the 120 s of --timeout, whatever the load (the exact deadline is checked on a
    // hand-moved clock above): the old code held each attempt its whole handshake timeout.
    #expect(elapsed < 60, "\(elapsed) s: \(r.stderr)")
  }
}

/// `operation`'s value, or a recorded issue and a thrown error if it takes longer than
/// `limit` of real time (a hang: the test would otherwise never end).
func withHangGuard<T: Sendable>(
  _ limit: Duration = .seconds(120), _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
  guard
    let value = try await NetworkClock.continuous.withDeadline(
      ContinuousClock.now + limit, operation)
  else {
    Issue.record("still waiting after \(limit) of real time")
    throw CancellationError()
  }
  return value
}

extension NetworkClock {
  /// The network layer's deadlines on a clock the test moves.
  init(_ manual: ManualClock) {
    self.init(now: { manual.now() }, sleepUntil: { try await manual.sleep(until: $0) })
  }
}
