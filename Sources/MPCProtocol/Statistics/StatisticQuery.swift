public import MPCBigInt

/// One column of a `crosstab`: declared categories or numeric bin edges, and what to do with a
/// value outside them (as for a histogram).
public struct CrosstabAxis: Sendable, Hashable {
  /// The column.
  public var column: String
  /// Its bins.
  public var bins: HistogramBins
  /// `other` (an extra last level) or, for edges, `clip`.
  public var outside: OutsidePolicy

  /// An axis.
  public init(column: String, bins: HistogramBins, outside: OutsidePolicy) {
    self.column = column
    self.bins = bins
    self.outside = outside
  }

  /// The number of levels, `other` included.
  public var levels: Int { bins.count + (outside == .other ? 1 : 0) }

  /// The label of level `index`.
  public func label(_ index: Int) -> String {
    switch bins {
    case .categories(let names): return index < names.count ? names[index] : "other"
    case .edges(let edges):
      return index < edges.count - 1 ? "[\(edges[index]), \(edges[index + 1]))" : "other"
    }
  }
}

/// A clipped integer column of a `linear-regression`.
public struct ClippedColumn: Sendable, Hashable {
  /// The column.
  public var column: String
  /// [L, U].
  public var bounds: ClipBounds

  /// A column clipped to `bounds`.
  public init(column: String, bounds: ClipBounds) {
    self.column = column
    self.bounds = bounds
  }
}

/// The federated statistics (issue 19): each is one noisy sum of a well-chosen vector, then
/// post-processing (``StatisticsRelease``). Layouts and sensitivities: `protocols/manifest.md`.
public enum StatisticQuery: Sendable, Hashable {
  /// Variance and standard deviation of a clipped column: [Σ(x − c)], [Σ(x − c)²], [n] with
  /// c = ⌊(L + U)/2⌋ (centring halves Δ of the first part and quarters Δ of the second), and
  /// `split` the shares of the budget of the three parts (adding up to 1).
  case variance(column: String, bounds: ClipBounds, split: [Rational])
  /// A k-way contingency table over 2–4 columns, cells in row-major order (last axis fastest).
  case crosstab(axes: [CrosstabAxis])
  /// Quantiles of a numeric column over declared bins (values outside are clipped into the
  /// first or last bin): one histogram.
  case quantile(column: String, edges: [Rational], quantiles: [Rational])
  /// Least squares of y on p predictors: with z = (1, x₁, …, x_p, y), the upper triangle of
  /// Σ z zᵀ (n, Σx, Σy, XᵀX, Xᵀy, Σy²) in one noisy sum, each moment its own part with an
  /// equal share of the budget (so its noise scales with its own Δ); `ridge` λ is added to
  /// the predictors' diagonal only when asked for.
  case regression(y: ClippedColumn, x: [ClippedColumn], intercept: Bool, ridge: Rational?)
  /// The covariance matrix of 2–8 clipped columns (correlations by post-processing): with each
  /// column centred, y_i = x_i − c_i and z = (1, y₁, …, y_p), the upper triangle of Σ z zᵀ
  /// (n, Σy, Σ y_i·y_j) in one noisy sum, each moment its own part with an equal share.
  case covariance(columns: [ClippedColumn])

  /// The default budget split of a `variance`: a third to each of Σx, Σx² and n.
  public static let defaultVarianceSplit = [Rational(1, 3), Rational(1, 3), Rational(1, 3)]
  /// The largest |x − c| of a `variance`: (x − c)² must fit in 62 bits.
  public static let maxVarianceMagnitude: Int64 = 1 << 31
  /// The largest number of columns of a `covariance`.
  public static let maxCovarianceColumns = 8
  /// The largest number of cells of a crosstab.
  public static let maxCells = 1 << 20

  /// The JSON name of the kind.
  public var name: String {
    switch self {
    case .variance: "variance"
    case .crosstab: "crosstab"
    case .quantile: "quantile"
    case .regression: "linear-regression"
    case .covariance: "covariance"
    }
  }

