public import Foundation
import MPCBigInt
public import MPCCrypto

/// A party's rows for a `synth` query, each a level per column (`protocols/query.md` §7.1):
/// a category is its index, a number its bin, and an unknown category, a number outside the
/// edges, an empty or unparseable value, or every value of a malformed record goes to `other`.
/// No row is refused, so nothing about the data decides whether the query runs.
public struct SynthRows: Sendable, Hashable {
  /// The levels of each row, one per query column.
  public var rows: [[Int]]
  /// Values that went to `other` because they were empty or not numbers (local summary).
  public var unparsedValues = 0
  /// Records that were malformed CSV (all their values went to `other`).
  public var malformedRecords = 0

  /// Rows given directly (tests, generated data).
  public init(rows: [[Int]]) { self.rows = rows }

  /// Reads `bytes` (CSV with a header naming every query column); `file` names it in errors.
  /// Only a missing or duplicated column is an error (before anything is charged).
  public static func load(query: SynthQuery, csv bytes: [UInt8], file: String) throws
    -> SynthRows
  {
    var parser = CSVParser(bytes: bytes)
    guard let header = parser.next(), header.problem == nil else {
      throw InputError.invalidHeader(file: file, problem: "no readable header row")
    }
    let names = header.fields
    var indices: [Int] = []
    for axis in query.columns {
      let matches = names.indices.filter { names[$0] == axis.column }
      guard let first = matches.first else {
        throw InputError.missingColumn(file: file, column: axis.column, available: names)
      }
      guard matches.count == 1 else {
        throw InputError.invalidHeader(
          file: file, problem: "column '\(axis.column)' appears \(matches.count) times")
      }
      indices.append(first)
    }
    parser.wanted = Set(indices)
    let categoryIndex: [[String: Int]] = query.columns.map {
      guard case .categories(let names) = $0.bins else { return [:] }
      return Dictionary(names.enumerated().map { ($1, $0) }) { first, _ in first }
    }
    var out = SynthRows(rows: [])
    while let record = parser.next() {
      if record.problem != nil {
        out.malformedRecords += 1
        out.rows.append(query.columns.map { $0.levels - 1 })
        continue
      }
      var row: [Int] = []
      for (a, axis) in query.columns.enumerated() {
        let i = indices[a]
        let field = i < record.fields.count ? record.fields[i] : ""
        switch axis.bins {
        case .categories(let names):
          row.append(categoryIndex[a][field] ?? names.count)
        case .edges(let edges):
          let text = Numbers.trimmed(field)
          guard !text.isEmpty, let v = try? Rational(parsing: text) else {
            out.unparsedValues += 1
            row.append(edges.count - 1)
            continue
          }
          row.append(Numbers.bin(of: v, edges: edges) ?? (edges.count - 1))
        }
      }
      out.rows.append(row)
    }
    return out
  }

  /// Reads a CSV file.
  public static func load(query: SynthQuery, csv url: URL) throws -> SynthRows {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw InputError.unreadableFile(file: url.path, problem: error.localizedDescription)
    }
    return try load(query: query, csv: Array(data), file: url.path)
  }
}

// MARK: - Sampling

/// The sampler of a released model (`protocols/query.md` §7.4): deterministic given the seed,
/// integer arithmetic only. The stream is ChaCha20 under key BLAKE2b-256("swift-mpc/synth-
/// sample/v1" ‖ seed as 8 bytes little-endian) with a zero nonce; per row, the root level,
/// then each column of ``SynthModel/order`` given its parent's level, each drawn by
/// u = uniform(below: W) (`protocols/random.md`) over the weights w (W = Σ w) and the first
/// level whose running sum exceeds u. A parent level whose weights are all 0 uses the column's
/// weights summed over all parent levels instead; if those are all 0 too, all levels weigh 1.
public struct SynthSampler: Sendable {
  /// The model.
  public let model: SynthModel
  let rootTable: [UInt64]
  /// Per column, per parent level, running sums.
  let tables: [[[UInt64]]]

  /// The sampler of `model` (checked by ``SynthModel/load(contentsOf:)`` or built here).
  public init(model: SynthModel) throws {
    if let problem = model.validationProblem() {
      throw SynthError.unreadable(file: "model", problem: problem)
    }
    self.model = model
    func running(_ w: [Int64]) -> [UInt64] {
      var acc: UInt64 = 0
      return w.map {
        acc += UInt64($0)
        return acc
      }
    }
    func usable(_ w: [Int64], fallback: [Int64]) -> [Int64] {
      if w.contains(where: { $0 > 0 }) { return w }
      if fallback.contains(where: { $0 > 0 }) { return fallback }
      return [Int64](repeating: 1, count: w.count)
    }
    rootTable = running(usable(model.rootWeights, fallback: []))
    tables = model.conditionals.map { rows in
      guard let width = rows.first?.count else { return [] }
      let summed = (0..<width).map { x in rows.reduce(Int64(0)) { $0 + $1[x] } }
      return rows.map { running(usable($0, fallback: summed)) }
    }
  }

  /// The seeded stream of `seed`.
  public static func stream(seed: UInt64) throws -> ChaCha20PRG {
    var h = try Blake2b(outputByteCount: 32)
    h.update(Array("swift-mpc/synth-sample/v1".utf8))
    h.update(withUnsafeBytes(of: seed.littleEndian) { Array($0) })
    return try ChaCha20PRG(
      key: SecretBytes(copying: h.finalize()), nonce: [UInt8](repeating: 0, count: 12))
  }

  static func pick(_ table: [UInt64], _ random: inout some RandomSource) -> Int {
    let u = random.uniform(below: table[table.count - 1])
    var lo = 0
    var hi = table.count - 1
    while lo < hi {
      let mid = (lo + hi) / 2
      if table[mid] > u { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  /// `count` rows (levels per column) from `seed`.
  public func sample(rows count: Int, seed: UInt64) throws -> [[Int]] {
    var random = try Self.stream(seed: seed)
    let d = model.columns.count
    var out: [[Int]] = []
    out.reserveCapacity(count)
    for _ in 0..<count {
      var row = [Int](repeating: 0, count: d)
      row[model.root] = Self.pick(rootTable, &random)
      for c in model.order {
        row[c] = Self.pick(tables[c][row[model.parents[c]]], &random)
      }
      out.append(row)
    }
    return out
  }

  /// The rows as CSV (header of the column names; each level as its written value).
  public func csv(_ rows: [[Int]]) -> [UInt8] {
    func quoted(_ s: String) -> String {
      s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    var out = Array((model.columns.map { quoted($0.name) }.joined(separator: ",") + "\n").utf8)
    let written = model.columns.map { $0.values.map(quoted) }
    for row in rows {
      out += Array((row.enumerated().map { written[$0][$1] }.joined(separator: ",") + "\n").utf8)
    }
    return out
  }
}
