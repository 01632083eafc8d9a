import Foundation
import MPCBigInt
import MPCCrypto

/// The covariance matrix and correlations of a `covariance` query (post-processing of the
/// noisy centred moments).
public struct CovarianceReport: Sendable, Hashable, Codable {
  /// One entry (i ≤ j) of the upper triangle, with its noise interval.
  public struct Entry: Sendable, Hashable, Codable {
    /// The first column.
    public var row: String
    /// The second column (equal to ``row`` on the diagonal).
    public var column: String
    /// The sample covariance (the variance on the diagonal), clamped (`protocols/query.md`).
    public var covariance: Double
    /// The lower end of its 95% interval (noise only, parametric bootstrap, basic interval).
    public var covarianceLower: Double
    /// The upper end of that interval.
    public var covarianceUpper: Double
    /// The bootstrap standard deviation of the covariance (the DP noise's part of its error).
    public var covarianceErrorDP: Double
    /// cov_ij / √(cov_ii·cov_jj) in [−1, 1]; nil when a variance is 0 (and on the diagonal).
    public var correlation: Double?
    /// The lower end of its 95% interval (basic interval on Fisher's z, mapped back).
    public var correlationLower: Double?
    /// The upper end of that interval.
    public var correlationUpper: Double?
    /// The bootstrap standard deviation of the correlation.
    public var correlationErrorDP: Double?

    enum CodingKeys: String, CodingKey {
      case row, column, covariance, correlation
      case covarianceLower = "covariance_lower"
      case covarianceUpper = "covariance_upper"
      case covarianceErrorDP = "covariance_error_dp"
      case correlationLower = "correlation_lower"
      case correlationUpper = "correlation_upper"
      case correlationErrorDP = "correlation_error_dp"
    }
  }
  /// The columns, in query order.
  public var columns: [String]
  /// c_i = ⌊(L_i + U_i)/2⌋: the opened sums are of x_i − c_i.
  public var centres: [Int64]
  /// The noisy count n.
  public var count: Double
  /// The means Σx_i / n, each clamped to its bounds.
  public var means: [Double]
  /// The p × p covariance matrix (symmetric; the entries' estimates).
  public var matrix: [[Double]]
  /// The upper triangle, row-major, with intervals.
  public var entries: [Entry]
  /// Whether the estimated matrix is positive semi-definite (noise can make it indefinite;
  /// it is not projected).
  public var positiveSemidefinite: Bool

  enum CodingKeys: String, CodingKey {
    case columns, centres, count, means, matrix, entries
    case positiveSemidefinite = "positive_semidefinite"
  }
}

extension StatisticsRelease {
  /// The covariance matrix, correlations and means of `p` centred columns from the noisy
  /// moments of z = (1, y₁, …, y_p) (`protocols/query.md` §5.2).
  struct CovarianceEstimate {
    var means: [Double]
    var matrix: [[Double]]
    var correlation: [[Double?]]

    /// From the moment values (upper triangle of Σ z zᵀ, row-major) and the centred bounds.
    init(moments: [Double], bounds: [ClipBounds]) {
      let p = bounds.count
      let q = p + 1
      var s = [[Double]](repeating: [Double](repeating: 0, count: q), count: q)
      for (index, v) in moments.enumerated() {
        let (a, b) = StatisticQuery.momentPair(index, q: q)
        s[a][b] = v
        s[b][a] = v
      }
      let n = max(s[0][0], 2)
      let lo = bounds.map { Double($0.lower) }
      let hi = bounds.map { Double($0.upper) }
      means = (0..<p).map { min(max(s[0][$0 + 1] / n, lo[$0]), hi[$0]) }
      var m = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
      for i in 0..<p {
        for j in i..<p {
          // |cov| ≤ (U_i − L_i)(U_j − L_j)/4 (Popoviciu, Cauchy–Schwarz); variances ≥ 0.
          let limit = (hi[i] - lo[i]) * (hi[j] - lo[j]) / 4
          let v = (s[i + 1][j + 1] - n * means[i] * means[j]) / (n - 1)
          m[i][j] = min(max(v, i == j ? 0 : -limit), limit)
          m[j][i] = m[i][j]
        }
      }
      matrix = m
      correlation = (0..<p).map { i in
        (0..<p).map { j in
          guard i != j, m[i][i] > 0, m[j][j] > 0 else { return nil }
          return min(max(m[i][j] / (m[i][i] * m[j][j]).squareRoot(), -1), 1)
        }
      }
    }

    /// The moment vector of a data set with count `n`, these means and this matrix (the
    /// bootstrap's plug-in truth).
    func moments(count n: Double) -> [Double] {
      let q = means.count + 1
      return (0..<(q * (q + 1) / 2)).map { index in
        let (a, b) = StatisticQuery.momentPair(index, q: q)
        switch (a, b) {
        case (0, 0): return n
        case (0, let j): return n * means[j - 1]
        case (let i, let j):
          return (n - 1) * matrix[i - 1][j - 1] + n * means[i - 1] * means[j - 1]
        }
      }
    }
  }

