public import MPCCrypto

/// This party's whole noise share η_i for one run, drawn before any message
/// (`protocols/query.md` §1.2, `protocols/noise.md` §10): the time the samplers take, which
/// depends on the values drawn, is then spent before the run's first message and not between
/// upload chunks. A caller that draws it before connecting (``PartySetup/noiseShare``) keeps
/// it out of everything its peers observe.
public struct NoiseShare: Sendable {
  /// The one buffer of η_i that every copy of the share refers to, so ``zeroize()`` wipes the
  /// only copy: with an array, the runner's copy would be copied on write and the original
  /// (still held by the setup and its caller) left unwiped, at m·8 bytes more.
  final class Storage: @unchecked Sendable {
    // Invariant: written only in `init` (before the share is shared) and by `wipe`, which the
    // runner calls after its last read of the values (and `deinit`).
    let buffer: UnsafeMutableBufferPointer<Int64>

    init(count: Int) {
      buffer = .allocate(capacity: count)
      buffer.initialize(repeating: 0)
    }

    func wipe() { SecretBytes.wipe(UnsafeMutableRawBufferPointer(buffer)) }

    deinit {
      wipe()
      buffer.deallocate()
    }
  }

  let storage: Storage
  /// The run plan it was drawn for (a share must be added only to that plan's run).
  let derivedFrom: RunPlan.Derivation

  /// η_i, one value per coordinate of the upload vector (a copy: for tests and vectors).
  public var values: [Int64] { Array(storage.buffer) }

  /// The number of coordinates.
  public var count: Int { storage.buffer.count }

  /// Draws the share for `runPlan` from `random`: every component's sampler fills its
  /// coordinates in order, as ``RunPlan/fillNoise(_:from:using:)`` does chunk by chunk.
  public init(_ runPlan: RunPlan, using random: inout some RandomSource) {
    storage = Storage(count: runPlan.plan.dimension)
    runPlan.fillNoise(storage.buffer, from: 0, using: &random)
    derivedFrom = runPlan.derivedFrom
  }

  /// A share of given values for the plan `derivedFrom` (one round of an adaptive query).
  init(values: [Int64], derivedFrom: RunPlan.Derivation) {
    storage = Storage(count: values.count)
    _ = storage.buffer.update(fromContentsOf: values)
    self.derivedFrom = derivedFrom
  }

  /// Read access to the values; do not let the pointer escape.
  func withValues<R>(_ body: (UnsafeBufferPointer<Int64>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(storage.buffer))
  }

  /// Overwrites the values with zeros, in place for every copy (after the upload; the share
  /// is secret).
  func zeroize() { storage.wipe() }
}
