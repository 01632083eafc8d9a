import Foundation
import MPCBigInt
import MPCPrivacy
import MPCProtocol
import Testing

@Suite struct QueryPlanTests {
  /// (fixture, dimension, add-remove parts, replace-one parts) with parts as (Δ1, Δ2²) at one
  /// site per person; `protocols/manifest.md` has the same table. Replace-one uses
  /// max(U, 0) − min(L, 0) (a valid row may become an unparseable one, which contributes 0):
  /// bounds [50, 100] give 100, not U − L = 50; [−1000, −999] give 1000, not 1.
  static let table: [(String, Int, [(Int, Int)], [(Int, Int)])] = [
    ("count", 1, [(1, 1)], [(1, 1)]),
    ("count-where", 1, [(1, 1)], [(1, 1)]),
    ("sum", 1, [(120, 14400)], [(120, 14400)]),
    ("sum-negative", 1, [(30, 900)], [(40, 1600)]),
    ("histogram-categories", 4, [(1, 1)], [(2, 2)]),
    ("sum-positive", 1, [(100, 10000)], [(100, 10000)]),
    ("sum-all-negative", 1, [(1000, 1_000_000)], [(1000, 1_000_000)]),
    ("histogram-edges", 3, [(1, 1)], [(2, 2)]),
    ("histogram-edges-other", 4, [(1, 1)], [(2, 2)]),
    ("mean-positive", 2, [(100, 10000), (1, 1)], [(100, 10000), (1, 1)]),
    ("vector-sum-positive", 2, [(103, 10009)], [(103, 10009)]),
    ("mean", 2, [(100, 10000), (1, 1)], [(100, 10000), (1, 1)]),
    ("vector-sum", 3, [(17, 129)], [(18, 134)]),
    ("vector-sum-uniform", 4, [(12, 36)], [(20, 100)]),
  ]

  static let cases: [(String, NeighbourRelation, Int)] = table.flatMap { row in
    NeighbourRelation.allCases.flatMap { n in [1, 2, 3].map { (row.0, n, $0) } }
  }

