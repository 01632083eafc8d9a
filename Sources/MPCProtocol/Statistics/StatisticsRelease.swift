import Foundation
public import MPCBigInt
public import MPCCrypto
public import MPCPrivacy

/// The variance and standard deviation of a `variance` query.
public struct VarianceReport: Sendable, Hashable, Codable {
  /// c = ⌊(L + U)/2⌋: the opened `sum` and `sum_squares` are Σ(x − c) and Σ(x − c)².
  public var centre: Int64
  /// The noisy count n.
  public var count: Double
  /// The mean Σx / n, clamped to [L, U].
  public var mean: Double
  /// The sample variance (Σx² − (Σx)²/n) / (n − 1), clamped to [0, (U − L)²/4].
  public var variance: Double
  /// Its 95% interval (noise only, parametric bootstrap).
  public var varianceLower: Double
  public var varianceUpper: Double
  /// √variance and the interval's square roots.
  public var standardDeviation: Double
  public var standardDeviationLower: Double
  public var standardDeviationUpper: Double

  enum CodingKeys: String, CodingKey {
    case centre, count, mean, variance
    case varianceLower = "variance_lower"
    case varianceUpper = "variance_upper"
    case standardDeviation = "standard_deviation"
    case standardDeviationLower = "standard_deviation_lower"
    case standardDeviationUpper = "standard_deviation_upper"
  }
}

/// A `crosstab` after post-processing: cells clamped at 0, marginals summed from them.
public struct CrosstabReport: Sendable, Hashable, Codable {
  /// One axis: its column, level labels and marginal totals.
  public struct Axis: Sendable, Hashable, Codable {
    public var column: String
    public var levels: [String]
    public var marginal: [Int64]
  }
  /// The χ² test of independence of a 2-way table.
  public struct IndependenceTest: Sendable, Hashable, Codable {
    /// X² of the post-processed table against its own marginals.
    public var statistic: Double
    /// (r − 1)(c − 1).
    public var degreesOfFreedom: Int
    /// (1 + #{X²* ≥ X²}) / (B + 1) over B simulated null tables.
    public var pValue: Double
    /// How the reference distribution was obtained.
    public var method: String

    enum CodingKeys: String, CodingKey {
      case statistic, method
      case degreesOfFreedom = "degrees_of_freedom"
      case pValue = "p_value"
    }
  }
  public var axes: [Axis]
  /// The cells, row-major (last axis fastest), clamped at 0.
  public var cells: [Int64]
  /// Σ cells.
  public var total: Int64
  /// For 2-way tables.
  public var independence: IndependenceTest?
}

/// One quantile of a `quantile` query.
public struct QuantileReport: Sendable, Hashable, Codable {
  /// q.
  public var quantile: String
  /// The bin the quantile lies in, [e_i, e_{i+1}].
  public var binLower: String
  public var binUpper: String
  /// Linear interpolation inside that bin.
  public var estimate: Double
  /// 95% interval (noise only): from the lower edge of the 2.5% bootstrap bin to the upper
  /// edge of the 97.5% one.
  public var lower: String
  public var upper: String

  enum CodingKeys: String, CodingKey {
    case quantile, estimate, lower, upper
    case binLower = "bin_lower"
    case binUpper = "bin_upper"
  }
}

/// A statistic derived from the opened vector (post-processing, no privacy cost).
public struct StatisticReport: Sendable, Hashable, Codable {
  /// The kind.
  public var kind: String
  /// How the uncertainty was computed, in words.
  public var method: String
  /// The number of simulated replicates.
  public var replicates: Int
  public var variance: VarianceReport?
  public var crosstab: CrosstabReport?
  public var quantiles: [QuantileReport]?
  public var regression: RegressionReport?
  /// The covariance matrix and correlations of a `covariance` query.
  public var covariance: CovarianceReport?
  /// Why nothing could be derived (e.g. a noisy count below 2); nil otherwise.
  public var withheld: String?

  /// A report of `kind` that derives nothing, for `reason`.
  public static func withheld(kind: String, reason: String) -> StatisticReport {
    StatisticReport(
      kind: kind, method: "none", replicates: 0, variance: nil, crosstab: nil, quantiles: nil,
      withheld: reason)
  }
}

/// Post-processing of the statistic kinds (`protocols/query.md`, "Statistics").
public enum StatisticsRelease {
  /// Bootstrap replicates (variance, quantiles).
  public static let bootstrapReplicates = 1000
  /// Null tables of the χ² test.
  public static let testReplicates = 999

  /// One opened component: its name, raw values and noise calibration.
  public struct Opened: Sendable {
    public var name: String
    public var raw: [BigInt]
    public var noise: NoisePlan
    /// The law of its noise (built from ``noise`` when nil).
    public var law: NoiseLaw?

