public import MPCBigInt
public import MPCPrivacy

// MARK: - Refusal of a Gaussian share above the table limit

extension QueryManifest {
  /// The JSON paths of the query fields whose bounds set part `name`'s sensitivity
  /// (`bounds`, `predictors[0].bounds`, `columns[1].bounds`); empty for parts of sensitivity 1
  /// or 2 (counts, bins, cells), whose noise only the privacy parameter sets.
  public func boundsFields(ofPart name: String) -> [String] {
    switch kind {
    case .count, .histogram, .synth: return []
    case .mean where name == "count": return []
    case .sum, .mean, .vectorSum: return ["bounds"]
    case .statistic(let s):
      switch s {
      case .variance: return name == "count" ? [] : ["bounds"]
      case .crosstab, .quantile: return []
      case .regression(_, let x, _, _):
        guard let index = s.parts.firstIndex(where: { $0.name == name }) else { return [] }
        let (a, b) = StatisticQuery.momentPair(index, q: x.count + 2)
        let field = { (z: Int) in z == x.count + 1 ? "bounds" : "predictors[\(z - 1)].bounds" }
        return Array(Set([a, b].filter { $0 > 0 }.map(field))).sorted()
      case .covariance(let columns):
        guard let index = s.parts.firstIndex(where: { $0.name == name }) else { return [] }
        let (a, b) = StatisticQuery.momentPair(index, q: columns.count + 1)
        return Array(Set([a, b].filter { $0 > 0 }.map { "columns[\($0 - 1)].bounds" })).sorted()
      }
    }
  }

  /// The refusal of part `name` whose per-party Gaussian σ² exceeds the table sampler's limit
  /// (`protocols/noise.md` §8): a `PrivacyError.invalidParameter`
  /// naming the query field that sets it (its bounds, or `rho` for a count-like part), the
  /// share σ², the limit 2^27 and what to change. Thrown while the run plan is derived, before
  /// anything is sent or charged.
  public func tableLimitRefusal(part name: String, shareSigmaSquared: Rational) -> PrivacyError {
    let fields = boundsFields(ofPart: name)
    let limit = DiscreteGaussianTable.maxSigmaSquared
    let what = fields.isEmpty ? "the privacy parameter" : "the bounds"
    return PrivacyError.invalidParameter(
      field: fields.isEmpty ? privacy.unit : fields.joined(separator: " and "),
      value: fields.isEmpty ? privacy.amount.description : boundsText(fields),
      requirement:
        "query '\(id)' part '\(name)': \(what) give a per-party Gaussian share σ² = "
        + "\(Self.approximate(shareSigmaSquared)), above the table sampler's limit 2^27 = \(limit) "
        + "(protocols/noise.md §8); narrow the bounds, raise the query's "
        + "\(privacy.unit), or give the study \"noise\": {\"gaussian_method\": \"exact\", "
        + "\"timing\": \"variable\"} (exact sampling, any σ² up to 2^80)")
  }

  /// `[0, 300]` for each field, in order.
  func boundsText(_ fields: [String]) -> String {
    fields.map { field in
      let b: ClipBounds?
      switch kind {
      case .sum(_, let bounds), .mean(_, let bounds, _): b = bounds
      case .vectorSum(_, .uniform(let bounds)): b = bounds
      case .vectorSum: return "(per coordinate)"
      case .statistic(.variance(_, let bounds, _)): b = bounds
      case .statistic(.regression(let y, let x, _, _)):
        b = field == "bounds" ? y.bounds : x[Self.index(in: field)].bounds
      case .statistic(.covariance(let columns)): b = columns[Self.index(in: field)].bounds
      default: b = nil
      }
      return b.map { "[\($0.lower), \($0.upper)]" } ?? "?"
    }.joined(separator: " and ")
  }

  /// 3 in `predictors[3].bounds`.
  static func index(in field: String) -> Int {
    let digits = field.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
    return Int(digits) ?? 0
  }

  /// An integer σ² as is, else its floor and `…`.
  static func approximate(_ r: Rational) -> String {
    r.isInteger ? r.description : "\(r.floor)…"
  }
}
