import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

extension RunCommand {
  /// `mpc run --dry-run`: ``Governance/dryRun(study:query:registered:ledger:force:)`` at this
  /// party, its ledger and release log read without a lock and never written; no listener, no
  /// dial. Exit 0 when the run would go ahead, 1 when it would be refused.
  func performDryRun(
    study: StudyManifest, party: Int, query: QueryManifest, registered: RegisteredQuery?,
    input: LocalVector
  ) throws {
    let location = LedgerLocation.resolve(explicit: stateDir)
    do {
      _ = try location.checkIdentity(study: study, create: false)
    } catch LedgerIdentityError.noLedger {
      // No query ran here yet: nothing spent.
    }
    let directory = location.directory(for: study)
    func readOnly(_ name: String) -> MemoryLedgerStore? {
      let path = directory.appendingPathComponent(name).path
      return FileManager.default.contents(atPath: path).map {
        MemoryLedgerStore(name: path, contents: Array($0))
      }
    }
    let ledger = try readOnly(BudgetLedger.fileName(partyId: party)).map {
      try BudgetLedger(store: $0, study: study)
    }
    var report = try Governance.dryRun(
      study: study, query: query, registered: registered, ledger: ledger, force: force)
    var replay: ReleaseRecord?
    if let store = readOnly(ReleaseLog.fileName(partyId: party)) {
      do {
        replay = try ReleaseLog(store: store).stored(for: query)
      } catch let error as ReleaseLogError {
        report.refusedBy = report.refusedBy ?? "release-log"
        report.refusal = report.refusal ?? "\(error)"
      }
    }
    let output = DryRunOutput(
      report, study: study, party: party, rows: input.rows, badRows: input.badRowCount,
      replay: replay)
    do {
      if json {
        print(try OutputCoding.encode(output), terminator: "")
      } else {
        print(output.text(data: data))
      }
    } catch {
      throw CommandFailure.report(error)
    }
    if !report.wouldRun { throw ExitStatus.failure.code }
  }
}

/// `mpc run --dry-run` (`--json`): what the run would do at this party.
struct DryRunOutput: CommandOutput {
  static let schema = "mpc.run.dry/1"

  struct Component: Codable {
    var name: String
    var dimension: Int
    var k: Int
    var intervalHalfWidth: Int64

    enum CodingKeys: String, CodingKey {
      case name, dimension, k
      case intervalHalfWidth = "interval_half_width"
    }
  }

  var schema: String = Self.schema
  var study: String
  var party: Int
  var queryID: String
  /// What the run would charge (exact rational, the budget's unit).
  var cost: RunOutput.Amount
  var budget: RunOutput.Budget
  /// The remaining budget read as ε at the study δ after the run (zCDP budgets only).
  var epsilonSpentAfter: Double?
  var components: [Component]
  var approvers: [String]
  var rows: Int
  var badRows: Int
  var wouldRun: Bool
  var refusedBy: String?
  var refusal: String?
  var largestPassing: RunOutput.Amount?
  /// Set when the query was released before: the run would show the stored result and
  /// charge nothing.
  var replays: String?

  enum CodingKeys: String, CodingKey {
    case schema, study, party, cost, budget, components, approvers, rows, refusal, replays
    case queryID = "query_id"
    case epsilonSpentAfter = "epsilon_spent_after"
    case badRows = "bad_rows"
    case wouldRun = "would_run"
    case refusedBy = "refused_by"
    case largestPassing = "largest_passing"
  }

  init(
    _ r: DryRun, study s: StudyManifest, party: Int, rows: Int, badRows: Int,
    replay: ReleaseRecord?
  ) {
    study = s.id
    self.party = party
    queryID = r.queryID
    cost = RunOutput.Amount(unit: r.cost.unit, amount: r.cost.amount.description)
    let replaying = replay != nil && r.wouldRun
    let spentAfter = replaying ? r.spent : r.spent + r.cost.amount
    budget = RunOutput.Budget(
      unit: s.budget.unit, total: s.budget.amount.description,
      spent: r.spent.description,
      remaining: (replaying ? s.budget.amount - r.spent : r.remainingAfter).description)
    if case .zcdp = s.budget, spentAfter.signum > 0 {
      epsilonSpentAfter = try? s.budget.with(amount: spentAfter).epsilon(
        delta: s.delta.map(Double.init) ?? 1e-6)
    }
    components = r.components.map {
      Component(name: $0.name, dimension: $0.dimension, k: $0.k, intervalHalfWidth: $0.halfWidth)
    }
    approvers = r.approvers
    self.rows = rows
    self.badRows = badRows
    wouldRun = r.wouldRun
    refusedBy = r.refusedBy
    refusal = r.refusal
    largestPassing = r.largestPassing.map {
      RunOutput.Amount(unit: $0.unit, amount: $0.amount.description)
    }
    replays = replay.map { "released on \($0.time) (session \(Hex.encode($0.sessionId)))" }
  }

  /// The text `mpc run --dry-run` prints.
  func text(data: String) -> String {
    var lines = [
      "dry run of query \(queryID) at party \(party) of study \(study): nothing was sent, "
        + "charged or written"
    ]
    lines.append(
      "  approvals     \(approvers.isEmpty ? "none counted" : approvers.joined(separator: ", "))")
    lines.append(
      "  data          \(rows) row(s) read from \(data), \(badRows) unparseable (count 0)")
    if let replays {
      lines.append("  would replay  the stored result, \(replays); nothing would be charged")
    }
    lines.append("  would charge  \(cost.unit) = \(cost.amount)")
    lines.append(
      "  budget after  \(budget.unit): remaining \(budget.remaining) of \(budget.total) "
        + "(spent before: \(budget.spent))"
        + (epsilonSpentAfter.map { "; spent as ε ≤ \(PrivacyNumbers.epsilon($0)) at the study δ" }
          ?? ""))
    for c in components {
      lines.append(
        "  accuracy      \(c.name): ±\(c.intervalHalfWidth) (95% interval half-width"
          + "\(c.dimension > 1 ? ", each of \(c.dimension) coordinates" : ""), k = \(c.k))")
    }
    if wouldRun {
      lines.append("  verdict       would run")
    } else {
      lines.append("  verdict       REFUSED by \(refusedBy ?? "?"): \(refusal ?? "")")
      if let largestPassing {
        lines.append(
          "  would pass    with \(largestPassing.unit) = \(largestPassing.amount) "
            + "(the largest to 6 decimals)")
      } else if refusedBy == "budget" || refusedBy == "policy.max_query_cost" {
        lines.append("  would pass    with no positive \(cost.unit): the budget is spent")
      }
    }
    return lines.joined(separator: "\n")
  }
}
