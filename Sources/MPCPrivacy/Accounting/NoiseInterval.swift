import Foundation
public import MPCBigInt

/// Half-widths of confidence intervals of the total noise: the smallest integer h with
/// P(|Z| ≤ h) ≥ 1 − β (protocols/noise.md §7). Reported values, computed in `Double` from the
/// exact probability mass functions with tails cut below 2^−64.
public enum NoiseInterval {
  /// The default β (95% intervals).
  public static let defaultBeta = 0.05

  // MARK: - Discrete Laplace (closed form)

  /// DLap(scale): P(|Z| > h) = 2q^{h+1}/(1 + q), q = e^{−1/scale}, so
  /// h = ⌈ln(β(1 + q)/2)/ln q⌉ − 1 (then checked against the tail formula).
  public static func discreteLaplace(scale: Rational, beta: Double = defaultBeta) throws -> Int64 {
    try check(beta: beta)
    let a = 1 / Double(scale)
    let q = exp(-a)
    func tail(_ h: Int64) -> Double { 2 * exp(-a * Double(h + 1)) / (1 + q) }
    var h = max(0, Int64((log(beta * (1 + q) / 2) / -a).rounded(.up)) - 1)
    while tail(h) > beta { h += 1 }
    while h > 0 && tail(h - 1) <= beta { h -= 1 }
    return h
  }

  // MARK: - Sums of discrete Gaussians

  /// The total of `shares` independent N_Z(0, s²) draws, s² = `shareSigmaSquared`.
  ///
  /// Exact convolution of the pmfs while that costs at most about 4·10^7 operations
  /// (s up to about 15 for 20 shares). Beyond, the total is within a factor 1 ± τ pointwise of
  /// N_Z(0, shares·s²) (KLS21, τ = 10·Σ_{j<shares} e^{−2π²s²j/(j+1)}, below 10^−900 there),
  /// so the interval of N_Z(0, shares·s²) at β/(1 + τ) is used.
  public static func discreteGaussianSum(
    shareSigmaSquared: Rational, shares: Int, beta: Double = defaultBeta
  ) throws -> Int64 {
    try check(beta: beta)
    guard shares >= 1 else {
      throw PrivacyError.invalidParameter(
        field: "shares", value: "\(shares)", requirement: "must be at least 1")
    }
    let s2 = Double(shareSigmaSquared)
    // ℓ = 2L + 1 entries of one share's pmf, known before any pmf is built.
    let length = Double(2 * gaussianSupport(sigmaSquared: s2) + 1)
    if Double(shares * shares) * length * length <= 4e7 {
      let single = gaussianPmf(sigmaSquared: s2)
      var total = single
      for _ in 1..<shares { total = convolve(total, single) }
      return halfWidth(centeredPmf: total, beta: beta)
    }
    let tau = (1..<shares).reduce(0.0) { acc, j in
      acc + 10 * exp(-2 * Double.pi * Double.pi * s2 * Double(j) / Double(j + 1))
    }
    let totalSigmaSquared = s2 * Double(shares)
    guard 2 * gaussianSupport(sigmaSquared: totalSigmaSquared) + 1 <= exactGaussianPmfLimit else {
      return gaussianTailBound(sigmaSquared: totalSigmaSquared, beta: beta / (1 + tau))
    }
    let pmf = gaussianPmf(sigmaSquared: totalSigmaSquared)
    return halfWidth(centeredPmf: pmf, beta: beta / (1 + tau))
  }

  /// The most pmf entries a Gaussian interval builds (8 MiB of `Double`, about σ ≤ 5·10^4);
  /// wider laws take the closed-form tail bound of protocols/noise.md §7.2.
  public static let exactGaussianPmfLimit = 1 << 20

  /// L = ⌈10σ⌉ + 1, the half-length of the pmf ``gaussianPmf(sigmaSquared:)`` builds.
  static func gaussianSupport(sigmaSquared: Double) -> Int {
    Int((10 * sigmaSquared.squareRoot()).rounded(.up)) + 1
  }

  /// A half-width of N_Z(0, σ²) at level 1 − β in O(1) memory: h = ⌈σ·z⌉ with z the least
  /// binary64 found by bisection with erfc(z/√2) ≤ β. Valid because the discrete Gaussian's
  /// normaliser is at least σ√(2π) (Poisson summation) and its tail sum beyond h is at most
  /// the Gaussian integral beyond h, so P(|X| > h) ≤ 2·Q(h/σ) = erfc(h/(σ√2)) ≤ β. At the
  /// widths where it is used (σ > 5·10^4) it exceeds the exact half-width by at most one.
  static func gaussianTailBound(sigmaSquared: Double, beta: Double) -> Int64 {
    var lo = 0.0
    var hi = 64.0
    for _ in 0..<200 {
      let mid = (lo + hi) / 2
      if erfc(mid / 2.0.squareRoot()) <= beta { hi = mid } else { lo = mid }
    }
    return Int64((sigmaSquared.squareRoot() * hi).rounded(.up))
  }

