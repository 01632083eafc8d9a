import MPCBigInt
import MPCPrivacy

// MARK: - JSON form of a query

// {"id": "q1", "kind": "sum", "column": "age", "bounds": [0, 120],
//  "mechanism": "gaussian", "rho": "1/10", "max_bad_rows": 0}

extension QueryManifest {
  private enum CodingKeys: String, CodingKey, CaseIterable {
    case id
    case kind
    case column
    case filter = "where"
    case bounds
    case categories
    case binEdges = "bin_edges"
    case outside
    case split
    case length
    case columns
    case quantiles
    case predictors
    case intercept
    case ridge
    case mechanism
    case epsilon
    case rho
    case maxBadRows = "max_bad_rows"
  }

  private static let common: Set<String> = ["id", "kind", "mechanism", "epsilon", "rho"]
  private static let perKind: [String: Set<String>] = [
    "count": ["where", "max_bad_rows"],
    "sum": ["column", "bounds", "max_bad_rows"],
    "histogram": ["column", "categories", "bin_edges", "outside", "max_bad_rows"],
    "mean": ["column", "bounds", "split", "max_bad_rows"],
    "vector-sum": ["length", "bounds"],
    "variance": ["column", "bounds", "split", "max_bad_rows"],
    "crosstab": ["columns", "max_bad_rows"],
    "quantile": ["column", "bin_edges", "quantiles", "max_bad_rows"],
    "linear-regression": ["column", "bounds", "predictors", "intercept", "ridge", "max_bad_rows"],
    "covariance": ["columns", "max_bad_rows"],
    "synth": ["columns", "split", "max_bad_rows"],
  ]

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(String.self, forKey: .id)
    let kindName = try container.decode(String.self, forKey: .kind)
    guard let extra = Self.perKind[kindName] else {
      throw DecodingError.dataCorruptedError(
        forKey: .kind, in: container,
        debugDescription:
          "unknown kind; expected one of \(Self.perKind.keys.sorted().joined(separator: ", "))")
    }
    try rejectUnknownKeys(decoder, allowed: Self.common.union(extra))
    switch kindName {
    case "count":
      kind = .count(where: try container.decodeIfPresent(RowFilter.self, forKey: .filter))
    case "sum":
      kind = .sum(
        column: try container.decode(String.self, forKey: .column),
        bounds: try Self.decodePair(container, forKey: .bounds))
    case "mean":
      kind = .mean(
        column: try container.decode(String.self, forKey: .column),
        bounds: try Self.decodePair(container, forKey: .bounds),
        sumShare: try container.decodeExactIfPresent(forKey: .split) ?? Rational(1, 2))
    case "histogram":
      let column = try container.decode(String.self, forKey: .column)
      let (bins, outside) = try Self.decodeBins(container, defaultOutside: nil)
      kind = .histogram(column: column, bins: bins, outside: outside)
    case "variance":
      let split =
        container.contains(.split)
        ? try Self.rationals(container, forKey: .split) : StatisticQuery.defaultVarianceSplit
      kind = .statistic(
        .variance(
          column: try container.decode(String.self, forKey: .column),
          bounds: try Self.decodePair(container, forKey: .bounds), split: split))
    case "crosstab", "synth":
      var list = try container.nestedUnkeyedContainer(forKey: .columns)
      var axes: [CrosstabAxis] = []
      while !list.isAtEnd {
        let axisDecoder = try list.superDecoder()
        try rejectUnknownKeys(
          axisDecoder, allowed: ["column", "categories", "bin_edges", "outside"])
        let axis = try axisDecoder.container(keyedBy: CodingKeys.self)
        let (bins, outside) = try Self.decodeBins(axis, defaultOutside: .other)
        axes.append(
          CrosstabAxis(
            column: try axis.decode(String.self, forKey: .column), bins: bins, outside: outside))
      }
      if kindName == "synth" {
        let split =
          container.contains(.split)
          ? try Self.rationals(container, forKey: .split) : SynthQuery.defaultSplit
        kind = .synth(SynthQuery(columns: axes, split: split))
      } else {
        kind = .statistic(.crosstab(axes: axes))
      }
    case "linear-regression":
      let x = try Self.clippedColumns(container, forKey: .predictors)
      kind = .statistic(
        .regression(
          y: ClippedColumn(
            column: try container.decode(String.self, forKey: .column),
            bounds: try Self.decodePair(container, forKey: .bounds)),
          x: x, intercept: try container.decodeIfPresent(Bool.self, forKey: .intercept) ?? true,
          ridge: try container.decodeExactIfPresent(forKey: .ridge)))
    case "covariance":
      kind = .statistic(.covariance(columns: try Self.clippedColumns(container, forKey: .columns)))
    case "quantile":
      let quantiles =
        container.contains(.quantiles)
        ? try Self.rationals(container, forKey: .quantiles) : [Rational(1, 2)]
      kind = .statistic(
        .quantile(
          column: try container.decode(String.self, forKey: .column),
          edges: try Self.rationals(container, forKey: .binEdges), quantiles: quantiles))
    default:
      let length = try container.decode(Int.self, forKey: .length)
      kind = .vectorSum(length: length, bounds: try Self.decodeVectorBounds(container))
    }
    mechanism =
      container.contains(.mechanism)
      ? try container.decodeChoice(Mechanism.self, forKey: .mechanism) : .gaussian
    let epsilon = try container.decodeExactIfPresent(forKey: .epsilon)
    let rho = try container.decodeExactIfPresent(forKey: .rho)
    switch (epsilon, rho) {
    case (let e?, nil): privacy = .pure(epsilon: e)
    case (nil, let r?): privacy = .zcdp(rho: r)
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .epsilon, in: container, debugDescription: "give exactly one of 'epsilon' or 'rho'")
    }
    maxBadRows = try container.decodeIfPresent(Int.self, forKey: .maxBadRows) ?? 0
    if let issue = validationIssue() { throw issue }
  }

  /// A list of `{"column", "bounds"}` objects (regression predictors, covariance columns).
  private static func clippedColumns(
    _ container: KeyedDecodingContainer<CodingKeys>, forKey key: CodingKeys
  ) throws -> [ClippedColumn] {
    var list = try container.nestedUnkeyedContainer(forKey: key)
    var out: [ClippedColumn] = []
    while !list.isAtEnd {
      let decoder = try list.superDecoder()
      try rejectUnknownKeys(decoder, allowed: ["column", "bounds"])
      let c = try decoder.container(keyedBy: CodingKeys.self)
      out.append(
        ClippedColumn(
          column: try c.decode(String.self, forKey: .column),
          bounds: try Self.decodePair(c, forKey: .bounds)))
    }
    return out
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(kind.name, forKey: .kind)
    switch kind {
    case .count(let filter):
      try container.encodeIfPresent(filter, forKey: .filter)
    case .sum(let column, let bounds):
      try container.encode(column, forKey: .column)
      try container.encode([bounds.lower, bounds.upper], forKey: .bounds)
    case .mean(let column, let bounds, let share):
      try container.encode(column, forKey: .column)
      try container.encode([bounds.lower, bounds.upper], forKey: .bounds)
      try container.encode(share, forKey: .split)
    case .histogram(let column, let bins, let outside):
      try container.encode(column, forKey: .column)
      switch bins {
      case .categories(let names): try container.encode(names, forKey: .categories)
      case .edges(let edges): try container.encode(edges, forKey: .binEdges)
      }
      try container.encode(outside, forKey: .outside)
    case .statistic(.variance(let column, let bounds, let split)):
      try container.encode(column, forKey: .column)
      try container.encode([bounds.lower, bounds.upper], forKey: .bounds)
      try container.encode(split, forKey: .split)
    case .synth(let synth):
      try Self.encodeAxes(synth.columns, into: &container)
      try container.encode(synth.split, forKey: .split)
    case .statistic(.crosstab(let axes)):
      var list = container.nestedUnkeyedContainer(forKey: .columns)
      for axis in axes {
        var a = list.nestedContainer(keyedBy: CodingKeys.self)
        try a.encode(axis.column, forKey: .column)
        switch axis.bins {
        case .categories(let names): try a.encode(names, forKey: .categories)
        case .edges(let edges): try a.encode(edges, forKey: .binEdges)
        }
        try a.encode(axis.outside, forKey: .outside)
      }
    case .statistic(.regression(let y, let x, let intercept, let ridge)):
      try container.encode(y.column, forKey: .column)
      try container.encode([y.bounds.lower, y.bounds.upper], forKey: .bounds)
      var list = container.nestedUnkeyedContainer(forKey: .predictors)
      for c in x {
        var p = list.nestedContainer(keyedBy: CodingKeys.self)
        try p.encode(c.column, forKey: .column)
        try p.encode([c.bounds.lower, c.bounds.upper], forKey: .bounds)
      }
      try container.encode(intercept, forKey: .intercept)
      try container.encodeIfPresent(ridge, forKey: .ridge)
    case .statistic(.covariance(let columns)):
      var list = container.nestedUnkeyedContainer(forKey: .columns)
      for c in columns {
        var p = list.nestedContainer(keyedBy: CodingKeys.self)
        try p.encode(c.column, forKey: .column)
        try p.encode([c.bounds.lower, c.bounds.upper], forKey: .bounds)
      }
    case .statistic(.quantile(let column, let edges, let quantiles)):
      try container.encode(column, forKey: .column)
      try container.encode(edges, forKey: .binEdges)
      try container.encode(quantiles, forKey: .quantiles)
    case .vectorSum(let length, let bounds):
      try container.encode(length, forKey: .length)
      switch bounds {
      case .uniform(let b):
        try container.encode([b.lower, b.upper], forKey: .bounds)
      case .perCoordinate(let list):
        try container.encode(list.map { [$0.lower, $0.upper] }, forKey: .bounds)
      }
    }
    try container.encode(mechanism, forKey: .mechanism)
    switch privacy {
    case .pure(let epsilon): try container.encode(epsilon, forKey: .epsilon)
    case .zcdp(let rho): try container.encode(rho, forKey: .rho)
    }
    if case .vectorSum = kind {} else { try container.encode(maxBadRows, forKey: .maxBadRows) }
  }

  private static func encodeAxes(
    _ axes: [CrosstabAxis], into container: inout KeyedEncodingContainer<CodingKeys>
  ) throws {
    var list = container.nestedUnkeyedContainer(forKey: .columns)
    for axis in axes {
      var a = list.nestedContainer(keyedBy: CodingKeys.self)
      try a.encode(axis.column, forKey: .column)
      switch axis.bins {
      case .categories(let names): try a.encode(names, forKey: .categories)
      case .edges(let edges): try a.encode(edges, forKey: .binEdges)
      }
      try a.encode(axis.outside, forKey: .outside)
    }
  }

  // MARK: - Bins

  /// `categories` or `bin_edges` (exactly one) and `outside` (required unless a default is given).
  private static func decodeBins(
    _ container: KeyedDecodingContainer<CodingKeys>, defaultOutside: OutsidePolicy?
  ) throws -> (HistogramBins, OutsidePolicy) {
    if (try? container.decode(String.self, forKey: .outside)) == "refuse" {
      throw DecodingError.dataCorruptedError(
        forKey: .outside, in: container, debugDescription: OutsidePolicy.refuseProblem)
    }
    let outside =
      defaultOutside != nil && !container.contains(.outside)
      ? defaultOutside! : try container.decodeChoice(OutsidePolicy.self, forKey: .outside)
    let categories = try container.decodeIfPresent([String].self, forKey: .categories)
    switch (categories, container.contains(.binEdges)) {
    case (let names?, false):
      return (.categories(names), outside)
    case (nil, true):
      return (.edges(try rationals(container, forKey: .binEdges)), outside)
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .categories, in: container,
        debugDescription: "give exactly one of 'categories' or 'bin_edges'")
    }
  }

  /// A list of exact numbers (JSON integers or decimal strings).
  private static func rationals(
    _ container: KeyedDecodingContainer<CodingKeys>, forKey key: CodingKeys
  ) throws -> [Rational] {
    var list = try container.nestedUnkeyedContainer(forKey: key)
    var out: [Rational] = []
    while !list.isAtEnd { out.append(try list.decodeExact()) }
    return out
  }

  // MARK: - Bounds

  private static func decodePair(
    _ container: KeyedDecodingContainer<CodingKeys>, forKey key: CodingKeys
  ) throws -> ClipBounds {
    var list = try container.nestedUnkeyedContainer(forKey: key)
    return try decodePair(&list, container: container, key: key)
  }

  private static func decodePair(
    _ list: inout any UnkeyedDecodingContainer, container: KeyedDecodingContainer<CodingKeys>,
    key: CodingKeys
  ) throws -> ClipBounds {
    guard list.count == 2 else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: container, debugDescription: "expected a pair [L, U] of integers")
    }
    let lower = try list.decodeInt64()
    let upper = try list.decodeInt64()
    return ClipBounds(lower: lower, upper: upper)
  }

  private static func decodeVectorBounds(_ container: KeyedDecodingContainer<CodingKeys>) throws
    -> VectorBounds
  {
    var outer = try container.nestedUnkeyedContainer(forKey: .bounds)
    // [L, U] for every coordinate, or [[L0, U0], [L1, U1], ...].
    if let count = outer.count, count > 0, (try? outer.nestedUnkeyedContainer()) != nil {
      var fresh = try container.nestedUnkeyedContainer(forKey: .bounds)
      var list: [ClipBounds] = []
      list.reserveCapacity(count)
      while !fresh.isAtEnd {
        var pair = try fresh.nestedUnkeyedContainer()
        list.append(try decodePair(&pair, container: container, key: .bounds))
      }
      return .perCoordinate(list)
    }
    return .uniform(try decodePair(container, forKey: .bounds))
  }
}
