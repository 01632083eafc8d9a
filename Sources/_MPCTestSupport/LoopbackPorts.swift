import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Loopback ports for tests that run in parallel: each port is handed out once per process
/// (from a per-process base), and only if it can be bound right now.
///
/// Ports come from outside the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 on
/// Linux by default): every outgoing connection takes its source port from that range, so a port
/// there that was free when checked can be taken by some dial before the party listens on it.
package enum LoopbackPorts {
  private static let lock = NSLock()
  private static let range = usableRange()
  nonisolated(unsafe) private static var next =
    range.lowerBound + Int(getpid()) * 37 % (range.count - 1)

  /// `count` distinct ports on 127.0.0.1 that were free when checked.
  package static func reserve(_ count: Int) -> [Int] {
    lock.lock()
    defer { lock.unlock() }
    var ports: [Int] = []
    while ports.count < count {
      let port = next
      next = next + 1 >= range.upperBound ? range.lowerBound : next + 1
      if isFree(port) { ports.append(port) }
    }
    return ports
  }

  /// The ports below the ephemeral range (from 10000), or above it if it starts too low.
  static func usableRange() -> Range<Int> {
    var ephemeral = 32_768...60_999
    let file = "/proc/sys/net/ipv4/ip_local_port_range"
    if let text = try? String(contentsOfFile: file, encoding: .utf8) {
      let bounds = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        .compactMap { Int($0) }
      if bounds.count == 2, bounds[0] <= bounds[1] { ephemeral = bounds[0]...bounds[1] }
    }
    if ephemeral.lowerBound - 10_000 >= 2_000 { return 10_000..<ephemeral.lowerBound }
    if 65_000 - ephemeral.upperBound > 2_000 { return (ephemeral.upperBound + 1)..<65_000 }
    return 10_000..<60_000
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
