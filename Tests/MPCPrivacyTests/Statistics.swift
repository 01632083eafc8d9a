import Foundation

/// Goodness-of-fit helpers for the sampler tests (Double is fine here: it is test code).
enum Statistics {
  /// The χ² statistic and p-value of `samples` against `pmf` (a function on ℤ), pooling every
  /// value whose expected count is below 5 into its neighbour cell toward the centre.
  static func chiSquare(_ samples: [Int64], pmf: (Int64) -> Double) -> (
    statistic: Double, degrees: Int, p: Double
  ) {
    let n = Double(samples.count)
    var counts: [Int64: Int] = [:]
    for s in samples { counts[s, default: 0] += 1 }
    // Cells: the contiguous range where expected ≥ 5, plus two tail cells (pooled).
    var mode: Int64 = 0
    var best = -1.0
    for x in Int64(-2000)...2000 where pmf(x) > best {
      best = pmf(x)
      mode = x
    }
    var lo = mode
    while n * pmf(lo - 1) >= 5 { lo -= 1 }
    var hi = mode
    while n * pmf(hi + 1) >= 5 { hi += 1 }
    var statistic = 0.0
    var cells = 0
    var inside = 0.0
    for x in lo...hi {
      let expected = n * pmf(x)
      inside += pmf(x)
      let observed = Double(counts[x] ?? 0)
      statistic += (observed - expected) * (observed - expected) / expected
      cells += 1
    }
    let lowObserved = Double(samples.filter { $0 < lo }.count)
    let highObserved = Double(samples.filter { $0 > hi }.count)
    var lowMass = 0.0
    var x = lo - 1
    while x > lo - 100_000 {
      let p = pmf(x)
      lowMass += p
      if p < 1e-18 && x < mode - 50 { break }
      x -= 1
    }
    let highMass = max(0, 1 - inside - lowMass)
    for (observed, mass) in [(lowObserved, lowMass), (highObserved, highMass)] {
      let expected = n * mass
      if expected >= 1 {
        statistic += (observed - expected) * (observed - expected) / expected
        cells += 1
      } else if observed > expected + 10 * max(1, expected.squareRoot()) {
        statistic += 1e6  // far too many draws in a cell that should be nearly empty
      }
    }
    let degrees = max(1, cells - 1)
    return (statistic, degrees, upperGammaRegularized(Double(degrees) / 2, statistic / 2))
  }

  /// Q(a, x) = Γ(a, x)/Γ(a): series for x < a + 1, continued fraction otherwise.
  static func upperGammaRegularized(_ a: Double, _ x: Double) -> Double {
    if x <= 0 { return 1 }
    let lnPrefix = a * log(x) - x - lgamma(a)
    if x < a + 1 {
      var sum = 1 / a
      var term = sum
      var ap = a
      for _ in 0..<10_000 {
        ap += 1
        term *= x / ap
        sum += term
        if term < sum * 1e-16 { break }
      }
      return 1 - sum * exp(lnPrefix)
    }
    var b = x + 1 - a
    var c = 1 / 1e-300
    var d = 1 / b
    var h = d
    for i in 1..<10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if abs(d) < 1e-300 { d = 1e-300 }
      c = b + an / c
      if abs(c) < 1e-300 { c = 1e-300 }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-16 { break }
    }
    return exp(lnPrefix) * h
  }

  // MARK: - Exact pmfs (Double)

  /// DLap(t): tanh(1/(2t))·e^{−|x|/t}.
  static func laplacePmf(scale t: Double) -> (Int64) -> Double {
    { x in tanh(1 / (2 * t)) * exp(-Double(abs(x)) / t) }
  }

  /// N_Z(0, σ²), normalised over |x| ≤ 40σ + 40.
  static func gaussianPmf(sigmaSquared s2: Double) -> (Int64) -> Double {
    let bound = Int64(40 * s2.squareRoot() + 40)
    var z = 0.0
    for x in -bound...bound { z += exp(-Double(x * x) / (2 * s2)) }
    return { x in exp(-Double(x * x) / (2 * s2)) / z }
  }

  /// Geometric (1 − q)q^x on x ≥ 0, q = e^{−a}.
  static func geometricPmf(rate a: Double) -> (Int64) -> Double {
    { x in x < 0 ? 0 : (1 - exp(-a)) * exp(-a * Double(x)) }
  }

  /// NB(r, q): Γ(x + r)/(Γ(r)·x!)·(1 − q)^r·q^x, q = e^{−a}.
  static func negativeBinomialPmf(r: Double, rate a: Double) -> (Int64) -> Double {
    { x in
      guard x >= 0 else { return 0 }
      let q = exp(-a)
      return exp(
        lgamma(Double(x) + r) - lgamma(r) - lgamma(Double(x) + 1) + r * log1p(-q)
          + Double(x) * log(q))
    }
  }

  /// The difference of two independent NB(r, q): one Pólya share.
  static func polyaSharePmf(r: Double, rate a: Double) -> (Int64) -> Double {
    let nb = negativeBinomialPmf(r: r, rate: a)
    var cache: [Int64: Double] = [:]
    return { z in
      if let v = cache[z] { return v }
      var total = 0.0
      var y: Int64 = max(0, -z)
      while y < 100_000 {
        let term = nb(z + y) * nb(y)
        total += term
        if term < 1e-20 && y > 50 { break }
        y += 1
      }
      cache[z] = total
      return total
    }
  }
}
