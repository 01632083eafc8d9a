import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Files

/// The bench's working directory: keys, study, inputs; one query per repetition.
struct BenchSetup {
  let options: BenchCommand
  let base: URL
  let studyURL: URL
  let study: StudyManifest
  /// The query's privacy parameter (ρ for gaussian, ε for laplace), as text.
  let parameter: String
  /// A tag unique to this bench invocation (query ids and noise seeds derive from it).
  let tag: String

  /// Party i's value at coordinate j: deterministic, in the query's bounds [0, 100].
  static func inputValue(party i: Int, coordinate j: Int) -> Int64 {
    Int64((j &* 31 &+ i &* 17 &+ (j >> 7)) % 101)
  }

  static func create(_ options: BenchCommand) throws -> BenchSetup {
    let fm = FileManager.default
    let stamp = "\(getpid())-\(Int(Date().timeIntervalSince1970))"
    let base =
      options.dir.map { URL(fileURLWithPath: $0) }
      ?? fm.temporaryDirectory.appendingPathComponent("mpc-bench-\(stamp)")
    try fm.createDirectory(at: base, withIntermediateDirectories: true)
    let n = options.parties
    let m = options.length
    var publicKeys: [String] = []
    for i in 0..<n {
      let keyURL = base.appendingPathComponent("site\(i).key")
      let key =
        fm.fileExists(atPath: keyURL.path) ? try KeyFile.load(keyURL) : try KeyFile.create(keyURL)
      publicKeys.append(Hex.encode(key.publicKey))
      try writeInput(
        party: i, length: m, format: options.input, to: inputURL(base, i, options.input))
    }
    // Default parameter ρ (gaussian) or ε (laplace) = max(1, m/10^4): total σ ≈ 7,071 per
    // coordinate for every m ≥ 10^4 (l2² = 100²·m). A fixed ρ would push σ² past the table
    // sampler's range for large m; σ ≈ 10 would need ρ = 50·m, where the table sampler's δ
    // charge (1 + e^ε)·samples·2^−100 is astronomically large and slow to bound exactly.
    let isGaussian = options.mechanism == .gaussian
    let parameter =
      try options.rho.map { try Rational(parsing: $0) } ?? Rational(max(1, m / 10_000))
    let budget = parameter * Rational(options.repetitions + 1)
    let ports = try FreePorts.pick(n)
    let studyFile = StudyFile(
      id: "bench-\(stamp)",
      parties: (0..<n).map {
        StudyFile.Party(
          id: $0, name: "bench site \($0)", address: "127.0.0.1:\(ports[$0])",
          publicKey: publicKeys[$0])
      },
      field: options.field, budget: [isGaussian ? "rho" : "epsilon": budget.description],
      ledger: "ledger-\(stamp)", testStudy: true)
    let studyURL = base.appendingPathComponent("study-\(stamp).json")
    try studyFile.encoded().write(to: studyURL)
    return BenchSetup(
      options: options, base: base, studyURL: studyURL,
      study: try StudyManifest.load(contentsOf: studyURL), parameter: parameter.description,
      tag: stamp)
  }

  static func inputURL(_ base: URL, _ i: Int, _ format: VectorFormatArgument) -> URL {
    base.appendingPathComponent("site\(i).\(format.fileExtension)")
  }

  static func writeInput(
    party i: Int, length m: Int, format: VectorFormatArgument, to url: URL
  ) throws {
    if format == .int64 {
      var bytes = [UInt8](repeating: 0, count: 8 * m)
      bytes.withUnsafeMutableBytes { raw in
        for j in 0..<m {
          raw.storeBytes(
            of: inputValue(party: i, coordinate: j).littleEndian, toByteOffset: 8 * j,
            as: Int64.self)
        }
      }
      try Data(bytes).write(to: url)
    } else {
      var text = ""
      text.reserveCapacity(4 * m)
      for j in 0..<m {
        text += String(inputValue(party: i, coordinate: j))
        text += "\n"
      }
      try Data(text.utf8).write(to: url)
    }
  }

