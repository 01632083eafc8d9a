import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCNetwork
import MPCPrivacy
import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// `mpc run`: one party of one query.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run one query as one party of a study, against the other sites.",
    discussion: """
      Every site runs the same command at about the same time, each with its own --party,
      --key and --data, and the same study and query files. The parties check that they hold
      identical study and query files and ledgers, charge the budget durably, exchange masked
      uploads over encrypted links and open only the noised result.

      --out FILE writes the released values as they are opened (csv, the
      mpc.run/2 JSON document, or int64), to FILE.partial until the run
      succeeded; a vector-sum longer than 10,000 needs --out or --json. A
      summary of the local data is printed on standard error before the run
      (also in --json mode, and as local_data in the JSON); it is never sent.

      Exit codes: 0 result printed; 1 the query failed (a peer, the budget, the network, the
      data; the message names which); 64 bad flags or unreadable input files.

      Examples:
        mpc run --study study.json --party 0 --key site0.key --data site0.csv --query count.json
        mpc run --study study.json --party 0 --key site0.key --data v0.bin --vector-format int64 \\
          --query vector.json --out result.csv
        mpc run --study study.json --party 1 --key site1.key --data site1.csv \\
          --query-inline '{"id": "q7", "kind": "histogram", "column": "ward", \\
                           "categories": ["icu", "er"], "outside": "other", "rho": "1/20"}' --json
      """)

  @OptionGroup(title: "Site")
  var site: SiteOptions

  @Option(
    name: .long, help: "This site's data: CSV with a header, or a vector file for vector-sum.")
  var data: String

  @Option(
    name: .long,
    help: "Vector-sum input format: text (one integer per line) or int64 (little-endian binary).")
  var vectorFormat: VectorFormatArgument = .text

  @Option(name: .long, help: "The query file.")
  var query: String?

  @Option(name: .long, help: "The query as inline JSON (instead of --query).")
  var queryInline: String?

  @OptionGroup(title: "Network")
  var network: NetworkArguments

  @Option(
    name: .long,
    help: "This site's state directory, holding its ledgers (default: $MPC_STATE_DIR, else ~/.mpc)."
  )
  var stateDir: String?

  @Flag(name: .long, help: "Accept a Gaussian share σ below 1.2 (weak KLS21 bound).")
  var force = false

  @Flag(name: .long, help: "Print JSON (schema mpc.run/2) instead of the table.")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write the released values to FILE as they are opened (FILE.partial until the run "
        + "succeeded).", valueName: "FILE"))
  var out: String?

  @Option(name: .long, help: "The --out format: csv, json (the mpc.run/2 document) or int64.")
  var format: ResultFormat = .csv

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Testing only: seed this party's noise PRG with 32 bytes (64 hex digits); only in a "
        + "test study, and announced to the peers.", visibility: .hidden))
  var seedNoise: String?

  func validate() throws {
    guard (query == nil) != (queryInline == nil) else {
      throw ValidationError("give exactly one of --query FILE or --query-inline JSON")
    }
    if let seedNoise {
      guard seedNoise.count == 64, (try? ChaCha20PRG(seedHex: seedNoise)) != nil else {
        throw ValidationError("--seed-noise must be 64 hex digits (32 bytes)")
      }
    }
  }
}

