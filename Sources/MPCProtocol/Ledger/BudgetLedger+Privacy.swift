import MPCPrivacy

extension BudgetLedger {
  /// Gaussian draws behind the spent total: n × the dimension of every Gaussian charge that
  /// stands here (open, or settled as standing by a reconcile entry). A session that stands
  /// only through a reconcile entry (charged at another party, never here) carries no
  /// dimension in this ledger and is not counted (`protocols/ledger.md` §5).
  public func gaussianDraws(parties: Int) -> Int {
    let entries = self.entries
    var standing: Set<[UInt8]> = []
    for e in entries where e.kind == .reconcile {
      for s in e.reconciliation?.sessions ?? [] where s.stands {
        standing.insert(Array(s.queryId.utf8) + [0] + s.sessionId)
      }
    }
    var draws = 0
    for e in entries where e.kind == .charge && e.mechanism == .gaussian {
      let key = Array(e.queryId.utf8) + [0] + e.sessionId
      guard isOpen(queryId: e.queryId, sessionId: e.sessionId) || standing.contains(key)
      else { continue }
      draws += parties * e.components.reduce(0) { $0 + $1.dimension }
    }
    return draws
  }

  /// The (ε, δ) the spent total meets, the Gaussian table's δ of every standing Gaussian
  /// charge combined (`protocols/noise.md` §6.4); nil for a pure-ε budget.
  public func spentPrivacy(study: StudyManifest) -> PrivacyStatement? {
    PrivacyStatement(
      cost: budget.with(amount: spent), tableDraws: gaussianDraws(parties: study.partyCount),
      study: study)
  }
}
