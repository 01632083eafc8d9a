import Foundation
import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy
import MPCProtocol
import Testing
import _MPCTestSupport

/// In-memory parties running an adaptive query (`protocols/query.md` §6).
struct AdaptiveStudy {
  let n: Int
  let study: StudyManifest
  let ledgers: [BudgetLedger]

  init(n: Int = 3, budget: String = "10", delta: String = "1e-9") throws {
    self.n = n
    var object = Fixtures.studyObject(budget: ["rho": budget])
    object["parties"] = (0..<n).map {
      [
        "id": $0, "name": "site \($0)", "address": "127.0.0.1:\(7400 + $0)",
        "public_key": Hex.encode([UInt8](repeating: UInt8($0 + 1), count: 32)),
      ] as [String: Any]
    }
    object["colluders"] = 1
    object["delta"] = delta
    study = try Fixtures.study(object)
    ledgers = try (0..<n).map { _ in
      try BudgetLedger(store: MemoryLedgerStore(), study: try Fixtures.study(object))
    }
  }

  /// Runs every party; `layouts[i]` is party i's layout.
  func run(
    _ query: QueryManifest, label: String, layouts: [AdaptiveLayout],
    released: [ReleasedRounds]? = nil, uploads: UploadLog? = nil
  ) async throws -> [Result<AdaptiveResult, any Error>] {
    var random = SeededRandom.make("network-\(label)")
    let network = InMemoryNetwork(partyCount: n, using: &random)
    return await withTaskGroup(of: (Int, Result<AdaptiveResult, any Error>).self) { group in
      for i in 0..<n {
        let setup = PartySetup(
          study: study, query: query,
          input: .adaptive(rows: 0),
          ledger: ledgers[i], timeout: .seconds(30), chunkElements: 4)
        let endpoint: any PartyTransport =
          uploads.map { LoggingTransport(inner: network.endpoint(i), log: $0) }
          ?? network.endpoint(i)
        let layout = layouts[i]
        let sink = released?[i]
        group.addTask {
          var noise = SeededRandom.make("noise-\(label)-\(i)")
          var session = SeededRandom.make("session-\(label)-\(i)")
          do {
            let runner = try AdaptiveQueryRunner(setup, transport: endpoint, layout: layout)
            let r = try await runner.run(noise: &noise, session: &session) { sink?.add($0) }
            return (i, .success(r))
          } catch {
            return (i, .failure(error))
          }
        }
      }
      var results = [Result<AdaptiveResult, any Error>?](repeating: nil, count: n)
      for await (i, r) in group { results[i] = r }
      return results.map { $0! }
    }
  }

  /// Party i's noise for every round of `query`, replayed: each round's sampler fills its
  /// plan component's whole dimension, in round order, before anything is sent.
  func noise(_ query: QueryManifest, label: String, party i: Int) throws -> [[Int64]] {
    let plan = try RunPlan(study: study, query: query)
    var random = SeededRandom.make("noise-\(label)-\(i)")
    return plan.components.map { nc in
      var v = [Int64](repeating: 0, count: nc.component.dimension)
      v.withUnsafeMutableBufferPointer { nc.sampler.fill($0, using: &random) }
      return v
    }
  }
}

/// Party 0's upload chunks to party 1, as sent (thread-safe collector).
final class UploadLog: @unchecked Sendable {
  // Invariant: `chunks` is read and written only while holding `lock`.
  private let lock = NSLock()
  private var chunks: [MaskedUploadChunk] = []
  func add(_ c: MaskedUploadChunk) { lock.withLock { chunks.append(c) } }
  var all: [MaskedUploadChunk] { lock.withLock { chunks } }
}

