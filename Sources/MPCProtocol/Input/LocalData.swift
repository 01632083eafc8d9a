public import Foundation
import MPCBigInt

/// A party's local input x_i for a query: ``QueryManifest/dimension`` signed 64-bit integers
/// (mean: [clipped sum, count]; histogram: bins then `other`; statistics: their layout in
/// `protocols/manifest.md`), plus what loading saw.
///
/// Bounds: every CSV value is clipped to [L, U] before it is added; each element is the exact
/// total clamped into the Int64 range (never wrapped). A `vector-sum` element is clipped into
/// its coordinate's [L, U].
///
/// Nothing the rows contain stops a load (`protocols/query.md`, "Data-dependent decisions"): an
/// unparseable row or value contributes 0 and is only counted here, for the local operator.
public struct LocalVector: Sendable, Hashable {
  /// x_i.
  public var values: [Int64]
  /// Records read (header, blank lines and bad rows excluded; all rows for `count`).
  public var rows: Int
  /// The number of unparseable rows or `vector-sum` elements (each contributed 0).
  public var badRowCount: Int
  /// The first few unparseable rows, with their physical line numbers.
  public var badRows: [BadRow]
  /// Values changed by clipping (histogram values counted in another bin included).
  public var clippedCount: Int
  /// Empty lines skipped.
  public var blankLines: Int
  /// Elements whose exact local total left the Int64 range and was clamped into it.
  public var saturatedCount: Int = 0
  /// Histogram rows that fell outside the bins into `other`.
  public var outsideCount: Int = 0
  /// Those rows by value (e.g. `ICU` where the categories say `icu`), for the first
  /// ``LocalData/reportedOutsideValues`` distinct values; local only, never sent.
  public var outsideValues: [String: Int] = [:]

  /// Whether more rows were unparseable than the query's `max_bad_rows` expects: a local
  /// warning only, it changes nothing that is sent.
  public func exceedsExpectedBadRows(of query: QueryManifest) -> Bool {
    badRowCount > query.maxBadRows
  }
}

/// The format of a `vector-sum` input file.
public enum VectorFormat: String, Sendable, Hashable, CaseIterable {
  /// One decimal integer per line (LF or CRLF).
  case text
  /// Consecutive little-endian two's-complement 64-bit integers.
  case int64LittleEndian = "int64le"
}

/// Loads a party's local data for a query (`protocols/manifest.md`, "Local data").
public enum LocalData {
  /// How many bad rows an error lists.
  public static let reportedBadRows = 5
  /// How many distinct values outside a histogram's bins are counted by value.
  public static let reportedOutsideValues = 20

  /// Reads the CSV file at `url` for `query` (not for `vector-sum`).
  public static func load(query: QueryManifest, csv url: URL) throws -> LocalVector {
    try load(query: query, csv: try read(url), file: url.path)
  }

  /// Reads a `vector-sum` input file at `url`.
  public static func loadVector(query: QueryManifest, from url: URL, format: VectorFormat) throws
    -> LocalVector
  {
    if format == .int64LittleEndian { return try loadInt64Vector(query: query, from: url) }
    return try loadVector(query: query, bytes: try read(url), file: url.path, format: format)
  }

  /// Bytes read at a time from an int64 vector file.
  static let readChunkBytes = 1 << 20

