import MPCBigInt
import MPCCrypto
import Testing
import _MPCTestSupport

@testable import MPCPrivacy

/// The table of protocols/noise.md §4 is normative to the bit: the fast construction must give
/// exactly the B, Ĉ_j, guide and distance bound of the plain `BigInt` construction.
@Suite struct GaussianTableIdentityTests {
  /// Every field equals the reference construction (``ReferenceGaussianTable``).
  @Test(arguments: [
    Rational(3, 1_000_000), Rational(1, 4), Rational(1, 2), Rational(1), Rational(9, 4),
    Rational(5), Rational(25), Rational(100), Rational(12_345, 7), Rational(10_000),
    Rational(123_456_789, 1000), Rational(1_000_003, 3),
  ])
  func matchesReference(_ s2: Rational) throws {
    let fast = try DiscreteGaussianTable(sigmaSquared: s2)
    let reference = ReferenceGaussianTable(sigmaSquared: s2)
    #expect(fast.bound == reference.bound)
    #expect(fast.cumulative == reference.cumulative)
    #expect(fast.statisticalDistanceBound == reference.statisticalDistanceBound)
    #expect(fast.guideBits == reference.guideBits)
    #expect(fast.guide == reference.guide)
  }

  /// Digests of whole tables, hard-coded from the output of the `BigInt` construction as it
  /// was before the fixed-width rewrite (the reference implementation; too slow to rerun for
  /// the large σ² in a debug build).
  static let pinned: [(Rational, String)] = [
    (
      Rational(25),
      "10feb11351bacafaa709f992c51ad3bd3f48652c1fe067a251f47c4636bfdda6"
    ),
    (
      Rational(10_000),
      "c2cdd5797ac099ea564006459a4b4bd60888e5fcfd559b5219bb9314aafef6e9"
    ),
    (
      Rational(25_000_000),
      "f0ac6f733b6c2d588b34a9a02a4cd3e2e4a09366d610c0e9eddff866b17d32c3"
    ),
    (
      Rational(100_000_000),
      "07b04a7697011aeb3dba41c7a98754fb4bbd3f75deac3655ba364f4bd514e38c"
    ),
    (
      Rational(1 << 27),
      "1047affe6bdac77f79cc8cf167811bd71a2802e7f7e037e52c963cbcc032e90d"
    ),
  ]

  /// The table for σ² has the pinned digest.
  @Test(arguments: 0..<pinned.count)
  func matchesPinnedDigest(_ index: Int) throws {
    let (s2, expected) = Self.pinned[index]
    let table = try DiscreteGaussianTable(sigmaSquared: s2)
    let digest = tableDigest(
      bound: table.bound, cumulative: table.cumulative,
      statisticalDistanceBound: table.statisticalDistanceBound, guideBits: table.guideBits,
      guide: table.guide)
    #expect(digest == expected, "σ² = \(s2)")
  }

  /// The reference construction reproduces the pinned digests of the σ² small enough to rerun.
  @Test(arguments: 0..<2)
  func referenceMatchesPinnedDigest(_ index: Int) {
    let (s2, expected) = Self.pinned[index]
    let reference = ReferenceGaussianTable(sigmaSquared: s2)
    let digest = tableDigest(
      bound: reference.bound, cumulative: reference.cumulative,
      statisticalDistanceBound: reference.statisticalDistanceBound,
      guideBits: reference.guideBits, guide: reference.guide)
    #expect(digest == expected, "σ² = \(s2)")
  }

  /// The guide scan, the batched scan and the fixed-work count all give −B + #{j : Ĉ_j ≤ U},
  /// counted on the reference table, for U on and next to every kind of boundary (equal upper
  /// halves included) and for random U.
  @Test(arguments: [Rational(1, 4), Rational(25), Rational(12_345, 7), Rational(10_000)])
  func lookupsMatchReferenceCount(_ s2: Rational) throws {
    let table = try DiscreteGaussianTable(sigmaSquared: s2)
    let reference = ReferenceGaussianTable(sigmaSquared: s2).cumulative
    var values: [UInt128] = [0, 1, .max, .max - 1, UInt128(1) << 127, (UInt128(1) << 127) - 1]
    let stride = max(1, reference.count / 400)
    for j in Swift.stride(from: 0, to: reference.count, by: stride) {
      let c = reference[j]
      let upper = (c >> 64) << 64
      values += [c, c &- 1, c &+ 1, upper, upper | UInt128(UInt64.max), upper &- 1]
    }
    let random = SeededRandom.make("table lookups")
    for _ in 0..<1000 {
      values.append(UInt128(random.nextUInt64()) << 64 | UInt128(random.nextUInt64()))
    }
    var words: [UInt64] = []
    var expected: [Int64] = []
    for u in values {
      words += [UInt64(truncatingIfNeeded: u), UInt64(truncatingIfNeeded: u >> 64)]
      expected.append(Int64(reference.partitioningIndex { $0 > u } - reference.count / 2))
    }
    for (u, want) in zip(values, expected) {
      #expect(table.lookup(u) == want, "u = \(u)")
      #expect(table.lookupFixedWork(u) == want, "u = \(u)")
    }
    var batch = [Int64](repeating: 0, count: values.count)
    words.withUnsafeBufferPointer { w in
      batch.withUnsafeMutableBufferPointer { table.lookup(words: w, into: $0) }
    }
    #expect(batch == expected)
  }
}

extension Array where Element == UInt128 {
  /// The first index whose element satisfies `predicate`, for a predicate false then true
  /// along the (sorted) array.
  func partitioningIndex(where predicate: (UInt128) -> Bool) -> Int {
    var low = 0
    var high = count
    while low < high {
      let middle = (low + high) / 2
      if predicate(self[middle]) { high = middle } else { low = middle + 1 }
    }
    return low
  }
}
