import Foundation
import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy
import MPCProtocol
import Testing
import _MPCTestSupport

/// n in-memory parties running one query end to end.
struct Study {
  let n: Int
  let study: StudyManifest
  let ledgers: [BudgetLedger]

  init(n: Int, budget: [String: Any] = ["rho": "10"], neighbour: String = "add-remove") throws {
    self.n = n
    var object = Fixtures.studyObject(budget: budget)
    object["parties"] = (0..<n).map {
      [
        "id": $0, "name": "site \($0)", "address": "127.0.0.1:\(7400 + $0)",
        "public_key": Hex.encode([UInt8](repeating: UInt8($0 + 1), count: 32)),
      ] as [String: Any]
    }
    object["colluders"] = max(1, n / 3)
    object["neighbour"] = neighbour
    study = try Fixtures.study(object)
    ledgers = try (0..<n).map { _ in
      try BudgetLedger(store: MemoryLedgerStore(), study: try Fixtures.study(object))
    }
  }

  /// Party i's rows: age = 20 + 3i + r, ward cycles icu/er/gp/xx, x = r − 5.
  static func csv(party i: Int, rows: Int = 12) -> [UInt8] {
    var text = "age,ward,x\n"
    let wards = ["icu", "er", "gp", "xx"]
    for r in 0..<rows { text += "\(20 + 3 * i + r),\(wards[(i + r) % 4]),\(r - 5)\n" }
    return Array(text.utf8)
  }

  func input(_ query: QueryManifest, party i: Int) throws -> LocalVector {
    if case .vectorSum(let m, _) = query.kind {
      let text = (0..<m).map { "\((i + $0) % 3)" }.joined(separator: "\n") + "\n"
      return try LocalData.loadVector(
        query: query, bytes: Array(text.utf8), file: "party\(i).txt", format: .text)
    }
    return try LocalData.load(query: query, csv: Study.csv(party: i), file: "party\(i).csv")
  }

  /// Runs every party concurrently; `noiseSeed` nil uses fresh (seeded per run) noise.
  func run(
    _ query: QueryManifest, noiseLabel: String, chunk: Int = 3,
    transports: ((InMemoryNetwork) -> [any PartyTransport])? = nil,
    inputs: [LocalVector]? = nil, queries: [QueryManifest]? = nil, runPlans: [RunPlan]? = nil,
    ledgers: [BudgetLedger]? = nil
  ) async throws -> [Result<QueryResult, any Error>] {
    let ledgers = ledgers ?? self.ledgers
    var random = SeededRandom.make("network-\(noiseLabel)")
    let network = InMemoryNetwork(partyCount: n, using: &random)
    let endpoints =
      transports?(network) ?? (0..<n).map { network.endpoint($0) as any PartyTransport }
    let inputs = try inputs ?? (0..<n).map { try input(query, party: $0) }
    return await withTaskGroup(of: (Int, Result<QueryResult, any Error>).self) { group in
      for i in 0..<n {
        var setup = PartySetup(
          study: study, query: queries?[i] ?? query, input: inputs[i], ledger: ledgers[i],
          // Generous: every wait chains behind its peers' waits, and up to 10 parties × 9 queries
          // share 2 loaded cores; failures under test arrive as aborts, not timeouts.
          timeout: .seconds(30), chunkElements: chunk)
        setup.runPlan = runPlans?[i]
        let endpoint = endpoints[i]
        group.addTask {
          var noise = SeededRandom.make("noise-\(noiseLabel)-\(i)")
          var session = SeededRandom.make("session-\(noiseLabel)-\(i)")
          do {
            let r = try await QueryRunner.run(
              setup, transport: endpoint, noise: &noise, session: &session)
            return (i, .success(r))
          } catch {
            return (i, .failure(error))
          }
        }
      }
      var results = [Result<QueryResult, any Error>?](repeating: nil, count: n)
      for await (i, r) in group { results[i] = r }
      return results.map { $0! }
    }
  }

  /// Σ_i x_i + Σ_i η_i per coordinate, replaying each party's seeded noise.
  func expectedRaw(_ query: QueryManifest, noiseLabel: String) throws -> [BigInt] {
    let plan = try RunPlan(study: study, query: query)
    var total = [BigInt](repeating: 0, count: plan.plan.dimension)
    for i in 0..<n {
      let x = try input(query, party: i).values
      var noise = SeededRandom.make("noise-\(noiseLabel)-\(i)")
      // The runner draws noise chunk by chunk, component by component, in coordinate order.
      var eta = [Int64](repeating: 0, count: plan.plan.dimension)
      for c in plan.components {
        let range = c.component.offset..<(c.component.offset + c.component.dimension)
        eta.withUnsafeMutableBufferPointer { buf in
          c.sampler.fill(UnsafeMutableBufferPointer(rebasing: buf[range]), using: &noise)
        }
      }
      for j in 0..<plan.plan.dimension { total[j] += BigInt(x[j]) + BigInt(eta[j]) }
    }
    return total
  }
}

