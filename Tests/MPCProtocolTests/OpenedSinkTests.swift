import Foundation
import MPCBigInt
import MPCCrypto
import MPCProtocol
import Synchronization
import Testing
import _MPCTestSupport

/// The runner's streaming sink for opened chunks, and the hello's seeded-noise announcement.
@Suite struct OpenedSinkTests {
  /// Collects what a sink receives (the runner calls it from one task at a time).
  final class Collected: @unchecked Sendable {
    // Invariant: mutated under `lock` only.
    private let lock = NSLock()
    private var chunks: [(Int, [BigInt])] = []
    func add(_ start: Int, _ values: ReleasedComponent.RawValues) {
      lock.withLock { chunks.append((start, (0..<values.count).map { values[$0] })) }
    }
    var all: [(Int, [BigInt])] { lock.withLock { chunks } }
  }

  func vectorQuery(length: Int) throws -> QueryManifest {
    try Fixtures.query([
      "id": "v", "kind": "vector-sum", "length": length, "bounds": [0, 2], "rho": "1",
    ])
  }

  /// Runs `study`'s parties with `configure` applied to each setup.
  func run(
    _ s: Study, _ query: QueryManifest, label: String, chunk: Int = 4,
    transports: ((InMemoryNetwork) -> [any PartyTransport])? = nil,
    configure: @escaping @Sendable (Int, inout PartySetup) -> Void
  ) async throws -> [Result<QueryResult, any Error>] {
    var random = SeededRandom.make("network-\(label)")
    let network = InMemoryNetwork(partyCount: s.n, using: &random)
    let endpoints =
      transports?(network) ?? (0..<s.n).map { network.endpoint($0) as any PartyTransport }
    let inputs = try (0..<s.n).map { try s.input(query, party: $0) }
    return await withTaskGroup(of: (Int, Result<QueryResult, any Error>).self) { group in
      for i in 0..<s.n {
        var setup = PartySetup(
          study: s.study, query: query, input: inputs[i], ledger: s.ledgers[i],
          timeout: .seconds(5), chunkElements: chunk)
        configure(i, &setup)
        let endpoint = endpoints[i]
        group.addTask { [setup] in
          var noise = SeededRandom.make("noise-\(label)-\(i)")
          var session = SeededRandom.make("session-\(label)-\(i)")
          do {
            return (
              i,
              .success(
                try await QueryRunner.run(
                  setup, transport: endpoint, noise: &noise, session: &session))
            )
          } catch {
            return (i, .failure(error))
          }
        }
      }
      var results = [Result<QueryResult, any Error>?](repeating: nil, count: s.n)
      for await (i, r) in group { results[i] = r }
      return results.map { $0! }
    }
  }

