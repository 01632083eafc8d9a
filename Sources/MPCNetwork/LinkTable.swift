import MPCProtocol
import NIOCore
import Synchronization

/// The links of one party while they come up: the link kept for each peer and the last
/// failure seen for each peer that has none yet. The dialers and the listener's connections
/// record into it; ``waitUntilSettled(deadline:)`` waits for it (woken through a ``Mailbox``).
final class LinkTable: Sendable {
  /// What a definitive failure (another key or study proved inside the authenticated preface)
  /// does: a run aborts its connect; the doctor records it and stops waiting for that peer.
  enum Policy: Sendable {
    case run
    case doctor
  }

  struct State {
    var links: [Int: Link] = [:]
    /// The last failure of the network layer's own for each peer without a link.
    var failures: [Int: NetworkError] = [:]
    /// What the last attempt with each peer without a link ended with (any failure, as text).
    var lastAttempt: [Int: String] = [:]
    /// The first failure that aborts a run's connect.
    var fatal: NetworkError?
    var isClosed = false
  }

  let factory: LinkFactory
  let policy: Policy
  /// Every peer of this party.
  let expected: Set<Int>
  private let state = Mutex(State())
  /// Holds one wake-up while something changed that the waiter has not looked at yet.
  private let changed = Mailbox<Void>(capacity: 1)

  init(factory: LinkFactory, policy: Policy) {
    self.factory = factory
    self.policy = policy
    expected = Set((0..<factory.partyCount).filter { $0 != factory.me })
  }

  /// Keeps a link; false (refused) for an unexpected or duplicate peer or after ``close()``.
  func register(_ link: Link) -> Bool {
    let kept = state.withLock { s in
      guard !s.isClosed, expected.contains(link.peer) else { return false }
      if let existing = s.links[link.peer], existing.channel.isActive { return false }
      s.links[link.peer] = link
      s.failures[link.peer] = nil
      s.lastAttempt[link.peer] = nil
      return true
    }
    if kept {
      _ = changed.offer(())
      factory.options.linkUp?(link.peer)
    }
    return kept
  }

  /// Records why an attempt with `peer` failed; a definitive failure settles the peer (doctor)
  /// or aborts the connect (run), wrapped with the address and `step`.
  func recordFailure(_ error: NetworkError, peer: Int, step: RunStep) {
    let address =
      peer > factory.me ? factory.dialAddress(peer) : factory.study.parties[peer].address
    state.withLock { s in
      guard !s.isClosed, expected.contains(peer), s.links[peer] == nil else { return }
      s.failures[peer] = error
      s.lastAttempt[peer] = error.description
      if error.isDefinitive && policy == .run && s.fatal == nil {
        s.fatal = .link(peer: peer, address: address, step: step, error: error)
      }
    }
    _ = changed.offer(())
  }

  /// Whether a failure is recorded for `peer`.
  func hasFailure(peer: Int) -> Bool {
    state.withLock { $0.lastAttempt[peer] != nil }
  }

  /// Records why a dial attempt failed outside the network layer (refused, reset, unreachable).
  func recordAttempt(peer: Int, failure: String) {
    state.withLock { s in
      guard !s.isClosed, s.links[peer] == nil else { return }
      s.lastAttempt[peer] = failure
    }
  }

  /// Every peer has a link or a definitive failure. A run with a definitive failure still
  /// waits for the other peers, so that each of them sees the mismatch itself and stops at
  /// once, instead of waiting for a party that has already given up.
  private func settled(_ s: State) -> Bool {
    expected.allSatisfy { s.links[$0] != nil || s.failures[$0]?.isDefinitive == true }
  }

  /// Waits until settled or `deadline`. A run throws its fatal failure, or at the deadline a
  /// ``NetworkError/peerUnreachable(peer:address:step:seconds:lastError:)`` naming the first
  /// peer without a link and its last failure; the doctor never throws.
  func waitUntilSettled(deadline: ContinuousClock.Instant) async throws {
    let changed = changed
    while !state.withLock({ settled($0) }) {
      let woken: Void? = try await factory.options.clock.withDeadline(deadline) {
        try await changed.take()
      }
      if woken == nil { break }
    }
    let s = state.withLock { $0 }
    if let fatal = s.fatal { throw fatal }
    guard policy == .run, let missing = expected.sorted().first(where: { s.links[$0] == nil })
    else { return }
    let dialed = missing > factory.me
    throw NetworkError.peerUnreachable(
      peer: missing,
      address: dialed ? factory.dialAddress(missing) : factory.study.parties[missing].address,
      step: dialed ? .connect : .awaitLinks, seconds: factory.options.connectDeadline.seconds,
      lastError: s.lastAttempt[missing])
  }

  /// Stops taking links; returns what was recorded.
  func close() -> State {
    state.withLock { s in
      s.isClosed = true
      return s
    }
  }
}