@Suite struct QueryRunnerTests {
  static let queries: [String] = [
    "count", "count-where", "sum", "sum-negative", "histogram-categories", "histogram-edges",
    "mean", "vector-sum", "vector-sum-uniform",
  ]

  /// Every kind, n = 2, 3, 5, 10: all parties open the same value, which equals the exact sum
  /// plus the sum of the parties' (replayed) noise shares, for both mechanisms.
  @Test(arguments: [2, 3, 5, 10])
  func everyKindOpensExactSumPlusNoise(n: Int) async throws {
    for name in Self.queries {
      for mechanism in ["laplace", "gaussian"] {
        var object = Fixtures.kinds[name]!
        object["mechanism"] = mechanism
        object["id"] = "q-\(name)-\(mechanism)"
        if mechanism == "gaussian" {
          object["epsilon"] = nil
          object["rho"] = "1/200"
        }
        let query = try Fixtures.query(object)
        let s = try Study(n: n, budget: ["rho": "10"])
        let label = "\(n)-\(name)-\(mechanism)"
        // Chunks of 2 elements when a vector is long enough to need several.
        let results = try await s.run(query, noiseLabel: label, chunk: 2)
        let expected = try s.expectedRaw(query, noiseLabel: label)
        let first = try results[0].get()
        let raws = first.components.flatMap { $0.values.map(\.raw) }
        #expect(raws == expected, "\(label)")
        for r in results {
          let result = try r.get()
          #expect(result.components.flatMap { $0.values.map(\.raw) } == raws)
          #expect(result.sessionID == first.sessionID)
        }
        // Each party charged exactly the query's cost once (and recorded its upload).
        for ledger in s.ledgers {
          #expect(ledger.entries.map(\.kind) == [.charge, .upload])
          #expect(ledger.spent == first.cost.amount)
        }
      }
    }
  }

  /// Without replayed noise the true value lies in the reported 95% interval in ≥ 90% of runs.
  @Test func intervalsCoverTheTruth() async throws {
    let query = try Fixtures.query(["id": "q-cover", "kind": "count", "rho": "1/100"])
    let s = try Study(n: 3, budget: ["rho": "100"])
    let truth = BigInt(36)  // 3 parties × 12 rows
    var covered = 0
    for run in 0..<200 {
      let result = try await s.run(query, noiseLabel: "cover-\(run)")[0].get()
      let v = result.components[0].values[0]
      if v.raw - (v.upper - v.raw) <= truth && truth <= v.upper { covered += 1 }
    }
    #expect(covered >= 180, "covered \(covered) of 200")
    #expect(covered < 200, "a 95% interval should miss sometimes: \(covered) of 200")
  }

  @Test func histogramLabelsClampingAndMean() async throws {
    let s = try Study(n: 3)
    let hist = try Fixtures.query(Fixtures.kinds["histogram-categories"]!)
    let r = try await s.run(hist, noiseLabel: "labels")[0].get()
    #expect(r.components[0].values.map(\.label) == ["icu", "er", "gp", "other"])
    for v in r.components[0].values {
      #expect(v.value == max(v.raw, 0))
      #expect(v.lower >= 0 && v.lower <= v.value && v.value <= v.upper)
    }
    let mean = try Fixtures.query(Fixtures.kinds["mean"]!)
    let m = try await Study(n: 3).run(mean, noiseLabel: "mean")[0].get()
    let value = try #require(m.mean?.value)
    #expect(value >= 0 && value <= 100)
    #expect(m.components.map(\.name) == ["sum", "count"])
  }

  // MARK: - Budget

  @Test func exhaustedBudgetIsRefusedEverywhereBeforeAnyUpload() async throws {
    let s = try Study(n: 3, budget: ["epsilon": "1"])
    let query = try Fixtures.query(Fixtures.kinds["count"]!)  // ε = 1/4
    for run in 0..<4 { _ = try await s.run(query, noiseLabel: "spend-\(run)").map { try $0.get() } }
    #expect(s.ledgers.allSatisfy { $0.remaining == 0 })
    let recorder = Recorder()
    let results = try await s.run(query, noiseLabel: "spend-5") { network in
      (0..<3).map { RecordingTransport(inner: network.endpoint($0), recorder: recorder) }
    }
    for r in results {
      #expect(throws: (any Error).self) { try r.get() }
    }
    #expect(await recorder.uploads == 0)
    #expect(s.ledgers.allSatisfy { $0.entries.filter { $0.kind == .charge }.count == 4 })
    #expect(s.ledgers.allSatisfy { $0.entries.filter { $0.kind == .upload }.count == 4 })
  }

