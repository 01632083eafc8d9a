public import Foundation
public import MPCBigInt
import MPCCrypto

/// One column of a released synthetic-data model: its name, level labels and the value each
/// level is written as in synthetic rows.
public struct SynthModelColumn: Sendable, Hashable, Codable {
  /// The column name.
  public var name: String
  /// A label per level (`other` last).
  public var labels: [String]
  /// The CSV value written for each level: the category, a numeric bin's lower edge, and the
  /// empty string for `other` (so reading the synthetic file back maps every value to its level).
  public var values: [String]
}

/// The released model of a `synth` query (`protocols/query.md` §7.3): the tree, the root's
/// weights and each other column's weights given its parent, all integers, plus the released
/// noisy marginals it was estimated from (for the fidelity report). Derived by exact rational
/// arithmetic from the released rounds, so bit-identical at every party.
public struct SynthModel: Sendable, Hashable, Codable {
  /// `mpc.synth-model/1`.
  public var format = SynthModel.formatName
  /// The query id.
  public var queryId: String
  /// The session (hex) the rounds ran in.
  public var sessionId: String
  /// The columns.
  public var columns: [SynthModelColumn]
  /// The released round-1 values (every column's 1-way marginal, raw).
  public var oneWay: [Int64]
  /// The released round-2 values (every pair's 2-way marginal, raw).
  public var twoWay: [Int64]
  /// The released round-3 values (the tree's 2-way marginals, raw, edges sorted).
  public var treeMarginals: [Int64]
  /// The mutual information of each pair from round 2, pairs in lexicographic order.
  public var mutualInformation: [Double]
  /// The tree's edges, lexicographically sorted.
  public var tree: [SynthPair]
  /// The root column (column 0).
  public var root: Int
  /// The non-root columns in sampling order (breadth first from the root, neighbours by index).
  public var order: [Int]
  /// Each column's parent (−1 for the root).
  public var parents: [Int]
  /// The root's weights per level.
  public var rootWeights: [Int64]
  /// Per column, weights[x_parent][x] (empty for the root).
  public var conditionals: [[[Int64]]]

  /// The format name of a model file.
  public static let formatName = "mpc.synth-model/1"

  /// The model's canonical JSON (snake_case keys, sorted), the bytes every party must agree on.
  public func canonicalJSON() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return try encoder.encode(self)
  }

  /// BLAKE2b-256 of ``canonicalJSON()``, hex: equal at every party.
  public func fingerprint() throws -> String {
    var h = try Blake2b(outputByteCount: 32)
    h.update(Array(try canonicalJSON()))
    return Hex.encode(h.finalize())
  }

  /// Reads a model file; errors name the file.
  public static func load(contentsOf url: URL) throws -> SynthModel {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw SynthError.unreadable(file: url.path, problem: "\(error.localizedDescription)")
    }
    let model: SynthModel
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do { model = try decoder.decode(SynthModel.self, from: data) } catch {
      throw SynthError.unreadable(file: url.path, problem: "not a synth model: \(error)")
    }
    if let problem = model.validationProblem() {
      throw SynthError.unreadable(file: url.path, problem: problem)
    }
    return model
  }

  /// The first inconsistency of a decoded model, nil when it can be sampled.
  func validationProblem() -> String? {
    let d = columns.count
    guard format == Self.formatName else {
      return "format \"\(format)\", expected \(Self.formatName)"
    }
    guard d >= 2, parents.count == d, conditionals.count == d, (0..<d).contains(root),
      order.count == d - 1, Set(order + [root]).count == d
    else { return "the tree does not span the columns" }
    guard columns.allSatisfy({ !$0.labels.isEmpty && $0.labels.count == $0.values.count })
    else { return "a column without levels" }
    guard rootWeights.count == columns[root].labels.count, rootWeights.allSatisfy({ $0 >= 0 })
    else { return "root weights do not match the root's levels" }
    var placed: Set<Int> = [root]
    for c in order {
      let p = parents[c]
      guard placed.contains(p) else { return "column \(c) is sampled before its parent" }
      guard conditionals[c].count == columns[p].labels.count,
        conditionals[c].allSatisfy({
          $0.count == columns[c].labels.count && $0.allSatisfy { $0 >= 0 }
        })
      else { return "column \(c)'s weights do not match its and its parent's levels" }
      placed.insert(c)
    }
    return nil
  }
}