  /// The progress events of a run, in order per stage: agreed, admitted, every chunk sent,
  /// every chunk opened up to the whole vector; counts only.
  @Test func progressFollowsTheSteps() async throws {
    final class Events: Sendable {
      let list = Mutex<[RunProgress]>([])
    }
    let s = try Study(n: 3)
    let events = (0..<3).map { _ in Events() }
    let results = try await run(s, try vectorQuery(length: 10), label: "progress", chunk: 3) {
      i, setup in
      setup.progress = { event in events[i].list.withLock { $0.append(event) } }
    }
    for r in results { _ = try r.get() }
    for e in events {
      let list = e.list.withLock { $0 }
      #expect(Array(list.prefix(2)) == [.agreed, .admitted])
      #expect(
        list.filter { if case .sent = $0 { true } else { false } }
          == (1...4).map { .sent(chunks: $0, total: 4, elements: min(10, 3 * $0)) })
      #expect(
        list.filter { if case .opened = $0 { true } else { false } }
          == [3, 6, 9, 10].map { .opened(elements: $0, total: 10) })
      #expect(list.count == 10)
    }
  }

  @Test func sinkSeesEveryChunkInOrderAndTheResultKeepsNothing() async throws {
    let s = try Study(n: 3)
    let query = try vectorQuery(length: 10)
    let sinks = (0..<3).map { _ in Collected() }
    let results = try await run(s, query, label: "sink") { i, setup in
      setup.openedSink = { start, values in sinks[i].add(start, values) }
      setup.keepsOpenedValues = false
    }
    let expected = try s.expectedRaw(query, noiseLabel: "sink")
    for i in 0..<3 {
      let result = try results[i].get()
      let component = try #require(result.components.first)
      #expect(component.raw.count == 0)
      #expect(component.length == 10)
      let chunks = sinks[i].all
      #expect(chunks.map(\.0) == [0, 4, 8])
      #expect(chunks.flatMap(\.1) == expected)
    }
  }

  @Test func sinkAndKeptValuesAgree() async throws {
    let s = try Study(n: 3)
    let query = try vectorQuery(length: 7)
    let sink = Collected()
    let results = try await run(s, query, label: "both") { i, setup in
      if i == 0 { setup.openedSink = { start, values in sink.add(start, values) } }
    }
    let component = try #require(try results[0].get().components.first)
    #expect((0..<component.raw.count).map { component.raw[$0] } == sink.all.flatMap(\.1))
    #expect(component.raw.count == 7)
  }

  @Test func seededNoiseOutsideATestStudyIsRefusedLocally() async throws {
    let s = try Study(n: 3)
    let results = try await run(s, try vectorQuery(length: 3), label: "local") { i, setup in
      if i == 1 { setup.seededNoise = true }
    }
    guard case .failure(let error) = results[1] else {
      Issue.record("party 1 ran with seeded noise in a study that is not a test study")
      return
    }
    #expect("\(error)".contains("test study"))
  }

  /// A hello that announces seeded noise (here set on the wire by the transport, as a party
  /// without the local check would send it) is refused by every peer in a real study.
  @Test func peersRefuseAnnouncedSeededNoiseUnlessTheStudyIsATestStudy() async throws {
    let s = try Study(n: 3)
    let results = try await run(
      s, try vectorQuery(length: 3), label: "peer",
      transports: { network in
        (0..<3).map { i -> any PartyTransport in
          i == 2 ? AnnouncingTransport(inner: network.endpoint(2)) : network.endpoint(i)
        }
      }, configure: { _, _ in })
    for i in 0..<2 {
      guard case .failure(let error) = results[i] else {
        Issue.record("party \(i) accepted a peer's seeded noise in a real study")
        continue
      }
      #expect("\(error)".contains("seeded"))
    }
  }

  @Test func aTestStudyAcceptsSeededNoise() async throws {
    let base = try Study(n: 3)
    let test = try base.study.asTestStudy()
    #expect(test.testStudy && !base.study.testStudy)
    // The flag is part of the study's canonical form: a test study never hashes as a real one.
    #expect(test.canonical != base.study.canonical)
    let s = Study(
      n: 3, study: test,
      ledgers: try (0..<3).map { _ in try BudgetLedger(store: MemoryLedgerStore(), study: test) })
    let results = try await run(s, try vectorQuery(length: 3), label: "test") { _, setup in
      setup.seededNoise = true
    }
    for r in results { _ = try r.get() }
  }

  @Test func helloFlagsAreOptionalAndCanonical() throws {
    let codec = MessageCodec()
    let plain = Hello(
      studyId: "s", partyId: 2, sessionId: [UInt8](repeating: 0x11, count: 16),
      manifestHash: [UInt8](repeating: 0x22, count: 32))
    var seeded = plain
    seeded.seededNoise = true
    let a = try codec.encode(.hello(plain))
    let b = try codec.encode(.hello(seeded))
    #expect(b.count == a.count + 1 && b.last == 0x01)
    #expect(try codec.decode(a) == .hello(plain))
    #expect(try codec.decode(b) == .hello(seeded))
    for bad: UInt8 in [0x00, 0x02, 0x81] {
      var frame = a + [bad]
      frame[4] &+= 1  // body length
      #expect(throws: WireError.self) { try codec.decode(frame) }
    }
  }
}

extension Study {
  init(n: Int, study: StudyManifest, ledgers: [BudgetLedger]) {
    self.n = n
    self.study = study
    self.ledgers = ledgers
  }
}

extension StudyManifest {
  /// This study with `"test_study": true`.
  func asTestStudy() throws -> StudyManifest {
    var object =
      try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any] ?? [:]
    object["test_study"] = true
    return try StudyManifest.decode(Fixtures.json(object), file: "study.json")
  }
}

/// Sets the seeded-noise flag on every hello this party sends.
struct AnnouncingTransport: PartyTransport {
  let inner: InMemoryNetwork.Endpoint
  var partyID: Int { inner.partyID }
  var partyCount: Int { inner.partyCount }
  func send(_ frame: [UInt8], to peer: Int) async throws {
    let codec = MessageCodec()
    if case .hello(var hello) = try codec.decode(frame) {
      hello.seededNoise = true
      try await inner.send(try codec.encode(.hello(hello)), to: peer)
    } else {
      try await inner.send(frame, to: peer)
    }
  }
  func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    try await inner.receive(from: peer, timeout: timeout, step: step)
  }
  func pairSecret(with peer: Int) throws -> SecretBytes { try inner.pairSecret(with: peer) }
  func linkSessionID(with peer: Int) throws -> [UInt8] { try inner.linkSessionID(with: peer) }
}