  /// The columns read, in order.
  public var columns: [String] {
    switch self {
    case .variance(let c, _, _), .quantile(let c, _, _): [c]
    case .crosstab(let axes): axes.map(\.column)
    case .regression(let y, let x, _, _): x.map(\.column) + [y.column]
    case .covariance(let columns): columns.map(\.column)
    }
  }

  /// What the statistic is of, for headers: `ward × age`, `los on sev, age`, `a, b`.
  public var subject: String {
    switch self {
    case .variance(let c, _, _), .quantile(let c, _, _): c
    case .crosstab(let axes): axes.map(\.column).joined(separator: " × ")
    case .regression(let y, let x, _, _):
      "\(y.column) on " + x.map(\.column).joined(separator: ", ")
    case .covariance(let columns): columns.map(\.column).joined(separator: ", ")
    }
  }

  /// The separately noised parts, in upload order: name and dimension.
  public var parts: [(name: String, dimension: Int)] {
    switch self {
    case .variance: [("sum", 1), ("sum_squares", 1), ("count", 1)]
    case .crosstab(let axes): [("cells", axes.reduce(1) { $0 * $1.levels })]
    case .quantile(_, let edges, _): [("bins", edges.count - 1)]
    case .regression(let y, let x, _, _):
      (0..<((x.count + 2) * (x.count + 3) / 2)).map { (Self.momentName($0, y: y, x: x), 1) }
    case .covariance(let columns):
      (0..<((columns.count + 1) * (columns.count + 2) / 2)).map {
        (Self.momentName($0, names: ["1"] + columns.map(\.column)), 1)
      }
    }
  }

  /// c = ⌊(L + U)/2⌋, the centre a `variance` subtracts from each value.
  public static func centre(of b: ClipBounds) -> Int64 {
    (b.lower >> 1) + (b.upper >> 1) + (((b.lower & 1) + (b.upper & 1)) >> 1)
  }

  /// [L − c, U − c]: the range of a `variance` row's centred value.
  public static func centred(_ b: ClipBounds) -> ClipBounds {
    // c ∈ [L, U], so L − c ≤ 0 ≤ U − c; saturate when U − L exceeds the Int64 range.
    let c = centre(of: b)
    let (lower, below) = b.lower.subtractingReportingOverflow(c)
    let (upper, above) = b.upper.subtractingReportingOverflow(c)
    return ClipBounds(lower: below ? .min : lower, upper: above ? .max : upper)
  }

  /// The number of uploaded coordinates.
  public var dimension: Int { parts.reduce(0) { $0 + $1.dimension } }

  /// The share of the query's budget given to part `name`.
  public func share(of name: String) -> Rational {
    if case .regression(_, let x, _, _) = self {
      return Rational(1, (x.count + 2) * (x.count + 3) / 2)
    }
    if case .covariance(let columns) = self {
      return Rational(1, (columns.count + 1) * (columns.count + 2) / 2)
    }
    guard case .variance(_, _, let split) = self else { return Rational(1) }
    return split[["sum", "sum_squares", "count"].firstIndex(of: name) ?? 0]
  }

  /// Whether the opened values of part `name` are counts (clamped at 0 when shown).
  public func isCount(_ name: String) -> Bool {
    switch self {
    case .regression, .covariance: return name == "n"
    default: break
    }
    return name != "sum"
  }

  /// The label of coordinate `index` of part `name`.
  public func label(component name: String, index: Int) -> String {
    switch self {
    case .variance: return name
    case .crosstab(let axes):
      return cellIndices(index, axes: axes).enumerated().map { axes[$0].label($1) }
        .joined(separator: " × ")
    case .quantile(_, let edges, _):
      return "[\(edges[index]), \(edges[index + 1]))"
    case .regression, .covariance: return name
    }
  }

