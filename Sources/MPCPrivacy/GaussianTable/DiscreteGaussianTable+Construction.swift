// MARK: - Table construction (protocols/noise.md §4.1 steps 3 and 6)

extension DiscreteGaussianTable {
  /// One side of the weight intervals w_x, x = 0 … count − 1 (§4.1 step 3): w_0 = 2^192,
  /// w_{x+1} = w_x·r_x / 2^192 and r_{x+1} = r_x·q / 2^192, with r_0 = `ratio` and q = `step`,
  /// rounded down for the lower bounds and up (`roundingUp`) for the upper bounds.
  ///
  /// w_1 = r_0 exactly. From there every factor is below 2^192 (ratios of exponentials below
  /// 1: for σ² ≤ 2^27, 2^192·e^{−1/(2σ²)} < 2^192 − 2^162, and ExpMinus is within a few units),
  /// so each step is a 3 × 3-limb product.
  static func weights(count: Int, ratio: UInt256, step: UInt256, roundingUp: Bool) -> [UInt256] {
    precondition(weightPrecision == 192, "the weights are products shifted by 192")
    precondition(count >= 2)
    return [UInt256](unsafeUninitializedCapacity: count) { w, initialized in
      w.initializeElement(at: 0, to: UInt256(high: 1 << 64, low: 0))  // 2^192
      w.initializeElement(at: 1, to: ratio)
      var r = UInt256.productShifted192(ratio, step, roundingUp: roundingUp)
      for x in 1..<(count - 1) {
        w.initializeElement(
          at: x + 1, to: .productShifted192(w[x], r, roundingUp: roundingUp))
        r = .productShifted192(r, step, roundingUp: roundingUp)
      }
      initialized = count
    }
  }

  /// The entries Ĉ_j, j = 0 … 2B − 1, and Σ_j (min(Fhi_j, 2^160) − Flo_j) (§4.1 step 6), for
  /// B = weightsLo.count − 1, from the weights, T⁺ and the normaliser bounds.
  ///
  /// Flo_j = ⌊Slo_j·2^160 / Zhi⌋ and Fhi_j = ⌈(Shi_j + T⁺)·2^160 / Zlo⌉. The weights are
  /// symmetric, so the sums of the upper half mirror those of the lower half:
  /// Slo_{2B−1−m} = Zlo − Slo_m and Shi_{2B−1−m} + T⁺ = Zhi − (Shi_m + T⁺). One division of each
  /// lower-half sum (m = 0 … B − 1) by ``FixedDivisor`` therefore gives the entries m and
  /// 2B − 1 − m, the second through ``Division/floorOfDifference(_:_:)`` and
  /// ``Division/ceilingOfDifference(_:_:)`` from the division of Zlo·2^160 and Zhi·2^160.
  static func entries(
    weightsLo: [UInt256], weightsHi: [UInt256], tailHi: UInt256, zLo: UInt256, zHi: UInt256
  ) -> (high: [UInt64], low: [UInt64], widthSum: UInt256) {
    precondition(cumulativePrecision == 160, "FixedDivisor divides s·2^160")
    let b = weightsLo.count - 1
    let byZHi = FixedDivisor(zHi)
    let byZLo = FixedDivisor(zLo)
    let zLoByZHi = byZHi.divide(shifted: zLo)
    let zHiByZLo = byZLo.divide(shifted: zHi)
    let oneQ = UInt256(high: 1 << 32, low: 0)  // 2^160
    var widthSum = UInt256.zero
    var high = [UInt64](repeating: 0, count: 2 * b)
    var low = [UInt64](repeating: 0, count: 2 * b)
    high.withUnsafeMutableBufferPointer { high in
      low.withUnsafeMutableBufferPointer { low in
        weightsLo.withUnsafeBufferPointer { wLo in
          weightsHi.withUnsafeBufferPointer { wHi in
            /// Records entry j from Flo_j and Fhi_j: Ĉ_j = ⌊Flo_j / 2^32⌋ < 2^128 (Slo_j < Zhi).
            @inline(__always)
            func record(_ j: Int, floor fLo: UInt256, ceiling fHi: UInt256) {
              precondition(fLo.high >> 32 == 0, "table entry exceeds 128 bits")
              let entry = fLo.high << 96 | fLo.low >> 32
              high[j] = UInt64(truncatingIfNeeded: entry >> 64)
              low[j] = UInt64(truncatingIfNeeded: entry)
              widthSum += min(fHi, oneQ) - fLo
            }
            var sLo = UInt256.zero
            var sHiTail = tailHi  // Shi_m + T⁺
            for m in 0..<b {
              sLo += wLo[b - m]
              sHiTail += wHi[b - m]
              let lower = byZHi.divide(shifted: sLo)
              let upper = byZLo.divide(shifted: sHiTail)
              record(m, floor: lower.floor, ceiling: upper.ceiling)
              record(
                2 * b - 1 - m, floor: Division.floorOfDifference(zLoByZHi, lower),
                ceiling: Division.ceilingOfDifference(zHiByZLo, upper))
            }
          }
        }
      }
    }
    return (high, low, widthSum)
  }
}

extension DiscreteGaussianTable {
  /// guide[t] = #{j : Ĉ_j ≤ t·2^(128 − bits)} for t = 0 … 2^bits − 1, with Ĉ_j given by its
  /// upper and lower 64-bit halves.
  ///
  /// Ĉ_j ≤ t·2^(128 − bits) ⟺ t ≥ ⌈Ĉ_j / 2^(128 − bits)⌉, so guide is the running sum of a
  /// histogram of those ceilings (no data-dependent branches).
  static func guide(bits: Int, high: [UInt64], low: [UInt64]) -> [Int32] {
    precondition(bits >= 1 && bits <= 31 && high.count == low.count)
    let shift = UInt64(64 - bits)
    let mask = (UInt64(1) << shift) &- 1
    var guide = [Int32](repeating: 0, count: (1 << bits) + 1)
    guide.withUnsafeMutableBufferPointer { guide in
      high.withUnsafeBufferPointer { high in
        low.withUnsafeBufferPointer { low in
          for j in 0..<high.count {
            let dropped = (high[j] & mask) | low[j]  // the bits below 2^(128 − bits)
            let bucket = (high[j] >> shift) + (dropped != 0 ? 1 : 0)  // ≤ 2^bits
            guide[Int(bucket)] &+= 1
          }
        }
      }
      for t in 1..<guide.count { guide[t] &+= guide[t - 1] }
    }
    guide.removeLast()  // the bucket 2^bits only counted entries above every threshold
    return guide
  }
}
