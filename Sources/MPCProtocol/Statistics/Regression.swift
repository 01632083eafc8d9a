import Foundation
import MPCBigInt
import MPCCrypto

/// The fit of a `linear-regression` (post-processing of the noisy moments).
public struct RegressionReport: Sendable, Hashable, Codable {
  /// One coefficient.
  public struct Coefficient: Sendable, Hashable, Codable {
    /// `intercept` or the predictor's column.
    public var name: String
    public var estimate: Double
    /// √(sampling variance + DP variance).
    public var standardError: Double
    /// The DP part alone: the bootstrap standard deviation of the estimate.
    public var standardErrorDP: Double
    /// estimate ∓ 1.96 · standardError.
    public var lower: Double
    public var upper: Double

    enum CodingKeys: String, CodingKey {
      case name, estimate, lower, upper
      case standardError = "standard_error"
      case standardErrorDP = "standard_error_dp"
    }
  }
  /// The noisy count n.
  public var count: Double
  public var coefficients: [Coefficient]
  /// 1 − SSE/SST, clamped to [0, 1].
  public var rSquared: Double
  /// SSE / (n − k).
  public var residualVariance: Double
  /// λ added to the predictors' diagonal (0 unless the query asked for it).
  public var ridge: Double
  /// Bootstrap replicates whose noisy XᵀX was not positive definite (left out).
  public var failedReplicates: Int

  enum CodingKeys: String, CodingKey {
    case count, coefficients, ridge
    case rSquared = "r_squared"
    case residualVariance = "residual_variance"
    case failedReplicates = "failed_replicates"
  }
}

extension StatisticsRelease {
  /// The Cholesky solve of A β = b; nil when A is not positive definite.
  static func solve(_ a: [[Double]], _ b: [Double]) -> (beta: [Double], inverse: [[Double]])? {
    let k = b.count
    var l = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    for i in 0..<k {
      for j in 0...i {
        var s = a[i][j]
        for m in 0..<j { s -= l[i][m] * l[j][m] }
        if i == j {
          guard s > 0 else { return nil }
          l[i][i] = s.squareRoot()
        } else {
          l[i][j] = s / l[j][j]
        }
      }
    }
    func apply(_ rhs: [Double]) -> [Double] {
      var y = rhs
      for i in 0..<k {
        for m in 0..<i { y[i] -= l[i][m] * y[m] }
        y[i] /= l[i][i]
      }
      for i in (0..<k).reversed() {
        for m in (i + 1)..<k { y[i] -= l[m][i] * y[m] }
        y[i] /= l[i][i]
      }
      return y
    }
    let inverse = (0..<k).map { j in apply((0..<k).map { $0 == j ? 1 : 0 }) }
    return (apply(b), inverse)
  }

  static func regression(
    moments: [Opened], y: ClippedColumn, x: [ClippedColumn], intercept: Bool, ridge: Double,
    replicates: Int, random: inout some RandomSource
  ) throws -> StatisticReport {
    let q = x.count + 2
    let method =
      "normal equations by Cholesky; standard errors √(σ̂²(XᵀX)⁻¹ + DP variance), the DP "
      + "variance from \(replicates) parametric-bootstrap moment vectors (the exact noise law "
      + "added to the opened moments); intervals ± 1.96 standard errors"
    var report = StatisticReport(
      kind: "linear-regression", method: method, replicates: replicates, variance: nil,
      crosstab: nil, quantiles: nil, withheld: nil)
    func matrix(_ values: [Double]) -> [[Double]] {
      var s = [[Double]](repeating: [Double](repeating: 0, count: q), count: q)
      for (index, v) in values.enumerated() {
        let (a, b) = StatisticQuery.momentPair(index, q: q)
        s[a][b] = v
        s[b][a] = v
      }
      return s
    }
    let design = intercept ? Array(0...x.count) : Array(1...x.count)
    let yi = q - 1
    func fit(_ s: [[Double]]) -> (beta: [Double], inverse: [[Double]])? {
      var a = design.map { i in design.map { s[i][$0] } }
      for (r, i) in design.enumerated() where i != 0 { a[r][r] += ridge }
      return solve(a, design.map { s[$0][yi] })
    }
    guard moments.count == q * (q + 1) / 2, moments.allSatisfy({ $0.raw.count == 1 }) else {
      throw RunError.invalidSetUp(
        problem: "the opened vector does not have the regression's moments")
    }
    let opened = moments.map { Double($0.raw[0]) }
    let s = matrix(opened)
    let n = s[0][0]
    guard n > Double(design.count + 1), let (beta, inverse) = fit(s) else {
      report.withheld =
        "the noisy XᵀX is not positive definite (or n ≤ k + 1): no coefficients are reported; "
        + "ask for ridge λ > 0 to regularise"
      return report
    }
    // SSE = Σy² − 2βᵀXᵀy + βᵀXᵀXβ (XᵀX without the ridge term).
    var sse = s[yi][yi]
    for (r, i) in design.enumerated() {
      sse -= 2 * beta[r] * s[i][yi]
      for (c, j) in design.enumerated() { sse += beta[r] * beta[c] * s[i][j] }
    }
    sse = max(sse, 0)
    let sst = intercept ? s[yi][yi] - s[0][yi] * s[0][yi] / n : s[yi][yi]
    let sigma2 = sse / (n - Double(design.count))
    let laws = try moments.map { try $0.noiseLaw() }
    var draws: [[Double]] = []
    var failed = 0
    for _ in 0..<replicates {
      let noisy = matrix(zip(opened, laws).map { $0 + $1.draw(using: &random) })
      if let (b, _) = fit(noisy) { draws.append(b) } else { failed += 1 }
    }
    let names = design.map { $0 == 0 ? "intercept" : x[$0 - 1].column }
    report.regression = RegressionReport(
      count: n,
      coefficients: names.enumerated().map { r, name in
        let values = draws.map { $0[r] }
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        let dp =
          values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))
        let se = (sigma2 * inverse[r][r] + dp).squareRoot()
        return .init(
          name: name, estimate: beta[r], standardError: se, standardErrorDP: dp.squareRoot(),
          lower: beta[r] - 1.96 * se, upper: beta[r] + 1.96 * se)
      },
      rSquared: sst > 0 ? min(max(1 - sse / sst, 0), 1) : 0, residualVariance: sigma2,
      ridge: ridge, failedReplicates: failed)
    return report
  }
}