  /// The per-axis levels of crosstab cell `index` (row-major, last axis fastest).
  public func cellIndices(_ index: Int, axes: [CrosstabAxis]) -> [Int] {
    var rest = index
    var out = [Int](repeating: 0, count: axes.count)
    for a in axes.indices.reversed() {
      out[a] = rest % axes[a].levels
      rest /= axes[a].levels
    }
    return out
  }

  /// The name of moment `index`: `n`, `Σ x1`, `Σ x1·y`, ….
  static func momentName(_ index: Int, y: ClippedColumn, x: [ClippedColumn]) -> String {
    momentName(index, names: ["1"] + x.map(\.column) + [y.column])
  }

  /// The name of moment `index` of the upper triangle of Σ z zᵀ, z named `names` (`1` first).
  static func momentName(_ index: Int, names: [String]) -> String {
    let (a, b) = momentPair(index, q: names.count)
    return a == 0 ? (b == 0 ? "n" : "Σ \(names[b])") : "Σ \(names[a])·\(names[b])"
  }

  /// Entry (a, b), a ≤ b, of coordinate `index` of a q × q upper triangle, row-major.
  public static func momentPair(_ index: Int, q: Int) -> (Int, Int) {
    var rest = index
    for a in 0..<q {
      if rest < q - a { return (a, a + rest) }
      rest -= q - a
    }
    return (q - 1, q - 1)
  }

  /// The bounds of z = (1, x₁, …, x_p, y) of a regression.
  static func momentBounds(y: ClippedColumn, x: [ClippedColumn]) -> [ClipBounds] {
    [ClipBounds(lower: 1, upper: 1)] + x.map(\.bounds) + [y.bounds]
  }

  /// The bounds of z = (1, y₁, …, y_p) of a covariance, y_i = x_i − c_i centred.
  static func momentBounds(covariance columns: [ClippedColumn]) -> [ClipBounds] {
    [ClipBounds(lower: 1, upper: 1)] + columns.map { centred($0.bounds) }
  }

  /// The range [lo, hi] of z_a·z_b over the clipped ranges, widened to contain 0 (a row that
  /// is unparseable contributes 0).
  static func productRange(_ a: ClipBounds, _ b: ClipBounds, same: Bool) -> (BigInt, BigInt) {
    let ends = [BigInt(a.lower), BigInt(a.upper)]
    var products =
      same
      ? ends.map { $0 * $0 }
      : ends.flatMap { u in [BigInt(b.lower), BigInt(b.upper)].map { u * $0 } }
    products.append(BigInt(0))
    return (products.min()!, products.max()!)
  }

  /// The largest |contribution| of one row to any coordinate (sizes the field).
  public var rowBound: BigInt {
    if case .regression(let y, let x, _, _) = self {
      let m = Self.momentBounds(y: y, x: x).map(\.maxMagnitude).max()!
      return m * m
    }
    if case .variance(_, let b, _) = self {
      let m = Self.centred(b).maxMagnitude
      return m * m
    }
    if case .covariance(let columns) = self {
      let m = Self.momentBounds(covariance: columns).map(\.maxMagnitude).max()!
      return m * m
    }
    return BigInt(1)
  }

