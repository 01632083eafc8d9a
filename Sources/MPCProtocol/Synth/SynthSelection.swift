/// The tree selection of a `synth` query (`protocols/query.md` §7.2): post-processing of the
/// round-2 marginals only, in IEEE-754 double arithmetic restricted to +, −, ×, ÷ in a fixed
/// order (each correctly rounded, so bit-identical at every party and in any replayer), with
/// a logarithm built from those operations alone (no libm).
public enum SynthSelection {
  /// ln 2 as the double nearest to it.
  static let ln2 = 0.6931471805599453

  /// log(x) for x > 0 from +, −, ×, ÷ only: x = m·2^e with m ∈ [1, 2) (exact), m halved and e
  /// raised when m > 1.5 (so m ∈ (0.75, 1.5]), s = (m − 1)/(m + 1), log m = 2·Σ_{j<16}
  /// s^(2j+1)/(2j+1) summed from j = 0 up, plus e·ln 2.
  public static func log(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "log of a non-positive or non-finite value")
    var m = x.significand
    var e = Double(x.exponent)
    if m > 1.5 {
      m = m / 2
      e = e + 1
    }
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var power = s
    var sum = 0.0
    for j in 0..<16 {
      sum = sum + power / Double(2 * j + 1)
      power = power * s2
    }
    return 2 * sum + e * ln2
  }

  /// The mutual information of a noisy 2-way table (row-major, `la` × `lb`): cells clamped at 0
  /// to c, T = Σ c, row sums r_x and column sums q_y (each summed in cell order); 0 if T = 0;
  /// otherwise Σ over cells with c > 0, in cell order, of (c/T)·(((log c + log T) − log r_x)
  /// − log q_y).
  public static func mutualInformation(_ cells: some Collection<Int64>, la: Int, lb: Int)
    -> Double
  {
    let c = cells.map { Double(max($0, 0)) }
    precondition(c.count == la * lb)
    var rows = [Double](repeating: 0, count: la)
    var cols = [Double](repeating: 0, count: lb)
    var total = 0.0
    for x in 0..<la {
      for y in 0..<lb {
        let v = c[x * lb + y]
        rows[x] = rows[x] + v
        cols[y] = cols[y] + v
        total = total + v
      }
    }
    guard total > 0 else { return 0 }
    let logT = log(total)
    var mi = 0.0
    for x in 0..<la {
      for y in 0..<lb {
        let v = c[x * lb + y]
        guard v > 0 else { continue }
        mi = mi + (v / total) * (((log(v) + logT) - log(rows[x])) - log(cols[y]))
      }
    }
    return mi
  }

  /// The maximum spanning tree over d columns by Kruskal: pairs sorted by score, higher first,
  /// equal scores by the pair (a, b) lexicographically smaller first; a pair is taken when it
  /// joins two components. Returns the d − 1 edges, sorted lexicographically.
  public static func maximumSpanningTree(columns d: Int, scores: [SynthPair: Double])
    -> [SynthPair]
  {
    let order = scores.keys.sorted { l, r in
      let (sl, sr) = (scores[l]!, scores[r]!)
      return sl != sr ? sl > sr : l < r
    }
    var parent = Array(0..<d)
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x { x = parent[x] }
      return x
    }
    var tree: [SynthPair] = []
    for pair in order where tree.count < d - 1 {
      let (ra, rb) = (find(pair.a), find(pair.b))
      guard ra != rb else { continue }
      parent[max(ra, rb)] = min(ra, rb)
      tree.append(pair)
    }
    return tree.sorted()
  }

  /// The tree of round 2's released values: every pair's mutual information, then
  /// ``maximumSpanningTree(columns:scores:)``.
  public static func tree(query: SynthQuery, roundTwo raw: [Int64]) -> (
    tree: [SynthPair], scores: [Double]
  ) {
    let layout = query.twoWayLayout
    let pairs = query.allPairs
    var scores: [SynthPair: Double] = [:]
    var list: [Double] = []
    for (k, pair) in pairs.enumerated() {
      let mi = mutualInformation(
        layout.cells(k, of: raw), la: query.levels[pair.a], lb: query.levels[pair.b])
      scores[pair] = mi
      list.append(mi)
    }
    return (maximumSpanningTree(columns: query.columns.count, scores: scores), list)
  }
}