  /// One party's budget is spent, the others' are not: they charged, then release.
  @Test func refusalAfterOthersAdmittedRecordsARelease() async throws {
    var object = Fixtures.studyObject(budget: ["epsilon": "1"])
    object["parties"] = (0..<3).map {
      [
        "id": $0, "name": "s\($0)", "address": "127.0.0.1:\(7400 + $0)",
        "public_key": Fixtures.keys[$0],
      ] as [String: Any]
    }
    let s = try Study(n: 3, budget: ["epsilon": "1"])
    let query = try Fixtures.query(Fixtures.kinds["count"]!)
    // Party 2's ledger is full but agrees on the head? No: heads would differ. Instead party 2
    // refuses through a transport that turns its admit into a refusal.
    let results = try await s.run(query, noiseLabel: "refuse") { network in
      (0..<3).map { i in
        i == 2
          ? FaultyTransport(inner: network.endpoint(i), fault: .replaceAdmitWithRefusal)
            as any PartyTransport
          : network.endpoint(i)
      }
    }
    for i in 0..<2 {
      #expect(throws: (any Error).self) { try results[i].get() }
      let kinds = s.ledgers[i].entries.map(\.kind)
      #expect(kinds == [.charge, .release])
      #expect(s.ledgers[i].spent == 0)
    }
    _ = object
  }

  /// A party that dies after its first upload chunk: the others abort and keep the charge.
  @Test func abortAfterUploadKeepsTheCharge() async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.kinds["vector-sum-uniform"]!)
    let results = try await s.run(query, noiseLabel: "die", chunk: 1) { network in
      (0..<3).map { i in
        i == 1
          ? FaultyTransport(inner: network.endpoint(i), fault: .dieAfterFirstUpload(network))
            as any PartyTransport
          : network.endpoint(i)
      }
    }
    for i in 0..<3 {
      #expect(throws: (any Error).self) { try results[i].get() }
      #expect(s.ledgers[i].entries.map(\.kind) == [.charge, .upload], "party \(i)")
    }
    if case .failure(let error) = results[0] {
      #expect(String(describing: error).contains("party 1"))
    }
  }

  /// One party holds a different clipping bound: refused at hello, nothing charged or sent.
  @Test func manifestMismatchIsRefusedBeforeAnyUpload() async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.sumQuery)
    var other = Fixtures.sumQuery
    other["bounds"] = [0, 121]
    let otherQuery = try Fixtures.query(other)
    let recorder = Recorder()
    let inputs = try (0..<3).map { try s.input(query, party: $0) }
    let results = try await s.run(
      query, noiseLabel: "mismatch",
      transports: { network in
        (0..<3).map { RecordingTransport(inner: network.endpoint($0), recorder: recorder) }
      },
      inputs: inputs, queries: [query, query, otherQuery])
    for r in results {
      #expect(throws: (any Error).self) { try r.get() }
    }
    if case .failure(let error) = results[0] {
      #expect(String(describing: error).contains("study or query differs"))
    }
    #expect(await recorder.uploads == 0)
    #expect(s.ledgers.allSatisfy { $0.entries.isEmpty })
  }

  /// A run plan derived ahead (as `mpc run` does while connecting) gives the same opening; one
  /// derived from another query is refused before anything is sent or charged.
  @Test func precomputedRunPlanIsUsedOnlyWhenItMatches() async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Fixtures.kinds["histogram-categories"]!)
    let plan = try RunPlan(study: s.study, query: query)
    let results = try await s.run(
      query, noiseLabel: "precomputed", runPlans: [plan, plan, plan])
    let expected = try s.expectedRaw(query, noiseLabel: "precomputed")
    for r in results {
      #expect(try r.get().components.flatMap { $0.values.map(\.raw) } == expected)
    }

    let t = try Study(n: 2)
    let otherPlan = try RunPlan(
      study: t.study, query: try Fixtures.query(Fixtures.kinds["count"]!))
    let recorder = Recorder()
    let refused = try await t.run(
      query, noiseLabel: "wrong-plan",
      transports: { network in
        (0..<2).map { RecordingTransport(inner: network.endpoint($0), recorder: recorder) }
      }, runPlans: [otherPlan, otherPlan])
    for r in refused {
      guard case .failure(let error) = r else {
        Issue.record("a mismatched run plan was accepted")
        continue
      }
      #expect(String(describing: error).contains("the given run plan is not this setup's"))
    }
    #expect(await recorder.sent == 0)
    #expect(t.ledgers.allSatisfy { $0.entries.isEmpty })
  }

  @Test func silentPeerTimesOutWithItsName() async throws {
    let s = try Study(n: 2)
    let query = try Fixtures.query(Fixtures.kinds["count"]!)
    var random = SeededRandom.make("silent")
    let network = InMemoryNetwork(partyCount: 2, using: &random)
    let setup = PartySetup(
      study: s.study, query: query, input: try s.input(query, party: 0), ledger: s.ledgers[0],
      timeout: .milliseconds(200))
    var noise = SeededRandom.make("n")
    var session = SeededRandom.make("s")
    await #expect(throws: TransportError.timeout(peer: 1, step: .hello, seconds: 0.2)) {
      _ = try await QueryRunner.run(
        setup, transport: network.endpoint(0), noise: &noise, session: &session)
    }
    #expect(s.ledgers[0].entries.isEmpty)
  }
}

