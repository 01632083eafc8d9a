import Foundation
import Synchronization
import Testing
import _MPCTestSupport

/// Ctrl-C at one site (`mpc run`, README exit codes): the interrupted site tells the others,
/// and every site says whether its charge stands.
@Suite(.serialized) struct SignalProcessTests {
  /// Three runs of a long vector sum; once party 1's charge is durable (the upload has begun),
  /// party 1 gets SIGINT. It exits 130; the others exit 1 naming it and `cancelled`, well before
  /// their timeout; every site says its charge stands.
  @Test func sigintAtOneSiteStopsEverySiteAndSaysTheChargeStands() async throws {
    let sites = try await SiteDirectory(n: 3, label: "sigint")
    let length = 300_000
    let vector = (0..<length).map { "\($0 % 3 - 1)" }.joined(separator: "\n") + "\n"
    let data = try (0..<3).map { try sites.data($0, vector) }
    let query =
      #"{"id": "v", "kind": "vector-sum", "length": \#(length), "bounds": [-3, 2], "mechanism": "gaussian", "rho": "1/2"}"#
    let state = sites.dir.appendingPathComponent("state")
    let binary = MPCProcess.binaryURL
    let outcome = try await blocking { () -> [(status: Int32, stderr: String, seconds: Double)] in
      let start = Date()
      let processes = (0..<3).map { i -> (Process, Pipe) in
        let process = Process()
        process.executableURL = binary
        process.arguments =
          ["run"] + sites.site(i) + [
            "--data", data[i], "--query-inline", query, "--timeout", "120",
            "--connect-timeout", "60", "--json",
          ]
        var environment = ProcessInfo.processInfo.environment
        environment["MPC_STATE_DIR"] = state.path
        process.environment = environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        return (process, err)
      }
      for (process, _) in processes { try process.run() }
      let texts = ResultBox()
      let group = DispatchGroup()
      for (i, (_, err)) in processes.enumerated() {
        group.enter()
        DispatchQueue.global().async {
          texts.set(
            i, String(decoding: MPCProcess.readToEnd(err.fileHandleForReading), as: UTF8.self))
          group.leave()
        }
      }
      // Wait for every party's durable charge (then the admission barrier passes at once and
      // the long upload begins), then interrupt party 1.
      var charged = false
      for _ in 0..<1200 where !charged && processes[1].0.isRunning {
        charged = (0..<3).allSatisfy { Self.ledgerHasCharge(state, party: $0) }
        if !charged { usleep(50_000) }
      }
      usleep(100_000)
      if charged { kill(processes[1].0.processIdentifier, SIGINT) }
      var ended: [Double] = []
      for (process, _) in processes {
        process.waitUntilExit()
        ended.append(Date().timeIntervalSince(start))
      }
      group.wait()
      return processes.indices.map { (processes[$0].0.terminationStatus, texts.get($0), ended[$0]) }
    }
    let interrupted = outcome[1]
    #expect(interrupted.status == 130, "\(interrupted.stderr)")
    #expect(interrupted.stderr.contains("interrupted by SIGINT"), "\(interrupted.stderr)")
    #expect(interrupted.stderr.contains("told the other sites"), "\(interrupted.stderr)")
    #expect(interrupted.stderr.contains("charge for v stands"), "\(interrupted.stderr)")
    for i in [0, 2] {
      let r = outcome[i]
      #expect(r.status == 1, "party \(i): \(r.stderr)")
      // Party 1 is named: by its abort (`cancelled`), or, when a send to it failed first while
      // its abort was still queued behind its upload (a known race, see the note), by its link.
      // Or by the other site that passed its abort on ("party 1 aborted the query: cancelled").
      let named =
        (r.stderr.contains("party 1 (Site 1) stopped the query: cancelled"))
        || r.stderr.contains("the link to party 1 closed")
        || r.stderr.contains("party 1 aborted the query: cancelled")
      #expect(named, "party \(i): \(r.stderr)")
      #expect(r.stderr.contains("charge for v stands"), "party \(i): \(r.stderr)")
      #expect(r.seconds < interrupted.seconds + 10, "party \(i): \(r.seconds) s")
    }
  }

  /// Whether party `party`'s ledger under `state` has a charge line.
  static func ledgerHasCharge(_ state: URL, party: Int) -> Bool {
    let ledgers = state.appendingPathComponent("ledgers")
    guard let studies = try? FileManager.default.contentsOfDirectory(atPath: ledgers.path) else {
      return false
    }
    for study in studies {
      let file = ledgers.appendingPathComponent(study).appendingPathComponent(
        "ledger-party-\(party).jsonl")
      if let text = try? String(contentsOf: file, encoding: .utf8), text.contains("\"charge\"") {
        return true
      }
    }
    return false
  }
}

/// Texts written by reader threads, one per index.
final class ResultBox: Sendable {
  private let texts = Mutex<[Int: String]>([:])
  func set(_ i: Int, _ text: String) { texts.withLock { $0[i] = text } }
  func get(_ i: Int) -> String { texts.withLock { $0[i] ?? "" } }
}