extension RunCommand {
  func run() async throws {
    // Inputs first: a bad file is a usage error (64) before any network activity.
    let (study, party, key) = (site.study, site.party, site.key)
    let studyURL = URL(fileURLWithPath: study)
    let manifest: StudyManifest
    let queryManifest: QueryManifest
    let identity: X25519.KeyPair
    let input: LocalVector
    let ledger: BudgetLedger
    let releases: ReleaseLog
    var approvers: [String] = []
    var resultFile: ResultFile?
    do {
      manifest = try StudyManifest.load(contentsOf: studyURL)
      guard (0..<manifest.partyCount).contains(party) else {
        throw CommandFailure(
          description: "--party \(party): the study has parties 0…\(manifest.partyCount - 1)")
      }
      let queryData: Data
      if let query {
        guard let data = FileManager.default.contents(atPath: query) else {
          throw ManifestError.unreadableFile(file: query, problem: "no such file or not readable")
        }
        queryData = data
      } else {
        queryData = Data((queryInline ?? "").utf8)
      }
      let registered: RegisteredQuery?
      (queryManifest, registered) = try Governance.decodeQuery(
        queryData, file: query ?? "--query-inline")
      // Registry approvals and policy standards, before anything is sent or charged (DESIGN §8).
      approvers = try Governance.admit(
        study: manifest, query: queryManifest, registered: registered)
      if !approvers.isEmpty {
        Console.error(
          "note: query \(queryManifest.id) is approved by \(approvers.joined(separator: ", "))")
      }
      identity = try KeyFile.load(URL(fileURLWithPath: key))
      guard identity.publicKey == manifest.parties[party].publicKey else {
        throw CommandFailure(
          description:
            "\(key) is not the key pinned for party \(party) (\(manifest.parties[party].name)) "
            + "in \(study): its public key is \(Hex.encode(identity.publicKey)), the study pins "
            + "\(Hex.encode(manifest.parties[party].publicKey))")
      }
      if seedNoise != nil, !manifest.testStudy {
        throw CommandFailure(
          description: "--seed-noise: study \(manifest.id) is not a test study "
            + "(\"test_study\": true); seeded noise is predictable and never for real data",
          status: .usage)
      }
      if case .vectorSum(let m, _) = queryManifest.kind, m > Self.textVectorLimit, !json,
        out == nil
      {
        throw CommandFailure(
          description: "query \(queryManifest.id) releases \(m) values; the table shows only "
            + "the first \(ResultFormatter.shownRows): add --out FILE (--format csv, json or "
            + "int64), or --json", status: .usage)
      }
      if let out { try ResultFile.check(path: out) }
      if out != nil, format != .csv, case .vectorSum(let m, let bounds) = queryManifest.kind,
        !Self.fitsInt64(length: m, bounds: bounds, parties: manifest.partyCount)
      {
        throw CommandFailure(
          description: "query \(queryManifest.id): with bounds this wide an opened value may "
            + "need more than 64 bits; use --format csv (decimal, any width)", status: .usage)
      }
      let dataURL = URL(fileURLWithPath: data)
      if case .vectorSum = queryManifest.kind {
        input = try LocalData.loadVector(
          query: queryManifest, from: dataURL, format: vectorFormat.format)
      } else {
        input = try LocalData.load(query: queryManifest, csv: dataURL)
      }
      let opened = try LedgerLocation.resolve(explicit: stateDir).open(
        study: manifest, partyId: party, create: true)
      ledger = opened.ledger
      releases = try ReleaseLog.open(directory: opened.directory, partyId: party)
      if let stored = try releases.stored(for: queryManifest) {
        // Released before: the same answer again, no session, no charge (ledger.md §6).
        Console.error(
          "note: query \(queryManifest.id) was released on \(stored.time) (session "
            + "\(Hex.encode(stored.sessionId.prefix(8)))); showing the stored result, nothing "
            + "charged. A new answer needs a new query id.")
        if json {
          var object =
            (try? JSONSerialization.jsonObject(with: Data(stored.result.utf8)) as? [String: Any])
            ?? [:]
          object["replayed"] = ["time": stored.time, "session": Hex.encode(stored.sessionId)]
          print(try Console.json(object: object))
        } else {
          print(stored.text)
        }
        if let out { Console.error("note: --out \(out) was not written (a stored result)") }
        return
      }
      if let out { resultFile = try ResultFile(path: out, format: format) }
      if opened.created {
        Console.error(
          "note: first query of study \(manifest.id) at this site: created party \(party)'s "
            + "ledger \(ledger.name) (budget \(manifest.budget))")
      }
    } catch {
      throw CommandFailure.usage(error)
    }
    // This site's data summary, before anything is sent (stderr: stdout holds the result).
    let localData = LocalDataSummary(input, query: queryManifest, file: data)
    for line in localData.lines(maxBadRows: queryManifest.maxBadRows) { Console.error(line) }
    do {
      let progress = Progress(enabled: Console.stderrIsTerminal && !json)
      progress.say("connecting to \(manifest.partyCount - 1) peer(s)…")
      let options = network.networkOptions()
      // The run plan (noise tables included) is built while the links come up.
      let (planStudy, planQuery, planForce) = (manifest, queryManifest, force)
      let planning = Task { try RunPlan(study: planStudy, query: planQuery, force: planForce) }
      let transport: NetworkTransport
      do {
        transport = try await NetworkTransport.connect(
          study: manifest, partyID: party, identity: identity, options: options)
      } catch {
        planning.cancel()
        throw network.explain(error)
      }
      progress.say("connected; running \(queryManifest.id)…")
      var setup = PartySetup(
        study: manifest, query: queryManifest, input: input, ledger: ledger,
        timeout: .seconds(network.timeout), force: force)
      do {
        setup.runPlan = try await planning.value
      } catch {
        // The plan follows from the study and the query alone (e.g. a Gaussian share σ below
        // 1.2 without --force): bad input, the same exit status as `mpc privacy plan`.
        await transport.close()
        throw CommandFailure(description: "\(error)", status: .usage)
      }
      // A vector-sum streams to --out as it is opened; nothing of it is kept in memory.
      var streaming = false
      if resultFile != nil, case .vectorSum = queryManifest.kind { streaming = true }
      if let resultFile, streaming, let component = setup.runPlan?.components.first {
        resultFile.halfWidth = component.noise.intervalHalfWidth
        setup.openedSink = resultFile.sink(component: component.component.name)
        setup.keepsOpenedValues = false
      }
      let noise: ChaCha20PRG
      if let seedNoise {
        Console.error(
          "warning: --seed-noise makes this party's DP noise predictable (announced to the "
            + "peers; test studies only)")
        noise = try ChaCha20PRG(seedHex: seedNoise)
        setup.seededNoise = true
      } else {
        noise = ChaCha20PRG.freshlyKeyed()
      }
      var noiseSource = noise
      var session = SystemRandom()
      var result: QueryResult
      do {
        result = try await QueryRunner.run(
          setup, transport: transport, noise: &noiseSource, session: &session)
      } catch {
        await transport.close()
        throw error
      }
      await transport.close()
      progress.done()
      if let resultFile, streaming {
        result.components[0].raw = .small(resultFile.head)
      }
      try publish(
        result, manifest: manifest, query: queryManifest, ledger: ledger, releases: releases,
        localData: localData, resultFile: resultFile, streamed: streaming)
    } catch let error as ExitCode {
      resultFile?.abandon()  // nothing half-written is left (a no-op once it is in place)
      throw error
    } catch {
      resultFile?.abandon()
      throw CommandFailure.report(error)
    }
  }
}

