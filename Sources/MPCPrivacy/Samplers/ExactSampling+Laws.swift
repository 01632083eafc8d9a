import MPCBigInt
import MPCCrypto

// MARK: - Geometric core (CKS20 Algorithm 2, steps 1–6)

extension ExactSampling {
  /// ⌊X/s⌋ with P(X = x) ∝ exp(−x/t): P(result = y) = (1 − e^{−s/t})·e^{−y·s/t}.
  /// Word form for t, s < 2^63; a step that would overflow is done with `BigInt`.
  @inline(__always)
  static func geometricCore(s: UInt64, t: UInt64, using random: inout some RandomSource)
    -> Int64
  {
    while true {
      let u = uniform(below: t, using: &random)
      if !bernoulliExpMinus(u, over: t, using: &random) { continue }
      var v: UInt64 = 0
      while bernoulliExpMinusAtMostOne(1, over: 1, using: &random) { v += 1 }
      let (tv, o1) = t.multipliedReportingOverflow(by: v)
      let (x, o2) = tv.addingReportingOverflow(u)
      if o1 || o2 {
        return toInt64((BigInt(u) + BigInt(t) * BigInt(v)) / BigInt(s))
      }
      guard let y = Int64(exactly: x / s) else {
        preconditionFailure("noise value does not fit in Int64")
      }
      return y
    }
  }

  /// The `BigInt` form of ``geometricCore(s:t:using:)`` (same bytes).
  static func geometricCore(s: BigInt, t: BigInt, using random: inout some RandomSource)
    -> BigInt
  {
    while true {
      let u = uniform(below: t, using: &random)
      if !bernoulliExpMinus(u, over: t, using: &random) { continue }
      var v = 0
      while bernoulliExpMinusAtMostOne(1, over: 1, using: &random) { v += 1 }
      return (u + t * BigInt(v)) / s
    }
  }

  // MARK: - Discrete Laplace (CKS20 Algorithm 2)

  /// Discrete Laplace with scale t/s: a geometric core Y, then B = Bernoulli(1/2); retry when
  /// B = 1 and Y = 0; return −Y if B = 1, else Y.
  @inline(__always)
  static func discreteLaplace(s: UInt64, t: UInt64, using random: inout some RandomSource)
    -> Int64
  {
    while true {
      let y = geometricCore(s: s, t: t, using: &random)
      let negative = bernoulli(UInt64(1), over: UInt64(2), using: &random)
      if negative && y == 0 { continue }
      return negative ? -y : y
    }
  }

  /// The `BigInt` form of ``discreteLaplace(s:t:using:)`` (same bytes).
  static func discreteLaplace(s: BigInt, t: BigInt, using random: inout some RandomSource)
    -> BigInt
  {
    while true {
      let y = geometricCore(s: s, t: t, using: &random)
      let negative = bernoulli(UInt64(1), over: UInt64(2), using: &random)
      if negative && y.isZero { continue }
      return negative ? -y : y
    }
  }

  // MARK: - Discrete Gaussian (CKS20 Algorithm 3)

  /// N_Z(0, n/d) with t = ⌊√(n/d)⌋ + 1: Y = DLap(t), accept with Bernoulli(exp(−γ)),
  /// γ = (|Y|·d·t − n)² / (2·n·d·t²) (integers as written, not reduced).
  static func discreteGaussian(
    n: BigInt, d: BigInt, t: BigInt, using random: inout some RandomSource
  ) -> BigInt {
    let den = BigInt(2) * n * d * t * t
    let dt = d * t
    while true {
      let y = discreteLaplace(s: 1, t: t, using: &random)
      let diff = y.magnitude * dt - n
      if bernoulliExpMinus(diff * diff, over: den, using: &random) { return y }
    }
  }

