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
    let isGaussian = options.mechanism == "gaussian"
    let parameter =
      try options.rho.map { try Rational(parsing: $0) } ?? Rational(max(1, m / 10_000))
    let budget = parameter * Rational(options.repetitions + 1)
    let ports = try FreePorts.pick(n)
    let studyObject: [String: Any] = [
      "id": "bench-\(stamp)", "colluders": 1, "field": options.field, "neighbour": "add-remove",
      "max_sites_per_person": 1, "budget": [isGaussian ? "rho" : "epsilon": budget.description],
      "delta": "1e-6", "ledger": "ledger-\(stamp)",
      "parties": (0..<n).map {
        [
          "id": $0, "name": "bench site \($0)", "address": "127.0.0.1:\(ports[$0])",
          "public_key": publicKeys[$0],
        ] as [String: Any]
      },
    ]
    let studyURL = base.appendingPathComponent("study-\(stamp).json")
    try JSONSerialization.data(
      withJSONObject: studyObject, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    ).write(to: studyURL)
    return BenchSetup(
      options: options, base: base, studyURL: studyURL,
      study: try StudyManifest.load(contentsOf: studyURL), parameter: parameter.description,
      tag: stamp)
  }

  static func inputURL(_ base: URL, _ i: Int, _ format: String) -> URL {
    base.appendingPathComponent("site\(i).\(format == "int64" ? "bin" : "txt")")
  }

  static func writeInput(party i: Int, length m: Int, format: String, to url: URL) throws {
    if format == "int64" {
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
    let isGaussian = options.mechanism == "gaussian"
    let object: [String: Any] = [
      "id": "bench-r\(r)", "kind": "vector-sum", "length": options.length, "bounds": [0, 100],
      "mechanism": options.mechanism, isGaussian ? "rho" : "epsilon": parameter,
    ]
    let url = base.appendingPathComponent("query-\(tag)-r\(r).json")
    try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      .write(to: url)
    return url
  }
}

// MARK: - One repetition

/// One party's measurements in one repetition.
struct BenchPartyStatistics {
  var phases: [String: Double]
  var bytesSent: Int
  var maxRSSKiB: Int
  /// User + system CPU time of the party process.
  var cpuSeconds: Double
}

/// One repetition: wall time, every party's statistics and the check.
struct BenchRun {
  var repetition: Int
  var wallSeconds: Double
  var parties: [BenchPartyStatistics]
  var checkPassed: Bool
  var checkDetail: String
}

extension BenchSetup {
  func runOnce(repetition r: Int) throws -> BenchRun {
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
          "--data", Self.inputURL(base, i, options.input).path, "--vector-format", options.input,
          "--query", queryURL.path, "--json", "--timeout", "\(options.timeout)",
          "--connect-timeout", "\(options.timeout)", "--seed-noise", seeds[i],
          "--values-out", valuesURLs[i].path,
          "--state-dir", base.appendingPathComponent("state").path,
        ]
      })
    let failures = outcomes.enumerated().filter { $0.element.status != 0 }.map { i, o in
      let text = o.stderr.split(separator: "\n").filter { !$0.hasPrefix("warning: --seed-noise") }
        .joined(separator: "\n")
      return "party \(i) exited with \(o.status): \(text)"
    }
    let outputs = outcomes.map(\.stdout)
    let wall = clock.now - start
    guard failures.isEmpty else {
      throw CommandFailure(description: failures.joined(separator: "\n"))
    }
    var parties: [BenchPartyStatistics] = []
    for (i, data) in outputs.enumerated() {
      guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
        let stats = object["statistics"] as? [String: Any]
      else {
        throw CommandFailure(description: "party \(i) printed no statistics")
      }
      parties.append(
        BenchPartyStatistics(
          phases: stats["phases_seconds"] as? [String: Double] ?? [:],
          bytesSent: stats["bytes_sent_total"] as? Int ?? 0,
          maxRSSKiB: stats["max_rss_kib"] as? Int ?? 0,
          cpuSeconds: stats["cpu_seconds"] as? Double ?? 0))
    }
    let query = try QueryManifest.load(contentsOf: queryURL)
    let check = try BenchCheck.verify(
      setup: self, query: query, seeds: seeds, valuesFiles: valuesURLs)
    for url in valuesURLs { try? FileManager.default.removeItem(at: url) }
    let c = wall.components
    return BenchRun(
      repetition: r, wallSeconds: Double(c.seconds) + Double(c.attoseconds) * 1e-18,
      parties: parties, checkPassed: check.passed, checkDetail: check.detail)
  }
}