  /// The noise seed of party `i` in repetition `r` (64 hex digits), derived from the tag.
  func noiseSeed(party i: Int, repetition r: Int) throws -> String {
    var hasher = try Blake2b(outputByteCount: 32)
    hasher.update(Array("swift-mpc/bench/noise/\(tag)/\(r)/\(i)".utf8))
    return Hex.encode(hasher.finalize())
  }

  /// Repetition r's query (a new id each time: every run is a new charge).
  func queryURL(repetition r: Int) throws -> URL {
    let query = VectorSumQueryFile(
      id: "bench-r\(r)", length: options.length, mechanism: options.mechanism.rawValue,
      rho: options.mechanism == .gaussian ? parameter : nil,
      epsilon: options.mechanism == .laplace ? parameter : nil)
    let url = base.appendingPathComponent("query-\(tag)-r\(r).json")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(query).write(to: url)
    return url
  }
}

/// The bench's query file: a vector-sum of `length` coordinates in [0, 100].
struct VectorSumQueryFile: Encodable {
  var id: String
  var kind = "vector-sum"
  var length: Int
  var bounds = [0, 100]
  var mechanism: String
  /// ρ (gaussian) or ε (laplace) as an exact rational.
  var rho: String?
  var epsilon: String?
}

// MARK: - One repetition

extension BenchSetup {
  func runOnce(repetition r: Int) throws -> BenchOutput.Run {
    let n = options.parties
    let queryURL = try queryURL(repetition: r)
    var seeds: [String] = []
    for i in 0..<n { seeds.append(try noiseSeed(party: i, repetition: r)) }
    let valuesURLs = (0..<n).map { base.appendingPathComponent("values-\(tag)-r\(r)-\($0).bin") }
    let clock = ContinuousClock()
    let start = clock.now
    let outcomes = try PartyProcesses.runAll(
      (0..<n).map { i in
        [
          "run", "--study", studyURL.path, "--party", "\(i)",
          "--key", base.appendingPathComponent("site\(i).key").path,
          "--data", Self.inputURL(base, i, options.input).path, "--vector-format",
          options.input.rawValue,
          "--query", queryURL.path, "--json", "--timeout", "\(options.timeout)",
          "--connect-timeout", "\(options.timeout)", "--seed-noise", seeds[i],
          "--out", valuesURLs[i].path, "--format", "int64",
          "--state-dir", base.appendingPathComponent("state").path,
        ]
      })
    let failures = outcomes.enumerated().filter { $0.element.status != 0 }.map { i, o in
      let text = o.stderr.split(separator: "\n").filter {
        !$0.hasPrefix("warning: --seed-noise") && !$0.hasPrefix("local data ")
      }
      .joined(separator: "\n")
      return "party \(i) exited with \(o.status): \(text)"
    }
    let outputs = outcomes.map(\.stdout)
    let wall = clock.now - start
    guard failures.isEmpty else {
      throw CommandFailure(description: failures.joined(separator: "\n"))
    }
    var parties: [BenchOutput.Party] = []
    for (i, data) in outputs.enumerated() {
      let output: RunOutput
      do {
        output = try OutputCoding.decode(RunOutput.self, from: data)
      } catch {
        throw CommandFailure(description: "party \(i) printed no run result: \(error)")
      }
      guard let stats = output.statistics else {
        throw CommandFailure(description: "party \(i) printed no statistics")
      }
      parties.append(
        BenchOutput.Party(
          party: i, phasesSeconds: stats.phasesSeconds, bytesSent: stats.bytesSentTotal,
          maxRSSMiB: Double(stats.maxRSSKiB) / 1024, cpuSeconds: stats.cpuSeconds))
    }
    let query = try QueryManifest.load(contentsOf: queryURL)
    let check = try BenchCheck.verify(
      setup: self, query: query, seeds: seeds, valuesFiles: valuesURLs)
    for url in valuesURLs { try? FileManager.default.removeItem(at: url) }
    let c = wall.components
    return BenchOutput.Run(
      repetition: r, wallSeconds: Double(c.seconds) + Double(c.attoseconds) * 1e-18,
      phasesSecondsMedian: BenchReport.phaseMedians(parties), parties: parties,
      check: BenchOutput.Check(passed: check.passed, detail: check.detail))
  }
}
