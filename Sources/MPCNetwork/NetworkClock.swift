import MPCProtocol
import Synchronization

/// The time every deadline of the network layer is measured on: the continuous clock in a run;
/// a clock the test moves by hand in the deadline tests, so that what they check (who gives up
/// when, naming what) does not depend on how loaded the machine is.
///
/// Only the waits of this layer follow it: the connect deadline, each handshake's deadline,
/// the pause between dial attempts, a receive's timeout and a link's close. The kernel's own
/// TCP connect timeout stays on real time (it is bounded by the remaining deadline when the
/// attempt starts).
package struct NetworkClock: Sendable {
  /// The current instant.
  package let now: @Sendable () -> ContinuousClock.Instant
  /// Returns at `deadline` (or throws `CancellationError` if the task is cancelled first).
  package let sleepUntil: @Sendable (ContinuousClock.Instant) async throws -> Void

  package init(
    now: @escaping @Sendable () -> ContinuousClock.Instant,
    sleepUntil: @escaping @Sendable (ContinuousClock.Instant) async throws -> Void
  ) {
    self.now = now
    self.sleepUntil = sleepUntil
  }

  /// Real time (a sleep whose timer is freed as soon as it is cancelled: ``TimerSleep``).
  package static let continuous = NetworkClock(
    now: { ContinuousClock.now },
    sleepUntil: { try await TimerSleep.until($0) })

  /// Runs `operation` until `deadline`; nil if the deadline came first (the operation is then
  /// cancelled and awaited).
  package func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws -> T
  ) async throws -> T? {
    let sleepUntil = sleepUntil
    return try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await operation() }
      group.addTask {
        try await sleepUntil(deadline)
        return nil
      }
      defer { group.cancelAll() }
      // Cannot be nil: the group has two tasks.
      return try await group.next()!
    }
  }
}

/// A one-time signal that a task waits for whether or not it is cancelled (the wait is for
/// something that is already sure to happen soon, and must be seen before going on).
final class Latch: Sendable {
  private struct State {
    var isSet = false
    var waiters: [CheckedContinuation<Void, Never>] = []
  }
  private let state = Mutex(State())

  /// Sets the latch (again: no effect) and wakes every waiter.
  func signal() {
    let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
      if s.isSet { return [] }
      s.isSet = true
      defer { s.waiters = [] }
      return s.waiters
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Returns once the latch is set.
  func wait() async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
      let now: Bool = state.withLock { s in
        if s.isSet { return true }
        s.waiters.append(c)
        return false
      }
      if now { c.resume() }
    }
  }
}