    public init(name: String, raw: [BigInt], noise: NoisePlan, law: NoiseLaw? = nil) {
      self.name = name
      self.raw = raw
      self.noise = noise
      self.law = law
    }

    func noiseLaw() throws -> NoiseLaw { try law ?? NoiseLaw(noise) }
  }

  /// The report of `result`, or nil when the query is not a statistic.
  public static func report(_ result: QueryResult, query: QueryManifest) throws -> StatisticReport?
  {
    var random = try StatisticsRandom.stream(sessionID: result.sessionID)
    let opened = result.components.map { c in
      Opened(name: c.name, raw: (0..<c.raw.count).map { c.raw[$0] }, noise: c.noise)
    }
    return try report(query: query, opened: opened, random: &random)
  }

  /// The report of opened components of `query`, simulating with `random`.
  public static func report(
    query: QueryManifest, opened: [Opened], random: inout some RandomSource,
    replicates: Int = bootstrapReplicates, testReplicates: Int = testReplicates
  ) throws -> StatisticReport? {
    guard case .statistic(let statistic) = query.kind else { return nil }
    func part(_ name: String) throws -> Opened {
      guard let p = opened.first(where: { $0.name == name }) else {
        throw RunError.invalidSetUp(problem: "the opened vector has no '\(name)' part")
      }
      return p
    }
    switch statistic {
    case .variance(_, let bounds, _):
      return try variance(
        sum: part("sum"), squares: part("sum_squares"), count: part("count"), bounds: bounds,
        replicates: replicates, random: &random)
    case .quantile(_, let edges, let qs):
      return try quantiles(
        bins: part("bins"), edges: edges, quantiles: qs, replicates: replicates, random: &random)
    case .crosstab(let axes):
      return try crosstab(
        cells: part("cells"), axes: axes, replicates: testReplicates, random: &random)
    case .regression(let y, let x, let intercept, let ridge):
      return try regression(
        moments: opened, y: y, x: x, intercept: intercept,
        ridge: ridge.map(Double.init) ?? 0, replicates: replicates, random: &random)
    case .covariance(let columns):
      return try covariance(
        moments: opened, columns: columns, replicates: replicates, random: &random)
    }
  }

  // MARK: - variance

  static func variance(
    sum: Opened, squares: Opened, count: Opened, bounds: ClipBounds, replicates: Int,
    random: inout some RandomSource
  ) throws -> StatisticReport {
    // Centred: the sums are of y = x − c, y in [L − c, U − c].
    let c = Double(StatisticQuery.centre(of: bounds))
    let centred = StatisticQuery.centred(bounds)
    let lo = Double(centred.lower)
    let hi = Double(centred.upper)
    let maxVariance = (hi - lo) * (hi - lo) / 4
    let method =
      "parametric bootstrap: \(replicates) replicates of the exact noise law (n shares of each "
      + "part's sampler) added to the plug-in sums; basic interval 2v̂ − q(0.975), 2v̂ − q(0.025)"
    var report = StatisticReport(
      kind: "variance", method: method, replicates: replicates, variance: nil, crosstab: nil,
      quantiles: nil, withheld: nil)
    let n = Double(count.raw[0])
    guard n >= 2 else {
      report.withheld = "the noisy count \(count.raw[0]) is below 2: no variance is released"
      return report
    }
    func estimate(_ s1: Double, _ s2: Double, _ n: Double) -> (mean: Double, variance: Double) {
      let n = max(n, 2)
      let mean = min(max(s1 / n, lo), hi)
      let v = (s2 - n * mean * mean) / (n - 1)
      return (mean, min(max(v, 0), maxVariance))
    }
    let (mean, v) = estimate(Double(sum.raw[0]), Double(squares.raw[0]), n)
    // Plug-in truth: the sums a data set with this n, mean and variance has.
    let s1 = n * mean
    let s2 = v * (n - 1) + n * mean * mean
    let laws = try [sum, squares, count].map { try $0.noiseLaw() }
    var draws: [Double] = []
    draws.reserveCapacity(replicates)
    for _ in 0..<replicates {
      let e = laws.map { $0.draw(using: &random) }
      draws.append(estimate(s1 + e[0], s2 + e[1], n + e[2]).variance)
    }
    draws.sort()
    let lower = min(max(2 * v - StatisticsRandom.quantile(draws, 0.975), 0), maxVariance)
    let upper = min(max(2 * v - StatisticsRandom.quantile(draws, 0.025), 0), maxVariance)
    report.variance = VarianceReport(
      centre: StatisticQuery.centre(of: bounds), count: n, mean: c + mean, variance: v,
      varianceLower: lower, varianceUpper: upper,
      standardDeviation: v.squareRoot(), standardDeviationLower: lower.squareRoot(),
      standardDeviationUpper: upper.squareRoot())
    return report
  }

