import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol
import NIOCore
import NIOPosix
import _MPCTestSupport

/// Queries of every kind (the shapes of `MPCProtocolTests`' fixtures).
enum NetQueries {
  static var kinds: [String: [String: Any]] {
    [
      "count": ["kind": "count"],
      "count-where": ["kind": "count", "where": ["column": "ward", "equals": "icu"]],
      "sum": ["kind": "sum", "column": "age", "bounds": [0, 120]],
      "histogram-categories": [
        "kind": "histogram", "column": "ward", "categories": ["icu", "er", "gp"],
        "outside": "other",
      ],
      "histogram-edges": [
        "kind": "histogram", "column": "age", "bin_edges": [0, 18, 65, 120], "outside": "clip",
      ],
      "mean": ["kind": "mean", "column": "age", "bounds": [0, 100], "split": "3/4"],
      "vector-sum": ["kind": "vector-sum", "length": 7, "bounds": [-3, 2]],
    ]
  }

  static func query(_ kind: String, mechanism: String = "laplace", id: String? = nil) throws
    -> QueryManifest
  {
    var object = kinds[kind]!
    object["id"] = id ?? "q-\(kind)"
    object["mechanism"] = mechanism
    if mechanism == "gaussian" { object["rho"] = "1/200" } else { object["epsilon"] = "1/2" }
    return try QueryManifest.decode(
      try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
      file: "query.json")
  }
}

/// n parties with real key pairs on free loopback ports.
struct NetStudy {
  let n: Int
  let keys: [X25519.KeyPair]
  let study: StudyManifest
  let ledgers: [BudgetLedger]

  /// `pinned` overrides the public key written for a party (a stale study file).
  init(
    n: Int = 3, label: String = "net", budget: [String: Any] = ["rho": "10"],
    pinned: [Int: [UInt8]] = [:], ports: [Int]? = nil
  ) throws {
    self.n = n
    var random = SeededRandom.make("keys-\(label)")
    keys = (0..<n).map { _ in X25519.KeyPair.generate(using: &random) }
    let ports = try ports ?? freePorts(n)
    let keys = keys
    let object: [String: Any] = [
      "id": "net-study",
      "parties": (0..<ports.count).map {
        [
          "id": $0, "name": "site \($0)", "address": "127.0.0.1:\(ports[$0])",
          "public_key": Hex.encode(pinned[$0] ?? keys[$0].publicKey),
        ] as [String: Any]
      },
      "colluders": 1, "field": "auto", "neighbour": "add-remove", "max_sites_per_person": 1,
      "budget": budget, "delta": "1e-6", "ledger": "ledger",
    ]
    study = try StudyManifest.decode(
      try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
      file: "study.json")
    let study = self.study
    ledgers = try (0..<n).map { _ in try BudgetLedger(store: MemoryLedgerStore(), study: study) }
  }

  /// Party i's rows: age = 20 + 3i + r, ward cycles icu/er/gp/xx.
  func input(_ query: QueryManifest, party i: Int) throws -> LocalVector {
    if case .vectorSum(let m, _) = query.kind {
      let text = (0..<m).map { "\((i + $0) % 3)" }.joined(separator: "\n") + "\n"
      return try LocalData.loadVector(
        query: query, bytes: Array(text.utf8), file: "party\(i).txt", format: .text)
    }
    var text = "age,ward\n"
    let wards = ["icu", "er", "gp", "xx"]
    for r in 0..<12 { text += "\(20 + 3 * i + r),\(wards[(i + r) % 4])\n" }
    return try LocalData.load(query: query, csv: Array(text.utf8), file: "party\(i).csv")
  }

  func setup(_ query: QueryManifest, party i: Int, chunk: Int, ledger: BudgetLedger? = nil)
    throws -> PartySetup
  {
    PartySetup(
      study: study, query: query, input: try input(query, party: i), ledger: ledger ?? ledgers[i],
      timeout: .seconds(60), chunkElements: chunk)
  }

