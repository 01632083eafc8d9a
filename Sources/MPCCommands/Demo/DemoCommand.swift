import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// `mpc demo`: the zero-set-up tour on loopback.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Run a local n-party study on embedded synthetic hospital data.",
    discussion: """
      Creates a key per site, a study file and per-site data (fictional patients: age, sex, \
      diagnosis, length of stay, ward) in a fresh directory, then runs four queries — a \
      histogram, a count, a sum and a mean — each as n real `mpc run` processes talking over \
      encrypted loopback links. Prints every DP result beside the true value (which only this \
      demo, holding all sites' data, can know) and the privacy budget.

      Example:
        mpc demo --parties 5
      """)

  @Option(name: .long, help: "Number of sites (2…10).")
  var parties = 3

  @Option(
    name: .long, help: "Directory for keys, study, data and ledgers (default: a new temporary one)."
  )
  var dir: String?

  @Option(name: .long, help: "Run only this query: histogram, count, sum or mean (repeatable).")
  var query: [DemoQuery] = []

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func validate() throws {
    guard (2...DemoData.sites.count).contains(parties) else {
      throw ValidationError("--parties must be between 2 and \(DemoData.sites.count)")
    }
  }

  func run() throws {
    do {
      try runDemo()
    } catch let error as ExitCode {
      throw error
    } catch {
      throw CommandFailure.report(error)
    }
  }

  func runDemo() throws {
    let fm = FileManager.default
    let base: URL
    if let dir {
      base = URL(fileURLWithPath: dir)
    } else {
      base = fm.temporaryDirectory.appendingPathComponent(
        "mpc-demo-\(getpid())-\(Int(Date().timeIntervalSince1970))")
    }
    try fm.createDirectory(at: base, withIntermediateDirectories: true)
    func say(_ s: String) { if !json { print(s) } }
    say("swift-mpc demo: \(parties) hospitals, in \(base.path)")

    // Keys, ports, study, data.
    var publicKeys: [String] = []
    for i in 0..<parties {
      let keyURL = base.appendingPathComponent("site\(i).key")
      if fm.fileExists(atPath: keyURL.path) {
        publicKeys.append(Hex.encode(try KeyFile.load(keyURL).publicKey))
      } else {
        publicKeys.append(Hex.encode(try KeyFile.create(keyURL).publicKey))
      }
      try Data(DemoData.sites[i].utf8).write(to: base.appendingPathComponent("site\(i).csv"))
    }
    let ports = try FreePorts.pick(parties)
    let studyURL = base.appendingPathComponent("study.json")
    let studyFile = StudyFile(
      id: "demo-hospitals",
      parties: (0..<parties).map {
        StudyFile.Party(
          id: $0, name: DemoData.siteNames[$0], address: "127.0.0.1:\(ports[$0])",
          publicKey: publicKeys[$0])
      },
      budget: ["rho": "1"])
    try studyFile.encoded().write(to: studyURL)
    let study = try StudyManifest.load(contentsOf: studyURL)
    say(
      "study: t = \(study.colluders) colluder(s), k = \(study.honestCount) honest, budget \(study.budget), δ = 1e-6"
    )
    say("")

    var results: [DemoOutput.Query] = []
    for name in query.isEmpty ? DemoQuery.allCases : query {
      let queryURL = base.appendingPathComponent("query-\(name.rawValue).json")
      try Data(name.json.utf8).write(to: queryURL)
      let manifest = try QueryManifest.load(contentsOf: queryURL)
      // The truth, which only the demo can compute: it holds every site's data.
      var truth = [BigInt](repeating: 0, count: manifest.dimension)
      for i in 0..<parties {
        let v = try LocalData.load(
          query: manifest, csv: Array(DemoData.sites[i].utf8), file: "site\(i).csv")
        for j in 0..<truth.count { truth[j] += BigInt(v.values[j]) }
      }
      let outputs = try PartyProcesses.run(
        parties: parties, study: studyURL, query: queryURL, dir: base, timeoutSeconds: 60)
      let decoded = try outputs.enumerated().map { i, data in
        do {
          return try OutputCoding.decode(RunOutput.self, from: data)
        } catch {
          throw CommandFailure(description: "site \(i) printed no run result: \(error)")
        }
      }
      guard let first = decoded.first else { continue }
      // Every site must have opened the same values.
      for (i, other) in decoded.enumerated().dropFirst() where other.components != first.components
      {
        throw CommandFailure(description: "site \(i) opened a different result than site 0")
      }
      let result = DemoOutput.Query(
        name: name.rawValue, result: first, trueValues: truth.map(JSONInteger.init))
      if json {
        results.append(result)
      } else {
        print(name.render(result))
        print("")
      }
    }
    // The ledger of site 0 (all sites hold the same chain).
    let ledger = try LedgerLocation(stateDirectory: base.appendingPathComponent("state"))
      .open(study: study, partyId: 0, create: false).ledger
    let spent = ledger.spentPrivacy(study: study)
    if json {
      let output = DemoOutput(
        schema: DemoOutput.schema, directory: base.path, parties: parties, queries: results,
        budget: DemoOutput.Budget(
          unit: study.budget.unit, total: study.budget.amount.description,
          spent: ledger.spent.description, remaining: ledger.remaining.description,
          epsilonSpent: spent?.epsilon, delta: spent.map { Double($0.delta) } ?? 1e-6))
      print(try OutputCoding.encode(output), terminator: "")
    } else {
      print(
        "budget (every site's ledger): spent ρ = \(PrivacyNumbers.rho(ledger.spent)) of "
          + "\(PrivacyNumbers.rho(study.budget.amount)), remaining "
          + PrivacyNumbers.rho(ledger.remaining)
          + (spent.map {
            "; as (ε, δ): ε ≤ \(PrivacyNumbers.epsilon($0.epsilon)) at "
              + $0.deltaText
          } ?? ""))
      print(
        "files: keys, study.json, site*.csv, query-*.json and state/ (the ledgers) are in \(base.path)"
      )
      print(
        "rerun one site by hand: mpc run --study \(studyURL.path) --party 0 --key \(base.path)/site0.key --data \(base.path)/site0.csv --query \(base.path)/query-count.json --state-dir \(base.path)/state  (on all sites at once)"
      )
    }
  }
}

