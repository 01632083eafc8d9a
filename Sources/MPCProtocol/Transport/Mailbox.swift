import Synchronization

/// A bounded first-in first-out hand-over between tasks: the one queue type that carries the
/// run's pipeline (chunks between its stages), the in-memory network's links and the network
/// links' inboxes.
///
/// - ``put(_:)`` waits while `capacity` elements are queued (back-pressure); waiting putters are
///   served in the order they arrived, so elements leave in the order they were put.
/// - ``take()`` waits until an element is there; waiting takers are served in arrival order.
/// - ``close(throwing:)`` ends the mailbox gracefully: queued elements are still delivered, then
///   every take throws the given error (or ``MailboxClosed``); puts throw at once.
/// - ``fail(_:)`` ends it at once: queued elements are dropped and every waiter, taker or putter,
///   wakes with the error.
/// - A waiting `put` or `take` whose task is cancelled throws `CancellationError` and leaves the
///   mailbox as it was (a cancelled put's element is not queued).
///
/// The first end wins: after `close` or `fail`, later calls of either change nothing.
/// `Sendable` because all state is behind one `Mutex`; continuations are resumed after the lock
/// is released.
public final class Mailbox<Element: Sendable>: Sendable {
  /// Largest number of queued elements (`Int.max`: unbounded, `put` never waits).
  public let capacity: Int
  private let state: Mutex<State>

  private struct Putter {
    var id: UInt64
    var element: Element
    var continuation: CheckedContinuation<Void, any Error>
  }

  private struct Taker {
    var id: UInt64
    var continuation: CheckedContinuation<Element, any Error>
  }

  private struct State {
    /// Queued elements from `head` on; a taken slot is cleared at once (below `head` every
    /// slot is nil), so a taken element is not kept alive until the next compaction: with
    /// 512 KiB chunks that was up to 64 dead chunks per mailbox.
    var items: [Element?] = []
    var head = 0
    var takers: [Taker] = []
    var putters: [Putter] = []
    var nextID: UInt64 = 0
    /// Set once the mailbox is closed or failed: the error later takes (after the queue
    /// drains) and puts throw.
    var end: (any Error)?

    var count: Int { items.count - head }

    mutating func popFirst() -> Element {
      // Not nil: `head` < `items.count` is a queued element.
      let element = items[head].take()!
      head += 1
      if head >= 64 && head * 2 >= items.count {
        items.removeFirst(head)
        head = 0
      }
      return element
    }

    mutating func removeAll() {
      items = []
      head = 0
    }
  }

  /// A mailbox holding at most `capacity` (≥ 1) queued elements.
  public init(capacity: Int) {
    precondition(capacity >= 1, "a mailbox holds at least one element")
    self.capacity = capacity
    self.state = Mutex(State())
  }

  /// Number of queued elements (not counting waiting putters).
  public var count: Int { state.withLock { $0.count } }

  /// Tasks waiting now: takers on an empty mailbox, putters on a full one.
  public var waiting: (takers: Int, putters: Int) {
    state.withLock { ($0.takers.count, $0.putters.count) }
  }

  /// The error the mailbox ended with, or nil while it is open.
  public var endError: (any Error)? { state.withLock { $0.end } }

  private enum PutNow {
    case handed(CheckedContinuation<Element, any Error>)
    case queued
    case ended(any Error)
    case full
  }

  private enum TakeNow {
    case element(Element, admitted: CheckedContinuation<Void, any Error>?)
    case ended(any Error)
    case empty
  }

  /// What a put can do at once, under the lock.
  private func putNow(_ element: Element, _ s: inout State) -> PutNow {
    if let end = s.end { return .ended(end) }
    if !s.takers.isEmpty { return .handed(s.takers.removeFirst().continuation) }
    if s.count < capacity && s.putters.isEmpty {
      s.items.append(element)
      return .queued
    }
    return .full
  }

  /// What a take can do at once, under the lock. Taking frees a place: the first waiting
  /// putter's element moves into the queue and its continuation is returned, to be resumed
  /// once the lock is released.
  private func takeNow(_ s: inout State) -> TakeNow {
    if s.count > 0 {
      let element = s.popFirst()
      var admitted: CheckedContinuation<Void, any Error>?
      if !s.putters.isEmpty {
        let putter = s.putters.removeFirst()
        s.items.append(putter.element)
        admitted = putter.continuation
      }
      return .element(element, admitted: admitted)
    }
    if let end = s.end { return .ended(end) }
    return .empty
  }

