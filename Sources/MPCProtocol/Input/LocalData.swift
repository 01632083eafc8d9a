public import Foundation
import MPCBigInt

/// A party's local input x_i for a query: ``QueryManifest/dimension`` signed 64-bit integers
/// (mean: [clipped sum, count]; histogram: bins then `other`), plus what loading saw.
///
/// Bounds: every CSV value is clipped to [L, U] before it is added; each element is the exact
/// total and loading fails (``InputError/localOverflow(file:what:)``) rather than wrap if it
/// leaves the Int64 range. A `vector-sum` element is clipped into its coordinate's [L, U].
public struct LocalVector: Sendable, Hashable {
  /// x_i.
  public var values: [Int64]
  /// Records read (header, blank lines and bad rows excluded; all rows for `count`).
  public var rows: Int
  /// The number of unparseable rows (at most the query's `max_bad_rows`).
  public var badRowCount: Int
  /// The first few unparseable rows, with their physical line numbers.
  public var badRows: [BadRow]
  /// Values changed by clipping.
  public var clippedCount: Int
  /// Empty lines skipped.
  public var blankLines: Int
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

  /// Reads the CSV file at `url` for `query` (not for `vector-sum`).
  public static func load(query: QueryManifest, csv url: URL) throws -> LocalVector {
    try load(query: query, csv: try read(url), file: url.path)
  }

  /// Reads a `vector-sum` input file at `url`.
  public static func loadVector(query: QueryManifest, from url: URL, format: VectorFormat) throws
    -> LocalVector
  {
    try loadVector(query: query, bytes: try read(url), file: url.path, format: format)
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
    let index: Int?
    switch query.kind {
    case .count(let filter):
      index = try filter.map { try column($0.column) }
    case .sum(let name, _), .mean(let name, _, _), .histogram(let name, _, _):
      index = try column(name)
    case .vectorSum:
      throw ManifestError.invalidManifest(
        file: file, field: "kind", problem: "vector-sum input is not CSV; use loadVector")
    }
    parser.wanted = index.map { [$0] } ?? []

    var accumulator = Accumulator(query: query, file: file)
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
      if let problem = try accumulator.add(index.map { record.fields[$0] }, line: record.line) {
        reject(record.line, problem)
      }
    }
    guard badCount <= query.maxBadRows else {
      throw InputError.tooManyBadRows(
        file: file, count: badCount, limit: query.maxBadRows, first: bad)
    }
    return LocalVector(
      values: accumulator.values, rows: accumulator.rows, badRowCount: badCount, badRows: bad,
      clippedCount: accumulator.clipped, blankLines: parser.blankLines)
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
      guard badCount == 0 else {
        throw InputError.tooManyBadRows(file: file, count: badCount, limit: 0, first: bad)
      }
    }
    return LocalVector(
      values: values, rows: m, badRowCount: 0, badRows: [], clippedCount: clipped,
      blankLines: 0)
  }

  private static func read(_ url: URL) throws -> [UInt8] {
    do {
      return [UInt8](try Data(contentsOf: url, options: .alwaysMapped))
    } catch {
      throw InputError.unreadableFile(file: url.path, problem: error.localizedDescription)
    }
  }
}

// MARK: - Per-kind accumulation

private struct Accumulator {
  let query: QueryManifest
  let file: String
  var values: [Int64]
  var rows = 0
  var clipped = 0
  private let categoryIndex: [String: Int]

  init(query: QueryManifest, file: String) {
    self.query = query
    self.file = file
    values = [Int64](repeating: 0, count: query.dimension)
    if case .histogram(_, .categories(let names), _) = query.kind {
      categoryIndex = Dictionary(names.enumerated().map { ($1, $0) }) { first, _ in first }
    } else {
      categoryIndex = [:]
    }
  }

  /// Adds one well-formed record (its query column, if any); returns a problem for a bad row.
  mutating func add(_ field: String?, line: Int) throws -> String? {
    switch query.kind {
    case .count(let filter):
      if filter == nil || field == filter?.equals { try bump(0, by: 1) }
    case .sum(_, let bounds), .mean(_, let bounds, _):
      switch Numbers.integer(field ?? "", bounds: bounds) {
      case .problem(let problem):
        return problem
      case .value(let v, let wasClipped):
        if wasClipped { clipped += 1 }
        try bump(0, by: v)
        if case .mean = query.kind { try bump(1, by: 1) }
      }
    case .histogram(_, let bins, let outside):
      let bin: Int?
      switch bins {
      case .categories:
        bin = categoryIndex[field ?? ""]
      case .edges(let edges):
        let text = Numbers.trimmed(field ?? "")
        guard !text.isEmpty else { return "empty value" }
        guard let v = try? Rational(parsing: text) else { return "not a number" }
        bin = Numbers.bin(of: v, edges: edges)
      }
      if let bin {
        try bump(bin, by: 1)
      } else if outside == .other {
        try bump(values.count - 1, by: 1)
      } else {
        throw InputError.valueOutsideBins(file: file, line: line)
      }
    case .vectorSum:
      break
    }
    rows += 1
    return nil
  }

  private mutating func bump(_ index: Int, by amount: Int64) throws {
    let (sum, overflow) = values[index].addingReportingOverflow(amount)
    guard !overflow else {
      throw InputError.localOverflow(file: file, what: "the local total of element \(index)")
    }
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
