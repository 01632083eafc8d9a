public import MPCCrypto

/// n parties in one process: per-link FIFO mailboxes, pair secrets from a random source.
/// For tests and for embedding developers who simulate a study (README).
public final class InMemoryNetwork: Sendable {
  /// Number of parties.
  public let partyCount: Int
  private let hub: Hub
  // Invariant: written only in `init`; read-only afterwards.
  private let secrets: [[SecretBytes?]]
  private let linkIDs: [[[UInt8]]]

  /// A network of `partyCount` parties; pair secrets and link ids drawn from `random`.
  public init(partyCount: Int, using random: inout some RandomSource) {
    self.partyCount = partyCount
    hub = Hub()
    var s = [[SecretBytes?]](
      repeating: [SecretBytes?](repeating: nil, count: partyCount), count: partyCount)
    var ids = [[[UInt8]]](repeating: [[UInt8]](repeating: [], count: partyCount), count: partyCount)
    for i in 0..<partyCount {
      for j in (i + 1)..<max(partyCount, i + 1) {
        let secret = SecretBytes(randomCount: 32, using: &random)
        s[i][j] = secret
        s[j][i] = secret
        let id = random.bytes(count: 16)
        ids[i][j] = id
        ids[j][i] = id
      }
    }
    secrets = s
    linkIDs = ids
  }

  /// The transport endpoint of party `id`.
  public func endpoint(_ id: Int) -> Endpoint {
    precondition((0..<partyCount).contains(id), "party id out of range")
    return Endpoint(network: self, partyID: id)
  }

  /// Closes every link of `party` (simulates a crash): its peers' receives fail at once.
  public func disconnect(_ party: Int) async {
    await hub.disconnect(party)
  }

  /// One party's view of the network.
  public struct Endpoint: PartyTransport {
    let network: InMemoryNetwork
    public let partyID: Int
    public var partyCount: Int { network.partyCount }

    public func send(_ frame: [UInt8], to peer: Int) async throws {
      guard (0..<partyCount).contains(peer), peer != partyID else {
        throw TransportError.unknownPeer(peer: peer)
      }
      try await network.hub.put(frame, from: partyID, to: peer)
    }

    public func receive(from peer: Int, timeout: Duration, step: String) async throws -> [UInt8] {
      guard (0..<partyCount).contains(peer), peer != partyID else {
        throw TransportError.unknownPeer(peer: peer)
      }
      let hub = network.hub
      let me = partyID
      return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
        group.addTask { try await hub.take(from: peer, to: me, step: step) }
        group.addTask {
          try await Task.sleep(for: timeout)
          return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let frame = first else {
          let (s, atto) = timeout.components
          throw TransportError.timeout(
            peer: peer, step: step, seconds: Double(s) + Double(atto) / 1e18)
        }
        return frame
      }
    }

    public func pairSecret(with peer: Int) throws -> SecretBytes {
      guard (0..<partyCount).contains(peer), let s = network.secrets[partyID][peer] else {
        throw TransportError.unknownPeer(peer: peer)
      }
      return s
    }

    public func linkSessionID(with peer: Int) throws -> [UInt8] {
      guard (0..<partyCount).contains(peer), peer != partyID else {
        throw TransportError.unknownPeer(peer: peer)
      }
      return network.linkIDs[partyID][peer]
    }
  }
}

/// The mailboxes: FIFO per (from, to), with at most one waiting receiver per link.
private actor Hub {
  struct Link: Hashable {
    var from: Int
    var to: Int
  }
  var queues: [Link: [[UInt8]]] = [:]
  var waiters: [Link: CheckedContinuation<[UInt8], any Error>] = [:]
  var waiterSteps: [Link: String] = [:]
  var down: Set<Int> = []

  func put(_ frame: [UInt8], from: Int, to: Int) throws {
    let link = Link(from: from, to: to)
    guard !down.contains(from) else { throw TransportError.closed(peer: to, step: "send") }
    if down.contains(to) { return }  // a dead peer's mailbox swallows frames, like a closed socket
    if let waiter = waiters.removeValue(forKey: link) {
      waiterSteps[link] = nil
      waiter.resume(returning: frame)
    } else {
      queues[link, default: []].append(frame)
    }
  }

  func take(from: Int, to: Int, step: String) async throws -> [UInt8] {
    let link = Link(from: from, to: to)
    if var q = queues[link], !q.isEmpty {
      let frame = q.removeFirst()
      queues[link] = q
      return frame
    }
    if down.contains(from) { throw TransportError.closed(peer: from, step: step) }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        waiters[link] = continuation
        waiterSteps[link] = step
      }
    } onCancel: {
      Task { await self.cancel(link) }
    }
  }

  func cancel(_ link: Link) {
    if let waiter = waiters.removeValue(forKey: link) {
      waiterSteps[link] = nil
      waiter.resume(throwing: CancellationError())
    }
  }

  func disconnect(_ party: Int) {
    down.insert(party)
    for (link, waiter) in waiters where link.from == party {
      waiters[link] = nil
      waiter.resume(
        throwing: TransportError.closed(peer: party, step: waiterSteps[link] ?? "a message"))
      waiterSteps[link] = nil
    }
  }
}
