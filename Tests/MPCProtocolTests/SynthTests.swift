import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol
import Testing
import _MPCTestSupport

/// Data with known structure: a → b → c (c numeric, binned), d → e, a and d independent.
enum SynthFixture {
  static var queryObject: [String: Any] {
    [
      "id": "synth-1", "kind": "synth", "epsilon": "1",
      "columns": [
        ["column": "a", "categories": ["p", "q", "r", "s"]],
        ["column": "b", "categories": ["p", "q", "r", "s"]],
        ["column": "c", "bin_edges": [0, 10, 20, 30, 40]],
        ["column": "d", "categories": ["u", "v", "w"]],
        ["column": "e", "categories": ["u", "v", "w"]],
      ],
    ]
  }

  static func query() throws -> QueryManifest { try Fixtures.query(queryObject) }

  /// `count` rows from stream `label`: b = a w.p. 0.8; c ∈ [10b, 10b + 10) w.p. 0.8;
  /// e = d w.p. 0.7; every other draw uniform. Levels (`other` never occurs).
  static func rows(_ count: Int, label: String) -> [[Int]] {
    var random = SeededRandom.make("synth-data-\(label)")
    func u(_ n: Int) -> Int { Int(random.uniform(below: UInt64(n))) }
    return (0..<count).map { _ in
      let a = u(4)
      let b = u(10) < 8 ? a : u(4)
      let c = u(10) < 8 ? b : u(4)
      let d = u(3)
      let e = u(10) < 7 ? d : u(3)
      return [a, b, c, d, e]
    }
  }

  /// The rows as CSV (c as a number inside its bin).
  static func csv(_ rows: [[Int]]) -> String {
    let cats = ["p", "q", "r", "s"]
    let three = ["u", "v", "w"]
    return "a,b,c,d,e\n"
      + rows.enumerated().map { i, r in
        "\(cats[r[0]]),\(cats[r[1]]),\(10 * r[2] + i % 10),\(three[r[3]]),\(three[r[4]])\n"
      }.joined()
  }
}

@Suite struct SynthTests {
  // MARK: - Manifest

  @Test func synthQueryParsesWithDefaultSplitAndRoundTrips() throws {
    let q = try SynthFixture.query()
    guard case .synth(let s) = q.kind else {
      Issue.record("not synth")
      return
    }
    #expect(s.split == SynthQuery.defaultSplit)
    #expect(s.levels == [5, 5, 5, 4, 4])
    #expect(s.oneWayLayout.dimension == 23)
    #expect(s.twoWayLayout.dimension == 3 * 25 + 6 * 20 + 16)
    let again = try QueryManifest.decode(try JSONEncoder().encode(q), file: "again.json")
    #expect(again == q)
    let plan = try q.plan(for: try AdaptiveStudy().study)
    #expect(plan.components.map(\.name) == ["round1", "round2", "round3"])
    #expect(plan.components.map(\.sensitivity.l2Squared) == [5, 10, 4].map { Rational($0) })
  }

  @Test(arguments: [
    ("outside", "clip"), ("split", "three"), ("split", "uneven"), ("columns", "one"),
    ("mechanism", "laplace"),
  ])
  func badSynthQueriesAreRefused(field: String, variant: String) throws {
    var object = SynthFixture.queryObject
    switch (field, variant) {
    case ("outside", _):
      object["columns"] = [
        ["column": "a", "categories": ["p"]],
        ["column": "c", "bin_edges": [0, 1], "outside": "clip"],
      ]
    case ("split", "three"): object["split"] = ["1/2", "1/2"]
    case ("split", _): object["split"] = ["1/2", "1/4", "1/3"]
    case ("columns", _): object["columns"] = [["column": "a", "categories": ["p"]]]
    default:
      object["mechanism"] = "laplace"
    }
    #expect(throws: (any Error).self) { try Fixtures.query(object) }
  }

  // MARK: - Selection

  @Test func logFromBasicOperationsMatchesLibm() {
    for x in [1.0, 1.5, 2, 3, 7.25, 1e-3, 12345.678, 1e12, 0.7500001, 1.4999999] {
      let ours = SynthSelection.log(x)
      #expect(abs(ours - Foundation.log(x)) <= 4e-16 * max(1, abs(Foundation.log(x))), "log \(x)")
    }
  }

  @Test func mutualInformationOfIndependentAndCopiedColumns() {
    #expect(SynthSelection.mutualInformation([10, 10, 10, 10], la: 2, lb: 2) == 0)
    let copied = SynthSelection.mutualInformation([50, 0, 0, 50], la: 2, lb: 2)
    #expect(abs(copied - Foundation.log(2)) < 1e-15)
    // Negative noisy cells count as 0.
    #expect(SynthSelection.mutualInformation([50, -7, -3, 50], la: 2, lb: 2) == copied)
    #expect(SynthSelection.mutualInformation([-1, -2, -3, -4], la: 2, lb: 2) == 0)
  }

