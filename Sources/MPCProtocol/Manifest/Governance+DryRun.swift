public import MPCBigInt
public import MPCPrivacy

/// What a run of a query would do at this party, decided locally (`mpc run --dry-run`): no
/// network activity, nothing charged, nothing written.
public struct DryRun: Sendable, Hashable {
  /// One component's accuracy: the half-width h of its 95% interval (the true value lies in
  /// [released − h, released + h] with probability ≥ 0.95).
  public struct Component: Sendable, Hashable {
    /// `count`, `sum`, `histogram`, … (a mean has `sum` and `count`).
    public var name: String
    /// Its number of coordinates.
    public var dimension: Int
    /// k = n − t.
    public var k: Int
    /// The 95% interval half-width.
    public var halfWidth: Int64
  }

  /// The query id.
  public var queryID: String
  /// What the run would charge, in the study budget's unit.
  public var cost: PrivacyCost
  /// The study's budget.
  public var budget: PrivacyCost
  /// Spent before the run (this party's ledger; 0 before the first query).
  public var spent: Rational
  /// Remaining after the run (negative when the budget would not suffice).
  public var remainingAfter: Rational
  /// The noise of every component (empty when the query cannot be planned).
  public var components: [Component]
  /// The approvers whose signatures count.
  public var approvers: [String]
  /// The rule that would refuse the run (`registry`, `policy.max_query_cost`, `budget`, …), or
  /// nil when it would run.
  public var refusedBy: String?
  /// Why, in words.
  public var refusal: String?
  /// For a refusal by cost (policy or budget): the largest privacy parameter of the query's
  /// own unit (`epsilon` or `rho`, to 6 decimals, rounded down) with which it would pass; nil
  /// otherwise, or when no positive parameter passes.
  public var largestPassing: PrivacyCost?
  /// Whether the run would go ahead.
  public var wouldRun: Bool { refusedBy == nil }
}

extension Governance {
  /// A dry run of `query` at a party holding `ledger` (nil: no ledger yet, nothing spent):
  /// checks the registry, the policy, the budget and the noise plan, and reports the cost,
  /// what would remain and the interval half-widths. Throws only for a query that does not
  /// fit the study at all (``ManifestError``); every refusal a run would meet is reported.
  public static func dryRun(
    study: StudyManifest, query: QueryManifest, registered: RegisteredQuery?,
    ledger: BudgetLedger?, force: Bool = false
  ) throws -> DryRun {
    let plan = try query.plan(for: study)
    let spent = ledger?.spent ?? Rational(0)
    var report = DryRun(
      queryID: query.id, cost: plan.cost, budget: study.budget, spent: spent,
      remainingAfter: study.budget.amount - spent - plan.cost.amount, components: [],
      approvers: [], refusedBy: nil, refusal: nil, largestPassing: nil)
    func refuse(_ rule: String, _ why: String) {
      if report.refusedBy == nil { (report.refusedBy, report.refusal) = (rule, why) }
    }
    if let registry = study.registry {
      if let registered {
        let v = registered.verify(against: registry, studyID: study.id)
        report.approvers = v.valid
        if !v.approved {
          refuse(
            "registry",
            String(
              describing: RegistryError.notApproved(
                queryID: query.id, valid: v.valid, threshold: v.threshold,
                rejected: v.rejected.map { "\($0.approver): \($0.problem)" })))
        }
      } else if registry.required {
        refuse("registry", String(describing: RegistryError.unregistered(queryID: query.id)))
      }
    }
    if let policy = study.policy {
      do {
        try policy.check(query: query, cost: plan.cost)
      } catch PolicyError.violated(let rule, let problem) {
        refuse(rule, problem)
      }
    }
    if report.remainingAfter.signum < 0 {
      refuse(
        "budget",
        "the study budget \(study.budget) has \(study.budget.amount - spent) left at this party; "
          + "the query costs \(plan.cost)")
    }
    do {
      let runPlan = try RunPlan(study: study, query: query, force: force)
      report.components = runPlan.components.map {
        DryRun.Component(
          name: $0.component.name, dimension: $0.component.dimension, k: $0.noise.k,
          halfWidth: $0.noise.intervalHalfWidth)
      }
    } catch {
      refuse("noise", String(describing: error))
    }
    // A parameter to suggest only when the cost is what refuses it.
    if report.refusedBy == "budget" || report.refusedBy == "policy.max_query_cost" {
      report.largestPassing = largestPassing(
        study: study, query: query, remaining: study.budget.amount - spent)
    }
    return report
  }

  /// The largest parameter p = m / 10^6 ≤ the query's own with which `query` would meet the
  /// policy's per-query limit and fit in `remaining` (binary search: the cost grows with p).
  static func largestPassing(study: StudyManifest, query: QueryManifest, remaining: Rational)
    -> PrivacyCost?
  {
    let scale = BigInt(1_000_000)
    func passes(_ m: BigInt) -> Bool {
      var q = query
      q.privacy = query.privacy.with(amount: Rational(m) / Rational(scale))
      guard let cost = try? q.plan(for: study).cost, cost.amount <= remaining else { return false }
      if let policy = study.policy, (try? policy.check(query: q, cost: cost)) == nil {
        return false
      }
      return true
    }
    var low = BigInt(0)  // passes (or 0)
    var high = (query.privacy.amount * Rational(scale)).floor  // may not pass
    if passes(high) { return query.privacy }
    while high - low > 1 {
      let mid = (low + high) / 2
      if passes(mid) { low = mid } else { high = mid }
    }
    return low > 0 ? query.privacy.with(amount: Rational(low) / Rational(scale)) : nil
  }
}