  /// The word form of ``discreteGaussian(n:d:t:using:)`` (same bytes); an acceptance step
  /// whose γ does not fit in 64 bits is done with `BigInt`.
  @inline(__always)
  static func discreteGaussian(_ c: GaussianConstants, using random: inout some RandomSource)
    -> Int64
  {
    while true {
      let y = discreteLaplace(s: 1, t: c.t, using: &random)
      if let accept = smallGaussianAccept(y: y, c, using: &random) {
        if accept { return y }
        continue
      }
      let diff = BigInt(y.magnitude) * BigInt(c.dt) - BigInt(c.n)
      if bernoulliExpMinus(diff * diff, over: BigInt(c.den), using: &random) { return y }
    }
  }

  /// Machine-word constants of the Gaussian acceptance step, when they fit.
  struct GaussianConstants: Sendable {
    let t: UInt64
    let n: UInt64
    let dt: UInt64
    let den: UInt64
  }

  static func smallGaussianConstants(n: BigInt, d: BigInt, t: BigInt) -> GaussianConstants? {
    let den = BigInt(2) * n * d * t * t
    guard let t64 = UInt64(exactly: t), t64 < 1 << 62, let n64 = UInt64(exactly: n),
      let dt = UInt64(exactly: d * t), let den64 = UInt64(exactly: den)
    else { return nil }
    return GaussianConstants(t: t64, n: n64, dt: dt, den: den64)
  }

  /// The acceptance bit for Y on machine words, or nil (nothing read) if γ does not fit.
  @inline(__always)
  static func smallGaussianAccept(
    y: Int64, _ c: GaussianConstants, using random: inout some RandomSource
  ) -> Bool? {
    let (a, o1) = y.magnitude.multipliedReportingOverflow(by: c.dt)
    if o1 { return nil }
    let diff = a >= c.n ? a - c.n : c.n - a
    let (num, o2) = diff.multipliedReportingOverflow(by: diff)
    if o2 { return nil }
    return bernoulliExpMinus(num, over: c.den, using: &random)
  }

  // MARK: - Negative binomial (geometric proposal)

  /// NB(u/v, e^{−s/t}): K from the geometric core, accepted iff Bernoulli((j·v + u)/((j+1)·v))
  /// succeeds for j = 0, 1, …, K − 1 in order (stopping at the first failure).
  @inline(__always)
  static func negativeBinomial(
    u: UInt64, v: UInt64, s: UInt64, t: UInt64, using random: inout some RandomSource
  ) -> Int64 {
    proposals: while true {
      let k = geometricCore(s: s, t: t, using: &random)
      // r = 1: every trial is Bernoulli(1) and reads nothing, so skip the loop.
      if u == v { return k }
      var j: UInt64 = 0
      while j < UInt64(k) {
        let (jv, o1) = j.multipliedReportingOverflow(by: v)
        let (p, o2) = jv.addingReportingOverflow(u)
        let (q, o3) = jv.addingReportingOverflow(v)
        let ok =
          o1 || o2 || o3
          ? bernoulli(
            BigInt(j) * BigInt(v) + BigInt(u), over: (BigInt(j) + 1) * BigInt(v), using: &random)
          : bernoulli(p, over: q, using: &random)
        if !ok { continue proposals }
        j += 1
      }
      return k
    }
  }

  /// The `BigInt` form of ``negativeBinomial(u:v:s:t:using:)`` (same bytes).
  static func negativeBinomial(
    u: BigInt, v: BigInt, s: BigInt, t: BigInt, using random: inout some RandomSource
  ) -> BigInt {
    proposals: while true {
      let k = geometricCore(s: s, t: t, using: &random)
      var j = BigInt(0)
      while j < k {
        if !bernoulli(j * v + u, over: (j + 1) * v, using: &random) { continue proposals }
        j += 1
      }
      return k
    }
  }

  // MARK: - Helpers

  /// Converts a drawn value to `Int64`; parameter limits make overflow impossible in practice
  /// (probability below 2^−(2^20)), and it traps rather than wrap if it ever happened.
  @inline(__always)
  static func toInt64(_ value: BigInt) -> Int64 {
    guard let v = Int(exactly: value) else {
      preconditionFailure("noise value does not fit in Int64")
    }
    return Int64(v)
  }
}