struct LoggingTransport: PartyTransport {
  let inner: InMemoryNetwork.Endpoint
  let log: UploadLog
  var partyID: Int { inner.partyID }
  var partyCount: Int { inner.partyCount }
  func send(_ frame: [UInt8], to peer: Int) async throws {
    if partyID == 0, peer == 1, case .maskedUpload(let chunk) = try MessageCodec().decode(frame) {
      log.add(chunk)
    }
    try await inner.send(frame, to: peer)
  }
  func receive(from peer: Int, timeout: Duration, step: RunStep) async throws -> [UInt8] {
    try await inner.receive(from: peer, timeout: timeout, step: step)
  }
  func pairSecret(with peer: Int) throws -> SecretBytes { try inner.pairSecret(with: peer) }
  func linkSessionID(with peer: Int) throws -> [UInt8] { try inner.linkSessionID(with: peer) }
}

/// The rounds a party saw released (thread-safe collector).
final class ReleasedRounds: @unchecked Sendable {
  // Invariant: `rounds` is read and written only while holding `lock`.
  private let lock = NSLock()
  private var rounds: [AdaptiveRelease] = []
  func add(_ r: AdaptiveRelease) { lock.withLock { rounds.append(r) } }
  var all: [AdaptiveRelease] { lock.withLock { rounds } }
}

/// v mod m in [0, m).
func mod(_ v: BigInt, _ m: Int) -> Int {
  let r = Int(exactly: v % BigInt(m))!
  return (r + m) % m
}

@Suite struct AdaptiveRunnerTests {
  static func query(rho: String = "1/10") throws -> QueryManifest {
    try Fixtures.query([
      "id": "chain", "kind": "synth", "rho": rho,
      "columns": [
        ["column": "a", "categories": ["x", "y"]], ["column": "b", "categories": ["x", "y"]],
      ],
    ])
  }

