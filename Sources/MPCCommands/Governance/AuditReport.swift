import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// What `mpc audit` reads: a party's ledger and release log, opened without a lock and never
/// written, and the problems found in them.
struct AuditState {
  var study: StudyManifest
  var party: Int
  var ledger: BudgetLedger
  var records: [ReleaseRecord]
  /// Chain breaks and disagreements between the two files (empty: they agree).
  var problems: [String]

  /// Reads party `party`'s files for `study` under `location`. A broken chain is a problem
  /// (the file is then treated as empty), not a thrown error, so `audit verify` can report it.
  static func load(study: StudyManifest, party: Int, location: LedgerLocation) throws -> AuditState
  {
    do {
      _ = try location.checkIdentity(study: study, create: false)
    } catch LedgerIdentityError.noLedger {
      // Nothing ran here yet.
    }
    let directory = location.directory(for: study)
    func store(_ name: String) -> MemoryLedgerStore {
      let path = directory.appendingPathComponent(name).path
      return MemoryLedgerStore(
        name: path, contents: FileManager.default.contents(atPath: path).map(Array.init) ?? [])
    }
    var problems: [String] = []
    let ledgerStore = store(BudgetLedger.fileName(partyId: party))
    let ledger: BudgetLedger
    do {
      ledger = try BudgetLedger(store: ledgerStore, study: study)
    } catch {
      problems.append("ledger: \(error)")
      ledger = try BudgetLedger(store: MemoryLedgerStore(name: ledgerStore.name), study: study)
    }
    var records: [ReleaseRecord] = []
    do {
      records = try ReleaseLog(store: store(ReleaseLog.fileName(partyId: party))).all
    } catch {
      problems.append("release log: \(error)")
    }
    if problems.isEmpty {
      problems += ReleaseLog.crossCheck(records, against: ledger)
    }
    return AuditState(
      study: study, party: party, ledger: ledger, records: records, problems: problems)
  }
}

/// `mpc audit export --format json` (and the model of the HTML report): every release with
/// its question, answer, cost, approvers and the running total, and the spending over time.
struct AuditReport: CommandOutput {
  static let schema = "mpc.audit/1"

  struct Value: Codable {
    var component: String
    var label: String
    var value: String?
    var lower: String?
    var upper: String?
    var suppressed: Bool
  }

  /// A cost as the study budget's unit and amount, and read as (ε, δ).
  struct Total: Codable {
    var unit: String
    var amount: String
    var epsilon: Double
    var delta: Double
  }

  struct Release: Codable {
    var seq: UInt64
    var queryID: String
    var question: String
    var definition: String?
    var purpose: String?
    var useCase: String?
    var approvers: [String]
    var time: String
    var session: String
    var mechanism: String
    var k: Int
    var cost: Total
    var values: [Value]
    var mean: String?
    var outputRules: String?
    var runningTotal: Total
    var guarantee: String

    enum CodingKeys: String, CodingKey {
      case seq, question, definition, purpose, approvers, time, session, mechanism, k, cost
      case values, mean, guarantee
      case queryID = "query_id"
      case useCase = "use_case"
      case outputRules = "output_rules"
      case runningTotal = "running_total"
    }
  }

  struct Spend: Codable {
    var seq: UInt64
    var kind: String
    var queryID: String
    var cost: String
    var spentAfter: String
    var spentAfterValue: Double
    var time: String

    enum CodingKeys: String, CodingKey {
      case seq, kind, cost, time
      case queryID = "query_id"
      case spentAfter = "spent_after"
      case spentAfterValue = "spent_after_value"
    }
  }

  var schema: String = Self.schema
  var study: String
  var studyHash: String
  var party: Int
  var parties: Int
  var colluders: Int
  var honest: Int
  var budget: RunOutput.Budget
  var spentAsEpsilon: Total
  var releases: [Release]
  var spending: [Spend]
  var problems: [String]
  var generated: String

  enum CodingKeys: String, CodingKey {
    case schema, study, party, parties, colluders, honest, budget, releases, spending
    case problems, generated
    case studyHash = "study_hash"
    case spentAsEpsilon = "spent_as_epsilon"
  }

  /// The plain-language guarantee of a running total (the and README's sentence).
  static func guarantee(epsilon: Double, delta: Double, colluders: Int) -> String {
    "Whether or not any one patient's records were included changes the probability of any "
      + "result by at most a factor e^ε (ε = \(PrivacyNumbers.epsilon(epsilon))), except with "
      + "probability δ (δ = \(PrivacyNumbers.delta(delta))); this holds even if up to "
      + (colluders == 1 ? "1 site pools" : "\(colluders) sites pool") + " what they saw."
  }