  /// Kruskal with ties broken by the smaller pair: (0,1) and (0,2) tie with (1,2) at 1; the
  /// first two are taken, (1,2) would close a cycle; (2,3) joins 3.
  @Test func spanningTreeBreaksTiesByPair() {
    let scores: [SynthPair: Double] = [
      SynthPair(1, 2): 1, SynthPair(0, 2): 1, SynthPair(0, 1): 1, SynthPair(2, 3): 0.5,
      SynthPair(0, 3): 0.5, SynthPair(1, 3): 0.25,
    ]
    let tree = SynthSelection.maximumSpanningTree(columns: 4, scores: scores)
    #expect(tree == [SynthPair(0, 1), SynthPair(0, 2), SynthPair(0, 3)])
    let strict = SynthSelection.maximumSpanningTree(
      columns: 4, scores: scores.merging([SynthPair(2, 3): 0.75]) { $1 })
    #expect(strict == [SynthPair(0, 1), SynthPair(0, 2), SynthPair(2, 3)])
  }

  // MARK: - Estimation and sampling

  static func exactRounds(_ s: SynthQuery, rows: [[Int]]) -> [[Int64]] {
    let one = s.oneWayLayout.vector(rows: rows)
    let two = s.twoWayLayout.vector(rows: rows)
    let tree = SynthSelection.tree(query: s, roundTwo: two).tree
    return [one, two, s.treeLayout(tree).vector(rows: rows)]
  }

