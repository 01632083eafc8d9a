import Dispatch
import Synchronization

/// A sleep whose timer is released the moment its task is cancelled.
///
/// Every receive races its frame against a timeout; the frame almost always wins, and the
/// timeout's sleep is cancelled. A cancelled `Task.sleep` keeps its job and timer registered
/// until its deadline on this runtime (swiftlang/swift#60441), so with 60 s timeouts a process
/// running queries back to back held about 14 KB per query for a minute (the soak test of
/// issue 18). This sleep is a `DispatchSourceTimer` that cancellation cancels (and frees) at once.
package enum TimerSleep {
  /// Returns at `deadline`, or throws `CancellationError` as soon as the task is cancelled.
  package static func until(_ deadline: ContinuousClock.Instant) async throws {
    let sleeper = Sleeper()
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        sleeper.start(c, after: deadline - ContinuousClock.now)
      }
    } onCancel: {
      sleeper.stop(throwing: CancellationError())
    }
  }

  /// Returns after `duration` (see ``until(_:)``).
  package static func `for`(_ duration: Duration) async throws {
    try await until(ContinuousClock.now + duration)
  }

  /// One sleep: its continuation and timer, resumed exactly once (by the timer or by
  /// cancellation, whichever comes first).
  final class Sleeper: Sendable {
    struct State {
      var continuation: CheckedContinuation<Void, any Error>?
      var timer: (any DispatchSourceTimer)?
      var stopped: (any Error)?
    }
    let state = Mutex(State())

    func start(_ c: CheckedContinuation<Void, any Error>, after delay: Duration) {
      // A deadline already passed fires at once.
      let (seconds, attoseconds) = max(delay, .zero).components
      let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
      let total =
        nanoseconds.overflow ? Int64.max : nanoseconds.partialValue + attoseconds / 1_000_000_000
      let stoppedAlready: (any Error)? = state.withLock { s in
        if let stopped = s.stopped { return stopped }
        s.continuation = c
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.setEventHandler { [self] in stop(throwing: nil) }
        timer.schedule(deadline: .now() + .nanoseconds(Int(clamping: total)))
        timer.resume()
        s.timer = timer
        return nil
      }
      if let stoppedAlready { c.resume(throwing: stoppedAlready) }
    }

    /// Resumes the sleeper: normally (`error` nil, the timer fired) or with `error`.
    func stop(throwing error: (any Error)?) {
      let continuation = state.withLock { s in
        if s.stopped == nil { s.stopped = error ?? CancellationError() }
        s.timer?.cancel()
        s.timer = nil
        defer { s.continuation = nil }
        return s.continuation
      }
      if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
  }
}