// MARK: - Transports for fault injection

actor Recorder {
  var uploads = 0
  var sent = 0
  func sawUpload() { uploads += 1 }
  func sawFrame() { sent += 1 }
}

struct RecordingTransport: PartyTransport {
  let inner: InMemoryNetwork.Endpoint
  let recorder: Recorder
  /// Notes how much noise was drawn when the party first sent a frame.
  var firstSend: ByteCounter? = nil
  var partyID: Int { inner.partyID }
  var partyCount: Int { inner.partyCount }
  func send(_ frame: [UInt8], to peer: Int) async throws {
    firstSend?.firstSend()
    if case .maskedUpload = try MessageCodec().decode(frame) { await recorder.sawUpload() }
    await recorder.sawFrame()
    try await inner.send(frame, to: peer)
  }
  func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    try await inner.receive(from: peer, timeout: timeout, step: step)
  }
  func pairSecret(with peer: Int) throws -> SecretBytes { try inner.pairSecret(with: peer) }
  func linkSessionID(with peer: Int) throws -> [UInt8] { try inner.linkSessionID(with: peer) }
}

struct FaultyTransport: PartyTransport {
  enum Fault: Sendable {
    case replaceAdmitWithRefusal
    case dieAfterFirstUpload(InMemoryNetwork)
    /// Sends `toPeer` a hello with another session contribution than every other peer.
    case equivocateHello(toPeer: Int)
    /// Replaces the first element of its first upload chunk by these element bytes.
    case replaceFirstUploadElement(with: [UInt8])
  }
  let inner: InMemoryNetwork.Endpoint
  let fault: Fault
  var recorder: Recorder? = nil
  var partyID: Int { inner.partyID }
  var partyCount: Int { inner.partyCount }
  func send(_ frame: [UInt8], to peer: Int) async throws {
    let codec = MessageCodec()
    let message = try codec.decode(frame)
    if case .maskedUpload = message { await recorder?.sawUpload() }
    await recorder?.sawFrame()
    switch (fault, message) {
    case (.equivocateHello(let target), .hello(var hello)) where peer == target:
      hello.sessionId = hello.sessionId.map { $0 ^ 0xff }
      try await inner.send(try codec.encode(.hello(hello)), to: peer)
    case (.replaceFirstUploadElement(let element), .maskedUpload(var chunk))
    where chunk.chunkIndex == 0:
      chunk.elements.replaceSubrange(0..<element.count, with: element)
      try await inner.send(try codec.encode(.maskedUpload(chunk)), to: peer)
    case (.replaceAdmitWithRefusal, .admit):
      try await inner.send(
        try codec.encode(.refuse(Reason(code: .budgetExhausted, text: "test refusal"))), to: peer)
    case (.dieAfterFirstUpload(let network), .maskedUpload(let chunk)) where chunk.chunkIndex >= 1:
      await network.disconnect(partyID)
      throw TransportError.closed(peer: peer, step: .send)
    default:
      try await inner.send(frame, to: peer)
    }
  }
  func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    try await inner.receive(from: peer, timeout: timeout, step: step)
  }
  func pairSecret(with peer: Int) throws -> SecretBytes { try inner.pairSecret(with: peer) }
  func linkSessionID(with peer: Int) throws -> [UInt8] { try inner.linkSessionID(with: peer) }
}