  static func covariance(
    moments: [Opened], columns: [ClippedColumn], replicates: Int,
    random: inout some RandomSource
  ) throws -> StatisticReport {
    let p = columns.count
    let q = p + 1
    let method =
      "sample covariances (Σy_iy_j − n·m_i·m_j)/(n − 1) of the centred columns, clamped "
      + "(variances to [0, (U − L)²/4], covariances to ±(U_i − L_i)(U_j − L_j)/4); correlations "
      + "cov_ij/√(cov_ii·cov_jj); intervals: parametric bootstrap, \(replicates) replicates of the "
      + "exact noise law (n shares of each moment's sampler) added to the plug-in moments, basic "
      + "interval 2θ̂ − q(0.975), 2θ̂ − q(0.025) (for a correlation on Fisher's z = atanh r, mapped "
      + "back)"
    var report = StatisticReport(
      kind: "covariance", method: method, replicates: replicates, variance: nil, crosstab: nil,
      quantiles: nil, withheld: nil)
    guard moments.count == q * (q + 1) / 2, moments.allSatisfy({ $0.raw.count == 1 }) else {
      throw RunError.invalidSetUp(
        problem: "the opened vector does not have the covariance's moments")
    }
    let opened = moments.map { Double($0.raw[0]) }
    let n = opened[0]
    guard n >= 2 else {
      report.withheld = "the noisy count \(moments[0].raw[0]) is below 2: no covariance is released"
      return report
    }
    let bounds = columns.map { StatisticQuery.centred($0.bounds) }
    let estimate = CovarianceEstimate(moments: opened, bounds: bounds)
    let plugIn = estimate.moments(count: n)
    let laws = try moments.map { try $0.noiseLaw() }
    var covDraws = [[Double]](repeating: [], count: p * p)
    var corDraws = [[Double]](repeating: [], count: p * p)
    for _ in 0..<replicates {
      let noisy = zip(plugIn, laws).map { $0 + $1.draw(using: &random) }
      let e = CovarianceEstimate(moments: noisy, bounds: bounds)
      for i in 0..<p {
        for j in i..<p {
          covDraws[i * p + j].append(e.matrix[i][j])
          // A replicate with a zero variance has no correlation; it counts as 0 (rare: the
          // estimate itself then has a variance near 0).
          if i != j { corDraws[i * p + j].append(e.correlation[i][j] ?? 0) }
        }
      }
    }
    func interval(_ theta: Double, _ draws: [Double], _ range: ClosedRange<Double>)
      -> (Double, Double, Double)
    {
      let sorted = draws.sorted()
      let mean = draws.reduce(0, +) / Double(max(draws.count, 1))
      let sd =
        (draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(draws.count - 1, 1)))
        .squareRoot()
      guard !sorted.isEmpty else { return (theta, theta, 0) }
      let lower = 2 * theta - StatisticsRandom.quantile(sorted, 0.975)
      let upper = 2 * theta - StatisticsRandom.quantile(sorted, 0.025)
      return (
        min(max(lower, range.lowerBound), range.upperBound),
        min(max(upper, range.lowerBound), range.upperBound), sd
      )
    }
    var entries: [CovarianceReport.Entry] = []
    for i in 0..<p {
      for j in i..<p {
        let width = Double(bounds[i].upper - bounds[i].lower)
        let height = Double(bounds[j].upper - bounds[j].lower)
        let limit = width * height / 4
        let cov = estimate.matrix[i][j]
        let (cl, cu, cs) = interval(cov, covDraws[i * p + j], (i == j ? 0 : -limit)...limit)
        var entry = CovarianceReport.Entry(
          row: columns[i].column, column: columns[j].column, covariance: cov,
          covarianceLower: cl, covarianceUpper: cu, covarianceErrorDP: cs)
        if let r = estimate.correlation[i][j] {
          // The basic interval on Fisher's z = atanh(r), mapped back: r's law is skewed near
          // ±1, z's much less.
          let z = { (r: Double) in atanh(min(max(r, -Self.correlationLimit), Self.correlationLimit))
          }
          let draws = corDraws[i * p + j]
          let (zl, zu, _) = interval(z(r), draws.map(z), -Double.infinity...Double.infinity)
          entry.correlation = r
          entry.correlationLower = tanh(zl)
          entry.correlationUpper = tanh(zu)
          entry.correlationErrorDP = interval(r, draws, -1...1).2
        }
        entries.append(entry)
      }
    }
    report.covariance = CovarianceReport(
      columns: columns.map(\.column), centres: columns.map { StatisticQuery.centre(of: $0.bounds) },
      count: n,
      means: zip(columns, estimate.means).map {
        Double(StatisticQuery.centre(of: $0.bounds)) + $1
      },
      matrix: estimate.matrix, entries: entries,
      positiveSemidefinite: Self.isPositiveSemidefinite(estimate.matrix))
    return report
  }

  /// |r| is capped here before atanh.
  static let correlationLimit = 1 - 1e-12

  /// Whether symmetric `m` is positive semi-definite: Cholesky of m + ε·scale·I succeeds (ε =
  /// 10⁻¹², for rounding).
  static func isPositiveSemidefinite(_ m: [[Double]]) -> Bool {
    let scale = max(m.indices.map { m[$0][$0] }.max() ?? 0, 1)
    var shifted = m
    for i in m.indices { shifted[i][i] += 1e-12 * scale }
    return solve(shifted, [Double](repeating: 0, count: m.count)) != nil
  }
}
