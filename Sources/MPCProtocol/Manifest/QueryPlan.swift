import MPCBigInt
public import MPCPrivacy

/// One separately noised part of a query's upload (a mean has two: `sum` and `count`).
public struct PlanComponent: Sendable, Hashable {
  /// `value`, `sum` or `count`.
  public var name: String
  /// The first coordinate of this part in the uploaded vector.
  public var offset: Int
  /// Its number of coordinates.
  public var dimension: Int
  /// Its sensitivity, including `max_sites_per_person`.
  public var sensitivity: Sensitivity
  /// The mechanism's own parameter for this part, to calibrate its noise: ε for `laplace`,
  /// ρ for `gaussian` (an ε given for a Gaussian query is first turned into the largest ρ whose
  /// (ε, δ) at the study's δ is within it, ``GaussianEpsilon/rho(forEpsilon:delta:)``).
  public var parameter: PrivacyCost
  /// What this part is charged, in the study budget's unit (``parameter`` converted).
  public var cost: PrivacyCost
}

/// Everything the protocol needs about a query before touching data: dimension, per-part
/// sensitivity and cost in the study's unit, and k (DESIGN §5). Derived from the manifests
/// only, never from data.
public struct QueryPlan: Sendable, Hashable {
  /// The query id.
  public var queryId: String
  /// The mechanism.
  public var mechanism: Mechanism
  /// The parts, in upload order; their dimensions add up to ``dimension``.
  public var components: [PlanComponent]
  /// The total number of uploaded coordinates.
  public var dimension: Int
  /// The total cost in the study budget's unit (the sum of the parts' costs).
  public var cost: PrivacyCost
  /// k = n − t.
  public var honestCount: Int
}

extension QueryManifest {
  /// The sensitivity of each part of the query under `neighbour` for a person at up to
  /// `maxSites` sites (the table in `protocols/manifest.md`).
  public func sensitivities(neighbour: NeighbourRelation, maxSites: Int) throws -> [(
    name: String, dimension: Int, sensitivity: Sensitivity
  )] {
    // Every input is a magnitude or a width of ordered bounds, so never negative.
    func one(_ value: BigInt) throws -> Sensitivity {
      try Sensitivity(l1: Rational(value), l2Squared: Rational(value * value))
    }
    // One value's contribution: M = max(|L|, |U|) under add-remove (present or absent),
    // max(U, 0) − min(L, 0) under replace-one (any clipped value or the default 0).
    func per(_ b: ClipBounds) -> BigInt {
      neighbour == .addRemove ? b.maxMagnitude : b.replaceOneWidth
    }
    let count = try one(1)
    let parts: [(String, Int, Sensitivity)]
    switch kind {
    case .count:
      // Replace-one: a replacement can move a row in or out of the filter, or turn a valid row
      // into an unparseable one (which counts 0), so Δ stays 1 (0 is never used).
      parts = [("value", 1, count)]
    case .sum(_, let b):
      parts = [("value", 1, try one(per(b)))]
    case .mean(_, let b, _):
      parts = [
        ("sum", 1, try one(per(b))),
        ("count", 1, count),
      ]
    case .histogram:
      let s =
        neighbour == .addRemove ? count : try Sensitivity(l1: Rational(2), l2Squared: Rational(2))
      parts = [("value", dimension, s)]
    case .vectorSum(let m, let bounds):
      let s: Sensitivity
      switch bounds {
      case .uniform(let b):
        let w = per(b)
        s = try Sensitivity(l1: Rational(w * BigInt(m)), l2Squared: Rational(w * w * BigInt(m)))
      case .perCoordinate(let list):
        var l1 = BigInt(0)
        var l2 = BigInt(0)
        for b in list {
          let w = per(b)
          l1 += w
          l2 += w * w
        }
        s = try Sensitivity(l1: Rational(l1), l2Squared: Rational(l2))
      }
      parts = [("value", m, s)]
    case .statistic(let statistic):
      parts = try zip(statistic.parts, statistic.sensitivities(neighbour: neighbour)).map {
        part, s in
        (part.name, part.dimension, try Sensitivity(l1: Rational(s.1), l2Squared: Rational(s.2)))
      }
    case .synth(let synth):
      parts = try (0..<SynthQuery.roundCount).map {
        (
          "round\($0 + 1)", synth.maxDimension(round: $0),
          try synth.sensitivity(round: $0, neighbour: neighbour)
        )
      }
    }
    return try parts.map { ($0.0, $0.1, try $0.2.scaled(bySites: maxSites)) }
  }

  /// The plan of this query in `study`: checks that the mechanism and the privacy parameter fit
  /// the study budget's unit and converts the cost into it. Errors name `file` and the field.
  public func plan(for study: StudyManifest, file: String = "<query>") throws -> QueryPlan {
    func fail(_ field: String, _ problem: String) -> ManifestError {
      .invalidManifest(file: file, field: field, problem: problem)
    }
    if mechanism == .gaussian, case .pure = study.budget {
      throw fail(
        "mechanism",
        "gaussian noise is not pure ε-DP and cannot be charged to an epsilon budget; "
          + "use laplace or a study with a rho (zCDP) budget")
    }
    if mechanism == .laplace, case .zcdp = privacy {
      throw fail("rho", "the laplace mechanism is pure ε-DP: give 'epsilon', not 'rho'")
    }
    // The mechanism's native parameter: laplace is calibrated in ε, gaussian in ρ. A mean
    // splits this native parameter; each part's cost is its parameter in the budget's unit
    // (ε_i²/2 for a laplace part under a ρ budget, so the parts add up to at most ε²/2).
    let native: PrivacyCost
    switch mechanism {
    case .laplace: native = privacy
    case .gaussian:
      switch privacy {
      case .zcdp: native = privacy
      case .pure(let epsilon):
        // ε on a Gaussian query means (ε, study δ)-DP, not ρ = ε²/2 (which is far weaker).
        do {
          native = .zcdp(
            rho: try GaussianEpsilon.rho(
              forEpsilon: epsilon, delta: GaussianEpsilon.delta(of: study)))
        } catch {
          throw fail("epsilon", "\(error)")
        }
      }
    }
    let parts = try sensitivities(neighbour: study.neighbour, maxSites: study.maxSitesPerPerson)
    var components: [PlanComponent] = []
    var offset = 0
    var total = Rational(0)
    for part in parts {
      var share = Rational(1)
      if case .mean(_, _, let sumShare) = kind {
        share = part.name == "sum" ? sumShare : Rational(1) - sumShare
      }
      if case .statistic(let statistic) = kind { share = statistic.share(of: part.name) }
      if case .synth(let synth) = kind, let r = Int(part.name.dropFirst(5)) {
        share = synth.split[r - 1]
      }
      let parameter = native.with(amount: native.amount * share)
      guard let cost = parameter.converted(toUnitOf: study.budget) else {
        throw fail("rho", "a rho (zCDP) cost cannot be charged to an epsilon budget")
      }
      total = total + cost.amount
      components.append(
        PlanComponent(
          name: part.name, offset: offset, dimension: part.dimension,
          sensitivity: part.sensitivity, parameter: parameter, cost: cost))
      offset += part.dimension
    }
    return QueryPlan(
      queryId: id, mechanism: mechanism, components: components, dimension: offset,
      cost: study.budget.with(amount: total),
      honestCount: study.honestCount)
  }
}
