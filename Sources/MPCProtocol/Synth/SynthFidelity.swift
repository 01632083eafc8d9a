/// The fidelity report of synthetic rows (issue 20 item 4), free of budget: the rows' 1- and
/// 2-way marginals against the released noisy marginals (clamped at 0 and normalised), as the
/// L1 distance of normalised marginals per column and pair and their means; the model's own
/// error on the marginals it models (1-way and tree pairs); and a warning when the rows are
/// worse than 1.2 times the model's own error there plus the error expected from sampling
/// that many rows (a sign of a sampling bug).
public struct SynthFidelity: Sendable, Codable, Hashable {
  /// One marginal's distance.
  public struct Entry: Sendable, Codable, Hashable {
    /// The columns (names).
    public var columns: [String]
    /// L1 distance of the synthetic rows' normalised marginal to the released one.
    public var synthetic: Double
    /// The model's own distance (nil for a pair the tree does not model).
    public var model: Double?
    /// Whether the tree models this marginal.
    public var modelled: Bool
  }

  /// Per column.
  public var oneWay: [Entry]
  /// Per pair, lexicographic.
  public var twoWay: [Entry]
  /// Mean synthetic distance over columns.
  public var meanOneWay: Double
  /// Mean synthetic distance over pairs.
  public var meanTwoWay: Double
  /// Mean over 1-way and tree-pair marginals: the rows' distance.
  public var modelledSynthetic: Double
  /// The same for the model's exact marginals.
  public var modelledModel: Double
  /// The expected distance of `rows` samples from the model's own marginals on the same
  /// marginals (Σ over cells of √(2p(1 − p)/(πN)), the mean absolute deviation of a binomial
  /// proportion), averaged like the others.
  public var modelledSampling: Double
  /// Pairs the tree does not model.
  public var unmodelledPairs: [[String]]
  /// The ratio threshold of the warning.
  public static let warningRatio = 1.2
  /// Set when `modelledSynthetic` > 1.2 × (`modelledModel` + `modelledSampling`).
  public var warning: String?
  /// The number of synthetic rows.
  public var rows: Int

  /// The L1 distance of two non-negative vectors after each is normalised to sum 1 (a vector
  /// of zeros is taken as uniform).
  public static func distance(_ p: [Double], _ q: [Double]) -> Double {
    func normal(_ v: [Double]) -> [Double] {
      let c = v.map { max($0, 0) }
      let s = c.reduce(0, +)
      return s > 0 ? c.map { $0 / s } : c.map { _ in 1 / Double(c.count) }
    }
    return zip(normal(p), normal(q)).reduce(0) { $0 + abs($1.0 - $1.1) }
  }

  /// The table of `rows` over `columns` (row-major, last fastest).
  public static func table(_ rows: [[Int]], columns: [Int], levels: [Int]) -> [Double] {
    var t = [Double](repeating: 0, count: columns.reduce(1) { $0 * levels[$1] })
    for row in rows {
      var cell = 0
      for c in columns { cell = cell * levels[c] + row[c] }
      t[cell] += 1
    }
    return t
  }

  /// The mean over all `k`-subsets of columns of the distance between the two row sets'
  /// normalised marginals (the issue's error measure, k = 2 or 3).
  public static func meanError(_ a: [[Int]], _ b: [[Int]], levels: [Int], k: Int) -> Double {
    let d = levels.count
    var subsets: [[Int]] = [[]]
    for _ in 0..<k {
      subsets = subsets.flatMap { s in ((s.last.map { $0 + 1 } ?? 0)..<d).map { s + [$0] } }
    }
    let total = subsets.reduce(0.0) {
      $0 + distance(table(a, columns: $1, levels: levels), table(b, columns: $1, levels: levels))
    }
    return total / Double(subsets.count)
  }