/// `mpc demo --json`: each query's `mpc.run/1` result (site 0's; every site opened the same)
/// with the true values, and the budget.
struct DemoOutput: CommandOutput {
  static let schema = "mpc.demo/1"

  /// One query: its result and the truth only the demo can know.
  struct Query: Codable {
    var name: String
    var result: RunOutput
    var trueValues: [JSONInteger]

    enum CodingKeys: String, CodingKey {
      case name, result
      case trueValues = "true_values"
    }
  }

  /// The budget after every query (exact rationals; ε as a number).
  struct Budget: Codable, Hashable {
    var unit: String
    var total: String
    var spent: String
    var remaining: String
    var epsilonSpent: Double?
    var delta: Double

    enum CodingKeys: String, CodingKey {
      case unit, total, spent, remaining, delta
      case epsilonSpent = "epsilon_spent"
    }
  }

  var schema: String
  var directory: String
  var parties: Int
  var queries: [Query]
  var budget: Budget
}

/// The demo's four queries.
enum DemoQuery: String, ExpressibleByArgument, CaseIterable, Sendable {
  case histogram
  case count
  case sum
  case mean

  /// The query file.
  var json: String {
    switch self {
    case .histogram:
      #"{"id": "diagnoses", "kind": "histogram", "column": "diagnosis", "categories": ["J09", "I21", "E11", "C50", "F32", "S72"], "outside": "other", "mechanism": "gaussian", "rho": "1/10"}"#
    case .count:
      #"{"id": "women", "kind": "count", "where": {"column": "sex", "equals": "F"}, "mechanism": "gaussian", "rho": "1/20"}"#
    case .sum:
      #"{"id": "bed-days", "kind": "sum", "column": "length_of_stay", "bounds": [0, 30], "mechanism": "gaussian", "rho": "1/10"}"#
    case .mean:
      #"{"id": "mean-age", "kind": "mean", "column": "age", "bounds": [0, 100], "mechanism": "gaussian", "rho": "1/10"}"#
    }
  }

  var title: String {
    switch self {
    case .histogram: "Patients per diagnosis (histogram, ρ = 1/10)"
    case .count: "Women treated (count where sex = F, ρ = 1/20)"
    case .sum: "Bed-days, stays clipped to [0, 30] (sum, ρ = 1/10)"
    case .mean: "Mean age, clipped to [0, 100] (mean, ρ = 1/10 split half/half)"
    }
  }

