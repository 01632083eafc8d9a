import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import Testing
import _MPCTestSupport

@testable import MPCCommands
@testable import MPCProtocol

/// The library side of issue 16: output rules as post-processing, the dry run, the release
/// log tied to the ledger, and the audit report.
struct GovernanceTests {
  static let signers: [Ed25519.KeyPair] = {
    var random = SeededRandom.make("governance-approvers")
    return (0..<3).map { _ in Ed25519.KeyPair.generate(using: &random) }
  }()

  /// A 3-party study, ρ budget 1, policy ρ ≤ 1/5 per query, optionally a 2-of-3 registry.
  static func study(registry: Bool = false) throws -> StudyManifest {
    let parties = (0..<3).map { i in
      #"{"id": \#(i), "name": "S\#(i)", "address": "127.0.0.1:\#(7400 + i)", "#
        + #""public_key": "\#(String(repeating: "0\(i + 1)", count: 32))"}"#
    }
    let approvers = zip(["ethics-1", "legal-1", "patients-1"], signers).map {
      #"{"id": "\#($0)", "public_key": "\#(Hex.encode($1.publicKey))"}"#
    }
    let registryJSON =
      registry
      ? #", "registry": {"approvers": [\#(approvers.joined(separator: ", "))], "threshold": 2}"#
      : ""
    let json =
      #"{"id": "gov", "parties": [\#(parties.joined(separator: ", "))], "colluders": 1, "#
      + #""field": "auto", "neighbour": "add-remove", "ledger": "ledger", "#
      + #""budget": {"rho": "1"}, "delta": "1e-6", "#
      + #""policy": {"max_query_cost": {"rho": "1/5"}, "round_to": 5}\#(registryJSON)}"#
    return try StudyManifest.decode(Data(json.utf8), file: "study.json")
  }