/// Errors of synthetic data: a model or data file that cannot be used, a bad argument.
public enum SynthError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A file that cannot be read or is not what it should be.
  case unreadable(file: String, problem: String)
  /// A released round that does not fit the query's layout.
  case malformedRelease(round: Int, problem: String)

  public var description: String {
    switch self {
    case .unreadable(let file, let problem): "\(file): \(problem)"
    case .malformedRelease(let round, let problem): "round \(round + 1): \(problem)"
    }
  }
}

// MARK: - Estimation

/// The estimation of a `synth` query's model from its released rounds (`protocols/query.md`
/// §7.3), in exact rationals.
public enum SynthEstimation {
  /// Steps 1–4 of the estimation (`protocols/query.md` §7.3) from the three released rounds
  /// (raw values) and each round's total noise variance per cell (the share variances added up).
  public static func estimate(
    query: SynthQuery, rounds raw: [[Int64]], variances: [Rational]
  ) throws -> Estimate {
    let levels = query.levels
    let d = levels.count
    guard raw.count == 3, variances.count == 3 else {
      throw SynthError.malformedRelease(round: raw.count, problem: "expected 3 rounds")
    }
    guard raw[0].count == query.oneWayLayout.dimension else {
      throw SynthError.malformedRelease(round: 0, problem: "\(raw[0].count) values")
    }
    guard raw[1].count == query.twoWayLayout.dimension else {
      throw SynthError.malformedRelease(round: 1, problem: "\(raw[1].count) values")
    }
    let (tree, scores) = SynthSelection.tree(query: query, roundTwo: raw[1])
    let treeLayout = query.treeLayout(tree)
    guard raw[2].count == treeLayout.dimension else {
      throw SynthError.malformedRelease(round: 2, problem: "\(raw[2].count) values")
    }
    let (v1, v2, v3) = (variances[0], variances[1], variances[2])
    let one = Rational(1)
    // 1. Each tree edge's table: inverse-variance average of rounds 2 and 3.
    let w2 = one / v2
    let w3 = one / v3
    let vE = one / (w2 + w3)
    let pairIndex = Dictionary(uniqueKeysWithValues: query.allPairs.enumerated().map { ($1, $0) })
    var tables: [SynthPair: [Rational]] = [:]
    for (k, edge) in tree.enumerated() {
      let m2 = query.twoWayLayout.cells(pairIndex[edge]!, of: raw[1])
      let m3 = treeLayout.cells(k, of: raw[2])
      tables[edge] = zip(m2, m3).map { (Rational(Int($0)) * w2 + Rational(Int($1)) * w3) * vE }
    }
    // 2. Each column's marginal: round 1 and the margins of its tree edges, inverse-variance.
    var margins: [[Rational]] = []
    for i in 0..<d {
      let w1 = one / v1
      var sum = query.oneWayLayout.cells(i, of: raw[0]).map { Rational(Int($0)) * w1 }
      var weight = w1
      for edge in tree where edge.a == i || edge.b == i {
        let other = edge.a == i ? edge.b : edge.a
        let w = one / (Rational(levels[other]) * vE)
        let t = tables[edge]!
        for x in 0..<levels[i] {
          var s = Rational(0)
          for y in 0..<levels[other] {
            s = s + (edge.a == i ? t[x * levels[other] + y] : t[y * levels[i] + x])
          }
          sum[x] = sum[x] + s * w
        }
        weight = weight + w
      }
      margins.append(sum.map { $0 / weight })
    }
    // 3. A common total N = mean of the margins' totals; each margin shifted evenly to it.
    let totals = margins.map { $0.reduce(Rational(0), +) }
    let total = totals.reduce(Rational(0), +) / Rational(d)
    for i in 0..<d {
      let shift = (total - totals[i]) / Rational(levels[i])
      margins[i] = margins[i].map { $0 + shift }
    }
    // 4. Each edge table projected (least squares) onto the tables with those margins.
    for edge in tree {
      let (la, lb) = (levels[edge.a], levels[edge.b])
      var t = tables[edge]!
      var rowSums = [Rational](repeating: 0, count: la)
      var colSums = [Rational](repeating: 0, count: lb)
      var s = Rational(0)
      for x in 0..<la {
        for y in 0..<lb {
          rowSums[x] = rowSums[x] + t[x * lb + y]
          colSums[y] = colSums[y] + t[x * lb + y]
          s = s + t[x * lb + y]
        }
      }
      let corner = (total - s) / Rational(la * lb)
      for x in 0..<la {
        for y in 0..<lb {
          t[x * lb + y] =
            t[x * lb + y] + (margins[edge.a][x] - rowSums[x]) / Rational(lb)
            + (margins[edge.b][y] - colSums[y]) / Rational(la) - corner
        }
      }
      tables[edge] = t
    }
    return Estimate(tree: tree, scores: scores, margins: margins, tables: tables, total: total)
  }