  // MARK: - quantile

  /// The bin holding quantile q of non-negative `counts` (first bin whose CDF reaches q), and
  /// the fraction of that bin below the quantile; nil when the total is 0.
  static func bin(of q: Double, counts: [Double]) -> (bin: Int, fraction: Double)? {
    let total = counts.reduce(0, +)
    guard total > 0 else { return nil }
    let target = q * total
    var below = 0.0
    for (i, c) in counts.enumerated() {
      if below + c >= target && c > 0 { return (i, (target - below) / c) }
      below += c
    }
    return (counts.count - 1, 1)
  }

  static func quantiles(
    bins: Opened, edges: [Rational], quantiles qs: [Rational], replicates: Int,
    random: inout some RandomSource
  ) throws -> StatisticReport {
    let method =
      "counts clamped at 0 and accumulated (a monotone CDF); the quantile's bin is the first whose "
      + "CDF reaches q; interval: 2.5% and 97.5% bins over \(replicates) parametric-bootstrap "
      + "histograms (the exact noise law added to the clamped counts)"
    var report = StatisticReport(
      kind: "quantile", method: method, replicates: replicates, variance: nil, crosstab: nil,
      quantiles: nil, withheld: nil)
    let counts = bins.raw.map { max(Double($0), 0) }
    guard counts.contains(where: { $0 > 0 }) else {
      report.withheld = "every noisy count is at most 0: no quantile is released"
      return report
    }
    let law = try bins.noiseLaw()
    var boot: [[Int]] = Array(repeating: [], count: qs.count)
    for _ in 0..<replicates {
      let noisy = counts.map { max($0 + law.draw(using: &random), 0) }
      for (j, q) in qs.enumerated() {
        boot[j].append(bin(of: Double(q), counts: noisy)?.bin ?? 0)
      }
    }
    report.quantiles = qs.enumerated().map { j, q in
      let (i, fraction) = bin(of: Double(q), counts: counts)!  // counts has a positive entry
      let sorted = boot[j].sorted().map(Double.init)
      let lo = Int(StatisticsRandom.quantile(sorted, 0.025))
      let hi = Int(StatisticsRandom.quantile(sorted, 0.975))
      let left = Double(edges[i])
      return QuantileReport(
        quantile: q.description, binLower: edges[i].description,
        binUpper: edges[i + 1].description,
        estimate: left + fraction * (Double(edges[i + 1]) - left),
        lower: edges[min(lo, i)].description, upper: edges[max(hi, i) + 1].description)
    }
    return report
  }

  // MARK: - crosstab

  static func crosstab(
    cells: Opened, axes: [CrosstabAxis], replicates: Int, random: inout some RandomSource
  ) throws -> StatisticReport {
    let table = cells.raw.map { Int64(Int(exactly: max($0, BigInt(0))) ?? Int.max) }
    let shape = StatisticQuery.crosstab(axes: axes)
    var marginals = axes.map { [Int64](repeating: 0, count: $0.levels) }
    for (index, c) in table.enumerated() {
      for (a, level) in shape.cellIndices(index, axes: axes).enumerated() {
        marginals[a][level] += c
      }
    }
    let total = table.reduce(0, +)
    var report = StatisticReport(
      kind: "crosstab",
      method: "cells clamped at 0; marginals and total summed from the clamped cells",
      replicates: 0, variance: nil,
      crosstab: CrosstabReport(
        axes: axes.enumerated().map { a, axis in
          .init(
            column: axis.column, levels: (0..<axis.levels).map(axis.label),
            marginal: marginals[a])
        }, cells: table, total: total, independence: nil),
      quantiles: nil, withheld: nil)
    guard axes.count == 2, total > 0 else { return report }
    let rows = marginals[0].map(Double.init)
    let cols = marginals[1].map(Double.init)
    let observed = chiSquare(table.map(Double.init), rows: rows.count, cols: cols.count)
    let law = try cells.noiseLaw()
    let n = Double(total)
    var probabilities: [Double] = []
    for r in rows { for c in cols { probabilities.append(r * c / (n * n)) } }
    var atLeast = 0
    for _ in 0..<replicates {
      let null = multinomial(Int(total), probabilities, &random).map {
        max(Double($0) + law.draw(using: &random), 0)
      }
      if chiSquare(null, rows: rows.count, cols: cols.count) >= observed { atLeast += 1 }
    }
    report.replicates = replicates
    report.method +=
      "; χ² test: Monte Carlo reference distribution (\(replicates) null tables: multinomial "
      + "with the product of the noisy marginals, plus the exact noise law per cell, clamped "
      + "at 0, X² recomputed), p = (1 + #{X²* ≥ X²}) / (B + 1)"
    report.crosstab?.independence = .init(
      statistic: observed, degreesOfFreedom: (rows.count - 1) * (cols.count - 1),
      pValue: Double(1 + atLeast) / Double(replicates + 1), method: "monte-carlo-dp-null")
    return report
  }

