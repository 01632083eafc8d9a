import Foundation
import MPCCrypto
import MPCProtocol
import Testing

/// `protocols/ledger.md` §1: a site's ledger follows the study's identity, not a path.
@Suite struct LedgerLocationTests {
  static func temporary() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("mpc-state-\(UUID().uuidString)")
  }

  @Test func resolvesFlagThenEnvironmentThenHome() {
    #expect(
      LedgerLocation.resolve(explicit: "/a", environment: ["MPC_STATE_DIR": "/b", "HOME": "/h"])
        .stateDirectory.path == "/a")
    #expect(
      LedgerLocation.resolve(explicit: nil, environment: ["MPC_STATE_DIR": "/b", "HOME": "/h"])
        .stateDirectory.path == "/b")
    #expect(
      LedgerLocation.resolve(explicit: nil, environment: ["HOME": "/h"]).stateDirectory.path
        == "/h/.mpc")
  }

  @Test func firstOpenCreatesThenReopens() throws {
    let state = Self.temporary()
    defer { try? FileManager.default.removeItem(at: state) }
    let study = try Fixtures.study()
    let location = LedgerLocation(stateDirectory: state)
    let hash8 = Hex.encode(BudgetLedger.studyHash(study).prefix(4))
    #expect(throws: LedgerIdentityError.self) {
      try location.open(study: study, partyId: 0, create: false)
    }
    do {
      let opened = try location.open(study: study, partyId: 0, create: true)
      #expect(opened.created)
      #expect(opened.directory.lastPathComponent == "flu-2026-\(hash8)")
      try opened.ledger.charge(
        plan: try BudgetLedgerTests.plan(epsilon: "1/4"),
        sessionId: [UInt8](repeating: 1, count: 16),
        manifestHash: [UInt8](repeating: 2, count: 32))
    }
    let again = try location.open(study: study, partyId: 0, create: true)
    #expect(!again.created && again.ledger.entries.count == 1)
    let identity = try String(
      contentsOf: again.directory.appendingPathComponent(LedgerLocation.identityFileName),
      encoding: .utf8)
    #expect(identity.contains(Hex.encode(BudgetLedger.studyHash(study))))
    // Another party of the same site, same study: its own file, same directory.
    let other = try location.open(study: study, partyId: 1, create: true)
    #expect(other.created && other.directory == again.directory)
  }

  @Test func aReissuedStudyWithTheSameIdIsRefused() throws {
    let state = Self.temporary()
    defer { try? FileManager.default.removeItem(at: state) }
    let location = LedgerLocation(stateDirectory: state)
    _ = try location.open(study: try Fixtures.study(), partyId: 0, create: true)
    // Same id, raised budget: the budget would start afresh, so it is refused.
    let raised = try Fixtures.study(Fixtures.studyObject(budget: ["epsilon": "5"]))
    #expect(throws: LedgerIdentityError.self) {
      try location.open(study: raised, partyId: 0, create: true)
    }
    #expect(
      (try FileManager.default.contentsOfDirectory(atPath: location.ledgersDirectory.path)).count
        == 1, "no second ledger directory was made")
  }

  @Test func anEditedIdentityFileIsRefused() throws {
    let state = Self.temporary()
    defer { try? FileManager.default.removeItem(at: state) }
    let location = LedgerLocation(stateDirectory: state)
    let study = try Fixtures.study()
    let directory = try location.open(study: study, partyId: 0, create: true).directory
    try Data("{}\n".utf8).write(
      to: directory.appendingPathComponent(LedgerLocation.identityFileName))
    #expect(throws: LedgerIdentityError.self) {
      try location.checkIdentity(study: study, create: true)
    }
  }
}
