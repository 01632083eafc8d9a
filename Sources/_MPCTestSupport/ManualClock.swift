import Foundation
import Synchronization

/// A clock the test moves by hand: `now` stands still until ``advance(to:)``; a sleeper
/// returns once the clock reached its deadline (or throws `CancellationError` when its task is
/// cancelled). Deadline tests run on it so that what they check (who gives up when, naming
/// what) holds however loaded the machine is.
package final class ManualClock: Sendable {
  private struct Sleeper {
    var deadline: ContinuousClock.Instant
    var continuation: CheckedContinuation<Void, any Error>
  }
  private struct State {
    var offset: Duration = .zero
    var nextID = 0
    var sleepers: [Int: Sleeper] = [:]
    var cancelled: Set<Int> = []
  }

  /// The instant the clock starts at (a real instant, so durations mix with real ones).
  package let origin = ContinuousClock.now
  private let state = Mutex(State())

  package init() {}

  package func now() -> ContinuousClock.Instant {
    origin + state.withLock { $0.offset }
  }

  /// How far the clock has been moved.
  package var elapsed: Duration { state.withLock { $0.offset } }

  package func sleep(until deadline: ContinuousClock.Instant) async throws {
    let id = state.withLock { s in
      defer { s.nextID += 1 }
      return s.nextID
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        enum Action { case resume, cancel, wait }
        let action: Action = state.withLock { s in
          if s.cancelled.remove(id) != nil { return .cancel }
          if origin + s.offset >= deadline { return .resume }
          s.sleepers[id] = Sleeper(deadline: deadline, continuation: c)
          return .wait
        }
        switch action {
        case .resume: c.resume()
        case .cancel: c.resume(throwing: CancellationError())
        case .wait: break
        }
      }
    } onCancel: {
      let sleeper: Sleeper? = state.withLock { s in
        guard let sleeper = s.sleepers.removeValue(forKey: id) else {
          s.cancelled.insert(id)
          return nil
        }
        return sleeper
      }
      sleeper?.continuation.resume(throwing: CancellationError())
    }
    // A sleeper cancelled after it was resumed leaves its id behind: harmless.
  }

  /// The deadlines of the sleepers waiting now, earliest first.
  package var waiting: [ContinuousClock.Instant] {
    state.withLock { $0.sleepers.values.map(\.deadline).sorted() }
  }

  /// Moves the clock to `origin + offset` (never back) and wakes every sleeper due by then.
  package func advance(to offset: Duration) {
    let due: [Sleeper] = state.withLock { s in
      s.offset = max(s.offset, offset)
      let now = origin + s.offset
      let ids = s.sleepers.filter { $0.value.deadline <= now }.map(\.key)
      return ids.compactMap { s.sleepers.removeValue(forKey: $0) }
    }
    for sleeper in due { sleeper.continuation.resume() }
  }

  /// Moves the clock to `origin + offset` in steps of `step`, letting the woken tasks run
  /// (a millisecond of real time) after each.
  package func advance(to offset: Duration, step: Duration) async {
    while elapsed < offset {
      advance(to: min(offset, elapsed + step))
      try? await Task.sleep(for: .milliseconds(1))
    }
  }

  /// Waits (in real time, polling) until `condition` holds for the deadlines of the sleepers
  /// waiting; false if it did not within `limit`.
  package func waitUntil(
    limit: Duration = .seconds(120), _ condition: ([ContinuousClock.Instant]) -> Bool
  ) async -> Bool {
    let end = ContinuousClock.now + limit
    while ContinuousClock.now < end {
      if condition(waiting) { return true }
      try? await Task.sleep(for: .milliseconds(5))
    }
    return false
  }
}
