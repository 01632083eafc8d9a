public import MPCBigInt
public import MPCPrivacy

/// A `synth` query (issue 20, DESIGN §10): DP synthetic data from three rounds of noisy
/// marginals over one admission. Round 1 measures every column's 1-way marginal, round 2 every
/// pair's 2-way marginal, round 3 the 2-way marginals of the maximum spanning tree of noisy
/// mutual information chosen from round 2 (`protocols/query.md` §7).
///
/// Every column keeps a last level `other`: a value outside the declared categories or bins,
/// an empty value and an unparseable number all go there, so no row is ever refused.
public struct SynthQuery: Sendable, Hashable {
  /// The columns, in order; every axis has `outside` = `other`.
  public var columns: [CrosstabAxis]
  /// The shares of the budget of rounds 1, 2 and 3 (positive, adding up to 1).
  public var split: [Rational]

  /// Equal thirds.
  public static let defaultSplit = [Rational(1, 3), Rational(1, 3), Rational(1, 3)]
  /// The fewest and most columns of a synth query.
  public static let columnRange = 2...32
  /// The largest number of levels of one column (`other` included).
  public static let maxLevels = 256
  /// The number of rounds.
  public static let roundCount = 3

  /// A synth query over `columns` with budget `split`.
  public init(columns: [CrosstabAxis], split: [Rational] = defaultSplit) {
    self.columns = columns
    self.split = split
  }

  /// The levels of each column (`other` included).
  public var levels: [Int] { columns.map(\.levels) }

  /// All pairs (a, b), a < b, in lexicographic order.
  public var allPairs: [SynthPair] {
    let d = columns.count
    return (0..<d).flatMap { a in ((a + 1)..<d).map { SynthPair(a, $0) } }
  }

  /// The layout of round 1: every column's 1-way marginal, in column order.
  public var oneWayLayout: SynthRoundLayout {
    SynthRoundLayout(marginals: columns.indices.map { [$0] }, levels: levels)
  }

  /// The layout of round 2: every pair's 2-way marginal, pairs in lexicographic order.
  public var twoWayLayout: SynthRoundLayout {
    SynthRoundLayout(marginals: allPairs.map { [$0.a, $0.b] }, levels: levels)
  }

  /// The layout of round 3: the tree's edges' 2-way marginals, edges in lexicographic order.
  public func treeLayout(_ edges: [SynthPair]) -> SynthRoundLayout {
    SynthRoundLayout(marginals: edges.sorted().map { [$0.a, $0.b] }, levels: levels)
  }

  /// The number of marginals measured in round r (0, 1, 2): d, d(d−1)/2, d−1.
  public func marginalCount(round r: Int) -> Int {
    let d = columns.count
    return [d, d * (d - 1) / 2, d - 1][r]
  }

  /// The largest dimension of round r: round 3 is at most the sum over all pairs of round 2.
  public func maxDimension(round r: Int) -> Int {
    r == 0 ? oneWayLayout.dimension : twoWayLayout.dimension
  }

  /// The sensitivity of round r under `neighbour`: a row adds 1 to one cell of each of the
  /// round's K marginals, so Δ1 = K and Δ2² = K under add/remove; replace-one moves one unit
  /// in each marginal, Δ1 = 2K and Δ2² = 2K.
  public func sensitivity(round r: Int, neighbour: NeighbourRelation) throws -> Sensitivity {
    let k = marginalCount(round: r)
    let factor = neighbour == .addRemove ? 1 : 2
    return try Sensitivity(l1: Rational(k * factor), l2Squared: Rational(k * factor))
  }

  /// The first problem of the query on its own, with its field path; nil when valid.
  func validationIssue() -> ManifestIssue? {
    guard Self.columnRange.contains(columns.count) else {
      return ManifestIssue(
        field: "columns",
        problem: "give \(Self.columnRange.lowerBound) to \(Self.columnRange.upperBound) columns, "
          + "found \(columns.count)")
    }
    var seen: Set<String> = []
    for (i, axis) in columns.enumerated() {
      if axis.column.isEmpty {
        return ManifestIssue(field: "columns[\(i)].column", problem: "must name a column")
      }
      if !seen.insert(axis.column).inserted {
        return ManifestIssue(field: "columns[\(i)].column", problem: "duplicate column")
      }
      if axis.outside != .other {
        return ManifestIssue(
          field: "columns[\(i)].outside",
          problem: "synth columns always keep an 'other' level for missing and outside values")
      }
      if let issue = StatisticQuery.binsIssue(
        axis.bins, outside: axis.outside, at: "columns[\(i)].")
      {
        return issue
      }
      if axis.levels > Self.maxLevels {
        return ManifestIssue(
          field: "columns[\(i)]",
          problem: "at most \(Self.maxLevels) levels (other included), found \(axis.levels)")
      }
    }
    guard split.count == Self.roundCount, split.allSatisfy({ $0.signum > 0 }),
      split.reduce(Rational(0), +) == Rational(1)
    else {
      return ManifestIssue(
        field: "split",
        problem: "give 3 positive budget shares (rounds 1, 2, 3) adding up to 1")
    }
    return nil
  }
}

/// A pair of columns a < b (an edge of the tree).
public struct SynthPair: Sendable, Hashable, Comparable, Codable {
  /// The smaller column index.
  public var a: Int
  /// The larger column index.
  public var b: Int

  /// The pair {x, y}, ordered.
  public init(_ x: Int, _ y: Int) {
    a = min(x, y)
    b = max(x, y)
  }

  /// Lexicographic.
  public static func < (l: SynthPair, r: SynthPair) -> Bool { (l.a, l.b) < (r.a, r.b) }
}

/// The vector layout of one round: marginals one after another, each a row-major table over
/// its columns (last column fastest).
public struct SynthRoundLayout: Sendable, Hashable {
  /// The columns of each marginal.
  public var marginals: [[Int]]
  /// Each marginal's first coordinate.
  public var offsets: [Int]
  /// The total number of coordinates.
  public var dimension: Int
  /// Levels of every column of the query.
  public var levels: [Int]

  /// The layout of `marginals` over columns with `levels`.
  public init(marginals: [[Int]], levels: [Int]) {
    self.marginals = marginals
    self.levels = levels
    var offsets: [Int] = []
    var at = 0
    for m in marginals {
      offsets.append(at)
      at += m.reduce(1) { $0 * levels[$1] }
    }
    self.offsets = offsets
    dimension = at
  }

  /// Adds one row (its level per column) to `vector`.
  public func add(row: [Int], to vector: inout [Int64]) {
    for (k, m) in marginals.enumerated() {
      var cell = 0
      for c in m { cell = cell * levels[c] + row[c] }
      vector[offsets[k] + cell] += 1
    }
  }

  /// The local vector of `rows`.
  public func vector(rows: [[Int]]) -> [Int64] {
    var v = [Int64](repeating: 0, count: dimension)
    for row in rows { add(row: row, to: &v) }
    return v
  }

  /// The cells of marginal k in `vector`.
  public func cells<T>(_ k: Int, of vector: [T]) -> ArraySlice<T> {
    let size = marginals[k].reduce(1) { $0 * levels[$1] }
    return vector[offsets[k]..<(offsets[k] + size)]
  }
}