  @Test(arguments: cases)
  func sensitivityTable(name: String, neighbour: NeighbourRelation, sites: Int) throws {
    let row = try #require(Self.table.first { $0.0 == name })
    var object = Fixtures.studyObject()
    object["neighbour"] = neighbour.rawValue
    object["max_sites_per_person"] = sites
    let study = try Fixtures.study(object)
    let query = try Fixtures.query(try #require(Fixtures.kinds[name]))
    let plan = try query.plan(for: study)
    let expected = neighbour == .addRemove ? row.2 : row.3
    #expect(plan.dimension == row.1 && query.dimension == row.1)
    #expect(plan.components.count == expected.count)
    for (component, (l1, l2)) in zip(plan.components, expected) {
      #expect(component.sensitivity.l1 == Rational(l1 * sites), "\(name) Δ1")
      #expect(component.sensitivity.l2Squared == Rational(l2 * sites * sites), "\(name) Δ2²")
    }
    #expect(plan.components.map(\.dimension).reduce(0, +) == plan.dimension)
    #expect(plan.honestCount == 2)
  }

  @Test func costConversions() throws {
    let pureStudy = try Fixtures.study()
    var rhoObject = Fixtures.studyObject(budget: ["rho": "1"])
    rhoObject["delta"] = "1e-9"
    let rhoStudy = try Fixtures.study(rhoObject)

    let laplace = try Fixtures.query(Fixtures.sumQuery)  // ε = 1/2
    #expect(try laplace.plan(for: pureStudy).cost == .pure(epsilon: Rational(1, 2)))
    // A pure query against a zCDP budget is charged ρ = ε²/2.
    #expect(try laplace.plan(for: rhoStudy).cost == .zcdp(rho: Rational(1, 8)))

    var gaussian = Fixtures.sumQuery
    gaussian["mechanism"] = "gaussian"
    gaussian["epsilon"] = nil
    gaussian["rho"] = "3/10"
    #expect(try Fixtures.query(gaussian).plan(for: rhoStudy).cost == .zcdp(rho: Rational(3, 10)))
    gaussian["rho"] = nil
    gaussian["epsilon"] = "1"
    // ε on a Gaussian query is (ε, δ)-DP at the study's δ = 10^−9, not ρ = ε²/2.
    let rho = try GaussianEpsilon.rho(forEpsilon: 1, delta: Rational.of("1e-9"))
    #expect(try Fixtures.query(gaussian).plan(for: rhoStudy).cost == .zcdp(rho: rho))

    do {
      _ = try Fixtures.query(gaussian).plan(for: pureStudy, file: "g.json")
      Issue.record("gaussian charged to a pure budget")
    } catch let error as ManifestError {
      guard case .invalidManifest("g.json", "mechanism", let problem) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(problem.contains("pure"))
    }
  }

  /// `"epsilon": "1/2"` on a Gaussian query: charged the largest six-digit ρ whose CKS20 ε at
  /// the study's δ is ≤ 1/2 (before: ρ = 1/8, ε ≈ 2.42 at δ = 10^−6).
  @Test(arguments: ["1/2", "1", "1/100", "3"], ["1e-6", "1e-9", "1/3"])
  func gaussianEpsilonMeansEpsilonAtDelta(epsilon: String, delta: String) throws {
    var object = Fixtures.studyObject(budget: ["rho": "100"])
    object["delta"] = delta
    let study = try Fixtures.study(object)
    var query = Fixtures.sumQuery
    query["mechanism"] = "gaussian"
    query["bounds"] = [0, 10]
    query["epsilon"] = epsilon
    let plan = try Fixtures.query(query).plan(for: study)
    guard case .zcdp(let rho) = plan.cost else {
      Issue.record("not charged in ρ: \(plan.cost)")
      return
    }
    let e = Rational.of(epsilon)
    let d = Double(Rational.of(delta))
    let reached = try Accounting.epsilon(rho: rho, delta: d)
    #expect(Rational(exactly: reached) <= e, "ε(ρ = \(rho)) = \(reached) > \(epsilon)")
    // Within a small factor: ρ one step (10^−5 relative) larger would exceed ε.
    #expect(reached > 0.99 * Double(e), "ε(ρ = \(rho)) = \(reached)")
    let next = rho * Rational.of("1.00002")
    #expect(Rational(exactly: try Accounting.epsilon(rho: next, delta: d)) > e)
    if d <= 1e-6 { #expect(rho < e * e / 2, "ρ = ε²/2 is the weak reading") }
    #expect(plan.components[0].parameter == .zcdp(rho: rho))
    #expect(
      try RunPlan(study: study, query: try Fixtures.query(query)).components[0].noise.epsilon
        <= Double(e))
  }

  @Test func meanSplitsTheBudget() throws {
    let plan = try Fixtures.query(try #require(Fixtures.kinds["mean"])).plan(
      for: try Fixtures.study())
    #expect(plan.components.map(\.name) == ["sum", "count"])
    #expect(plan.components.map(\.offset) == [0, 1])
    #expect(plan.components[0].cost == .pure(epsilon: Rational(3, 4)))
    #expect(plan.components[1].cost == .pure(epsilon: Rational(1, 4)))
    #expect(plan.cost == .pure(epsilon: 1))
    #expect(plan.components.map(\.parameter) == plan.components.map(\.cost))

    // Under a ρ budget a laplace mean splits ε and charges each part ε_i²/2.
    var rhoObject = Fixtures.studyObject(budget: ["rho": "1"])
    rhoObject["delta"] = "1e-9"
    let rhoStudy = try Fixtures.study(rhoObject)
    let laplace = try Fixtures.query(try #require(Fixtures.kinds["mean"])).plan(for: rhoStudy)
    #expect(
      laplace.components.map(\.parameter) == [
        .pure(epsilon: Rational(3, 4)), .pure(epsilon: Rational(1, 4)),
      ])
    #expect(
      laplace.components.map(\.cost) == [.zcdp(rho: Rational(9, 32)), .zcdp(rho: Rational(1, 32))])
    #expect(laplace.cost == .zcdp(rho: Rational(5, 16)))

    // A gaussian mean given ε = 1 splits ρ(1, 10^−9) = 14973/10^6 (not ε²/2 = 1/2).
    var gaussian = try #require(Fixtures.kinds["mean"])
    gaussian["mechanism"] = "gaussian"
    let g = try Fixtures.query(gaussian).plan(for: rhoStudy)
    let rho = Rational(14973, 1_000_000)
    #expect(
      g.components.map(\.parameter) == [
        .zcdp(rho: rho * Rational(3, 4)), .zcdp(rho: rho * Rational(1, 4)),
      ])
    #expect(g.cost == .zcdp(rho: rho))
  }
}
