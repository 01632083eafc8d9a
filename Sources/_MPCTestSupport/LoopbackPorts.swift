import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Loopback ports for tests that run in parallel: each port is handed out once per process
/// (from a per-process base), and only if it can be bound right now.
package enum LoopbackPorts {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var next = 20_000 + Int(getpid() % 2_000) * 15

  /// `count` distinct ports on 127.0.0.1 that were free when checked.
  package static func reserve(_ count: Int) -> [Int] {
    lock.lock()
    defer { lock.unlock() }
    var ports: [Int] = []
    while ports.count < count {
      let port = next
      next = next >= 60_000 ? 20_000 : next + 1
      if isFree(port) { ports.append(port) }
    }
    return ports
  }

  private static func isFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}
