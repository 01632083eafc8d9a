public import MPCBigInt
public import MPCPrivacy

/// One released coordinate.
public struct ReleasedValue: Sendable, Hashable, Codable {
  /// Its label: a histogram bin, "count", "sum", or the coordinate index.
  public var label: String
  /// The noisy total as opened (true total + all parties' noise).
  public var raw: BigInt
  /// The post-processed value (counts clamped at 0); equals `raw` otherwise.
  public var value: BigInt
  /// Lower end of the (1 − β) interval of the true value.
  public var lower: BigInt
  /// Upper end of the interval.
  public var upper: BigInt
}

/// A released component (a mean has two: `sum` and `count`).
///
/// The opened values are held compactly (machine integers when they fit) so that a 10^6-long
/// vector costs no allocation per coordinate; ``values`` builds the per-coordinate view on demand.
public struct ReleasedComponent: Sendable {
  /// The opened raw values of one component: machine integers, or big integers if any is wide.
  public enum RawValues: Sendable {
    /// Every value fits in an `Int64`.
    case small([Int64])
    /// Some value needs more than 64 bits.
    case big([BigInt])

    /// Number of values.
    public var count: Int {
      switch self {
      case .small(let v): v.count
      case .big(let v): v.count
      }
    }

    /// Value `i`.
    public subscript(i: Int) -> BigInt {
      switch self {
      case .small(let v): BigInt(Int(v[i]))
      case .big(let v): v[i]
      }
    }
  }

  /// The component's name.
  public var name: String
  /// The opened values (true total + all noise), before post-processing; empty when they went
  /// only to the setup's ``PartySetup/openedSink``.
  public var raw: RawValues
  /// The number of coordinates (``raw``'s count unless the values went only to the sink).
  public var length: Int
  /// The interval half-width h (from ``noise``).
  public var halfWidth: BigInt
  /// Whether values are counts, clamped at 0.
  public var clampAtZero: Bool
  /// Labels: histogram bins, `count`, `sum`; nil means the coordinate index (vector-sum).
  public var labels: [String]?
  /// Its noise calibration (mechanism, k, per-party share, ρ/ε, interval half-width).
  public var noise: NoisePlan
  /// Its sensitivity.
  public var sensitivity: Sensitivity

  /// Value `i` post-processed, with its interval.
  public func value(at i: Int) -> ReleasedValue {
    let raw = self.raw[i]
    let zero = BigInt(0)
    let label = labels.map { $0[i] } ?? "\(i)"
    return ReleasedValue(
      label: label, raw: raw, value: clampAtZero ? max(raw, zero) : raw,
      lower: clampAtZero ? max(raw - halfWidth, zero) : raw - halfWidth, upper: raw + halfWidth)
  }

  /// Every value post-processed (allocates per coordinate: for display and small results).
  public var values: [ReleasedValue] { (0..<raw.count).map(value(at:)) }
}

/// The mean of a `mean` query: noisy sum / noisy count, clamped to [L, U].
public struct ReleasedMean: Sendable, Hashable, Codable {
  /// The clamped mean, or nil if the noisy count is not positive.
  public var value: Rational?
  /// Lower end of its ≥ 95% interval (nil if the count's interval reaches 0).
  public var lower: Rational?
  /// Upper end.
  public var upper: Rational?
}

/// What a run returns at every party.
public struct QueryResult: Sendable {
  /// The query id.
  public var queryID: String
  /// The 16-byte session id of the run.
  public var sessionID: [UInt8]
  /// The field used.
  public var field: String
  /// The mechanism.
  public var mechanism: Mechanism
  /// The released components.
  public var components: [ReleasedComponent]
  /// The mean, for `mean` queries.
  public var mean: ReleasedMean?
  /// The cost charged to the ledger for this query.
  public var cost: PrivacyCost
  /// The (ε, δ) the charged cost meets, the Gaussian table's δ for this run's n·m draws
  /// combined (`protocols/noise.md` §6.4); nil for a pure-ε cost.
  public var privacy: PrivacyStatement?
  /// The ledger's spent total after the run.
  public var spent: Rational
  /// The ledger's remaining budget after the run.
  public var remaining: Rational
  /// The reconciliation settled before agreement, when the parties' ledger heads differed
  /// after an earlier abort (`protocols/query.md` §2.2); nil otherwise.
  public var reconciliation: Reconciliation?
  /// Per-phase durations and bytes sent per peer at this party (measurement only).
  public var statistics = RunStatistics()
}
