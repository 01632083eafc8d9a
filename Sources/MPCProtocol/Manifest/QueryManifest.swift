public import Foundation
public import MPCBigInt
public import MPCPrivacy

/// The noise mechanism of a query (DESIGN §5): `gaussian` (zCDP) or `laplace` (pure ε).
public typealias Mechanism = NoiseMechanism

/// What to do with a histogram value outside the declared bins. Both choices are data-independent
/// (`protocols/query.md`, "Data-dependent decisions"): a value never stops the run.
public enum OutsidePolicy: String, Sendable, Hashable, Codable, CaseIterable {
  /// Count it in an extra last bin, `other`.
  case other
  /// Numeric bins only: count a value below e₀ in the first bin and one above e_b in the last.
  case clip

  /// Why `refuse` (accepted before v1.1) is refused when a query is parsed.
  static let refuseProblem =
    "'refuse' is not accepted: stopping the run because one row is outside the bins would tell "
    + "the query's author something about the data without any privacy charge; use 'other' "
    + "(an extra bin) or, for bin_edges, 'clip' (the first or last bin)"
}

/// Inclusive integer clipping bounds [lower, upper], lower < upper.
public struct ClipBounds: Sendable, Hashable {
  /// L.
  public var lower: Int64
  /// U.
  public var upper: Int64

  /// [lower, upper].
  public init(lower: Int64, upper: Int64) {
    self.lower = lower
    self.upper = upper
  }

  /// max(|L|, |U|): the add/remove sensitivity of one clipped value.
  public var maxMagnitude: BigInt { max(BigInt(lower).magnitude, BigInt(upper).magnitude) }

  /// U − L: the width of the clipping interval.
  public var width: BigInt { BigInt(upper) - BigInt(lower) }

  /// max(U, 0) − min(L, 0): the replace-one sensitivity of one value. A row's contribution is
  /// its clipped value in [L, U] or 0 (an unparseable or missing value contributes 0), and a
  /// replacement may change a valid row into an unparseable one, so the contribution ranges
  /// over [min(L, 0), max(U, 0)]. Equal to U − L when 0 ∈ [L, U].
  public var replaceOneWidth: BigInt {
    Swift.max(BigInt(upper), BigInt(0)) - Swift.min(BigInt(lower), BigInt(0))
  }

  /// `value` clipped into [L, U].
  public func clip(_ value: Int64) -> Int64 { Swift.min(Swift.max(value, lower), upper) }
}

/// A row filter for `count`: the column's text equals `equals` exactly.
public struct RowFilter: Sendable, Hashable, Codable {
  /// The column to test.
  public var column: String
  /// The exact text it must equal (after CSV unquoting, no trimming).
  public var equals: String

  /// A filter `column == equals`.
  public init(column: String, equals: String) {
    self.column = column
    self.equals = equals
  }
}

/// Histogram bins: declared categories, or numeric edges e₀ < … < e_b giving b bins
/// [e₀, e₁), …, [e_{b−1}, e_b] (the last bin is closed).
public enum HistogramBins: Sendable, Hashable {
  /// One bin per category, matched exactly.
  case categories([String])
  /// Numeric bins by edges.
  case edges([Rational])

  /// The number of declared bins (without `other`).
  public var count: Int {
    switch self {
    case .categories(let names): names.count
    case .edges(let edges): edges.count - 1
    }
  }
}

/// Per-coordinate bounds of a `vector-sum`: one pair for all coordinates or one per coordinate.
public enum VectorBounds: Sendable, Hashable {
  /// The same bounds for every coordinate.
  case uniform(ClipBounds)
  /// Bounds for each coordinate (count = m).
  case perCoordinate([ClipBounds])

  /// The bounds of coordinate `index`.
  public func bounds(at index: Int) -> ClipBounds {
    switch self {
    case .uniform(let b): b
    case .perCoordinate(let list): list[index]
    }
  }
}

/// What a query computes.
public enum QueryKind: Sendable, Hashable {
  /// The number of rows, optionally only those where a column equals a value.
  case count(where: RowFilter?)
  /// The sum of a numeric column clipped to bounds.
  case sum(column: String, bounds: ClipBounds)
  /// A histogram of a column.
  case histogram(column: String, bins: HistogramBins, outside: OutsidePolicy)
  /// The mean of a clipped numeric column: a sum and a count, `sumShare` of the budget to the sum.
  case mean(column: String, bounds: ClipBounds, sumShare: Rational)
  /// The sum of pre-aggregated integer vectors of length m.
  case vectorSum(length: Int, bounds: VectorBounds)
  /// A federated statistic (variance, crosstab, quantile): one noisy sum, then post-processing.
  case statistic(StatisticQuery)
  /// DP synthetic data: three rounds of noisy marginals over one admission (``SynthQuery``).
  case synth(SynthQuery)

  /// The JSON name of the kind.
  public var name: String {
    switch self {
    case .count: "count"
    case .sum: "sum"
    case .histogram: "histogram"
    case .mean: "mean"
    case .vectorSum: "vector-sum"
    case .statistic(let s): s.name
    case .synth: "synth"
    }
  }

  /// The data column the query reads (nil for `count` and `vector-sum`; the first of a
  /// crosstab's).
  public var column: String? {
    switch self {
    case .count, .vectorSum: nil
    case .sum(let c, _), .histogram(let c, _, _), .mean(let c, _, _): c
    case .statistic(let s): s.columns.first
    case .synth(let s): s.columns.first?.column
    }
  }
}