  func render(_ query: DemoOutput.Query) -> String {
    let result = query.result
    let truth = query.trueValues.map(\.value)
    var lines = [title]
    lines.append(
      "  " + "".padding(toLength: 12, withPad: " ", startingAt: 0)
        + "    DP value        true    95% interval")
    var index = 0
    for component in result.components {
      for v in component.values {
        let label = v.label.padding(toLength: 12, withPad: " ", startingAt: 0)
        let t = index < truth.count ? truth[index].description : "?"
        lines.append(
          "  \(label)  \(Self.pad(v.value.description, 10))  \(Self.pad(t, 10))    [\(v.lower), \(v.upper)]"
        )
        index += 1
      }
    }
    if let mean = result.mean, truth.count == 2, truth[1] > 0 {
      let trueMean = Double(truth[0]) / Double(truth[1])
      let dp = mean.value.map { String(format: "%.2f", $0) } ?? "none"
      let lo = mean.lower.map { String(format: "%.2f", $0) } ?? "?"
      let hi = mean.upper.map { String(format: "%.2f", $0) } ?? "?"
      lines.append(
        "  \("mean".padding(toLength: 12, withPad: " ", startingAt: 0))  \(Self.pad(dp, 10))  \(Self.pad(String(format: "%.2f", trueMean), 10))    [\(lo), \(hi)]"
      )
    }
    lines.append(
      "  charged ρ = \(result.cost.amount); remaining \(result.budget.remaining) of \(result.budget.total)"
    )
    return lines.joined(separator: "\n")
  }

  static func pad(_ s: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - s.count)) + s
  }
}

/// Free TCP ports on 127.0.0.1 (bound to port 0, read back, released).
enum FreePorts {
  static func pick(_ count: Int) throws -> [Int] {
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    var ports: [Int] = []
    for _ in 0..<count {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard fd >= 0 else {
        throw CommandFailure(description: "cannot open a socket to pick a port")
      }
      fds.append(fd)
      var addr = sockaddr_in()
      addr.sin_family = sa_family_t(AF_INET)
      addr.sin_addr.s_addr = inet_addr("127.0.0.1")
      addr.sin_port = 0
      var len = socklen_t(MemoryLayout<sockaddr_in>.size)
      let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
        }
      }
      guard ok else { throw CommandFailure(description: "cannot bind a loopback port") }
      ports.append(Int(UInt16(bigEndian: addr.sin_port)))
    }
    return ports
  }
}

/// Starts one `mpc run` process per party and collects their JSON output.
enum PartyProcesses {
  /// This executable.
  static var selfURL: URL {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
  }

  /// The outcome of one party process.
  struct Outcome {
    /// Exit status.
    var status: Int32
    /// Standard output.
    var stdout: Data
    /// Standard error, trimmed.
    var stderr: String
  }

  /// Starts one `mpc` per argument list at once (the parties of a study must run together),
  /// then waits for every one; stderr is drained on its own thread so no pipe fills up.
  static func runAll(_ argumentLists: [[String]]) throws -> [Outcome] {
    final class Box: @unchecked Sendable {
      // Invariant: written once by its reader thread before `group.leave()`, read after `wait()`.
      var data = Data()
    }
    var started: [(Process, Pipe, Box, DispatchGroup)] = []
    for arguments in argumentLists {
      let p = Process()
      p.executableURL = selfURL
      p.arguments = arguments
      let out = Pipe()
      let err = Pipe()
      p.standardOutput = out
      p.standardError = err
      p.standardInput = FileHandle.nullDevice
      try p.run()
      let box = Box()
      let group = DispatchGroup()
      group.enter()
      DispatchQueue.global().async {
        box.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
      }
      started.append((p, out, box, group))
    }
    return started.map { p, out, box, group in
      let data = out.fileHandleForReading.readDataToEndOfFile()
      group.wait()
      p.waitUntilExit()
      return Outcome(
        status: p.terminationStatus, stdout: data,
        stderr: String(decoding: box.data, as: UTF8.self)
          .trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  /// Runs the demo's query as every site; throws naming each site that failed.
  static func run(parties: Int, study: URL, query: URL, dir: URL, timeoutSeconds: Int) throws
    -> [Data]
  {
    let outcomes = try runAll(
      (0..<parties).map { i in
        [
          "run", "--study", study.path, "--party", "\(i)",
          "--key", dir.appendingPathComponent("site\(i).key").path,
          "--data", dir.appendingPathComponent("site\(i).csv").path,
          "--query", query.path, "--json", "--timeout", "\(timeoutSeconds)",
          "--state-dir", dir.appendingPathComponent("state").path,
        ]
      })
    let failures = outcomes.enumerated().filter { $0.element.status != 0 }.map {
      "site \($0.offset) exited with \($0.element.status): \($0.element.stderr)"
    }
    guard failures.isEmpty else {
      throw CommandFailure(description: failures.joined(separator: "\n"))
    }
    return outcomes.map(\.stdout)
  }
}