  /// Reads an int64 vector file in chunks straight into the clipped values: the file is never
  /// held whole besides them (memory: m·8 bytes plus one chunk).
  static func loadInt64Vector(query: QueryManifest, from url: URL) throws -> LocalVector {
    guard case .vectorSum(let m, let bounds) = query.kind else {
      throw ManifestError.invalidManifest(
        file: url.path, field: "kind", problem: "loadVector needs a vector-sum query")
    }
    let handle: FileHandle
    let size: Int
    do {
      handle = try FileHandle(forReadingFrom: url)
      size = Int(try handle.seekToEnd())
      try handle.seek(toOffset: 0)
    } catch {
      throw InputError.unreadableFile(file: url.path, problem: error.localizedDescription)
    }
    defer { try? handle.close() }
    guard size % 8 == 0 else {
      throw InputError.unreadableFile(
        file: url.path, problem: "\(size) bytes is not a whole number of int64 values")
    }
    guard size / 8 == m else {
      throw InputError.vectorLength(file: url.path, expected: m, actual: size / 8)
    }
    var values: [Int64] = []
    values.reserveCapacity(m)
    var clipped = 0
    var pending = Data()  // a read that ended inside a value (not seen on regular files)
    while values.count < m {
      let data: Data?
      do {
        data = try handle.read(upToCount: min(readChunkBytes, 8 * (m - values.count)))
      } catch {
        throw InputError.unreadableFile(file: url.path, problem: error.localizedDescription)
      }
      guard let data, !data.isEmpty else {
        throw InputError.vectorLength(file: url.path, expected: m, actual: values.count)
      }
      pending.append(data)
      let whole = pending.count / 8 * 8
      pending.withUnsafeBytes { raw in
        for k in 0..<(whole / 8) {
          let value = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self))
          let v = bounds.bounds(at: values.count).clip(value)
          if v != value { clipped += 1 }
          values.append(v)
        }
      }
      pending.removeFirst(whole)
    }
    return LocalVector(
      values: values, rows: m, badRowCount: 0, badRows: [], clippedCount: clipped,
      blankLines: 0)
  }

  // MARK: - CSV

  /// Parses CSV `bytes` (named `file` in errors) for `query`.
  public static func load(query: QueryManifest, csv bytes: [UInt8], file: String) throws
    -> LocalVector
  {
    var parser = CSVParser(bytes: bytes)
    guard let header = parser.next() else {
      throw InputError.invalidHeader(file: file, problem: "the file is empty")
    }
    if let problem = header.problem {
      throw InputError.invalidHeader(file: file, problem: problem)
    }
    let names = header.fields
    func column(_ name: String) throws -> Int {
      let matches = names.indices.filter { names[$0] == name }
      guard let first = matches.first else {
        throw InputError.missingColumn(file: file, column: name, available: names)
      }
      guard matches.count == 1 else {
        throw InputError.invalidHeader(
          file: file, problem: "column '\(name)' appears \(matches.count) times")
      }
      return first
    }
    let indices: [Int]
    switch query.kind {
    case .count(let filter):
      indices = try filter.map { [try column($0.column)] } ?? []
    case .sum(let name, _), .mean(let name, _, _), .histogram(let name, _, _):
      indices = [try column(name)]
    case .statistic(let statistic):
      indices = try statistic.columns.map(column)
    case .vectorSum:
      throw ManifestError.invalidManifest(
        file: file, field: "kind", problem: "vector-sum input is not CSV; use loadVector")
    case .synth:
      throw ManifestError.invalidManifest(
        file: file, field: "kind", problem: "synth input is read row by row; use SynthData.load")
    }
    parser.wanted = Set(indices)

    var accumulator = Accumulator(query: query)
    var badCount = 0
    var bad: [BadRow] = []
    func reject(_ line: Int, _ problem: String) {
      badCount += 1
      if bad.count < reportedBadRows { bad.append(BadRow(line: line, problem: problem)) }
    }
    while let record = parser.next() {
      if let problem = record.problem {
        reject(record.line, problem)
        continue
      }
      guard record.fields.count == names.count else {
        reject(
          record.line, "\(record.fields.count) fields where the header has \(names.count)")
        continue
      }
      if let problem = accumulator.add(indices.map { record.fields[$0] }) {
        reject(record.line, problem)
      }
    }
    // However many rows were bad, the load goes on: stopping here would let one row decide
    // whether anything is released, at no charge.
    let (values, saturated) = accumulator.totals()
    return LocalVector(
      values: values, rows: accumulator.rows, badRowCount: badCount, badRows: bad,
      clippedCount: accumulator.clipped, blankLines: parser.blankLines,
      saturatedCount: saturated, outsideCount: accumulator.outsideRows,
      outsideValues: accumulator.outsideValues)
  }

  // MARK: - vector-sum

  /// Parses a `vector-sum` input: exactly m integers, each clipped to its coordinate's bounds.
  public static func loadVector(
    query: QueryManifest, bytes: [UInt8], file: String, format: VectorFormat
  ) throws -> LocalVector {
    guard case .vectorSum(let m, let bounds) = query.kind else {
      throw ManifestError.invalidManifest(
        file: file, field: "kind", problem: "loadVector needs a vector-sum query")
    }
    var values: [Int64] = []
    values.reserveCapacity(m)
    var clipped = 0
    func add(_ value: Int64) {
      let b = bounds.bounds(at: values.count)
      let v = b.clip(value)
      if v != value { clipped += 1 }
      values.append(v)
    }
    switch format {
    case .int64LittleEndian:
      guard bytes.count % 8 == 0 else {
        throw InputError.unreadableFile(
          file: file, problem: "\(bytes.count) bytes is not a whole number of int64 values")
      }
      guard bytes.count / 8 == m else {
        throw InputError.vectorLength(file: file, expected: m, actual: bytes.count / 8)
      }
      bytes.withUnsafeBytes { raw in
        for i in 0..<m {
          add(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        }
      }
    case .text:
      var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
      if lines.last?.isEmpty == true { lines.removeLast() }
      guard lines.count == m else {
        throw InputError.vectorLength(file: file, expected: m, actual: lines.count)
      }
      var bad: [BadRow] = []
      var badCount = 0
      for (i, line) in lines.enumerated() {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        switch Numbers.integer(text, bounds: bounds.bounds(at: i)) {
        case .value(let v, let wasClipped):
          values.append(v)
          if wasClipped { clipped += 1 }
        case .problem(let problem):
          badCount += 1
          if bad.count < reportedBadRows { bad.append(BadRow(line: i + 1, problem: problem)) }
          values.append(0)
        }
      }
      // Unparseable elements contributed 0 (counted, never a reason to stop).
      return LocalVector(
        values: values, rows: m, badRowCount: badCount, badRows: bad, clippedCount: clipped,
        blankLines: 0)
    }
    return LocalVector(
      values: values, rows: m, badRowCount: 0, badRows: [], clippedCount: clipped,
      blankLines: 0)
  }

  private static func read(_ url: URL) throws -> [UInt8] {
    do {
      return [UInt8](try Data(contentsOf: url, options: .alwaysMapped))
    } catch {
      throw InputError.unreadableFile(file: url.path, problem: FileProblem.describe(url))
    }
  }
}

