import Foundation
import MPCCrypto
import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// Test-only fault injection for the process-level kill tests (issue 13 item 8): in a debug
/// build, `MPC_TEST_KILL_AT=<point>` makes `mpc run` kill itself with SIGKILL at that point, as a
/// crash or a pulled plug would. A release build (`swift build -c release`, what sites run)
/// compiles all of it out: the variable is not even read.
///
/// Points: `links-up` (every link up, nothing sent); `send:<message>` (just before this party's
/// first frame of that message: `hello`, `ledger-head`, `transcript`, `admit`, `upload`, or
/// `upload:<k>` for chunk k); `torn:ledger:<kind>` and `durable:ledger:<kind>` (in the append
/// of a ledger entry of `kind`, `charge` or `release`: after half the line is on disk, or after
/// the whole line is durable), `torn:releases:record` and `durable:releases:record` (the same
/// for the release log's record); `released` (the result is released and recorded, before it
/// is printed).
enum FaultInjection {
  #if DEBUG
    static let point: String? = ProcessInfo.processInfo.environment["MPC_TEST_KILL_AT"]

    /// Installs the ledger hook when a ledger point is chosen; call before opening ledgers.
    static func install() {
      guard let point, point.hasPrefix("torn:") || point.hasPrefix("durable:") else { return }
      let parts = point.split(separator: ":").map(String.init)
      guard parts.count == 3 else { return }
      let (phase, file, kind) = (parts[0], parts[1], parts[2])
      @Sendable func matches(_ name: String, _ bytes: [UInt8]) -> Bool {
        let base = URL(fileURLWithPath: name).lastPathComponent
        let text = String(decoding: bytes, as: UTF8.self).filter { $0 != " " }
        if file == "releases" { return base.hasPrefix("releases") }
        return base.hasPrefix("ledger") && text.contains("\"kind\":\"\(kind)\"")
      }
      FileLedgerStore.faultHook = LedgerFaultHook(
        tear: { name, bytes in phase == "torn" && matches(name, bytes) ? bytes.count / 2 : nil },
        torn: { die() },
        durable: { name, bytes in if phase == "durable" && matches(name, bytes) { die() } })
    }

    /// Kills the process if `name` is the chosen point.
    static func reached(_ name: String) {
      if point == name { die() }
    }

    /// `transport`, killing the process before the chosen `send:` point's frame.
    static func wrap(_ transport: some PartyTransport) -> any PartyTransport {
      guard let point, point.hasPrefix("send:") else { return transport }
      return KillingTransport(inner: transport, point: String(point.dropFirst(5)))
    }

    static func die() -> Never {
      kill(getpid(), SIGKILL)
      // SIGKILL cannot be caught; this only satisfies the compiler.
      abort()
    }
  #else
    @inline(__always) static func install() {}
    @inline(__always) static func reached(_ name: String) {}
    @inline(__always) static func wrap(_ transport: some PartyTransport) -> some PartyTransport {
      transport
    }
  #endif
}

#if DEBUG
  /// Kills the process just before it sends the first frame of the chosen message.
  struct KillingTransport<Inner: PartyTransport>: PartyTransport {
    let inner: Inner
    let point: String
    var partyID: Int { inner.partyID }
    var partyCount: Int { inner.partyCount }

    func send(_ frame: [UInt8], to peer: Int) async throws {
      if frame.count > 3, matches(frame) { FaultInjection.die() }
      try await inner.send(frame, to: peer)
    }

    private func matches(_ frame: [UInt8]) -> Bool {
      let names: [UInt8: String] = [
        0x01: "hello", 0x02: "ledger-head", 0x03: "admit", Message.maskedUploadType: "upload",
        0x07: "transcript",
      ]
      guard let name = names[frame[3]] else { return false }
      if point == name { return true }
      guard name == "upload", point.hasPrefix("upload:"), let k = UInt32(point.dropFirst(7)),
        let header = try? MessageCodec().decodeUpload(frame)
      else { return false }
      return header.chunkIndex == k
    }

    func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
      try await inner.receive(from: peer, timeout: timeout, step: step)
    }
    func pairSecret(with peer: Int) throws -> SecretBytes { try inner.pairSecret(with: peer) }
    func linkSessionID(with peer: Int) throws -> [UInt8] { try inner.linkSessionID(with: peer) }
  }
#endif
