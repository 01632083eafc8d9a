import MPCBigInt
import MPCPrivacy

extension QueryRunner {
  /// Throws ``RunError/implausibleResult(component:coordinate:range:)`` for the first opened
  /// value outside its component's ``RunPlan/plausibleRanges`` (`protocols/query.md` §5.1).
  static func checkPlausible(_ opened: OpenedValues, runPlan: RunPlan) throws {
    for (nc, range) in zip(runPlan.components, runPlan.plausibleRanges) {
      let start = nc.component.offset
      let coordinates = start..<(start + nc.component.dimension)
      let outside: Int?
      switch opened {
      case .small(let values):
        // Bounds beyond the machine range hold for every machine integer.
        let lower = Int(exactly: range.lowerBound).map(Int64.init) ?? .min
        let upper = Int(exactly: range.upperBound).map(Int64.init) ?? .max
        outside = coordinates.first { !(lower...upper).contains(values[$0]) }
      case .big(let values):
        outside = coordinates.first { !range.contains(values[$0]) }
      }
      if let j = outside {
        throw RunError.implausibleResult(
          component: nc.component.name, coordinate: j - start,
          range: "[\(range.lowerBound), \(range.upperBound)]")
      }
    }
  }

  /// The same check for one opened chunk, `values` starting at coordinate `start` of the
  /// opened vector (streamed results are checked before anyone sees them).
  static func checkPlausible(
    _ values: ReleasedComponent.RawValues, start: Int, runPlan: RunPlan
  ) throws {
    for (nc, range) in zip(runPlan.components, runPlan.plausibleRanges) {
      let offset = nc.component.offset
      let overlap = max(start, offset)..<min(start + values.count, offset + nc.component.dimension)
      guard !overlap.isEmpty else { continue }
      let outside: Int?
      switch values {
      case .small(let v):
        let lower = Int(exactly: range.lowerBound).map(Int64.init) ?? .min
        let upper = Int(exactly: range.upperBound).map(Int64.init) ?? .max
        outside = overlap.first { !(lower...upper).contains(v[$0 - start]) }
      case .big(let v):
        outside = overlap.first { !range.contains(v[$0 - start]) }
      }
      if let j = outside {
        throw RunError.implausibleResult(
          component: nc.component.name, coordinate: j - offset,
          range: "[\(range.lowerBound), \(range.upperBound)]")
      }
    }
  }

  /// The released components and mean of the opened values (`protocols/query.md` §5).
  static func release(
    opened: OpenedValues, runPlan: RunPlan, setup: PartySetup, sessionID: [UInt8]
  ) throws -> QueryResult {
    let (query, ledger) = (setup.query, setup.ledger)
    var components: [ReleasedComponent] = []
    for nc in runPlan.components {
      let range = nc.component.offset..<(nc.component.offset + nc.component.dimension)
      let clampAtZero: Bool
      switch query.kind {
      case .count, .histogram, .synth: clampAtZero = true
      case .mean: clampAtZero = nc.component.name == "count"
      case .sum, .vectorSum: clampAtZero = false
      case .statistic(let s): clampAtZero = s.isCount(nc.component.name)
      }
      let labels: [String]?
      switch query.kind {
      case .histogram, .count, .sum, .mean, .statistic, .synth:
        labels = (0..<nc.component.dimension).map {
          label(query: query, component: nc.component.name, index: $0)
        }
      case .vectorSum: labels = nil
      }
      components.append(
        ReleasedComponent(
          name: nc.component.name,
          raw: setup.keepsOpenedValues ? opened.slice(range) : .small([]),
          length: nc.component.dimension,
          halfWidth: BigInt(Int(nc.noise.intervalHalfWidth)), clampAtZero: clampAtZero,
          labels: labels, noise: nc.noise, sensitivity: nc.component.sensitivity))
    }
    var mean: ReleasedMean?
    if case .mean(_, let bounds, _) = query.kind,
      let s = components.first(where: { $0.name == "sum" })?.value(at: 0),
      let c = components.first(where: { $0.name == "count" })?.value(at: 0)
    {
      let lo = Rational(BigInt(bounds.lower))
      let hi = Rational(BigInt(bounds.upper))
      func clamp(_ x: Rational) -> Rational { min(max(x, lo), hi) }
      var result = ReleasedMean(value: nil, lower: nil, upper: nil)
      if c.raw > 0 {
        result.value = clamp(try Rational(s.raw, c.raw))
      }
      // Both intervals hold with ≥ 1 − β/2 each, so this one with ≥ 1 − β.
      let cLow = c.lower
      if cLow > 0 {
        let sLow = s.lower
        let sHigh = s.upper
        let cHigh = c.upper
        let candidates = [
          try Rational(sLow, cLow), try Rational(sLow, cHigh), try Rational(sHigh, cLow),
          try Rational(sHigh, cHigh),
        ]
        result.lower = clamp(candidates.min()!)
        result.upper = clamp(candidates.max()!)
      }
      mean = result
    }
    return QueryResult(
      queryID: query.id, sessionID: sessionID, field: runPlan.field.description,
      mechanism: runPlan.plan.mechanism, components: components, mean: mean,
      cost: runPlan.plan.cost, privacy: runPlan.privacy,
      spent: ledger.spent, remaining: ledger.remaining)
  }

  static func label(query: QueryManifest, component: String, index: Int) -> String {
    switch query.kind {
    case .histogram(_, let bins, _):
      switch bins {
      case .categories(let names): return index < names.count ? names[index] : "other"
      case .edges(let edges):
        return index < edges.count - 1 ? "[\(edges[index]), \(edges[index + 1]))" : "other"
      }
    case .vectorSum: return "\(index)"
    case .count: return "count"
    case .sum: return "sum"
    case .mean: return component
    case .statistic(let s): return s.label(component: component, index: index)
    case .synth: return "\(component)[\(index)]"
    }
  }

}
