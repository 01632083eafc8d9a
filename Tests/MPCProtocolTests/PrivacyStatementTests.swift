import MPCBigInt
import MPCPrivacy
import MPCProtocol
import Testing

/// The Gaussian table's δ combined into what results and the ledger report (`protocols/noise.md`
/// §6.4).
@Suite struct PrivacyStatementTests {
  static var gaussianCount: [String: Any] {
    [
      "id": "q-g", "kind": "count", "mechanism": "gaussian", "rho": "1/10",
    ]
  }

  /// A Gaussian run reports δ = study δ + (1 + e^ε)·n·m·2^−100 for its n·m table draws; the
  /// ledger accumulates the draws of every standing charge.
  @Test func gaussianRunAndLedgerCombineTheTableDelta() async throws {
    let s = try Study(n: 3)
    let query = try Fixtures.query(Self.gaussianCount)
    for round in 0..<2 {
      let results = try await s.run(query, noiseLabel: "table-delta-\(round)")
      let r = try results[0].get()
      let p = try #require(r.privacy)
      let expected = NoiseCalibration.tableDeltaCharge(
        epsilon: Rational(exactly: p.epsilon), samples: 3 * 1)
      #expect(p.tableDelta == expected)
      #expect(p.tableDelta.signum > 0)
      #expect(p.delta == Rational(1, 1_000_000) + expected)
      #expect(p.deltaText.contains("(Gaussian table)"))
    }
    for ledger in s.ledgers {
      #expect(ledger.gaussianDraws(parties: 3) == 2 * 3)
      let spent = try #require(ledger.spentPrivacy(study: s.study))
      #expect(
        spent.tableDelta
          == NoiseCalibration.tableDeltaCharge(
            epsilon: Rational(exactly: spent.epsilon), samples: 6))
      #expect(spent.delta > Rational(1, 1_000_000))
    }
  }

  /// Laplace draws and the exact Gaussian method add no table δ; a pure-ε cost has no δ.
  @Test func noTableDeltaWithoutTableDraws() throws {
    let s = try Study(n: 3)
    let laplace = try RunPlan(study: s.study, query: try Fixtures.query(Fixtures.kinds["count"]!))
    #expect(laplace.gaussianDraws == 0)
    #expect(laplace.privacy?.tableDelta == .zero)
    #expect(laplace.privacy?.deltaText == "δ = 1e-6")

    var object = Fixtures.studyObject(budget: ["rho": "1"])
    object["noise"] = ["gaussian_method": "exact", "timing": "variable"]
    let exact = try RunPlan(
      study: try Fixtures.study(object), query: try Fixtures.query(Self.gaussianCount))
    #expect(exact.gaussianDraws == 3)
    #expect(exact.privacy?.tableDelta == .zero)

    let pure = try Fixtures.study(Fixtures.studyObject(budget: ["epsilon": "1"]))
    #expect(
      PrivacyStatement(cost: .pure(epsilon: Rational(1, 2)), tableDraws: 10, study: pure) == nil)
  }

  /// The table part of the text is rounded up, never below the exact δ_table.
  @Test func deltaTextNeverUnderstatesTheTablePart() throws {
    let study = try Fixtures.study(Fixtures.studyObject(budget: ["rho": "1"]))
    for draws in [1, 7, 1000, 123_457] {
      let p = try #require(
        PrivacyStatement(cost: .zcdp(rho: Rational(1, 2)), tableDraws: draws, study: study))
      let text = p.deltaText
      let part = try #require(text.split(separator: "+").last?.split(separator: " ").first)
      let shown = try #require(Double(String(part)))
      #expect(Rational(exactly: shown) >= p.tableDelta, "\(text)")
    }
  }
}