  /// The pmf of N_Z(0, σ²) on [−L, L], L = ⌈10σ⌉ + 1 (outside mass < 2^−70), normalised.
  static func gaussianPmf(sigmaSquared: Double) -> [Double] {
    let l = gaussianSupport(sigmaSquared: sigmaSquared)
    var pmf = [Double](repeating: 0, count: 2 * l + 1)
    for x in -l...l { pmf[x + l] = exp(-Double(x * x) / (2 * sigmaSquared)) }
    let z = pmf.reduce(0, +)
    return pmf.map { $0 / z }
  }

  static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: a.count + b.count - 1)
    for i in a.indices where a[i] > 0 {
      for j in b.indices { out[i + j] += a[i] * b[j] }
    }
    // Trim entries below 2^−80 at both ends (symmetric), keeping the array centred.
    var cut = 0
    while cut < out.count / 2 && out[cut] < 0x1p-80 && out[out.count - 1 - cut] < 0x1p-80 {
      cut += 1
    }
    return Array(out[cut..<(out.count - cut)])
  }

  /// The smallest h with mass of [−h, h] ≥ 1 − β, for a pmf centred on its middle index.
  static func halfWidth(centeredPmf pmf: [Double], beta: Double) -> Int64 {
    let mid = pmf.count / 2
    var mass = pmf[mid]
    var h = 0
    while mass < 1 - beta && h < mid {
      h += 1
      mass += pmf[mid - h] + pmf[mid + h]
    }
    return Int64(h)
  }

  // MARK: - Pólya totals (difference of negative binomials)

  /// The most NB pmf entries the exact Pólya interval computes (8 MiB of `Double`, about
  /// scale 2·10^4); wider laws take the Chernoff bound (protocols/noise.md §7.1).
  public static let exactPolyaPmfLimit = 1 << 20

  /// How a Pólya interval was computed and what it cost: the work counters the interval's
  /// boundedness is tested on (no wall clock).
  public struct PolyaIntervalReport: Sendable, Hashable {
    /// The half-width h.
    public let halfWidth: Int64
    /// True for the exact pmf computation, false for the Chernoff bound.
    public let exact: Bool
    /// NB pmf entries held in memory (0 on the closed-form and Chernoff paths).
    public let pmfEntries: Int
    /// Evaluations of the Chernoff exponent (0 on the exact paths).
    public let boundEvaluations: Int
  }

  /// The total when `parties` parties each add a Pólya share NB(1/k, q) − NB'(1/k, q) with
  /// q = e^{−1/scale}: GDL(parties/k, q) = NB(r, q) − NB'(r, q), r = parties/k.
  /// See ``polyaTotalReport(scale:shares:parties:beta:)``.
  public static func polyaTotal(
    scale: Rational, shares k: Int, parties: Int, beta: Double = defaultBeta
  ) throws -> Int64 {
    try polyaTotalReport(scale: scale, shares: k, parties: parties, beta: beta).halfWidth
  }

  /// The Pólya total's interval in time and memory bounded independently of the scale:
  /// the closed form when parties = k (the total is DLap(scale)); the exact NB pmf and cdf,
  /// P(Z ≤ z) = Σ_y P(Y = y)·P(X ≤ z + y) with a binary search on h, while the pmf has at
  /// most ``exactPolyaPmfLimit`` entries; beyond, the smallest h with
  /// 2·min_s E[e^{sZ}]·e^{−s(h+1)} ≤ β (Chernoff: a valid, slightly wider half-width).
  public static func polyaTotalReport(
    scale: Rational, shares k: Int, parties: Int, beta: Double = defaultBeta
  ) throws -> PolyaIntervalReport {
    try check(beta: beta)
    guard k >= 1, parties >= 1 else {
      throw PrivacyError.invalidParameter(
        field: "shares", value: "\(k)/\(parties)", requirement: "must be at least 1")
    }
    if parties == k {
      return PolyaIntervalReport(
        halfWidth: try discreteLaplace(scale: scale, beta: beta), exact: true, pmfEntries: 0,
        boundEvaluations: 0)
    }
    let r = Double(parties) / Double(k)
    let a = 1 / Double(scale)
    guard let pmf = negativeBinomialPmf(r: r, q: exp(-a), limit: exactPolyaPmfLimit) else {
      let (h, evaluations) = chernoffHalfWidth(r: r, a: a, beta: beta)
      return PolyaIntervalReport(
        halfWidth: h, exact: false, pmfEntries: 0, boundEvaluations: evaluations)
    }
    var cdf = pmf
    for i in 1..<cdf.count { cdf[i] += cdf[i - 1] }
    func cdfX(_ m: Int) -> Double { m < 0 ? 0 : (m >= cdf.count ? 1 : cdf[m]) }
    func cdfZ(_ z: Int) -> Double {
      var total = 0.0
      for y in pmf.indices { total += pmf[y] * cdfX(z + y) }
      return total
    }
    func mass(_ h: Int) -> Double { cdfZ(h) - cdfZ(-h - 1) }
    var lo = 0
    var hi = pmf.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if mass(mid) >= 1 - beta { hi = mid } else { lo = mid + 1 }
    }
    return PolyaIntervalReport(
      halfWidth: Int64(lo), exact: true, pmfEntries: pmf.count, boundEvaluations: 0)
  }

  /// The pmf of NB(r, q) from 0 until the remaining tail is below 2^−70, or nil as soon as it
  /// would need more than `limit` entries.
  static func negativeBinomialPmf(r: Double, q: Double, limit: Int = .max) -> [Double]? {
    var pmf = [pow(1 - q, r)]
    var k = 0.0
    while pmf.count < limit {
      let ratio = q * (k + r) / (k + 1)
      let bound = max(ratio, q)
      let next = pmf[pmf.count - 1] * ratio
      pmf.append(next)
      k += 1
      if ratio < 1 && next * bound / (1 - bound) < 0x1p-70 { return pmf }
    }
    return nil
  }

  /// The smallest h with 2·exp(min_{0<s<a} F(s, h)) ≤ β, where
  /// F(s, h) = r·ln M(s) − s(h + 1) and M(s) = (1 − q)²/((1 − qe^s)(1 − qe^{−s})) is the
  /// moment generating function of NB(1, q) − NB'(1, q) (the total's mgf is M(s)^r).
  /// Every s gives a valid bound, so an inexact minimum only widens h. Returns h and the
  /// number of F evaluations (100 per tested h, about 2·log2(h) + 2 tested values).
  static func chernoffHalfWidth(r: Double, a: Double, beta: Double) -> (Int64, Int) {
    var evaluations = 0
    // ln M(s) with every 1 − qe^x as −expm1(x − a): no cancellation for tiny a.
    let logOneMinusQ = log(-expm1(-a))
    func exponent(_ u: Double, _ h: Double) -> Double {
      evaluations += 1
      let s = a * u
      let logM = 2 * logOneMinusQ - log(-expm1(s - a)) - log(-expm1(-s - a))
      return r * logM - s * (h + 1)
    }
    let target = log(beta / 2)
    func holds(_ h: Double) -> Bool {
      // F is convex in s: golden-section search for the minimum over u = s/a in (0, 1).
      var lo = 0.0
      var hi = 1.0
      let g = (5.0.squareRoot() - 1) / 2
      var x1 = hi - g * (hi - lo)
      var x2 = lo + g * (hi - lo)
      var f1 = exponent(x1, h)
      var f2 = exponent(x2, h)
      for _ in 0..<98 {
        if f1 <= f2 {
          hi = x2
          x2 = x1
          f2 = f1
          x1 = hi - g * (hi - lo)
          f1 = exponent(x1, h)
        } else {
          lo = x1
          x1 = x2
          f1 = f2
          x2 = lo + g * (hi - lo)
          f2 = exponent(x2, h)
        }
      }
      return min(f1, f2) <= target
    }
    // Bracket, then bisect on the integer h (the bound decreases in h).
    var hi: Int64 = 1
    while !holds(Double(hi)) { hi *= 2 }
    var lo: Int64 = 0
    while lo < hi {
      let mid = lo + (hi - lo) / 2
      if holds(Double(mid)) { hi = mid } else { lo = mid + 1 }
    }
    return (lo, evaluations)
  }

  // MARK: - Checks

  static func check(beta: Double) throws {
    guard beta > 0, beta < 1 else {
      throw PrivacyError.invalidParameter(
        field: "beta", value: "\(beta)", requirement: "must be in (0, 1)")
    }
  }
}