  /// The sensitivity of each part for one person at one site under `neighbour`
  /// (`protocols/manifest.md`, "Statistics"); `max_sites_per_person` is applied by the caller.
  func sensitivities(neighbour: NeighbourRelation) -> [(Int, BigInt, BigInt)] {
    switch self {
    case .variance(_, let bounds, _):
      // With y = x − c in [L', U'] = [L − c, U − c]: Σy is a `sum` over [L', U'] (M' or
      // max(U', 0) − min(L', 0)). Σy²: a row's y² lies in [0, M'²] and an unparseable row adds 0,
      // so both relations give M'² (0 is always a possible contribution). n: 1.
      let b = Self.centred(bounds)
      let m2 = b.maxMagnitude * b.maxMagnitude
      let x = neighbour == .addRemove ? b.maxMagnitude : b.replaceOneWidth
      return [(1, x, x * x), (1, m2, m2 * m2), (1, 1, 1)]
    case .regression, .covariance:
      // Coordinate (a, b) of a row is z_a·z_b: under add-remove it changes by at most
      // max|z_a z_b| = M_a·M_b, under replace-one by the width of the range of z_a·z_b (0
      // included); each moment is a part of its own. A covariance's z is centred.
      let z: [ClipBounds]
      if case .regression(let y, let x, _, _) = self {
        z = Self.momentBounds(y: y, x: x)
      } else if case .covariance(let columns) = self {
        z = Self.momentBounds(covariance: columns)
      } else {
        z = []
      }
      return (0..<dimension).map { index in
        let (a, b) = Self.momentPair(index, q: z.count)
        let (lo, hi) = Self.productRange(z[a], z[b], same: a == b)
        let w = neighbour == .addRemove ? Swift.max(lo.magnitude, hi.magnitude) : hi - lo
        return (1, w, w * w)
      }
    case .crosstab, .quantile:
      // One row adds 1 to one cell; replacing it moves that 1 to another cell.
      return neighbour == .addRemove ? [(dimension, 1, 1)] : [(dimension, 2, 2)]
    }
  }

  /// The first problem of the query, with its field path; nil when valid.
  func validationIssue() -> ManifestIssue? {
    switch self {
    case .variance(let column, let b, let split):
      if column.isEmpty { return ManifestIssue(field: "column", problem: "must name a column") }
      guard b.lower < b.upper else {
        return ManifestIssue(
          field: "bounds", problem: "bounds [L, U] need L < U, found [\(b.lower), \(b.upper)]")
      }
      guard Self.centred(b).maxMagnitude <= BigInt(Self.maxVarianceMagnitude) else {
        return ManifestIssue(
          field: "bounds",
          problem:
            "U − L must be at most 2^32 so that (x − c)² fits, found [\(b.lower), \(b.upper)]")
      }
      guard split.count == 3 else {
        return ManifestIssue(
          field: "split", problem: "give 3 shares (sum, sum_squares, count), found \(split.count)")
      }
      for (i, s) in split.enumerated() where !(s.signum > 0 && s < 1) {
        return ManifestIssue(
          field: "split[\(i)]", problem: "each share must be in (0, 1), found \(s)")
      }
      guard split.reduce(Rational(0), +) == Rational(1) else {
        return ManifestIssue(field: "split", problem: "the shares must add up to 1")
      }
    case .crosstab(let axes):
      guard (2...4).contains(axes.count) else {
        return ManifestIssue(field: "columns", problem: "give 2 to 4 columns, found \(axes.count)")
      }
      var seen: Set<String> = []
      var cells = 1
      for (i, axis) in axes.enumerated() {
        let at = "columns[\(i)]"
        if axis.column.isEmpty {
          return ManifestIssue(field: "\(at).column", problem: "must name a column")
        }
        if !seen.insert(axis.column).inserted {
          return ManifestIssue(
            field: "\(at).column", problem: "column '\(axis.column)' appears twice")
        }
        if let issue = Self.binsIssue(axis.bins, outside: axis.outside, at: "\(at).") {
          return issue
        }
        cells *= axis.levels
        guard cells <= Self.maxCells else {
          return ManifestIssue(field: "columns", problem: "more than \(Self.maxCells) cells")
        }
      }
    case .regression(let y, let x, _, let ridge):
      guard (1...8).contains(x.count) else {
        return ManifestIssue(
          field: "predictors", problem: "give 1 to 8 predictors, found \(x.count)")
      }
      var seen: Set<String> = []
      for (i, c) in ([y] + x).enumerated() {
        let at = i == 0 ? "" : "predictors[\(i - 1)]."
        if c.column.isEmpty {
          return ManifestIssue(field: "\(at)column", problem: "must name a column")
        }
        if !seen.insert(c.column).inserted {
          return ManifestIssue(field: "\(at)column", problem: "column '\(c.column)' appears twice")
        }
        guard c.bounds.lower < c.bounds.upper else {
          return ManifestIssue(
            field: "\(at)bounds",
            problem: "bounds [L, U] need L < U, found [\(c.bounds.lower), \(c.bounds.upper)]")
        }
        guard c.bounds.maxMagnitude <= BigInt(Self.maxVarianceMagnitude) else {
          return ManifestIssue(
            field: "\(at)bounds", problem: "|L| and |U| must be at most 2^31 so that products fit")
        }
      }
      if let ridge, ridge.signum < 0 {
        return ManifestIssue(field: "ridge", problem: "λ must not be negative, found \(ridge)")
      }
    case .covariance(let columns):
      guard (2...Self.maxCovarianceColumns).contains(columns.count) else {
        return ManifestIssue(
          field: "columns",
          problem: "give 2 to \(Self.maxCovarianceColumns) columns, found \(columns.count)")
      }
      var seen: Set<String> = []
      for (i, c) in columns.enumerated() {
        let at = "columns[\(i)]."
        if c.column.isEmpty {
          return ManifestIssue(field: "\(at)column", problem: "must name a column")
        }
        if !seen.insert(c.column).inserted {
          return ManifestIssue(field: "\(at)column", problem: "column '\(c.column)' appears twice")
        }
        guard c.bounds.lower < c.bounds.upper else {
          return ManifestIssue(
            field: "\(at)bounds",
            problem: "bounds [L, U] need L < U, found [\(c.bounds.lower), \(c.bounds.upper)]")
        }
        guard Self.centred(c.bounds).maxMagnitude <= BigInt(Self.maxVarianceMagnitude) else {
          return ManifestIssue(
            field: "\(at)bounds",
            problem: "U − L must be at most 2^32 so that centred products fit, found "
              + "[\(c.bounds.lower), \(c.bounds.upper)]")
        }
      }
    case .quantile(let column, let edges, let quantiles):
      if column.isEmpty { return ManifestIssue(field: "column", problem: "must name a column") }
      if let issue = Self.binsIssue(.edges(edges), outside: .clip, at: "") { return issue }
      guard !quantiles.isEmpty else {
        return ManifestIssue(field: "quantiles", problem: "give at least one quantile")
      }
      for (i, q) in quantiles.enumerated() where !(q.signum > 0 && q < 1) {
        return ManifestIssue(field: "quantiles[\(i)]", problem: "must be in (0, 1), found \(q)")
      }
    }
    return nil
  }