extension RunCommand {
  /// The longest vector-sum the table alone may release (above it: --out or --json).
  static let textVectorLimit = 10_000

  /// Whether every opened value of a vector-sum surely fits an Int64: n·max|bound| below
  /// 2^61 leaves more than 2^62 for the noise (which is far smaller at any usable ρ).
  static func fitsInt64(length m: Int, bounds: VectorBounds, parties n: Int) -> Bool {
    var largest: UInt64 = 0
    for j in 0..<m {
      let b = bounds.bounds(at: j)
      largest = max(largest, b.lower.magnitude, b.upper.magnitude)
    }
    return largest < (UInt64(1) << 61) / UInt64(n)
  }

  /// Logs the released result durably, then finishes `--out` and prints it (ledger.md §6:
  /// logged before it is shown). A vector-sum's values go into the document streamed, never as
  /// one object per value.
  func publish(
    _ result: QueryResult, manifest: StudyManifest, query: QueryManifest, ledger: BudgetLedger,
    releases: ReleaseLog, localData: LocalDataSummary, resultFile: ResultFile?, streamed: Bool
  ) throws {
    var output = RunOutput(
      result, query: query, study: manifest, party: site.party, badRows: localData.malformed,
      valuesFile: resultFile?.url.path, valuesFormat: resultFile?.format,
      statistics: Self.statistics(result.statistics))
    output.localData = localData
    output.seededNoise = seedNoise != nil ? true : nil
    // Components whose values this process still holds and prints inline.
    let vectors = result.components.indices.filter {
      result.components[$0].labels == nil && !streamed
    }
    func emit(_ i: Int, _ body: (ReleasedComponent.RawValues) throws -> Void) throws {
      let raw = result.components[i].raw
      let step = 1 << 15
      for start in stride(from: 0, to: raw.count, by: step) {
        let range = start..<min(raw.count, start + step)
        switch raw {
        case .small(let v): try body(.small(Array(v[range])))
        case .big(let v): try body(.big(Array(v[range])))
        }
      }
    }
    // The release log keeps a vector inline up to a limit; a longer one is in --out or was
    // printed once.
    var logged = ByteSpool(nil)
    let inline = vectors.filter {
      result.components[$0].length <= RunDocument.releaseLogVectorLimit
    }
    try RunDocument.write(output, streamed: inline, to: &logged, vectors: emit)
    let rest = resultFile.map { "all of them are in \($0.url.path) (\($0.format.rawValue))" }
    let text = ResultFormatter.text(result, query: query, study: manifest, rest: rest)
    do {
      let isCharge = { (e: LedgerEntry) in e.kind == .charge && e.queryId == query.id }
      if let charge = ledger.entries.last(where: isCharge) {
        try releases.append(
          query: query, charge: charge, parties: manifest.partyCount,
          result: String(decoding: logged.bytes, as: UTF8.self), text: text)
      }
      try resultFile?.finish(result) { spool, file in
        try RunDocument.write(
          output,
          streamed: result.components.indices.filter {
            result.components[$0].labels == nil
          }, to: &spool
        ) { i, body in
          if streamed { try file.readSpool { try body(.small($0)) } } else { try emit(i, body) }
        }
      }
    } catch {
      resultFile?.abandon()
      throw error
    }
    if json {
      var stdout = ByteSpool(FileHandle.standardOutput)
      try RunDocument.write(output, streamed: vectors, to: &stdout, vectors: emit)
      stdout.flush()
    } else {
      print(text)
    }
  }
}

/// A one-line progress indicator on a terminal (standard error), silent otherwise.
struct Progress {
  let enabled: Bool
  func say(_ text: String) {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
  }
  func done() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}

// MARK: - Statistics and raw values

extension RunCommand {
  /// The process's peak resident set size in KiB (`getrusage`, Linux units).
  static func maxResidentKiB() -> Int {
    var usage = rusage()
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
    return Int(usage.ru_maxrss)
  }

  /// CPU time (user + system) this process used so far, in seconds (`getrusage`).
  static func cpuSeconds() -> Double {
    var usage = rusage()
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// The `statistics` of `mpc run --json`.
  static func statistics(_ s: RunStatistics) -> RunOutput.Statistics {
    var phases: [String: Double] = [:]
    for phase in RunStatistics.Phase.allCases { phases[phase.rawValue] = s.seconds(of: phase) }
    var bytes: [String: Int] = [:]
    for (peer, count) in s.bytesSent { bytes[String(peer)] = count }
    return RunOutput.Statistics(
      phasesSeconds: phases, bytesSent: bytes, bytesSentTotal: s.bytesSent.values.reduce(0, +),
      maxRSSKiB: maxResidentKiB(), cpuSeconds: cpuSeconds())
  }

}
