public import MPCCrypto

/// This party's whole noise share η_i for one run, drawn before any message
/// (`protocols/query.md` §1.2, `protocols/noise.md` §10): the time the samplers take, which
/// depends on the values drawn, is then spent before the run's first message and not between
/// upload chunks. A caller that draws it before connecting (``PartySetup/noiseShare``) keeps
/// it out of everything its peers observe.
public struct NoiseShare: Sendable {
  /// η_i, one value per coordinate of the upload vector.
  public private(set) var values: [Int64]
  /// The run plan it was drawn for (a share must be added only to that plan's run).
  let derivedFrom: RunPlan.Derivation

  /// Draws the share for `runPlan` from `random`: every component's sampler fills its
  /// coordinates in order, as ``RunPlan/fillNoise(_:from:using:)`` does chunk by chunk.
  public init(_ runPlan: RunPlan, using random: inout some RandomSource) {
    var values = [Int64](repeating: 0, count: runPlan.plan.dimension)
    values.withUnsafeMutableBufferPointer { runPlan.fillNoise($0, from: 0, using: &random) }
    self.values = values
    derivedFrom = runPlan.derivedFrom
  }

  /// A share of given values for the plan `derivedFrom` (one round of an adaptive query).
  init(values: [Int64], derivedFrom: RunPlan.Derivation) {
    self.values = values
    self.derivedFrom = derivedFrom
  }

  /// Overwrites the values with zeros (after the upload; the share is secret).
  mutating func zeroize() {
    values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }
}