  /// The consistent estimates before rounding: the tree, the pairs' mutual information, every
  /// column's margin and every tree edge's table (row-major over (a, b), a < b), all with the
  /// same total, each table's margins equal to its columns' margins.
  public struct Estimate: Sendable {
    /// The tree edges, sorted.
    public var tree: [SynthPair]
    /// Mutual information per pair, lexicographic.
    public var scores: [Double]
    /// Each column's estimated counts.
    public var margins: [[Rational]]
    /// Each tree edge's estimated table.
    public var tables: [SynthPair: [Rational]]
    /// The common total.
    public var total: Rational
  }

  /// The model of `query` from the three released rounds: ``estimate(query:rounds:variances:)``,
  /// then the tree oriented from column 0 and the estimates rounded to integer weights.
  public static func model(
    query: SynthQuery, queryId: String, sessionId: [UInt8], rounds raw: [[Int64]],
    variances: [Rational]
  ) throws -> SynthModel {
    let e = try estimate(query: query, rounds: raw, variances: variances)
    let (tree, scores, margins, tables) = (e.tree, e.scores, e.margins, e.tables)
    let levels = query.levels
    let d = levels.count
    // 5. The tree from column 0, breadth first (neighbours by increasing index); weights are the
    // estimates rounded half up and clamped at 0.
    func weight(_ q: Rational) -> Int64 {
      let r = (q + Rational(1, 2)).floor
      return r.signum <= 0 ? 0 : Int(exactly: r).map(Int64.init) ?? Int64.max
    }
    var parents = [Int](repeating: -1, count: d)
    var order: [Int] = []
    var queue = [0]
    var seen: Set<Int> = [0]
    while !queue.isEmpty {
      let p = queue.removeFirst()
      let neighbours = tree.compactMap { $0.a == p ? $0.b : ($0.b == p ? $0.a : nil) }.sorted()
      for c in neighbours where !seen.contains(c) {
        seen.insert(c)
        parents[c] = p
        order.append(c)
        queue.append(c)
      }
    }
    var conditionals = [[[Int64]]](repeating: [], count: d)
    for c in order {
      let p = parents[c]
      let edge = SynthPair(p, c)
      let t = tables[edge]!
      let (lp, lc) = (levels[p], levels[c])
      conditionals[c] = (0..<lp).map { xp in
        (0..<lc).map { xc in weight(p < c ? t[xp * lc + xc] : t[xc * lp + xp]) }
      }
    }
    return SynthModel(
      queryId: queryId, sessionId: Hex.encode(sessionId),
      columns: query.columns.map(SynthModel.column), oneWay: raw[0], twoWay: raw[1],
      treeMarginals: raw[2], mutualInformation: scores, tree: tree, root: 0, order: order,
      parents: parents, rootWeights: margins[0].map(weight), conditionals: conditionals)
  }
}

extension SynthModel {
  /// A query column's labels and written values.
  static func column(_ axis: CrosstabAxis) -> SynthModelColumn {
    let n = axis.levels
    let values: [String] = (0..<n).map { level in
      switch axis.bins {
      case .categories(let names): return level < names.count ? names[level] : ""
      case .edges(let edges): return level < edges.count - 1 ? edges[level].description : ""
      }
    }
    return SynthModelColumn(
      name: axis.column, labels: (0..<n).map { axis.label($0) }, values: values)
  }
}