  static func query(_ id: String, rho: String) throws -> QueryManifest {
    try QueryManifest.decode(
      Data(#"{"id": "\#(id)", "kind": "count", "rho": "\#(rho)"}"#.utf8), file: "q.json")
  }

  static func ledger(_ study: StudyManifest, spending rho: String?) throws -> BudgetLedger {
    let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: study)
    if let rho {
      try ledger.charge(
        plan: try query("earlier", rho: rho).plan(for: study),
        sessionId: [UInt8](repeating: 7, count: 16), manifestHash: [UInt8](repeating: 9, count: 32))
    }
    return ledger
  }

  @Test func outputRulesRoundWidenAndSuppress() {
    let rules = StudyPolicy.OutputRules(roundTo: 5, suppressBelow: 3)
    let v = ReleasedValue(label: "icu", raw: 12, value: 12, lower: 7, upper: 17)
    #expect(
      rules.release(v, isCount: true)
        == ReleasedValue(label: "icu", raw: 10, value: 10, lower: 5, upper: 20))
    // Not a count: never suppressed; the interval widens outward to multiples.
    let negative = ReleasedValue(label: "sum", raw: -3, value: -3, lower: -8, upper: 2)
    #expect(
      rules.release(negative, isCount: false)
        == ReleasedValue(label: "sum", raw: -5, value: -5, lower: -10, upper: 5))
    // A count rounded below the threshold is suppressed; the same value as a sum is not.
    let small = ReleasedValue(label: "er", raw: 2, value: 2, lower: 0, upper: 7)
    #expect(rules.release(small, isCount: true) == nil)
    #expect(rules.release(small, isCount: false)?.value == 0)
    #expect(StudyPolicy.OutputRules().release(v, isCount: true) == v)
  }

  @Test func dryRunReportsCostAccuracyAndWhatWouldPass() throws {
    let study = try Self.study()
    let fine = try Governance.dryRun(
      study: study, query: try Self.query("q1", rho: "1/10"), registered: nil,
      ledger: try Self.ledger(study, spending: "4/5"))
    #expect(fine.wouldRun)
    #expect(fine.cost == .zcdp(rho: Rational(1, 10)))
    #expect(fine.remainingAfter == Rational(1, 10))
    #expect(fine.components.count == 1 && fine.components[0].halfWidth > 0)

    // Over the remaining budget: the largest ρ that still fits.
    let over = try Governance.dryRun(
      study: study, query: try Self.query("q2", rho: "3/20"), registered: nil,
      ledger: try Self.ledger(study, spending: "9/10"))
    #expect(over.refusedBy == "budget")
    #expect(over.largestPassing == .zcdp(rho: Rational(1, 10)))

    // Above the policy's per-query limit: refused naming the rule, 1/5 would pass.
    let greedy = try Governance.dryRun(
      study: study, query: try Self.query("q3", rho: "1/2"), registered: nil, ledger: nil)
    #expect(greedy.refusedBy == "policy.max_query_cost")
    #expect(greedy.largestPassing == .zcdp(rho: Rational(1, 5)))
    #expect(greedy.remainingAfter == Rational(1, 2))

    // Nothing left: no positive parameter passes.
    let spent = try Governance.dryRun(
      study: study, query: try Self.query("q4", rho: "1/10"), registered: nil,
      ledger: try Self.ledger(study, spending: "1"))
    #expect(spent.refusedBy == "budget" && spent.largestPassing == nil)
  }

  @Test func dryRunChecksTheRegistry() throws {
    let study = try Self.study(registry: true)
    let q = try Self.query("q1", rho: "1/10")
    let bare = try Governance.dryRun(study: study, query: q, registered: nil, ledger: nil)
    #expect(bare.refusedBy == "registry" && bare.largestPassing == nil)
    #expect(bare.refusal?.contains("not registered") == true)
    // Unregistered and over the policy: the first refusal is named; no parameter is suggested,
    // since no parameter would make it pass.
    let both = try Governance.dryRun(
      study: study, query: try Self.query("q9", rho: "1/2"), registered: nil, ledger: nil)
    #expect(both.refusedBy == "registry" && both.largestPassing == nil)
    var registered = RegisteredQuery(query: q, purpose: "planning", useCase: "uc-1")
    registered = registered.signed(by: "legal-1", key: Self.signers[1], studyID: study.id)
    let one = try Governance.dryRun(study: study, query: q, registered: registered, ledger: nil)
    #expect(one.refusedBy == "registry" && one.approvers == ["legal-1"])
    registered = registered.signed(by: "ethics-1", key: Self.signers[0], studyID: study.id)
    let two = try Governance.dryRun(study: study, query: q, registered: registered, ledger: nil)
    #expect(two.wouldRun && two.approvers == ["ethics-1", "legal-1"])
  }

  @Test func releaseRecordsAreTiedToTheirCharge() throws {
    let study = try Self.study()
    let ledger = try Self.ledger(study, spending: "1/10")
    let log = try ReleaseLog(store: MemoryLedgerStore())
    let q = try Self.query("earlier", rho: "1/10")
    let charge = try #require(ledger.entries.last)
    try log.append(
      query: q, charge: charge, parties: 3, result: "{}", text: "t", approvers: ["ethics-1"])
    let records = try log.all
    #expect(ReleaseLog.crossCheck(records, against: ledger).isEmpty)
    #expect(records[0].approvers == ["ethics-1"])
    #expect(records[0].definition.map { $0.contains("\"earlier\"") } == true)

    // A consistent chain whose record claims another cost than the ledger charged.
    var forged = charge
    forged.cost = .zcdp(rho: Rational(1, 100))
    let other = try ReleaseLog(store: MemoryLedgerStore())
    try other.append(query: q, charge: forged, parties: 3, result: "{}", text: "t")
    let problems = ReleaseLog.crossCheck(try other.all, against: ledger)
    #expect(problems.count == 1 && problems[0].contains("differs in cost"), "\(problems)")

    // A record whose charge is not in this ledger at all.
    let elsewhere = try Self.ledger(study, spending: "1/5")
    let missing = ReleaseLog.crossCheck(records, against: elsewhere)
    #expect(missing.count == 1 && missing[0].contains("no ledger entry"), "\(missing)")
  }

  @Test func theReportStatesTheGuarantee() throws {
    let sentence = AuditReport.guarantee(epsilon: 1.25, delta: 1e-6, colluders: 2)
    #expect(
      sentence
        == "Whether or not any one patient's records were included changes the probability of "
        + "any result by at most a factor e^ε (ε = 1.25), except with probability δ "
        + "(δ = 1e-6); this holds even if up to 2 sites pool what they saw.")
    #expect(AuditHTML.escape("<b a=\"x\">&'") == "&lt;b a=&quot;x&quot;&gt;&amp;&#39;")
  }

  /// A logged result with one component per (name, values) pair.
  static func result(_ components: [(String, [(String, Int)])]) -> String {
    let parts = components.map { name, values in
      let list = values.map { label, v in
        #"{"label": "\#(label)", "value": \#(v), "raw": \#(v), "lower": \#(v - 3), "upper": \#(v + 3)}"#
      }
      return #"{"name": "\#(name)", "sensitivity": {"l1": "1", "l2_squared": "1"}, "k": 2, "#
        + #""per_party": "N_Z(0, 5)", "rho": "1/10", "epsilon": 2.1, "interval_half_width": 3, "#
        + #""beta": 0.05, "delta_table": 0, "post_processing": "clamp_at_zero", "#
        + #""values": [\#(list.joined(separator: ", "))]}"#
    }
    return #"{"components": [\#(parts.joined(separator: ", "))]}"#
  }

  @Test func theReportChartsHistogramsAndTheBudgetOnly() throws {
    let study = try Self.study()
    let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: study)
    let log = try ReleaseLog(store: MemoryLedgerStore())
    let releases: [(String, String)] = [
      ("wards", Self.result([("value", [("icu", 12), ("er", 30), ("other", 4)])])),
      ("mean-age", Self.result([("sum", [("sum", 2000)]), ("count", [("count", 40)])])),
      ("women", Self.result([("count", [("count", 214)])])),
    ]
    for (n, (id, result)) in releases.enumerated() {
      let q = try Self.query(id, rho: "1/10")
      let charge = try ledger.charge(
        plan: try q.plan(for: study), sessionId: [UInt8](repeating: UInt8(n), count: 16),
        manifestHash: [UInt8](repeating: 1, count: 32))
      try log.append(query: q, charge: charge, parties: 3, result: result, text: id)
    }
    let records = try log.all
    let state = AuditState(
      study: study, party: 0, ledger: ledger, records: records,
      problems: ReleaseLog.crossCheck(records, against: ledger))
    #expect(state.problems.isEmpty)
    let report = AuditReport(state)
    #expect(report.releases.map(\.runningTotal.amount) == ["1/10", "1/5", "3/10"])
    #expect(report.releases[1].values.map(\.value) == ["2000", "40"])
    let html = AuditHTML.render(report)
    #expect(html.components(separatedBy: "<svg class=\"chart bars\"").count - 1 == 1)
    #expect(html.components(separatedBy: "<svg class=\"chart budget\"").count - 1 == 1)
    #expect(html.components(separatedBy: "<rect class=\"bar\"").count - 1 == 3)
    #expect(html.components(separatedBy: "<circle ").count - 1 == 3)
    #expect(!html.contains("src=") && !html.contains("href=") && !html.contains("<link"))
  }

  @Test func governanceSchemasAreDistinct() {
    let schemas = [
      RunOutput.schema, DryRunOutput.schema, QueryVerifyOutput.schema, AuditReport.schema,
      StudyShowOutput.schema, KeyShowOutput.schema,
    ]
    #expect(Set(schemas).count == schemas.count)
    // `mpc.<name>[.<sub>]/<version>`, the version a positive integer (`mpc.run` is at 2).
    #expect(
      schemas.allSatisfy {
        $0.range(of: #"^mpc(\.[a-z-]+)+/[1-9][0-9]*$"#, options: .regularExpression) != nil
      },
      "\(schemas)")
  }
}
