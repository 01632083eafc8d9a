import Foundation
import Testing

@testable import MPCProtocol

/// `TimerSleep`: the sleep every receive timeout races against, whose timer is released when
/// the sleep is cancelled (a cancelled `Task.sleep` keeps its timer until its deadline).
@Suite struct TimerSleepTests {
  @Test func aShortSleepReturnsAfterItsDuration() async throws {
    let start = ContinuousClock.now
    try await TimerSleep.for(.milliseconds(20))
    #expect(ContinuousClock.now - start >= .milliseconds(20))
  }

  /// A 10-minute sleep ends with `CancellationError` when its task is cancelled: the test's
  /// time limit fails it if cancellation had to wait for the timer.
  @Test(.timeLimit(.minutes(1))) func cancellationEndsTheSleepAtOnce() async throws {
    let sleeping = Task { try await TimerSleep.for(.seconds(600)) }
    try await Task.sleep(for: .milliseconds(20))
    sleeping.cancel()
    let result = await sleeping.result
    #expect(throws: CancellationError.self) { try result.get() }
  }

  @Test(.timeLimit(.minutes(1))) func anAlreadyCancelledTaskDoesNotSleep() async throws {
    let sleeping = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      try await TimerSleep.for(.seconds(600))
    }
    let result = await sleeping.result
    #expect(throws: CancellationError.self) { try result.get() }
  }

  /// Sleeps raced and cancelled, as every receive does, each resumed exactly once (20 rounds:
  /// beside the CPU-heavy suites of `make test` one round can take most of a second to be
  /// scheduled; a sleep cancellation did not end would take its 600 s).
  @Test(.timeLimit(.minutes(1))) func racedSleepsResumeOnce() async throws {
    for _ in 0..<20 {
      let won = try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask { true }
        group.addTask {
          try await TimerSleep.for(.seconds(600))
          return false
        }
        defer { group.cancelAll() }
        return try await group.next()!
      }
      #expect(won)
    }
  }
}
