import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol
import Testing
import _MPCTestSupport

@Suite struct DoctorTests {
  static func doctors(
    _ s: NetStudy, parties: [Int], versions: [String], studies: [StudyManifest]? = nil,
    deadline: Duration = .seconds(30), clock: ManualClock? = nil
  ) async throws -> [Int: [PeerStatus]] {
    try await withThrowingTaskGroup(of: (Int, [PeerStatus]).self) { group in
      for i in parties {
        var options = NetStudy.fastOptions
        options.connectDeadline = deadline
        options.softwareVersion = versions[i]
        if let clock { options.clock = NetworkClock(clock) }
        let study = studies?[i] ?? s.study
        group.addTask {
          (
            i,
            try await NetworkDoctor.check(
              study: study, partyID: i, identity: s.keys[i], options: options)
          )
        }
      }
      var out: [Int: [PeerStatus]] = [:]
      for try await (i, statuses) in group { out[i] = statuses }
      return out
    }
  }

  @Test func everyPeerOK() async throws {
    let s = try NetStudy(label: "doctor-ok")
    let all = try await Self.doctors(s, parties: [0, 1, 2], versions: ["1.0", "1.0", "1.0"])
    for i in 0..<3 {
      let statuses = try #require(all[i])
      #expect(statuses.map(\.peer) == (0..<3).filter { $0 != i })
      for st in statuses {
        #expect(st.outcome == .ok, "\(i) → \(st.peer): \(st.detail)")
        #expect(st.peerVersion == "1.0" && st.fix == nil && !st.peerIsRunning)
      }
    }
  }

  @Test func versionAndStudyDifferencesAndAnAbsentPeer() async throws {
    let ports = try freePorts(3)
    let s = try NetStudy(label: "doctor-diff", ports: ports)
    // Another budget: the same parties and keys, a different study file.
    let changed = try NetStudy(label: "doctor-diff", budget: ["rho": "11"], ports: ports).study
    let all = try await Self.doctors(
      s, parties: [0, 1], versions: ["1.0", "1.1", "1.0"],
      studies: [s.study, s.study, changed], deadline: .seconds(15))
    let zero = try #require(all[0])
    #expect(zero.map(\.outcome) == [.versionDiffers, .unreachable])
    #expect(zero[0].detail.contains("1.1") && zero[0].fix != nil)
    #expect(zero[1].fix?.contains("127.0.0.1") == true)
    let one = try #require(all[1])
    #expect(one.map(\.outcome) == [.versionDiffers, .unreachable])

    let again = try await Self.doctors(
      s, parties: [0, 2], versions: ["1.0", "1.0", "1.0"],
      studies: [s.study, s.study, changed], deadline: .seconds(15))
    #expect(try #require(again[0]).map(\.outcome) == [.unreachable, .studyDiffers])
    #expect(try #require(again[2]).map(\.outcome) == [.studyDiffers, .unreachable])
  }

  /// A doctor probing a party that is in a run: the doctor sees it running; the run is not
  /// disturbed by the probe (it keeps waiting for the real party 0).
  /// The run's clock is moved past its deadline by hand once the doctor is done.
  @Test func doctorAgainstARun() async throws {
    let s = try NetStudy(n: 2, label: "doctor-run")
    let runClock = ManualClock()
    var runOptions = NetStudy.fastOptions
    runOptions.connectDeadline = .seconds(10)
    runOptions.clock = NetworkClock(runClock)
    let chosen = runOptions
    async let run: Void = {
      try await NetworkTransport.withLinks(
        study: s.study, partyID: 1, identity: s.keys[1], options: chosen
      ) { _ in }
    }()
    var options = NetStudy.fastOptions
    options.connectDeadline = .seconds(30)
    let statuses = try await NetworkDoctor.check(
      study: s.study, partyID: 0, identity: s.keys[0], options: options)
    await runClock.advance(to: .seconds(10), step: .milliseconds(100))
    #expect(statuses.count == 1)
    #expect(statuses[0].outcome == .versionDiffers || statuses[0].outcome == .ok)
    #expect(statuses[0].peerIsRunning)
    do {
      try await run
      Issue.record("the run connected to a doctor")
    } catch let NetworkError.peerUnreachable(peer, _, step, _, last) {
      #expect(peer == 0 && step == .awaitLinks)
      #expect(last?.contains("mpc doctor") == true, "\(last ?? "")")
    }
  }

  @Test func wrongKeyIsReportedWithAFix() async throws {
    let ports = try freePorts(2)
    let fresh = try NetStudy(n: 2, label: "doctor-key", ports: ports)
    var random = SeededRandom.make("doctor-stale")
    let stale = X25519.KeyPair.generate(using: &random)
    let old = try NetStudy(n: 2, label: "doctor-key", pinned: [1: stale.publicKey], ports: ports)
    // On a clock moved by hand, past the deadline once party 0 failed an attempt (the wrong
    // key) and waits to retry, however slow the handshake on a loaded machine.
    let clock = ManualClock()
    let doctors = Task {
      try await Self.doctors(
        old, parties: [0, 1], versions: ["1", "1"], studies: [old.study, fresh.study],
        deadline: .seconds(6), clock: clock)
    }
    let retryAt = clock.origin + .seconds(5)
    #expect(await clock.waitUntil { $0.contains { $0 < retryAt } })
    await clock.advance(to: .seconds(6), step: .milliseconds(50))
    let all = try await withHangGuard { try await doctors.value }
    let zero = try #require(all[0])
    #expect(zero[0].outcome == .keyMismatch, "\(zero[0].detail)")
    #expect(zero[0].fix?.contains("parties[1].public_key") == true)
    #expect(try #require(all[1])[0].outcome == .keyMismatch)
  }
}