// MARK: - Per-kind accumulation

private struct Accumulator {
  let query: QueryManifest
  /// The exact total of element j is values[j] + carries[j]·2^64 (wrapping adds).
  private var values: [Int64]
  private var carries: [Int]
  var rows = 0
  var clipped = 0
  var outsideRows = 0
  var outsideValues: [String: Int] = [:]
  private let categoryIndex: [String: Int]
  /// A crosstab's category index per axis.
  private let axisIndex: [[String: Int]]

  init(query: QueryManifest) {
    self.query = query
    values = [Int64](repeating: 0, count: query.dimension)
    carries = [Int](repeating: 0, count: query.dimension)
    func index(_ bins: HistogramBins) -> [String: Int] {
      guard case .categories(let names) = bins else { return [:] }
      return Dictionary(names.enumerated().map { ($1, $0) }) { first, _ in first }
    }
    if case .histogram(_, let bins, _) = query.kind {
      categoryIndex = index(bins)
    } else {
      categoryIndex = [:]
    }
    if case .statistic(.crosstab(let axes)) = query.kind {
      axisIndex = axes.map { index($0.bins) }
    } else {
      axisIndex = []
    }
  }

  struct Problem: Error { let text: String }

  /// The level of `field` among `bins`: a category (unknown ones are `other`, the last level),
  /// or a numeric bin (outside: `other`, or clipped into the first or last bin).
  mutating func level(
    _ field: String, bins: HistogramBins, outside: OutsidePolicy, categories: [String: Int]
  ) -> Result<Int, Problem> {
    switch bins {
    case .categories(let names):
      return .success(categories[field] ?? names.count)
    case .edges(let edges):
      let text = Numbers.trimmed(field)
      guard !text.isEmpty else { return .failure(Problem(text: "empty value")) }
      guard let v = try? Rational(parsing: text) else {
        return .failure(Problem(text: "not a number"))
      }
      if let inside = Numbers.bin(of: v, edges: edges) { return .success(inside) }
      if outside == .clip {
        clipped += 1
        return .success(v < edges[0] ? 0 : edges.count - 2)
      }
      return .success(edges.count - 1)  // `other`
    }
  }

  /// Each element's exact total clamped into the Int64 range, and how many were clamped.
  /// Clamping one party's total is 1-Lipschitz, so it never raises the sensitivity.
  func totals() -> ([Int64], Int) {
    var saturated = 0
    var out = values
    for j in out.indices where carries[j] != 0 {
      saturated += 1
      out[j] = carries[j] > 0 ? .max : .min
    }
    return (out, saturated)
  }

