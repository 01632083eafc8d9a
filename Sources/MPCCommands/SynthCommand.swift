import ArgumentParser
import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol

/// `mpc synth`: sampling and fidelity of a released synthetic-data model (issue 20), free of
/// budget: everything here is post-processing of the model `mpc run` of a `synth` query wrote.
struct SynthCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth",
    abstract: "Sample synthetic rows from a released synth model and report their fidelity.",
    discussion: """
      A synth query (kind "synth") is run like any other with `mpc run`; it measures 1-way, \
      2-way and tree marginals in three secure rounds over one charge and writes the model \
      (tree plus integer weights, identical at every site) next to the ledger. These \
      subcommands use only that model: no charge, no network.
      """,
    subcommands: [SynthSampleCommand.self, SynthReportCommand.self])
}

/// `mpc synth sample`.
struct SynthSampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Write synthetic rows drawn from a model (deterministic given --seed).",
    discussion: """
      Rows come from the tree: the root column's weights, then each column given its \
      parent's level (protocols/query.md §7.4). The same model, --rows and --seed give the \
      same file at any site. Exit status 0 on success, 1 on a bad model, 64 on bad usage.
      """)

  @Option(name: .long, help: "The model file (mpc.synth-model/1) `mpc run` wrote.")
  var model: String
  @Option(name: .long, help: "The number of rows.")
  var rows: Int
  @Option(name: .long, help: "The sampler seed (an unsigned 64-bit integer).")
  var seed: UInt64
  @Option(name: .long, help: "The CSV file to write (written whole or not at all).")
  var out: String
  @Flag(name: .long, help: "Print the fidelity report as JSON after writing.")
  var json = false

  func validate() throws {
    guard (1...100_000_000).contains(rows) else {
      throw ValidationError("--rows must be between 1 and 100000000")
    }
  }

  func run() throws {
    do {
      let model = try SynthModel.load(contentsOf: URL(fileURLWithPath: self.model))
      let sampler = try SynthSampler(model: model)
      let sampled = try sampler.sample(rows: rows, seed: seed)
      try SynthFiles.writeAtomically(sampler.csv(sampled), to: out)
      let report = SynthFidelity(model: model, rows: sampled)
      if json {
        print(try SynthFiles.json(report))
      } else {
        print("wrote \(rows) synthetic rows to \(out) (model \(self.model), seed \(seed))")
        print(report.text)
      }
    } catch let error as SynthError {
      Console.error("error: \(error)")
      throw ExitCode.failure
    }
  }
}

/// `mpc synth report`.
struct SynthReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "The fidelity of a synthetic CSV against the model's released marginals.",
    discussion: """
      Mean L1 distance of normalised 1- and 2-way marginals of --data against the released \
      noisy marginals, per column and pair, the pairs the tree does not model, and a warning \
      when the rows are worse than 1.2 × the model's own error plus the error expected from \
      sampling that many rows.
      """)

  @Option(name: .long, help: "The model file.")
  var model: String
  @Option(name: .long, help: "The synthetic CSV (as `mpc synth sample` writes it).")
  var data: String
  @Flag(name: .long, help: "Print JSON.")
  var json = false

  func run() throws {
    do {
      let model = try SynthModel.load(contentsOf: URL(fileURLWithPath: self.model))
      let rows = try SynthFiles.read(data, model: model)
      let report = SynthFidelity(model: model, rows: rows)
      print(json ? try SynthFiles.json(report) : report.text)
    } catch let error as SynthError {
      Console.error("error: \(error)")
      throw ExitCode.failure
    }
  }
}

/// Files of the synth commands.
enum SynthFiles {
  /// Writes `bytes` to a temporary file beside `path`, then renames it into place.
  static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
    do {
      try Data(bytes).write(to: temporary)
      if FileManager.default.fileExists(atPath: url.path) {
        _ = try FileManager.default.replaceItemAt(url, withItemAt: temporary)
      } else {
        try FileManager.default.moveItem(at: temporary, to: url)
      }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw SynthError.unreadable(
        file: path, problem: "cannot write: \(error.localizedDescription)")
    }
  }

  /// Pretty, key-sorted JSON of a value.
  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  /// Reads a synthetic CSV back to levels with the model's columns (values as the sampler
  /// writes them: category, lower edge, empty for `other`); an unknown value is an error.
  static func read(_ path: String, model: SynthModel) throws -> [[Int]] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SynthError.unreadable(file: path, problem: "no such file or not readable")
    }
    var parser = CSVParser(bytes: Array(data))
    guard let header = parser.next(), header.problem == nil else {
      throw SynthError.unreadable(file: path, problem: "no readable header row")
    }
    let indices = try model.columns.map { column in
      guard let i = header.fields.firstIndex(of: column.name) else {
        throw SynthError.unreadable(file: path, problem: "no column \(column.name)")
      }
      return i
    }
    let lookup = model.columns.map { c in
      Dictionary(c.values.enumerated().map { ($1, $0) }) { first, _ in first }
    }
    var rows: [[Int]] = []
    while let record = parser.next() {
      if let problem = record.problem {
        throw SynthError.unreadable(file: "\(path):\(record.line)", problem: problem)
      }
      rows.append(
        try indices.enumerated().map { a, i in
          let value = i < record.fields.count ? record.fields[i] : ""
          guard let level = lookup[a][value] else {
            throw SynthError.unreadable(
              file: "\(path):\(record.line)",
              problem: "column \(model.columns[a].name): \"\(value)\" is no level of the model")
          }
          return level
        })
    }
    return rows
  }
}
