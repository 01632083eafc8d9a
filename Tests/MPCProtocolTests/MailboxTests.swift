import MPCProtocol
import Testing

/// The mailbox carries the run's pipeline and every link: order, back-pressure, ends and
/// cancellation, each checked directly (no timing: waits are observed through `waiting`).
struct MailboxTests {
  struct Boom: Error, Equatable {}

  /// Yields until `condition` holds (bounded, so a broken mailbox fails instead of hanging).
  func eventually(_ condition: () -> Bool) async {
    for _ in 0..<100_000 where !condition() { await Task.yield() }
    #expect(condition())
  }

  @Test func elementsLeaveInTheOrderTheyWerePut() async throws {
    let box = Mailbox<Int>(capacity: 3)
    let producer = Task {
      for i in 0..<500 { try await box.put(i) }
    }
    var seen: [Int] = []
    for _ in 0..<500 { seen.append(try await box.take()) }
    try await producer.value
    #expect(seen == Array(0..<500))
    #expect(box.count == 0)
  }

  @Test func aFullMailboxMakesThePutterWait() async throws {
    let box = Mailbox<Int>(capacity: 2)
    try await box.put(1)
    try await box.put(2)
    #expect(!box.offer(99), "offer must refuse when full")
    let third = Task { try await box.put(3) }
    await eventually { box.waiting.putters == 1 }
    #expect(box.count == 2, "the waiting element is not queued beyond capacity")
    #expect(try await box.take() == 1)
    try await third.value  // admitted by the take
    #expect(box.waiting.putters == 0)
    #expect(try await box.take() == 2)
    #expect(try await box.take() == 3)
  }

  @Test func waitingPuttersAreServedInArrivalOrder() async throws {
    let box = Mailbox<Int>(capacity: 1)
    try await box.put(0)
    var putters: [Task<Void, any Error>] = []
    for i in 1...5 {
      putters.append(Task { try await box.put(i) })
      await eventually { box.waiting.putters == i }
    }
    var seen: [Int] = []
    for _ in 0...5 { seen.append(try await box.take()) }
    for p in putters { try await p.value }
    #expect(seen == Array(0...5))
  }

  @Test func failureWakesEveryTakerAndPutter() async throws {
    let empty = Mailbox<Int>(capacity: 1)
    let takers = (0..<4).map { _ in Task { try await empty.take() } }
    await eventually { empty.waiting.takers == 4 }
    empty.fail(Boom())
    for t in takers {
      await #expect(throws: Boom.self) { _ = try await t.value }
    }

    let full = Mailbox<Int>(capacity: 1)
    try await full.put(0)
    let putters = (1...3).map { i in Task { try await full.put(i) } }
    await eventually { full.waiting.putters == 3 }
    full.fail(Boom())
    for p in putters {
      await #expect(throws: Boom.self) { try await p.value }
    }
    #expect(full.count == 0, "a failure drops what was queued")
    await #expect(throws: Boom.self) { _ = try await full.take() }
    await #expect(throws: Boom.self) { try await full.put(9) }
  }

  @Test func closeDeliversWhatIsQueuedThenThrows() async throws {
    let box = Mailbox<String>(capacity: 4)
    try await box.put("a")
    try await box.put("b")
    box.close()
    await #expect(throws: MailboxClosed.self) { try await box.put("c") }
    #expect(try await box.take() == "a")
    #expect(try await box.take() == "b")
    await #expect(throws: MailboxClosed.self) { _ = try await box.take() }

    let withError = Mailbox<String>(capacity: 1)
    let waiting = Task { try await withError.take() }
    await eventually { withError.waiting.takers == 1 }
    withError.close(throwing: Boom())
    await #expect(throws: Boom.self) { _ = try await waiting.value }
    withError.fail(MailboxClosed())  // the first end wins
    await #expect(throws: Boom.self) { _ = try await withError.take() }
  }

  @Test func aCancelledTakerLeavesTheMailboxAsItWas() async throws {
    let box = Mailbox<Int>(capacity: 2)
    let cancelled = Task { try await box.take() }
    await eventually { box.waiting.takers == 1 }
    cancelled.cancel()
    await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
    #expect(box.waiting.takers == 0)
    // The next element goes to the next taker, not to the cancelled one.
    try await box.put(7)
    #expect(try await box.take() == 7)
  }

  @Test func aCancelledPutterQueuesNothing() async throws {
    let box = Mailbox<Int>(capacity: 1)
    try await box.put(1)
    let cancelled = Task { try await box.put(2) }
    await eventually { box.waiting.putters == 1 }
    cancelled.cancel()
    await #expect(throws: CancellationError.self) { try await cancelled.value }
    #expect(try await box.take() == 1)
    #expect(box.count == 0, "the cancelled put's element must not arrive")
    #expect(box.offer(3))
    #expect(try await box.take() == 3)
  }

  @Test func anAlreadyCancelledTaskDoesNotWait() async throws {
    let box = Mailbox<Int>(capacity: 1)
    let task = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      return try await box.take()
    }
    await #expect(throws: CancellationError.self) { _ = try await task.value }
    #expect(box.waiting.takers == 0)
  }

  @Test func manyProducersAndConsumersLoseAndDuplicateNothing() async throws {
    let box = Mailbox<Int>(capacity: 4)
    let producers = 4
    let perProducer = 2_000
    try await withThrowingTaskGroup(of: [Int].self) { group in
      for p in 0..<producers {
        group.addTask {
          for i in 0..<perProducer { try await box.put(p * perProducer + i) }
          return []
        }
      }
      for _ in 0..<2 {
        group.addTask {
          var got: [Int] = []
          for _ in 0..<(producers * perProducer / 2) { got.append(try await box.take()) }
          return got
        }
      }
      var all: [[Int]] = []
      for try await part in group where !part.isEmpty { all.append(part) }
      #expect(all.flatMap { $0 }.sorted() == Array(0..<(producers * perProducer)))
      // Each consumer sees each producer's elements in the order they were put.
      for part in all {
        for p in 0..<producers {
          let mine = part.filter { $0 / perProducer == p }
          #expect(mine == mine.sorted())
        }
      }
    }
  }

  @Test func anUnboundedMailboxNeverMakesAPutterWait() async throws {
    let box = Mailbox<Int>(capacity: .max)
    for i in 0..<10_000 { #expect(box.offer(i)) }
    #expect(box.count == 10_000)
    for i in 0..<10_000 { #expect(try await box.take() == i) }
  }
}