/// A query: its kind, mechanism and privacy parameter (DESIGN §4.1).
public struct QueryManifest: Sendable, Hashable, Codable {
  /// The query identifier.
  public internal(set) var id: String
  /// What is computed.
  public internal(set) var kind: QueryKind
  /// The noise mechanism (default gaussian).
  public internal(set) var mechanism: Mechanism
  /// The privacy parameter as given: `epsilon` or `rho`.
  public internal(set) var privacy: PrivacyCost
  /// How many unparseable rows are tolerated (default 0).
  public internal(set) var maxBadRows: Int

  /// A validated query; throws ``ManifestError/invalidManifest(file:field:problem:)``.
  public init(
    id: String, kind: QueryKind, mechanism: Mechanism = .gaussian, privacy: PrivacyCost,
    maxBadRows: Int = 0, file: String = "<query>"
  ) throws {
    self.id = id
    self.kind = kind
    self.mechanism = mechanism
    self.privacy = privacy
    self.maxBadRows = maxBadRows
    if let issue = validationIssue() {
      throw ManifestError.invalidManifest(file: file, field: issue.field, problem: issue.problem)
    }
  }

  /// Reads and validates a query file.
  public static func load(contentsOf url: URL) throws -> QueryManifest {
    try ManifestLoader.load(QueryManifest.self, contentsOf: url)
  }

  /// Decodes and validates query JSON; `file` names the source in errors.
  public static func decode(_ data: Data, file: String) throws -> QueryManifest {
    try ManifestLoader.decode(QueryManifest.self, from: data, file: file)
  }

  /// The number of field elements uploaded: 1, 2 (mean: sum then count), the bins
  /// (plus `other`), m, or a statistic's layout (``StatisticQuery/parts``).
  public var dimension: Int {
    switch kind {
    case .count, .sum: 1
    case .mean: 2
    case .histogram(_, let bins, let outside): bins.count + (outside == .other ? 1 : 0)
    case .vectorSum(let m, _): m
    case .statistic(let s): s.dimension
    case .synth(let s): s.oneWayLayout.dimension
    }
  }

  // MARK: - Validation

  /// The first problem of the query on its own, with its field path; nil when valid.
  func validationIssue() -> ManifestIssue? {
    if let problem = Syntax.identifierProblem(id) {
      return ManifestIssue(field: "id", problem: problem)
    }
    if let column = kind.column, column.isEmpty {
      return ManifestIssue(field: "column", problem: "must name a column")
    }
    switch kind {
    case .count(let filter):
      if let filter, filter.column.isEmpty {
        return ManifestIssue(field: "where.column", problem: "must name a column")
      }
    case .sum(_, let bounds), .mean(_, let bounds, _):
      if let issue = Self.boundsIssue(bounds, field: "bounds") { return issue }
      if case .mean(_, _, let share) = kind, !(share.signum > 0 && share < 1) {
        return ManifestIssue(
          field: "split", problem: "the sum's share of the budget must be in (0, 1), found \(share)"
        )
      }
    case .histogram(_, let bins, let outside):
      if let issue = StatisticQuery.binsIssue(bins, outside: outside, at: "") { return issue }
    case .statistic(let statistic):
      if let issue = statistic.validationIssue() { return issue }
    case .synth(let synth):
      if let issue = synth.validationIssue() { return issue }
      if mechanism != .gaussian {
        return ManifestIssue(
          field: "mechanism", problem: "synth measures its marginals with gaussian noise (zCDP)")
      }
    case .vectorSum(let m, let bounds):
      guard (1...Self.maxVectorLength).contains(m) else {
        return ManifestIssue(
          field: "length", problem: "m must be between 1 and \(Self.maxVectorLength), found \(m)")
      }
      switch bounds {
      case .uniform(let b):
        if let issue = Self.boundsIssue(b, field: "bounds") { return issue }
      case .perCoordinate(let list):
        guard list.count == m else {
          return ManifestIssue(
            field: "bounds", problem: "expected \(m) per-coordinate bounds, found \(list.count)")
        }
        for (i, b) in list.enumerated() {
          if let issue = Self.boundsIssue(b, field: "bounds[\(i)]") { return issue }
        }
      }
      if maxBadRows != 0 {
        return ManifestIssue(
          field: "max_bad_rows", problem: "not allowed for vector-sum: every element must parse")
      }
    }
    guard privacy.amount.signum > 0 else {
      return ManifestIssue(field: privacy.unit, problem: "must be positive")
    }
    if mechanism == .laplace, case .zcdp = privacy {
      return ManifestIssue(
        field: "rho", problem: "the laplace mechanism is pure ε-DP: give 'epsilon', not 'rho'")
    }
    guard maxBadRows >= 0 else {
      return ManifestIssue(field: "max_bad_rows", problem: "must not be negative")
    }
    return nil
  }

  /// The largest number of histogram bins.
  public static let maxBins = 1 << 20
  /// The largest `vector-sum` length.
  public static let maxVectorLength = 1 << 28

  private static func boundsIssue(_ b: ClipBounds, field: String) -> ManifestIssue? {
    b.lower < b.upper
      ? nil
      : ManifestIssue(
        field: field, problem: "bounds [L, U] need L < U, found [\(b.lower), \(b.upper)]")
  }
}