  private func newID() -> UInt64 {
    state.withLock { s in
      defer { s.nextID += 1 }
      return s.nextID
    }
  }

  /// Puts `element` at the end, waiting while the mailbox is full. Throws the end error if the
  /// mailbox is (or becomes, while waiting) closed or failed, and `CancellationError` if the
  /// task is cancelled while waiting.
  public func put(_ element: Element) async throws {
    switch state.withLock({ putNow(element, &$0) }) {
    case .handed(let taker): return taker.resume(returning: element)
    case .queued: return
    case .ended(let error): throw error
    case .full: break
    }
    let id = newID()
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Void, any Error>) in
        // Look again under the lock: a place may have freed since, or the task been cancelled
        // before the cancellation handler could find this putter.
        let now = state.withLock { s -> PutNow in
          if s.end == nil && Task.isCancelled { return .ended(CancellationError()) }
          let now = putNow(element, &s)
          if case .full = now {
            s.putters.append(Putter(id: id, element: element, continuation: continuation))
          }
          return now
        }
        switch now {
        case .handed(let taker):
          taker.resume(returning: element)
          continuation.resume()
        case .queued: continuation.resume()
        case .ended(let error): continuation.resume(throwing: error)
        case .full: break
        }
      }
    } onCancel: {
      let putter = state.withLock { s -> Putter? in
        guard let i = s.putters.firstIndex(where: { $0.id == id }) else { return nil }
        return s.putters.remove(at: i)
      }
      putter?.continuation.resume(throwing: CancellationError())
    }
  }

  /// Removes and returns the first element, waiting until there is one. After a close, queued
  /// elements are still returned, then the close error is thrown; after a failure the failure
  /// is thrown at once. Throws `CancellationError` if the task is cancelled while waiting.
  public func take() async throws -> Element {
    switch state.withLock({ takeNow(&$0) }) {
    case .element(let element, let admitted):
      admitted?.resume()
      return element
    case .ended(let error): throw error
    case .empty: break
    }
    try Task.checkCancellation()
    let id = newID()
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Element, any Error>) in
        let now = state.withLock { s -> TakeNow in
          let now = takeNow(&s)
          guard case .empty = now else { return now }
          if Task.isCancelled { return .ended(CancellationError()) }
          s.takers.append(Taker(id: id, continuation: continuation))
          return .empty
        }
        switch now {
        case .element(let element, let admitted):
          admitted?.resume()
          continuation.resume(returning: element)
        case .ended(let error): continuation.resume(throwing: error)
        case .empty: break
        }
      }
    } onCancel: {
      let taker = state.withLock { s -> Taker? in
        guard let i = s.takers.firstIndex(where: { $0.id == id }) else { return nil }
        return s.takers.remove(at: i)
      }
      taker?.continuation.resume(throwing: CancellationError())
    }
  }

  /// Puts `element` without waiting: false (and nothing queued) if the mailbox is full or has
  /// ended. For callers that must not suspend.
  public func offer(_ element: Element) -> Bool {
    switch state.withLock({ putNow(element, &$0) }) {
    case .handed(let taker):
      taker.resume(returning: element)
      return true
    case .queued: return true
    case .ended, .full: return false
    }
  }

  /// Ends the mailbox gracefully: no more puts (waiting putters throw `error`); queued elements
  /// are still taken, then takes throw `error` (``MailboxClosed`` when nil).
  public func close(throwing error: (any Error)? = nil) {
    end(error ?? MailboxClosed(), dropQueued: false)
  }

  /// Ends the mailbox at once: queued elements are dropped and every waiting taker and putter,
  /// and every later call, throws `error`.
  public func fail(_ error: any Error) {
    end(error, dropQueued: true)
  }

  private func end(_ error: any Error, dropQueued: Bool) {
    let (takers, putters): ([Taker], [Putter]) = state.withLock { s in
      guard s.end == nil else { return ([], []) }
      s.end = error
      if dropQueued { s.removeAll() }
      // Takers wait only when nothing is queued, so all of them are woken either way.
      defer {
        s.takers = []
        s.putters = []
      }
      return (s.takers, s.putters)
    }
    for t in takers { t.continuation.resume(throwing: error) }
    for p in putters { p.continuation.resume(throwing: error) }
  }
}

/// Thrown by a ``Mailbox`` closed without an error of its own.
public struct MailboxClosed: Error, Equatable, Sendable, CustomStringConvertible {
  public init() {}
  public var description: String { "the mailbox is closed" }
}
