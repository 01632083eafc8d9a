import MPCBigInt
import MPCCrypto
import MPCProtocol

// MARK: - synth

/// The post-processing of a `synth` query (`protocols/query.md` §7.2–§7.4): from three released
/// rounds and their noise variances, the pairs' mutual information (binary64 bits), the tree,
/// the model's integer weights, and the first rows the seeded sampler draws from it.
struct SynthFamily: VectorFamily {
  var name: String { "synth" }
  var summary: String {
    "synth post-processing: released rounds (1-way, all 2-way, tree 2-way marginals, raw) and "
      + "per-cell noise variances in; mutual information per pair (IEEE-754 bits, hex), the "
      + "maximum spanning tree, the model (order, parents, root weights, conditional weights) "
      + "and the first rows sampled with the given seed out."
  }
  var spec: String { "protocols/query.md §7.2–§7.4" }

  /// Columns of the cases: two categorical and one numeric.
  static let columns: VectorValue = .array([
    .object(["column": "a", "categories": .array(["x", "y"])]),
    .object(["column": "b", "categories": .array(["x", "y", "z"])]),
    .object(["column": "c", "bin_edges": .array([0, 10, 20])]),
  ])

  static func query(_ input: VectorValue) throws -> SynthQuery {
    let axes = try input["columns"].array().map { c -> CrosstabAxis in
      let bins: HistogramBins =
        c.optional("categories") != nil
        ? .categories(try c["categories"].array().map { try $0.string() })
        : .edges(try c["bin_edges"].array().map { try $0.rational() })
      return CrosstabAxis(column: try c["column"].string(), bins: bins, outside: .other)
    }
    return SynthQuery(columns: axes)
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let base: VectorValue = .object(["columns": Self.columns])
    let q = try Self.query(base)
    // Rows with structure (b follows a, c follows b) and a fixed pseudo-noise that makes
    // some cells negative.
    var rows: [[Int]] = []
    for r in 0..<60 {
      let a = r % 3 == 0 ? 1 : (r % 7 == 0 ? 2 : 0)
      let b = (a + (r % 5 == 0 ? 1 : 0)) % 3
      rows.append([a, b, r % 4 == 0 ? 2 : (b + (r % 6 == 0 ? 1 : 0)) % 2])
    }
    func noisy(_ v: [Int64], _ salt: Int) -> [Int64] {
      v.enumerated().map { j, x in x + Int64((j * 7 + salt * 13) % 11) - 5 }
    }
    let one = noisy(q.oneWayLayout.vector(rows: rows), 1)
    let two = noisy(q.twoWayLayout.vector(rows: rows), 2)
    let tree = SynthSelection.tree(query: q, roundTwo: two).tree
    let three = noisy(q.treeLayout(tree).vector(rows: rows), 3)
    func input(_ rounds: [[Int64]], _ variances: [String], seed: Int) -> VectorValue {
      .object([
        "columns": Self.columns, "rounds": .array(rounds.map { .integers($0) }),
        "variances": .array(variances.map { .string($0) }), "sample_seed": .integer(seed),
        "sample_rows": 16,
      ])
    }
    // Every pair's table uniform: every MI is 0, so the tree is the tie-break's.
    let flat1 = q.oneWayLayout.dimension
    let flat2 = q.twoWayLayout.dimension
    let flatTree = SynthSelection.maximumSpanningTree(
      columns: 3, scores: Dictionary(uniqueKeysWithValues: q.allPairs.map { ($0, 0.0) }))
    let flat3 = q.treeLayout(flatTree).dimension
    return [
      (
        "structured rows with negative noisy cells",
        input([one, two, three], ["50", "75", "150"], seed: 7)
      ),
      (
        "uniform tables (all MI 0: tree by tie-break)",
        input(
          [
            [Int64](repeating: 12, count: flat1), [Int64](repeating: 4, count: flat2),
            [Int64](repeating: 4, count: flat3),
          ], ["1", "1", "1"], seed: 1)
      ),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let q = try Self.query(input)
    let rounds = try input["rounds"].array().map { try $0.array().map { Int64(try $0.int()) } }
    let variances = try input["variances"].array().map { try $0.rational() }
    let model = try SynthEstimation.model(
      query: q, queryId: "vector", sessionId: [UInt8](repeating: 0, count: 16), rounds: rounds,
      variances: variances)
    let sample = try SynthSampler(model: model).sample(
      rows: try input["sample_rows"].int(), seed: UInt64(try input["sample_seed"].int()))
    func bits(_ x: Double) -> VectorValue {
      .hex(withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) })
    }
    return .object([
      "mutual_information": .array(model.mutualInformation.map(bits)),
      "tree": .array(model.tree.map { .array([.integer($0.a), .integer($0.b)]) }),
      "order": .array(model.order.map { .integer($0) }),
      "parents": .array(model.parents.map { .integer($0) }),
      "root_weights": .integers(model.rootWeights),
      "conditionals": .array(model.conditionals.map { .array($0.map { .integers($0) }) }),
      "sample": .array(sample.map { .array($0.map { .integer($0) }) }),
    ])
  }
}
