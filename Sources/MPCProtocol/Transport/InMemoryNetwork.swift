public import MPCCrypto
import Synchronization

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
    hub = Hub(partyCount: partyCount)
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
    hub.disconnect(party)
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
      try network.hub.put(frame, from: partyID, to: peer)
    }

    public func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
      guard (0..<partyCount).contains(peer), peer != partyID else {
        throw TransportError.unknownPeer(peer: peer)
      }
      let hub = network.hub
      let me = partyID
      return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
        group.addTask { try await hub.take(from: peer, to: me, step: step) }
        group.addTask {
          try await TimerSleep.for(timeout)
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

/// The links: one unbounded ``Mailbox`` per (from, to), so frames from one sender to one peer
/// arrive in order, and the set of disconnected parties.
private final class Hub: Sendable {
  let boxes: [[Mailbox<[UInt8]>]]
  let down = Mutex<Set<Int>>([])

  init(partyCount: Int) {
    boxes = (0..<partyCount).map { _ in
      (0..<partyCount).map { _ in Mailbox<[UInt8]>(capacity: .max) }
    }
  }

  func put(_ frame: [UInt8], from: Int, to: Int) throws {
    let (senderDown, receiverDown) = down.withLock { ($0.contains(from), $0.contains(to)) }
    guard !senderDown else { throw TransportError.closed(peer: to, step: .send) }
    if receiverDown { return }  // a dead peer's mailbox swallows frames, like a closed socket
    // An unbounded mailbox refuses only once closed, which happens only to a dead sender's.
    _ = boxes[from][to].offer(frame)
  }

  func take(from: Int, to: Int, step: RunStep) async throws -> [UInt8] {
    do {
      return try await boxes[from][to].take()
    } catch is MailboxClosed {
      throw TransportError.closed(peer: from, step: step)
    }
  }

  /// Frames `party` sent before are still delivered; then its peers' receives fail as closed.
  func disconnect(_ party: Int) {
    down.withLock { _ = $0.insert(party) }
    for box in boxes[party] { box.close() }
  }
}
