import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol
import Testing
import _MPCTestSupport

/// Noise before any message (`protocols/query.md` §1.2) and session agreement (§2.4).
@Suite struct QueryRunnerAgreementTests {
  /// Every byte of noise is drawn before the party's first message, for both mechanisms: the
  /// noise source has given all it will give by the time `hello` is sent.
  @Test(arguments: ["vector-sum-uniform", "histogram-categories"])
  func noiseIsDrawnBeforeTheFirstMessage(kind: String) async throws {
    let s = try Study(n: 3)
    for mechanism in ["laplace", "gaussian"] {
      var object = Fixtures.kinds[kind]!
      object["mechanism"] = mechanism
      if mechanism == "gaussian" {
        object["epsilon"] = nil
        object["rho"] = "1/10"
      }
      let query = try Fixtures.query(object)
      var random = SeededRandom.make("before-\(kind)-\(mechanism)")
      let network = InMemoryNetwork(partyCount: 3, using: &random)
      let counters = (0..<3).map { _ in ByteCounter() }
      let setups = try (0..<3).map { i in
        PartySetup(
          study: s.study, query: query, input: try s.input(query, party: i),
          ledger: try BudgetLedger(store: MemoryLedgerStore(), study: s.study),
          // Generous: every wait chains behind its peers' waits, and up to 10 parties × 9 queries
          // share 2 loaded cores; failures under test arrive as aborts, not timeouts.
          timeout: .seconds(30), chunkElements: 1)
      }
      let results = await withTaskGroup(of: Result<QueryResult, any Error>.self) { group in
        for i in 0..<3 {
          let setup = setups[i]
          let transport = RecordingTransport(
            inner: network.endpoint(i), recorder: Recorder(), firstSend: counters[i])
          group.addTask {
            var noise = CountingSource(inner: SeededRandom.make("eta-\(i)"), counter: counters[i])
            var session = SeededRandom.make("sid-\(i)")
            do {
              return .success(
                try await QueryRunner.run(
                  setup, transport: transport, noise: &noise, session: &session))
            } catch {
              return .failure(error)
            }
          }
        }
        var all: [Result<QueryResult, any Error>] = []
        for await r in group { all.append(r) }
        return all
      }
      for r in results { _ = try r.get() }
      for (i, counter) in counters.enumerated() {
        let (atFirstSend, total) = counter.snapshot()
        #expect(total > 0, "party \(i) drew no noise")
        #expect(
          atFirstSend == total, "party \(i), \(mechanism): noise drawn after its first message")
      }
    }
  }

  /// A run wipes the noise share its caller drew ahead, in the caller's copy too: no
  /// copy-on-write leaves the secret η_i behind in the setup or the caller.
  @Test func aRunWipesTheCallersNoiseShare() async throws {
    let s = try Study(n: 2)
    let query = try Fixtures.query(Fixtures.kinds["histogram-categories"]!)
    let plan = try RunPlan(study: s.study, query: query)
    var setups: [PartySetup] = []
    var shares: [NoiseShare] = []
    for i in 0..<2 {
      var noise = SeededRandom.make("wipe-\(i)")
      let share = NoiseShare(plan, using: &noise)
      #expect(share.values.contains { $0 != 0 }, "a share of σ > 1 is not all zeros")
      var setup = PartySetup(
        study: s.study, query: query, input: try s.input(query, party: i), ledger: s.ledgers[i])
      setup.noiseShare = share
      setups.append(setup)
      shares.append(share)
    }
    var random = SeededRandom.make("net-wipe")
    let network = InMemoryNetwork(partyCount: 2, using: &random)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for i in 0..<2 {
        let setup = setups[i]
        group.addTask {
          var noise = SeededRandom.make("unused")
          var session = SeededRandom.make("session-wipe-\(i)")
          _ = try await QueryRunner.run(
            setup, transport: network.endpoint(i), noise: &noise, session: &session)
        }
      }
      try await group.waitForAll()
    }
    for (i, share) in shares.enumerated() {
      #expect(share.values.allSatisfy { $0 == 0 }, "party \(i): the caller's share is wiped")
      #expect(setups[i].noiseShare?.values.allSatisfy { $0 == 0 } == true)
    }
  }

  /// A run given a noise share drawn ahead opens the same values; a share of another plan is
  /// refused before anything is sent.
  @Test func noiseShareDrawnAheadIsUsedOnlyForItsPlan() async throws {
    let s = try Study(n: 2)
    let query = try Fixtures.query(Fixtures.kinds["histogram-categories"]!)
    let plan = try RunPlan(study: s.study, query: query)
    var noise = SeededRandom.make("noise-ahead-0")
    let share = NoiseShare(plan, using: &noise)
    #expect(share.values.count == plan.plan.dimension)
    let other = try RunPlan(study: s.study, query: try Fixtures.query(Fixtures.kinds["sum"]!))
    var otherNoise = SeededRandom.make("other")
    var setup = PartySetup(
      study: s.study, query: query, input: try s.input(query, party: 0), ledger: s.ledgers[0])
    setup.noiseShare = NoiseShare(other, using: &otherNoise)
    var random = SeededRandom.make("net")
    let network = InMemoryNetwork(partyCount: 2, using: &random)
    let recorder = Recorder()
    var n = SeededRandom.make("n")
    var session = SeededRandom.make("s")
    await #expect(
      throws: RunError.invalidSetUp(problem: "the given noise share is not this run plan's")
    ) {
      _ = try await QueryRunner.run(
        setup, transport: RecordingTransport(inner: network.endpoint(0), recorder: recorder),
        noise: &n, session: &session)
    }
    #expect(await recorder.sent == 0)
    #expect(s.ledgers[0].entries.isEmpty)
  }

  /// Party 2 sends party 1 another hello contribution than party 0: the honest parties derive
  /// different session ids unless they compare transcripts. They abort at the session check,
  /// before anything is charged or uploaded.
  @Test(arguments: [3, 5])
  func equivocatedHelloAbortsBeforeAnyCharge(n: Int) async throws {
    let s = try Study(n: n)
    let query = try Fixtures.query(Fixtures.kinds["count"]!)
    let recorder = Recorder()
    let results = try await s.run(query, noiseLabel: "equivocate") { network in
      (0..<n).map { i in
        i == n - 1
          ? FaultyTransport(
            inner: network.endpoint(i), fault: .equivocateHello(toPeer: 1), recorder: recorder)
            as any PartyTransport
          : RecordingTransport(inner: network.endpoint(i), recorder: recorder)
      }
    }
    for i in 0..<(n - 1) {
      guard case .failure(let error) = results[i] else {
        Issue.record("honest party \(i) accepted a split session")
        continue
      }
      let text = String(describing: error)
      if i <= 1 {
        // 0 and 1 saw different contributions and compare their transcripts directly.
        guard case RunError.peerMismatch(_, .transcript, _) = error else {
          Issue.record("party \(i): \(text)")
          continue
        }
        #expect(text.contains("other hello contributions"))
        #expect(ReasonCode(for: error) == .sessionMismatch)
      }
    }
    #expect(results[n - 1].isFailure)
    #expect(await recorder.uploads == 0)
    #expect(s.ledgers.allSatisfy { $0.entries.isEmpty })
    #expect(Set(s.ledgers.map(\.head)).count == 1)
  }

  /// The transcript hash is the hash of what a party saw: one changed contribution changes it.
  @Test func transcriptHashCoversEveryContribution() throws {
    let h = [UInt8](repeating: 7, count: 32)
    let c = (0..<3).map { [UInt8](repeating: UInt8($0), count: 16) }
    let t = try QueryRunner.transcriptHash(manifestHash: h, contributions: c)
    for i in 0..<3 {
      var d = c
      d[i][0] ^= 1
      #expect(try QueryRunner.transcriptHash(manifestHash: h, contributions: d) != t)
    }
    var other = h
    other[31] ^= 1
    #expect(try QueryRunner.transcriptHash(manifestHash: other, contributions: c) != t)
  }

  /// The study's `noise` key: decoded, canonical only when present, used by the run plan.
  @Test func studyNoiseKeyIsRecordedAndUsed() throws {
    var object = Fixtures.studyObject(budget: ["rho": "1"])
    let plain = try Fixtures.study(object)
    object["noise"] = ["gaussian_method": "exact", "timing": "variable"]
    let exact = try Fixtures.study(object)
    #expect(exact.noise == StudyNoise(gaussianMethod: .exact, timing: .variable))
    #expect(plain.noise == nil)
    #expect(exact.studyHash != plain.studyHash)
    // Round trip through JSON keeps it.
    let again = try StudyManifest.decode(try JSONEncoder().encode(exact), file: "again")
    #expect(again == exact)
    let query = try Fixtures.query([
      "id": "q", "kind": "count", "mechanism": "gaussian", "rho": "1/10",
    ])
    let sampler = try #require(
      RunPlan(study: exact, query: query).components[0].sampler as? DiscreteGaussianSampler)
    #expect(sampler.method == .exact)
    let table = try #require(
      RunPlan(study: plain, query: query).components[0].sampler as? DiscreteGaussianSampler)
    #expect(table.method == .table)

    object["noise"] = ["gaussian_method": "exact", "timing": "fixed-work"]
    #expect(throws: ManifestError.self) { try Fixtures.study(object) }
    object["noise"] = ["gaussian_method": "table", "timing": "fixed-work", "extra": 1]
    #expect(throws: ManifestError.self) { try Fixtures.study(object) }
  }
}

extension Result {
  var isFailure: Bool {
    if case .failure = self { true } else { false }
  }
}

/// Bytes a noise source gave, in total and when the party first sent a frame.
final class ByteCounter: @unchecked Sendable {
  // Invariant: `total` and `atFirstSend` are read and written only while holding `lock`.
  private let lock = NSLock()
  private var total = 0
  private var atFirstSend: Int?

  func add(_ bytes: Int) { lock.withLock { total += bytes } }
  func firstSend() { lock.withLock { if atFirstSend == nil { atFirstSend = total } } }
  func snapshot() -> (atFirstSend: Int?, total: Int) { lock.withLock { (atFirstSend, total) } }
}

struct CountingSource<Inner: RandomSource>: RandomSource {
  var inner: Inner
  let counter: ByteCounter
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    inner.fill(buffer)
    counter.add(buffer.count)
  }
}