  static func binsIssue(_ bins: HistogramBins, outside: OutsidePolicy, at: String) -> ManifestIssue?
  {
    switch bins {
    case .categories(let names):
      if outside == .clip {
        return ManifestIssue(
          field: "\(at)outside",
          problem: "'clip' needs numeric bin_edges (categories have no order); use 'other'")
      }
      guard (1...QueryManifest.maxBins).contains(names.count) else {
        return ManifestIssue(
          field: "\(at)categories",
          problem: "give 1 to \(QueryManifest.maxBins) categories, found \(names.count)")
      }
      var seen: Set<String> = []
      for (i, name) in names.enumerated() where !seen.insert(name).inserted {
        return ManifestIssue(field: "\(at)categories[\(i)]", problem: "duplicate category")
      }
    case .edges(let edges):
      guard (2...(QueryManifest.maxBins + 1)).contains(edges.count) else {
        return ManifestIssue(
          field: "\(at)bin_edges",
          problem: "give 2 to \(QueryManifest.maxBins + 1) edges, found \(edges.count)")
      }
      for i in 1..<edges.count where !(edges[i - 1] < edges[i]) {
        return ManifestIssue(
          field: "\(at)bin_edges[\(i)]", problem: "edges must be strictly increasing")
      }
    }
    return nil
  }
}