  /// Pearson's X² of an r × c table against its own marginals (cells of expectation 0 skipped).
  static func chiSquare(_ table: [Double], rows: Int, cols: Int) -> Double {
    var r = [Double](repeating: 0, count: rows)
    var c = [Double](repeating: 0, count: cols)
    for i in 0..<rows {
      for j in 0..<cols {
        r[i] += table[i * cols + j]
        c[j] += table[i * cols + j]
      }
    }
    let n = r.reduce(0, +)
    guard n > 0 else { return 0 }
    var x2 = 0.0
    for i in 0..<rows {
      for j in 0..<cols {
        let e = r[i] * c[j] / n
        if e > 0 { x2 += (table[i * cols + j] - e) * (table[i * cols + j] - e) / e }
      }
    }
    return x2
  }

  /// Multinomial(n, p) by sequential binomials.
  static func multinomial(_ n: Int, _ p: [Double], _ random: inout some RandomSource) -> [Int] {
    var left = n
    var mass = 1.0
    var out = [Int](repeating: 0, count: p.count)
    for i in p.indices where left > 0 {
      let x =
        i == p.count - 1
        ? left : StatisticsRandom.binomial(left, mass > 0 ? min(p[i] / mass, 1) : 0, &random)
      out[i] = x
      left -= x
      mass -= p[i]
    }
    return out
  }

  // MARK: - Text

  /// The report in words, for `mpc run`'s human output.
  public static func text(_ r: StatisticReport) -> [String] {
    var out: [String] = []
    if let withheld = r.withheld { return ["  \(withheld)"] }
    func f(_ x: Double) -> String { String(format: "%.4g", x) }
    if let v = r.variance {
      out.append(
        "  n ≈ \(f(v.count)), mean = \(f(v.mean)) (sum and sum_squares are of x − \(v.centre))")
      out.append(
        "  variance = \(f(v.variance))   95% interval [\(f(v.varianceLower)), \(f(v.varianceUpper))]"
      )
      out.append(
        "  standard deviation = \(f(v.standardDeviation))   95% interval "
          + "[\(f(v.standardDeviationLower)), \(f(v.standardDeviationUpper))]")
    }
    if let t = r.crosstab {
      for a in t.axes {
        out.append(
          "  marginal of \(a.column): "
            + zip(a.levels, a.marginal).map { "\($0) \($1)" }.joined(separator: ", "))
      }
      out.append("  total \(t.total)")
      if let test = t.independence {
        out.append(
          "  χ² test of independence: X² = \(f(test.statistic)), df = \(test.degreesOfFreedom), "
            + "p = \(f(test.pValue)) (\(test.method), \(r.replicates) simulated null tables)")
      }
    }
    if let fit = r.regression {
      out.append(
        "  n ≈ \(f(fit.count)), R² = \(f(fit.rSquared)), residual variance \(f(fit.residualVariance))"
          + (fit.ridge > 0 ? ", ridge λ = \(f(fit.ridge))" : ""))
      for c in fit.coefficients {
        out.append(
          "  \(c.name) = \(f(c.estimate))   s.e. \(f(c.standardError)) (DP part \(f(c.standardErrorDP)))"
            + "   95% interval [\(f(c.lower)), \(f(c.upper))]")
      }
    }
    if let cov = r.covariance {
      out.append(
        "  n ≈ \(f(cov.count)); means "
          + zip(cov.columns, cov.means).map { "\($0) \(f($1))" }.joined(separator: ", ")
          + " (sums are of x − c, c = "
          + cov.centres.map(String.init).joined(separator: ", ") + ")")
      for e in cov.entries {
        let name = e.row == e.column ? "var(\(e.row))" : "cov(\(e.row), \(e.column))"
        var line =
          "  \(name) = \(f(e.covariance))   95% interval [\(f(e.covarianceLower)), "
          + "\(f(e.covarianceUpper))]"
        if let r = e.correlation, let lo = e.correlationLower, let hi = e.correlationUpper {
          line += "   correlation \(f(r)) [\(f(lo)), \(f(hi))]"
        }
        out.append(line)
      }
      if !cov.positiveSemidefinite {
        out.append("  note: the noisy covariance matrix is not positive semi-definite")
      }
    }
    for q in r.quantiles ?? [] {
      out.append(
        "  quantile \(q.quantile): in bin [\(q.binLower), \(q.binUpper)], ≈ \(f(q.estimate))   "
          + "95% interval [\(q.lower), \(q.upper)]")
    }
    out.append("  method: \(r.method)")
    return out
  }
}