  /// With noiseless rounds the estimate is the truth: the tree is the data's (a–b, b–c, d–e
  /// and one link between the groups), the root weights are column a's counts and every
  /// conditional is the true joint table of the column and its parent.
  @Test func noiselessRoundsGiveTheTrueTreeTables() throws {
    guard case .synth(let s) = try SynthFixture.query().kind else { return }
    let rows = SynthFixture.rows(5000, label: "exact")
    let model = try SynthEstimation.model(
      query: s, queryId: "x", sessionId: [UInt8](repeating: 0, count: 16),
      rounds: Self.exactRounds(s, rows: rows), variances: [1, 2, 3].map { Rational($0) })
    #expect(Set(model.tree).isSuperset(of: [SynthPair(0, 1), SynthPair(1, 2), SynthPair(3, 4)]))
    #expect(model.tree.count == 4)
    let levels = s.levels
    #expect(
      model.rootWeights == SynthFidelity.table(rows, columns: [0], levels: levels).map { Int64($0) }
    )
    for c in model.order {
      let p = model.parents[c]
      let joint = SynthFidelity.table(rows, columns: [p, c], levels: levels)
      let expected = (0..<levels[p]).map { xp in
        (0..<levels[c]).map { Int64(joint[xp * levels[c] + $0]) }
      }
      #expect(model.conditionals[c] == expected, "column \(c) given \(p)")
    }
  }

  /// Noisy rounds (negative cells included): after the projection every tree table's row and
  /// column sums are exactly its columns' margins, and all margins have one total; the
  /// model's weights are never negative.
  @Test func consistencyStepAgreesExactlyAndClamps() throws {
    guard case .synth(let s) = try SynthFixture.query().kind else { return }
    let rows = SynthFixture.rows(300, label: "noisy")
    var random = SeededRandom.make("synth-fake-noise")
    var rounds = Self.exactRounds(s, rows: rows)
    for r in rounds.indices {
      rounds[r] = rounds[r].map { $0 + Int64(random.uniform(below: 81)) - 40 }
    }
    let variances = [Rational(100), Rational(200), Rational(300)]
    let e = try SynthEstimation.estimate(query: s, rounds: rounds, variances: variances)
    let levels = s.levels
    for margin in e.margins { #expect(margin.reduce(Rational(0), +) == e.total) }
    for edge in e.tree {
      let t = e.tables[edge]!
      let (la, lb) = (levels[edge.a], levels[edge.b])
      for x in 0..<la {
        let row = (0..<lb).reduce(Rational(0)) { $0 + t[x * lb + $1] }
        #expect(row == e.margins[edge.a][x], "edge \(edge) row \(x)")
      }
      for y in 0..<lb {
        let col = (0..<la).reduce(Rational(0)) { $0 + t[$1 * lb + y] }
        #expect(col == e.margins[edge.b][y], "edge \(edge) column \(y)")
      }
    }
    #expect(
      e.tables.values.contains { $0.contains { $0.signum < 0 } }, "the noise made a cell negative")
    let model = try SynthEstimation.model(
      query: s, queryId: "x", sessionId: [UInt8](repeating: 0, count: 16), rounds: rounds,
      variances: variances)
    #expect(model.rootWeights.allSatisfy { $0 >= 0 })
    #expect(model.conditionals.allSatisfy { $0.allSatisfy { $0.allSatisfy { $0 >= 0 } } })
  }

  @Test func samplerIsDeterministicAndFollowsTheModel() throws {
    guard case .synth(let s) = try SynthFixture.query().kind else { return }
    let rows = SynthFixture.rows(4000, label: "sampler")
    let model = try SynthEstimation.model(
      query: s, queryId: "x", sessionId: [UInt8](repeating: 0, count: 16),
      rounds: Self.exactRounds(s, rows: rows), variances: [1, 1, 1].map { Rational($0) })
    let sampler = try SynthSampler(model: model)
    let one = try sampler.sample(rows: 20000, seed: 7)
    #expect(try sampler.sample(rows: 20000, seed: 7) == one)
    #expect(try sampler.sample(rows: 100, seed: 8) != Array(one.prefix(100)))
    // The model is the data's tree: sampled 2-way marginals of tree pairs are the data's.
    let levels = s.levels
    for pair in model.tree {
      let d = SynthFidelity.distance(
        SynthFidelity.table(one, columns: [pair.a, pair.b], levels: levels),
        SynthFidelity.table(rows, columns: [pair.a, pair.b], levels: levels))
      #expect(d < 0.05, "pair \(pair)")
    }
    let report = SynthFidelity(model: model, rows: one)
    #expect(report.warning == nil)
    #expect(report.unmodelledPairs.count == 10 - 4)
    // A sampler that ignored the parents (rows shuffled per column) is flagged.
    var broken = one
    for i in broken.indices { broken[i][2] = one[(i * 7919) % one.count][2] }
    #expect(SynthFidelity(model: model, rows: broken).warning != nil)
  }

  @Test func csvRowsReadBackToTheirLevels() throws {
    guard case .synth(let s) = try SynthFixture.query().kind else { return }
    let rows = SynthFixture.rows(50, label: "csv")
    let read = try SynthRows.load(
      query: s, csv: Array(SynthFixture.csv(rows).utf8), file: "data.csv")
    #expect(read.rows == rows)
    // Missing, unknown and outside values, and a malformed record, go to `other`.
    let odd = "a,b,c,d,e\nzz,,41,u,v\np,q,nan,w,w\n\"open,p,q,1,u,u\n"
    let parsed = try SynthRows.load(query: s, csv: Array(odd.utf8), file: "odd.csv")
    #expect(parsed.rows[0] == [4, 4, 4, 0, 1])
    #expect(parsed.rows[1] == [0, 1, 4, 2, 2])
    #expect(parsed.unparsedValues == 1)
    #expect(parsed.malformedRecords == 1)
    #expect(throws: InputError.self) {
      try SynthRows.load(query: s, csv: Array("a,b\np,q\n".utf8), file: "short.csv")
    }
  }

  // MARK: - End to end (in memory)

  /// Three parties at ε = 1, δ = 1e-9 (t = 1): the model is identical at every party; the tree
  /// holds the data's strong links; the synthetic data's 2- and 3-way errors against the real
  /// joint data are far below those of independent columns, on several seeds.
  @Test(arguments: ["s1", "s2", "s3"])
  func threePartiesReleaseOneModelOfTheData(seed: String) async throws {
    let study = try AdaptiveStudy(budget: "1")
    let q = try SynthFixture.query()
    guard case .synth(let s) = q.kind else { return }
    let parts = (0..<3).map { SynthFixture.rows(10000, label: "\(seed)-\($0)") }
    let layouts = parts.map { SynthRun.layout(query: s, rows: SynthRows(rows: $0)) }
    let results = try await study.run(q, label: "synth-\(seed)", layouts: layouts)
    let models = try results.map { try SynthRun.model(query: q, result: try $0.get()) }
    #expect(Set(try models.map { try $0.fingerprint() }).count == 1)
    let model = models[0]
    #expect(Set(model.tree).isSuperset(of: [SynthPair(0, 1), SynthPair(1, 2), SynthPair(3, 4)]))
    let real = parts.flatMap { $0 }
    let synthetic = try SynthSampler(model: model).sample(rows: real.count, seed: 1)
    let two = SynthFidelity.meanError(synthetic, real, levels: s.levels, k: 2)
    let three = SynthFidelity.meanError(synthetic, real, levels: s.levels, k: 3)
    // Independent columns (each shuffled) as the baseline the tree must beat.
    let independent = real.indices.map { i in
      (0..<5).map { real[(i * (7919 + 2 * $0)) % real.count][$0] }
    }
    let twoIndependent = SynthFidelity.meanError(independent, real, levels: s.levels, k: 2)
    print("synth \(seed): 2-way \(two), 3-way \(three), independent 2-way \(twoIndependent)")
    #expect(two < 0.06)
    #expect(three < 0.12)
    #expect(two < twoIndependent / 2)
    #expect(SynthFidelity(model: model, rows: synthetic).warning == nil)
  }
}
