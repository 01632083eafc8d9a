public import MPCBigInt
public import MPCCrypto

/// The discrete Gaussian N_Z(0, σ²): P(x) ∝ exp(−x²/(2σ²)) on ℤ, for a rational σ².
public struct DiscreteGaussianSampler: NoiseSampler, NoiseFillKernel {
  /// How draws are computed.
  public enum Method: String, Sendable, Codable, CaseIterable {
    /// CKS20 Algorithm 3: exactly N_Z(0, σ²); running time depends on the value drawn.
    case exact
    /// Inversion of a 128-bit cumulative table: 16 bytes per draw, within the table's proven
    /// statistical distance (≤ 2^−100) of N_Z(0, σ²); charge it to δ.
    case table
  }

  /// Whether the work per draw may depend on the value drawn.
  public enum Timing: String, Sendable, Codable, CaseIterable {
    /// The fastest code; timing depends on the value (guide-table scan, rejection loops).
    case variable
    /// Table method only: a branch-free scan of the whole table per draw, the same output as
    /// `variable` for the same bytes, with work and memory accesses independent of the value.
    case fixedWork = "fixed-work"
  }

  /// σ².
  public let sigmaSquared: Rational
  /// The method used.
  public let method: Method
  /// The timing mode used.
  public let timing: Timing
  let table: DiscreteGaussianTable?
  let n: BigInt
  let d: BigInt
  let t: BigInt
  let small: ExactSampling.GaussianConstants?

  /// A sampler for N_Z(0, σ²); `.table` needs σ² ≤ ``DiscreteGaussianTable/maxSigmaSquared``
  /// and `.fixedWork` needs `.table`.
  public init(sigmaSquared: Rational, method: Method = .table, timing: Timing = .variable) throws {
    try SamplerLimits.checkPositive(
      sigmaSquared, field: "sigma-squared", atMost: SamplerLimits.maxSigmaSquared)
    if timing == .fixedWork && method == .exact {
      throw PrivacyError.unsupportedCombination(
        "the fixed-work timing mode needs the table method: exact rejection sampling has "
          + "value-dependent running time")
    }
    self.sigmaSquared = sigmaSquared
    self.method = method
    self.timing = timing
    n = sigmaSquared.numerator
    d = sigmaSquared.denominator
    t = (try! sigmaSquared.floor.squareRootFloor()) + 1  // cannot throw: σ² > 0
    small = ExactSampling.smallGaussianConstants(n: n, d: d, t: t)
    table = method == .table ? try DiscreteGaussianTable(sigmaSquared: sigmaSquared) : nil
  }

  /// A proven bound on the statistical distance of one draw from N_Z(0, σ²) (0 if exact).
  public var statisticalDistanceBound: Rational {
    table?.statisticalDistanceBound ?? .zero
  }

  /// One draw (protocols/noise.md §3–§4).
  public func sample(using random: inout some RandomSource) -> Int64 {
    guard let table else {
      if let small { return ExactSampling.discreteGaussian(small, using: &random) }
      return ExactSampling.toInt64(
        ExactSampling.discreteGaussian(n: n, d: d, t: t, using: &random))
    }
    let u = Self.uint128(lo: random.nextUInt64(), hi: random.nextUInt64())
    return timing == .fixedWork ? table.lookupFixedWork(u) : table.lookup(u)
  }

  /// Fills `buffer` with draws in index order, the same bytes as repeated ``sample(using:)``.
  /// The table method reads 16 bytes per draw in chunks (one generator call per 512 draws).
  package func fillKernel(
    _ buffer: UnsafeMutableBufferPointer<Int64>, using random: inout some RandomSource
  ) {
    guard let table else { return fillBySampling(buffer, using: &random) }
    fillFromTable(table, buffer, &random)
  }

  @inline(__always)
  static func uint128(lo: UInt64, hi: UInt64) -> UInt128 {
    UInt128(hi) << 64 | UInt128(lo)
  }

  private func fillFromTable(
    _ table: DiscreteGaussianTable, _ buffer: UnsafeMutableBufferPointer<Int64>,
    _ random: inout some RandomSource
  ) {
    // 16 bytes per draw in index order, read in chunks: the same bytes as one draw at a time.
    let chunk = 512
    let words = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 2 * chunk)
    defer {
      words.update(repeating: 0)
      words.deallocate()
    }
    var start = buffer.startIndex
    while start < buffer.endIndex {
      let count = min(chunk, buffer.endIndex - start)
      random.fill(
        UnsafeMutableRawBufferPointer(
          rebasing: UnsafeMutableRawBufferPointer(words)[0..<(16 * count)]))
      if timing == .fixedWork {
        for i in 0..<count {
          let u = Self.uint128(
            lo: UInt64(littleEndian: words[2 * i]), hi: UInt64(littleEndian: words[2 * i + 1]))
          buffer[start + i] = table.lookupFixedWork(u)
        }
      } else {
        for i in 0..<(2 * count) { words[i] = UInt64(littleEndian: words[i]) }
        table.lookup(
          words: UnsafeBufferPointer(rebasing: words[0..<(2 * count)]),
          into: UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + count)]))
      }
      start += count
    }
  }
}