  /// Every party connects over loopback and runs `query`; party i's transport goes through
  /// `wrap` when given. Each result says which party failed and how.
  func runOverNetwork(
    _ query: QueryManifest, label: String, chunk: Int = 3,
    options: @escaping @Sendable (Int) -> NetworkOptions = { _ in NetStudy.fastOptions },
    studies: [StudyManifest]? = nil,
    wrap: (@Sendable (Int, NetworkTransport) -> any PartyTransport)? = nil
  ) async throws -> [Result<QueryResult, any Error>] {
    let setups = try (0..<n).map { try setup(query, party: $0, chunk: chunk) }
    let keys = keys
    let studies = studies ?? [StudyManifest](repeating: study, count: n)
    return await withTaskGroup(of: (Int, Result<QueryResult, any Error>).self) { group in
      for i in 0..<n {
        let setup = setups[i]
        group.addTask {
          var noise = SeededRandom.make("noise-\(label)-\(i)")
          var session = SeededRandom.make("session-\(label)-\(i)")
          do {
            let r = try await NetworkTransport.withLinks(
              study: studies[i], partyID: i, identity: keys[i], options: options(i)
            ) { transport in
              let wrapped = wrap?(i, transport) ?? transport
              return try await QueryRunner.run(
                setup, transport: wrapped, noise: &noise, session: &session)
            }
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

  /// Every party's transport at once (each party's ``NetworkTransport/withLinks`` runs in a
  /// child task until `body` returns), for tests that drive the links by hand.
  func withTransports<R: Sendable>(
    options: NetworkOptions = NetStudy.fastOptions,
    _ body: @escaping @Sendable ([NetworkTransport]) async throws -> R
  ) async throws -> R {
    let keys = keys
    let study = study
    let up = Mailbox<(Int, NetworkTransport)>(capacity: n)
    let done = Mailbox<Void>(capacity: 1)
    return try await withThrowingTaskGroup(of: R?.self) { group in
      for i in 0..<n {
        group.addTask {
          try await NetworkTransport.withLinks(
            study: study, partyID: i, identity: keys[i], options: options
          ) { transport in
            try await up.put((i, transport))
            // Held open until the test's body is done.
            _ = try? await done.take()
          }
          return nil
        }
      }
      group.addTask {
        var transports = [NetworkTransport?](repeating: nil, count: n)
        for _ in 0..<n {
          let (i, t) = try await up.take()
          transports[i] = t
        }
        defer { done.close() }
        return try await body(transports.map { $0! })
      }
      var result: R?
      for try await r in group where r != nil { result = r }
      // Cannot be nil: the body's task returned a value or the group threw.
      return result!
    }
  }

  /// The same run over ``InMemoryNetwork`` with the same seeds and fresh ledgers.
  func runInMemory(_ query: QueryManifest, label: String, chunk: Int = 3) async throws
    -> [QueryResult]
  {
    var random = SeededRandom.make("memory-\(label)")
    let network = InMemoryNetwork(partyCount: n, using: &random)
    let study = self.study
    let setups = try (0..<n).map {
      try setup(
        query, party: $0, chunk: chunk,
        ledger: try BudgetLedger(store: MemoryLedgerStore(), study: study))
    }
    return try await withThrowingTaskGroup(of: (Int, QueryResult).self) { group in
      for i in 0..<n {
        let setup = setups[i]
        let endpoint = network.endpoint(i)
        group.addTask {
          var noise = SeededRandom.make("noise-\(label)-\(i)")
          var session = SeededRandom.make("session-\(label)-\(i)")
          return (
            i,
            try await QueryRunner.run(setup, transport: endpoint, noise: &noise, session: &session)
          )
        }
      }
      var results = [QueryResult?](repeating: nil, count: n)
      for try await (i, r) in group { results[i] = r }
      return results.map { $0! }
    }
  }

  /// Deadlines for tests where every party comes up: long enough for a loaded machine (they
  /// end as soon as the links are up); the tests of a deadline expiring move a ManualClock.
  static let fastOptions = NetworkOptions(
    connectDeadline: .seconds(60), handshakeTimeout: .seconds(20),
    initialBackoff: .milliseconds(10), maximumBackoff: .milliseconds(200), softwareVersion: "test")
}

/// `count` distinct free loopback ports (bound together, then released).
func freePorts(_ count: Int) throws -> [Int] {
  LoopbackPorts.reserve(count)
}