  /// Adds one well-formed record (its query columns, in order); returns a problem for a bad
  /// row, which then contributes nothing.
  mutating func add(_ fields: [String]) -> String? {
    let field = fields.first
    switch query.kind {
    case .count(let filter):
      if filter == nil || field == filter?.equals { bump(0, by: 1) }
    case .sum(_, let bounds), .mean(_, let bounds, _):
      switch Numbers.integer(field ?? "", bounds: bounds) {
      case .problem(let problem):
        return problem
      case .value(let v, let wasClipped):
        if wasClipped { clipped += 1 }
        bump(0, by: v)
        if case .mean = query.kind { bump(1, by: 1) }
      }
    case .histogram(_, let bins, let outside):
      switch level(field ?? "", bins: bins, outside: outside, categories: categoryIndex) {
      case .failure(let problem): return problem.text
      case .success(let bin):
        // Outside the bins: `other` (the last element); counted by value for the local summary.
        if bin == values.count - 1 {
          outsideRows += 1
          let value = field ?? ""
          if outsideValues[value] != nil || outsideValues.count < LocalData.reportedOutsideValues {
            outsideValues[value, default: 0] += 1
          }
        }
        bump(bin, by: 1)
      }
    case .statistic(.variance(_, let bounds, _)):
      switch Numbers.integer(field ?? "", bounds: bounds) {
      case .problem(let problem):
        return problem
      case .value(let v, let wasClipped):
        if wasClipped { clipped += 1 }
        let y = v - StatisticQuery.centre(of: bounds)  // |y| ≤ 2^31 (validated), so y² fits
        bump(0, by: y)
        bump(1, by: y * y)
        bump(2, by: 1)
      }
    case .statistic(.regression(let y, let x, _, _)):
      // z = (1, x₁, …, x_p, y), each clipped; any bad value makes the row bad.
      var z: [Int64] = [1]
      for (i, c) in (x + [y]).enumerated() {
        switch Numbers.integer(fields[i], bounds: c.bounds) {
        case .problem(let problem): return "\(c.column): \(problem)"
        case .value(let v, let wasClipped):
          if wasClipped { clipped += 1 }
          z.append(v)
        }
      }
      var index = 0
      for a in z.indices {
        for b in a..<z.count {
          bump(index, by: z[a] * z[b])  // |z| ≤ 2^31 (validated), so products fit
          index += 1
        }
      }
    case .statistic(.covariance(let columns)):
      // z = (1, y₁, …, y_p), y_i = clip(x_i) − c_i; any bad value makes the row bad.
      var z: [Int64] = [1]
      for (i, c) in columns.enumerated() {
        switch Numbers.integer(fields[i], bounds: c.bounds) {
        case .problem(let problem): return "\(c.column): \(problem)"
        case .value(let v, let wasClipped):
          if wasClipped { clipped += 1 }
          z.append(v - StatisticQuery.centre(of: c.bounds))
        }
      }
      var index = 0
      for a in z.indices {
        for b in a..<z.count {
          bump(index, by: z[a] * z[b])  // |z| ≤ 2^31 (validated), so products fit
          index += 1
        }
      }
    case .statistic(.quantile(_, let edges, _)):
      switch level(field ?? "", bins: .edges(edges), outside: .clip, categories: [:]) {
      case .failure(let problem): return problem.text
      case .success(let bin): bump(bin, by: 1)
      }
    case .statistic(.crosstab(let axes)):
      // Row-major cell index; a bad value in any column makes the whole row bad.
      var cell = 0
      for (a, axis) in axes.enumerated() {
        switch level(fields[a], bins: axis.bins, outside: axis.outside, categories: axisIndex[a])
        {
        case .failure(let problem): return "\(axis.column): \(problem.text)"
        case .success(let l): cell = cell * axis.levels + l
        }
      }
      bump(cell, by: 1)
    case .vectorSum, .synth:
      break
    }
    rows += 1
    return nil
  }

  private mutating func bump(_ index: Int, by amount: Int64) {
    let (sum, overflow) = values[index].addingReportingOverflow(amount)
    if overflow { carries[index] += amount < 0 ? -1 : 1 }
    values[index] = sum
  }
}

// MARK: - Numbers

enum Numbers {
  enum Parsed {
    case value(Int64, clipped: Bool)
    case problem(String)
  }

  /// Strips spaces and tabs around a value.
  static func trimmed(_ text: String) -> String {
    var scalars = Substring(text)
    while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
    return String(scalars)
  }

  /// An integral value (exact: `3`, `3.0`, `3e2`; not `2.5`) clipped into `bounds`.
  static func integer(_ raw: String, bounds: ClipBounds) -> Parsed {
    let text = trimmed(raw)
    guard !text.isEmpty else { return .problem("empty value") }
    if text.utf8.count <= 18, let v = Int64(text) {
      let c = bounds.clip(v)
      return .value(c, clipped: c != v)
    }
    guard let r = try? Rational(parsing: text) else { return .problem("not a number") }
    guard r.isInteger else { return .problem("not an integer") }
    let value = r.numerator
    if value < BigInt(bounds.lower) { return .value(bounds.lower, clipped: true) }
    if value > BigInt(bounds.upper) { return .value(bounds.upper, clipped: true) }
    // In [L, U], so it fits.
    return .value(Int64(Int(exactly: value)!), clipped: false)
  }

  /// The bin of `v` for edges e₀ < … < e_b: i with e_i ≤ v < e_{i+1}, the last bin closed.
  static func bin(of v: Rational, edges: [Rational]) -> Int? {
    guard let first = edges.first, let last = edges.last, v >= first, v <= last else {
      return nil
    }
    if v == last { return edges.count - 2 }
    var lo = 0
    var hi = edges.count - 1  // invariant: edges[lo] ≤ v < edges[hi]
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if edges[mid] <= v { lo = mid } else { hi = mid }
    }
    return lo
  }
}
