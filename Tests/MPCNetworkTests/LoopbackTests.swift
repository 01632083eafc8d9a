import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol
import Testing
import _MPCTestSupport

/// Three parties over real sockets on 127.0.0.1.
@Suite struct LoopbackTests {
  /// Every query kind: each party opens the same values, equal to the in-memory run with the
  /// same seeds (masks cancel, so the opened value depends only on inputs and noise).
  @Test(arguments: NetQueries.kinds.keys.sorted())
  func everyKindMatchesInMemory(kind: String) async throws {
    for mechanism in ["laplace", "gaussian"] {
      let label = "loop-\(kind)-\(mechanism)"
      let s = try NetStudy(label: label)
      let query = try NetQueries.query(kind, mechanism: mechanism)
      let results = try await s.runOverNetwork(query, label: label, chunk: 2).map { try $0.get() }
      let memory = try await s.runInMemory(query, label: label, chunk: 2)
      let raws = results[0].components.flatMap { $0.values.map(\.raw) }
      #expect(!raws.isEmpty)
      #expect(raws == memory[0].components.flatMap { $0.values.map(\.raw) }, "\(label)")
      for r in results {
        #expect(r.components.flatMap { $0.values.map(\.raw) } == raws)
        #expect(r.sessionID == results[0].sessionID)
      }
      for ledger in s.ledgers {
        #expect(ledger.entries.map(\.kind) == [.charge, .upload])
      }
    }
  }

  /// Both ends of every link derive the same pair secret and link session id, and different
  /// links differ.
  @Test func linksAgreeOnSecrets() async throws {
    let s = try NetStudy(label: "secrets")
    try await s.withTransports { transports in
      for i in 0..<3 {
        for j in 0..<3 where j != i {
          let a = try transports[i].pairSecret(with: j)
          #expect(a.constantTimeEquals(try transports[j].pairSecret(with: i)))
          #expect(try transports[i].linkSessionID(with: j) == transports[j].linkSessionID(with: i))
        }
      }
      #expect(
        !(try transports[0].pairSecret(with: 1).constantTimeEquals(
          try transports[0].pairSecret(with: 2))))
      #expect(throws: TransportError.unknownPeer(peer: 0)) { try transports[0].pairSecret(with: 0) }
      // Frames arrive in order; a silent peer times out; a closed peer is reported at once.
      for k in 0..<5 { try await transports[0].send([UInt8(k)], to: 2) }
      for k in 0..<5 {
        #expect(
          try await transports[2].receive(from: 0, timeout: .seconds(2), step: .hello) == [UInt8(k)]
        )
      }
      let clock = ContinuousClock()
      let waited = await clock.measure {
        await #expect(throws: TransportError.timeout(peer: 1, step: .hello, seconds: 0.2)) {
          _ = try await transports[2].receive(from: 1, timeout: .milliseconds(200), step: .hello)
        }
      }
      #expect(waited < .seconds(2))
      await transports[1].close()
      let closedAfter = await clock.measure {
        await #expect(throws: TransportError.closed(peer: 1, step: .hello)) {
          _ = try await transports[2].receive(from: 1, timeout: .seconds(20), step: .hello)
        }
      }
      #expect(closedAfter < .seconds(5))
      await transports[0].close()
      await transports[2].close()
    }
  }

  /// 10^5-element vector sum between three parties (timing printed for the notes).
  @Test func vectorSumOfAHundredThousand() async throws {
    let s = try NetStudy(label: "big")
    var object: [String: Any] = [
      "id": "q-big", "kind": "vector-sum", "length": 100_000, "bounds": [-3, 2],
      "mechanism": "gaussian", "rho": "1/2",
    ]
    object["split"] = nil
    let query = try QueryManifest.decode(
      try JSONSerialization.data(withJSONObject: object), file: "query.json")
    let clock = ContinuousClock()
    var results: [Result<QueryResult, any Error>] = []
    let elapsed = try await clock.measure {
      results = try await s.runOverNetwork(query, label: "big", chunk: 1 << 16)
    }
    let first = try results[0].get()
    #expect(first.components[0].values.count == 100_000)
    for r in results {
      #expect(try r.get().components[0].values.map(\.raw) == first.components[0].values.map(\.raw))
    }
    print("loopback 3-party vector-sum of 10^5 (gaussian, connect included): \(elapsed)")
  }
}