  /// The report of `rows` sampled from `model`.
  public init(model: SynthModel, rows: [[Int]]) {
    let levels = model.columns.map(\.labels.count)
    let d = levels.count
    let names = model.columns.map(\.name)
    // The model's exact marginals: each column's, and each tree pair's (parent × child).
    func normal(_ w: [Int64]) -> [Double] {
      let s = Double(w.reduce(0, +))
      return s > 0 ? w.map { Double($0) / s } : w.map { _ in 1 / Double(w.count) }
    }
    var marginal = [[Double]](repeating: [], count: d)
    var conditional = [[[Double]]](repeating: [], count: d)
    marginal[model.root] = normal(model.rootWeights)
    let fallback = SynthFidelityFallback.self
    for c in model.order {
      let p = model.parents[c]
      conditional[c] = fallback.conditionals(model.conditionals[c]).map(normal)
      marginal[c] = (0..<levels[c]).map { x in
        (0..<levels[p]).reduce(0.0) { $0 + marginal[p][$1] * conditional[c][$1][x] }
      }
    }
    let n = Double(max(rows.count, 1))
    func sampling(_ p: [Double]) -> Double {
      p.reduce(0) { $0 + (2 * $1 * (1 - $1) / (Double.pi * n)).squareRoot() }
    }
    var samplingTotal = 0.0
    var offset = 0
    var oneWay: [Entry] = []
    for i in 0..<d {
      let released = model.oneWay[offset..<(offset + levels[i])].map { Double($0) }
      offset += levels[i]
      samplingTotal += sampling(marginal[i])
      oneWay.append(
        Entry(
          columns: [names[i]],
          synthetic: Self.distance(Self.table(rows, columns: [i], levels: levels), released),
          model: Self.distance(marginal[i], released), modelled: true))
    }
    offset = 0
    var twoWay: [Entry] = []
    let tree = Set(model.tree)
    for a in 0..<d {
      for b in (a + 1)..<d {
        let size = levels[a] * levels[b]
        let released = model.twoWay[offset..<(offset + size)].map { Double($0) }
        offset += size
        var modelDistance: Double?
        if tree.contains(SynthPair(a, b)) {
          let (p, c) = model.parents[b] == a ? (a, b) : (b, a)
          var joint = [Double](repeating: 0, count: size)
          for xp in 0..<levels[p] {
            for xc in 0..<levels[c] {
              let cell = p == a ? xp * levels[b] + xc : xc * levels[b] + xp
              joint[cell] = marginal[p][xp] * conditional[c][xp][xc]
            }
          }
          modelDistance = Self.distance(joint, released)
          samplingTotal += sampling(joint)
        }
        twoWay.append(
          Entry(
            columns: [names[a], names[b]],
            synthetic: Self.distance(Self.table(rows, columns: [a, b], levels: levels), released),
            model: modelDistance, modelled: modelDistance != nil))
      }
    }
    self.oneWay = oneWay
    self.twoWay = twoWay
    meanOneWay = oneWay.reduce(0) { $0 + $1.synthetic } / Double(oneWay.count)
    meanTwoWay = twoWay.reduce(0) { $0 + $1.synthetic } / Double(max(twoWay.count, 1))
    let modelled = oneWay + twoWay.filter(\.modelled)
    modelledSynthetic = modelled.reduce(0) { $0 + $1.synthetic } / Double(modelled.count)
    modelledModel = modelled.reduce(0) { $0 + ($1.model ?? 0) } / Double(modelled.count)
    modelledSampling = samplingTotal / Double(modelled.count)
    unmodelledPairs = twoWay.filter { !$0.modelled }.map(\.columns)
    self.rows = rows.count
    if modelledSynthetic > Self.warningRatio * (modelledModel + modelledSampling) {
      warning =
        "the synthetic rows are further from the released marginals (\(modelledSynthetic)) than "
        + "1.2 × the model's own error (\(modelledModel)) plus the expected sampling error of "
        + "\(rows.count) rows (\(modelledSampling)): a sign of a sampling bug"
    }
  }

  /// The report in words.
  public var text: String {
    func f(_ x: Double) -> String { String(Int((x * 10000).rounded())).paddedFraction }
    var lines = ["fidelity of \(rows) synthetic rows (mean L1 of normalised marginals, 0 = same):"]
    lines.append("  1-way mean \(f(meanOneWay)), 2-way mean \(f(meanTwoWay))")
    lines.append(
      "  modelled marginals: synthetic \(f(modelledSynthetic)), model \(f(modelledModel)), "
        + "expected from sampling \(f(modelledSampling))")
    for e in oneWay {
      lines.append("  \(e.columns[0]): \(f(e.synthetic))")
    }
    for e in twoWay {
      lines.append(
        "  \(e.columns.joined(separator: " × ")): \(f(e.synthetic))"
          + (e.modelled ? " (tree)" : " (not modelled)"))
    }
    if !unmodelledPairs.isEmpty {
      lines.append(
        "  pairs the tree does not model: "
          + unmodelledPairs.map { $0.joined(separator: "×") }.joined(separator: ", "))
    }
    if let warning { lines.append("warning: \(warning)") }
    return lines.joined(separator: "\n")
  }
}

/// The conditionals as the sampler uses them (zero rows replaced, ``SynthSampler``).
enum SynthFidelityFallback {
  static func conditionals(_ rows: [[Int64]]) -> [[Int64]] {
    guard let width = rows.first?.count else { return [] }
    let summed = (0..<width).map { x in rows.reduce(Int64(0)) { $0 + $1[x] } }
    return rows.map { w in
      if w.contains(where: { $0 > 0 }) { return w }
      if summed.contains(where: { $0 > 0 }) { return summed }
      return [Int64](repeating: 1, count: width)
    }
  }
}

extension String {
  /// "1234" (ten-thousandths) as "0.1234".
  fileprivate var paddedFraction: String {
    let digits = String(repeating: "0", count: max(0, 5 - count)) + self
    return String(digits.dropLast(4)) + "." + String(digits.suffix(4))
  }
}
