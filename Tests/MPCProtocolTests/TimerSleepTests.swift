import Foundation
import Testing

@testable import MPCProtocol

/// `TimerSleep`: the sleep every receive timeout races against, whose timer is released when
/// the sleep is cancelled (a cancelled `Task.sleep` keeps its timer until its deadline).
///
/// No time limits: beside `make test`'s CPU-heavy suites an async test can wait a minute for a
/// cooperative-pool thread (a 20 ms sleep was measured at 68 s there). A cancellation that did
/// not end a sleep is caught by the elapsed time instead: the sleeps are 300 s, the bound 290 s.
@Suite struct TimerSleepTests {
  static let long = Duration.seconds(300)
  static let bound = Duration.seconds(290)

  @Test func aShortSleepReturnsAfterItsDuration() async throws {
    let start = ContinuousClock.now
    try await TimerSleep.for(.milliseconds(20))
    #expect(ContinuousClock.now - start >= .milliseconds(20))
  }

  @Test func aDeadlineAlreadyPassedReturns() async throws {
    try await TimerSleep.until(ContinuousClock.now - .seconds(1))
  }

  /// A 300 s sleep ends with `CancellationError` when its task is cancelled.
  @Test func cancellationEndsTheSleepAtOnce() async throws {
    let start = ContinuousClock.now
    let sleeping = Task { try await TimerSleep.for(Self.long) }
    try await Task.sleep(for: .milliseconds(20))
    sleeping.cancel()
    let result = await sleeping.result
    #expect(throws: CancellationError.self) { try result.get() }
    #expect(ContinuousClock.now - start < Self.bound, "the cancelled sleep ran to its end")
  }

  @Test func anAlreadyCancelledTaskDoesNotSleep() async throws {
    let start = ContinuousClock.now
    let sleeping = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      try await TimerSleep.for(Self.long)
    }
    let result = await sleeping.result
    #expect(throws: CancellationError.self) { try result.get() }
    #expect(ContinuousClock.now - start < Self.bound, "the cancelled sleep ran to its end")
  }

  /// Sleeps raced and cancelled, as every receive does, each resumed exactly once.
  @Test func racedSleepsResumeOnce() async throws {
    let start = ContinuousClock.now
    for _ in 0..<20 {
      let won = try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask { true }
        group.addTask {
          try await TimerSleep.for(Self.long)
          return false
        }
        defer { group.cancelAll() }
        return try await group.next()!
      }
      #expect(won)
    }
    #expect(ContinuousClock.now - start < Self.bound, "a cancelled sleep ran to its end")
  }
}
