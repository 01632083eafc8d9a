import Foundation
import MPCBigInt
import MPCCrypto
import MPCNetwork
import MPCProtocol
import Testing
import _MPCTestSupport

@Suite struct RefusalTests {
  /// Party 1 runs with a new key while the others' study files pin an old one. Nothing party 1
  /// sends proves the pinned key, so it is never attributed to party 1 nor final (anyone can
  /// send junk, channel.md §6): party 0 (which dials it) and party 2 (which waits for it) keep
  /// trying until the deadline, then name party 1 with the unauthenticated failure as the hint.
  @Test func wrongPinnedKeyIsRetriedAndNamedAtTheDeadline() async throws {
    let ports = try freePorts(3)
    let fresh = try NetStudy(label: "wrong-key", ports: ports)
    var random = SeededRandom.make("stale")
    let stale = X25519.KeyPair.generate(using: &random)
    let old = try NetStudy(label: "wrong-key", pinned: [1: stale.publicKey], ports: ports)
    let query = try NetQueries.query("count")
    // On a clock moved by hand, past the deadline only once both dialers (party 0 to 1, and
    // party 1 to 2) failed an attempt and wait to retry: the failure seen is the wrong key's,
    // however slow the handshakes on a loaded machine.
    let clock = ManualClock()
    var options = NetStudy.fastOptions
    options.connectDeadline = .seconds(5)
    options.clock = NetworkClock(clock)
    let chosen = options
    let run = Task {
      try await old.runOverNetwork(
        query, label: "wrong-key", options: { _ in chosen },
        studies: [old.study, fresh.study, old.study])
    }
    let deadline = clock.origin + .seconds(5)
    #expect(await clock.waitUntil { $0.filter { $0 < deadline }.count >= 2 })
    await clock.advance(to: .seconds(5), step: .milliseconds(50))
    let results = try await withHangGuard { try await run.value }
    let address1 = "127.0.0.1:\(ports[1])"
    guard
      case NetworkError.peerUnreachable(1, address1, .connect, 5, let last0)? =
        results[0].failure as? NetworkError
    else {
      Issue.record("party 0: \(String(describing: results[0].failure))")
      return
    }
    #expect(
      last0 == "the host at \(address1) (dialed as party 1) failed before proving its key: "
        + "it did not prove the pinned key")
    guard
      case NetworkError.peerUnreachable(1, address1, .awaitLinks, 5, let last2)? =
        results[2].failure as? NetworkError
    else {
      Issue.record("party 2: \(String(describing: results[2].failure))")
      return
    }
    #expect(
      last2?.hasPrefix("an unauthenticated connection from 127.0.0.1:") == true, "\(last2 ?? "")")
    #expect(last2?.contains("(claiming to be party 1) failed before proving its key") == true)
    #expect(results[1].failure is NetworkError)
    #expect(old.ledgers.allSatisfy { $0.entries.isEmpty })
  }

  @Test func ownKeyThatIsNotPinnedIsRefusedLocally() async throws {
    let s = try NetStudy(label: "own")
    await #expect(throws: NetworkError.ownKeyMismatch(party: 1)) {
      try await NetworkTransport.withLinks(
        study: s.study, partyID: 1, identity: s.keys[0], options: NetStudy.fastOptions
      ) { _ in }
    }
    await #expect(throws: NetworkError.unknownParty(party: 3, partyCount: 3)) {
      try await NetworkTransport.withLinks(
        study: s.study, partyID: 3, identity: s.keys[0], options: NetStudy.fastOptions
      ) { _ in }
    }
  }

  /// A peer that never comes up: the dialer and the listener each name it within the deadline.
  @Test(arguments: [0, 1])
  func peerThatNeverComesUp(party: Int) async throws {
    let s = try NetStudy(n: 2, label: "absent")
    let clock = ManualClock()
    var options = NetStudy.fastOptions
    options.connectDeadline = .seconds(1)
    options.clock = NetworkClock(clock)
    let chosen = options
    let run = Task { () -> ((any Error)?, Duration) in
      do {
        try await NetworkTransport.withLinks(
          study: s.study, partyID: party, identity: s.keys[party], options: chosen
        ) { _ in }
        return (nil, clock.elapsed)
      } catch {
        return (error, clock.elapsed)
      }
    }
    // The connect deadline is waiting (and the dialer, if this party dials, has tried).
    #expect(await clock.waitUntil { $0.count >= (party == 0 ? 2 : 1) })
    await clock.advance(to: .seconds(1), step: .milliseconds(50))
    let (caught, endedAt) = try await withHangGuard { await run.value }
    #expect(endedAt == .seconds(1), "ended at \(endedAt) of the clock")
    let other = 1 - party
    let address = s.study.parties[other].address
    guard
      case NetworkError.peerUnreachable(other, address, let step, 1, let last)? =
        caught as? NetworkError
    else {
      Issue.record("unexpected: \(String(describing: caught))")
      return
    }
    #expect(step == (party == 0 ? RunStep.connect : .awaitLinks))
    if party == 0, let last { #expect(last.lowercased().contains("refused"), "\(last)") }
    #expect(String(describing: caught!).contains("party \(other) at \(address)"))
  }

  /// One flipped bit in an upload frame (frame 5, after hello, ledger head, transcript and
  /// admit; party 0 → party 1, through a proxy): party 1 aborts naming party 0 and the frame;
  /// every party fails; the charge stays (masked data left).
  @Test func flippedBitAbortsTheRun() async throws {
    let s = try NetStudy(label: "flip")
    let proxy = try await TamperProxy.start(
      target: try #require(Int(s.study.parties[1].address.split(separator: ":")[1])),
      tamper: .flipBit(frame: 5))
    let results = try await s.runOverNetwork(
      try NetQueries.query("vector-sum"), label: "flip", chunk: 2,
      options: { i in
        var o = NetStudy.fastOptions
        if i == 0 { o.dialAddresses = [1: "127.0.0.1:\(proxy.port)"] }
        return o
      })
    await proxy.close()
    #expect(throws: NetworkError.frameRejected(peer: 0, frame: 5)) { try results[1].get() }
    #expect(String(describing: results[1].failure!).contains("failed authentication"))
    for r in results { #expect(r.failure != nil) }
    for ledger in s.ledgers { #expect(ledger.entries.map(\.kind) == [.charge, .upload]) }
  }

  /// Frame 1 (hello) sent twice: the copy arrives where frame 2 belongs and is refused.
  @Test func replayedFrameAbortsTheRun() async throws {
    let s = try NetStudy(label: "replay")
    let proxy = try await TamperProxy.start(
      target: try #require(Int(s.study.parties[1].address.split(separator: ":")[1])),
      tamper: .replay(frame: 1))
    let results = try await s.runOverNetwork(
      try NetQueries.query("count"), label: "replay",
      options: { i in
        var o = NetStudy.fastOptions
        if i == 0 { o.dialAddresses = [1: "127.0.0.1:\(proxy.port)"] }
        return o
      })
    await proxy.close()
    #expect(throws: NetworkError.frameRejected(peer: 0, frame: 2)) { try results[1].get() }
    for r in results { #expect(r.failure != nil) }
    // Refused before any upload: party 1 never charged; whoever charged released (ledger.md).
    #expect(s.ledgers[1].entries.isEmpty)
    for ledger in s.ledgers {
      #expect(ledger.spent.signum == 0)
      #expect([[], [.charge, .release]].contains(ledger.entries.map(\.kind)))
    }
  }

  /// Party 1 closes its transport after its first upload chunk: the others fail promptly with
  /// the closed link naming party 1 (not a timeout), and keep the charge.
  @Test func peerDyingMidQueryAborts() async throws {
    let s = try NetStudy(label: "die")
    // Not a timeout: the errors below are the closed link (no wall-clock bound here, which a
    // loaded machine would break; the process tests check how fast aborts arrive).
    let results = try await s.runOverNetwork(
      try NetQueries.query("vector-sum"), label: "die", chunk: 2,
      wrap: { i, transport in
        i == 1 ? DyingTransport(inner: transport) as any PartyTransport : transport
      })
    // Party 0 sees the closed link itself; party 2 either does too or first gets party 0's
    // abort, which carries the same cause.
    guard case TransportError.closed(1, _)? = results[0].failure as? TransportError else {
      Issue.record("party 0: \(String(describing: results[0].failure))")
      return
    }
    for i in [0, 2] {
      let text = String(describing: try #require(results[i].failure))
      #expect(text.contains("the link to party 1 closed"), "party \(i): \(text)")
    }
    for ledger in s.ledgers { #expect(ledger.entries.map(\.kind) == [.charge, .upload]) }
  }
}

/// Closes the real transport when asked to send upload chunk 1 (after chunk 0 went out).
struct DyingTransport: PartyTransport {
  let inner: NetworkTransport
  var partyID: Int { inner.partyID }
  var partyCount: Int { inner.partyCount }
  func send(_ frame: [UInt8], to peer: Int) async throws {
    if case .maskedUpload(let chunk) = try MessageCodec().decode(frame), chunk.chunkIndex >= 1 {
      await inner.close()
      throw TransportError.closed(peer: peer, step: .send)
    }
    try await inner.send(frame, to: peer)
  }
  func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    try await inner.receive(from: peer, timeout: timeout, step: step)
  }
  func pairSecret(with peer: Int) throws -> SecretBytes { try inner.pairSecret(with: peer) }
  func linkSessionID(with peer: Int) throws -> [UInt8] { try inner.linkSessionID(with: peer) }
}

extension Result {
  var failure: Failure? {
    if case .failure(let e) = self { return e }
    return nil
  }
}