  init(_ s: AuditState, now: Date = Date()) {
    let study = s.study
    let delta = study.delta.map(Double.init) ?? 0
    func total(_ amount: Rational) -> Total {
      let cost = study.budget.with(amount: amount)
      let epsilon: Double
      if case .zcdp = cost {
        epsilon = amount.signum > 0 ? ((try? cost.epsilon(delta: delta)) ?? .infinity) : 0
      } else {
        epsilon = Double(amount)
      }
      return Total(
        unit: cost.unit, amount: amount.description, epsilon: epsilon,
        delta: cost.unit == "rho" ? delta : 0)
    }
    // Spending over time: the spent total after every ledger entry.
    var spent = Rational(0)
    var spentAfterCharge: [[UInt8]: Rational] = [:]
    var chargeCost: [String: Rational] = [:]
    var spending: [Spend] = []
    for e in s.ledger.entries {
      switch e.kind {
      case .charge:
        spent = spent + e.cost.amount
        chargeCost[e.queryId + "/" + Hex.encode(e.sessionId)] = e.cost.amount
        spentAfterCharge[e.hash] = spent
      case .release:
        spent = spent - (chargeCost[e.queryId + "/" + Hex.encode(e.sessionId)] ?? Rational(0))
      case .upload:
        // The charge now stands; the total does not change.
        break
      case .reconcile:
        spent = e.reconciliation?.spent.amount ?? spent
      }
      spending.append(
        Spend(
          seq: e.sequence, kind: e.kind.rawValue, queryID: e.queryId,
          cost: e.kind == .reconcile ? "" : e.cost.description, spentAfter: spent.description,
          spentAfterValue: Double(spent), time: e.time))
    }
    releases = s.records.map { r in
      let output = try? JSONDecoder().decode(StoredResult.self, from: Data(r.result.utf8))
      let query = r.definition.flatMap {
        try? QueryManifest.decode(Data($0.utf8), file: "definition")
      }
      var values: [Value] = []
      for c in output?.components ?? [] where c.values.isEmpty && c.length > 0 {
        // A vector-sum: its values are not a table; the first few (when the log keeps them)
        // and the interval every coordinate shares.
        let shown = (c.vector?.values ?? []).prefix(5).map(\.description)
        let first =
          shown.isEmpty
          ? "not kept in the release log (over \(RunDocument.releaseLogVectorLimit) values)"
          : "first " + shown.joined(separator: ", ") + (c.length > shown.count ? ", …" : "")
        values.append(
          Value(
            component: c.name, label: "vector of \(c.length) values", value: first,
            lower: "each − \(c.intervalHalfWidth)", upper: "each + \(c.intervalHalfWidth)",
            suppressed: false))
      }
      for c in output?.components ?? [] {
        for v in c.values {
          let hidden = v.suppressed == true
          values.append(
            Value(
              component: c.name, label: v.label, value: hidden ? nil : v.value.description,
              lower: hidden ? nil : v.lower.description, upper: hidden ? nil : v.upper.description,
              suppressed: hidden))
        }
      }
      let mean = output?.mean.flatMap { m in
        m.value.map { v in
          String(format: "%.2f", v)
            + ((m.lower != nil && m.upper != nil)
              ? String(format: " [%.2f, %.2f]", m.lower ?? 0, m.upper ?? 0) : "")
        }
      }
      let running = total(spentAfterCharge[r.chargeHash] ?? s.ledger.spent)
      return Release(
        seq: r.sequence, queryID: r.queryId,
        question: query.map(Self.question) ?? "query \(r.queryId)", definition: r.definition,
        purpose: r.purpose, useCase: r.useCase, approvers: r.approvers, time: r.time,
        session: Hex.encode(r.sessionId), mechanism: r.mechanism.rawValue, k: r.honestCount,
        cost: total(r.cost.amount), values: values, mean: mean, outputRules: output?.outputRules,
        runningTotal: running,
        guarantee: Self.guarantee(
          epsilon: running.epsilon, delta: running.delta, colluders: study.colluders))
    }
    self.study = study.id
    studyHash = Hex.encode(study.studyHash)
    party = s.party
    parties = study.partyCount
    colluders = study.colluders
    honest = study.honestCount
    budget = RunOutput.Budget(
      unit: study.budget.unit, total: study.budget.amount.description,
      spent: s.ledger.spent.description, remaining: s.ledger.remaining.description)
    spentAsEpsilon = total(s.ledger.spent)
    self.spending = spending
    problems = s.problems
    generated = ISO8601DateFormatter().string(from: now)
  }

  /// The parts of a logged `result` (`mpc run --json` without its site-local keys) a report
  /// shows.
  struct StoredResult: Decodable {
    var components: [RunOutput.Component]
    var mean: RunOutput.Mean?
    var outputRules: String?

    enum CodingKeys: String, CodingKey {
      case components, mean
      case outputRules = "output_rules"
    }
  }

  /// A query in words: "count of rows where sex = F", "histogram of ward", ….
  static func question(_ q: QueryManifest) -> String {
    switch q.kind {
    case .count(let filter):
      return "How many records" + (filter.map { " have \($0.column) = \($0.equals)" } ?? "") + "?"
    case .sum(let column, _):
      return "What is the total of \(column) (each record's value clipped to the query's bounds)?"
    case .histogram(let column, _, _):
      return "How many records fall in each category of \(column)?"
    case .mean(let column, _, _):
      return "What is the mean of \(column) (values clipped to the query's bounds)?"
    case .vectorSum(let length, _):
      return "What is the sum of each site's \(length)-long vector?"
    case .statistic(.variance(let column, _, _)):
      return "What are the variance and standard deviation of \(column) (values clipped)?"
    case .statistic(.crosstab(let axes)):
      return "How many records fall in each cell of "
        + axes.map(\.column).joined(separator: " × ") + "?"
    case .statistic(.regression(let y, let x, _, _)):
      let predictors = x.map(\.column).joined(separator: ", ")
      return "How does \(y.column) depend on \(predictors) (least squares)?"
    case .statistic(.covariance(let columns)):
      return "How do " + columns.map(\.column).joined(separator: ", ")
        + " vary together (covariances and correlations, values clipped)?"
    case .synth(let s):
      return "What synthetic data set follows the 1- and 2-way marginals of "
        + s.columns.map(\.column).joined(separator: ", ") + "?"
    case .statistic(.quantile(let column, _, let qs)):
      let levels = qs.map(\.description).joined(separator: ", ")
      return "Which bins hold the quantiles \(levels) of \(column)?"
    }
  }
}