  /// A chain A → B → C: round 1 has 2 coordinates; round 2's dimension is 1 + (opened[0] mod 5)
  /// and round 3's 1 + (Σ round 2 mod 7). Every party derives the same layouts, opens
  /// Σ x + Σ η of each round, and the ledger holds one charge of the whole cost.
  @Test func threeRoundChainOpensEachRoundWithOneCharge() async throws {
    let s = try AdaptiveStudy()
    let q = try Self.query()
    func layout(_ party: Int) -> AdaptiveLayout {
      { round, released in
        switch round {
        case 0: return AdaptiveRound(values: [Int64(party + 1), 10])
        case 1:
          let m = 1 + mod(released[0].raw[0], 5)
          return AdaptiveRound(values: (0..<m).map { Int64(party * 100 + $0) })
        default:
          let total = released[1].raw.reduce(BigInt(0), +)
          let m = 1 + mod(total, 7)
          return AdaptiveRound(values: [Int64](repeating: Int64(party), count: m))
        }
      }
    }
    let results = try await s.run(q, label: "chain", layouts: (0..<3).map(layout))
    let runs = try results.map { try $0.get() }
    #expect(runs.allSatisfy { $0.rounds.count == 3 })
    // Every party saw the same values, and they are Σ x + Σ η of the replayed noise.
    for r in 0..<3 { #expect(Set(runs.map { $0.rounds[r].raw }).count == 1) }
    let noise = try (0..<3).map { try s.noise(q, label: "chain", party: $0) }
    let rounds = runs[0].rounds
    let m2 = rounds[1].raw.count
    let m3 = rounds[2].raw.count
    #expect(m2 == 1 + mod(rounds[0].raw[0], 5))
    #expect(m3 == 1 + mod(rounds[1].raw.reduce(BigInt(0), +), 7))
    var x: [[[Int64]]] = []
    for p in 0..<3 {
      let first: [Int64] = [Int64(p + 1), 10]
      let second: [Int64] = (0..<m2).map { Int64(p * 100 + $0) }
      let third = [Int64](repeating: Int64(p), count: m3)
      x.append([first, second, third])
    }
    for r in 0..<3 {
      for j in 0..<rounds[r].raw.count {
        let expected = (0..<3).reduce(BigInt(0)) {
          $0 + BigInt(Int(x[$1][r][j])) + BigInt(Int(noise[$1][r][j]))
        }
        #expect(rounds[r].raw[j] == expected, "round \(r + 1) coordinate \(j)")
      }
    }
    // One charge of the whole cost at each party, nothing released back.
    for ledger in s.ledgers {
      #expect(ledger.spent == Rational(1, 10))
      #expect(ledger.entries.filter { $0.kind == .charge }.count == 1)
      #expect(ledger.entries.filter { $0.kind == .release }.isEmpty)
    }
    #expect(runs[0].cost == .zcdp(rho: Rational(1, 10)))
  }

  /// No mask is reused across rounds: party 0's mask total y − (x + η) (mod p) on the same
  /// coordinates differs between rounds 1, 2 and 3 (each round's mask context has its own
  /// vector name), and each round's chunks carry the round's upload id.
  @Test func everyRoundHasItsOwnMasks() async throws {
    let s = try AdaptiveStudy()
    let q = try Self.query()
    let same: AdaptiveLayout = { _, _ in AdaptiveRound(values: [3, 1]) }
    let log = UploadLog()
    let results = try await s.run(
      q, label: "masks", layouts: [same, same, same], uploads: log)
    for r in results { _ = try r.get() }
    let chunks = log.all
    #expect(chunks.map(\.queryId) == ["chain/round-1", "chain/round-2", "chain/round-3"])
    let field = try RunPlan(study: s.study, query: q).field
    let p = field.modulus
    let w = field.elementByteCount
    let eta = try s.noise(q, label: "masks", party: 0)
    func element(_ bytes: ArraySlice<UInt8>) -> BigInt {
      bytes.reversed().reduce(BigInt(0)) { $0 * BigInt(256) + BigInt(Int($1)) }
    }
    let masks: [[BigInt]] = chunks.enumerated().map { r, chunk in
      (0..<2).map { j in
        let y = element(chunk.elements[(j * w)..<((j + 1) * w)])
        let x = BigInt(Int([Int64(3), 1][j] + eta[r][j]))
        return ((y - x) % p + p) % p
      }
    }
    #expect(Set(masks).count == 3, "a mask was reused across rounds")
  }

  /// An abort in round 2 (one party's layout fails) aborts every party; the charge stays at
  /// all of them and the released round 1 was passed on before.
  @Test func abortInRoundTwoKeepsTheCharge() async throws {
    let s = try AdaptiveStudy()
    let q = try Self.query()
    struct Broken: Error {}
    func layout(_ party: Int) -> AdaptiveLayout {
      { round, _ in
        if round == 1 && party == 1 { throw Broken() }
        return AdaptiveRound(values: [1, 2])
      }
    }
    let collected = (0..<3).map { _ in ReleasedRounds() }
    let results = try await s.run(
      q, label: "abort", layouts: (0..<3).map(layout), released: collected)
    for (i, r) in results.enumerated() {
      guard case .failure(let error) = r else {
        Issue.record("party \(i) did not abort")
        continue
      }
      if i != 1 {
        #expect(error as? RunError != nil, "party \(i): \(error)")
      }
    }
    for i in 0..<3 {
      #expect(collected[i].all.map(\.round) == [0], "party \(i) saw round 1 released")
    }
    for ledger in s.ledgers {
      #expect(ledger.spent == Rational(1, 10))
      #expect(ledger.entries.filter { $0.kind == .release }.isEmpty)
    }
  }

  /// A layout wider than its round's plan component is refused (after the charge, at every
  /// party alike).
  @Test func layoutBeyondItsPlanIsRefused() async throws {
    let s = try AdaptiveStudy()
    let q = try Self.query()
    let wide: AdaptiveLayout = { round, _ in
      AdaptiveRound(values: [Int64](repeating: 1, count: round == 0 ? 7 : 1))
    }
    let results = try await s.run(q, label: "wide", layouts: [wide, wide, wide])
    for r in results {
      guard case .failure(let error) = r else {
        Issue.record("a layout of 7 values in a round of 6 ran")
        continue
      }
      #expect("\(error)".contains("round 1") || "\(error)".contains("aborted"))
    }
  }
}
