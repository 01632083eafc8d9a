import ArgumentParser
import Foundation
import Logging
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
      Every site runs the same command at about the same time, each with its own --party, \
      --key and --data, and the same study and query files. The parties check that they hold \
      identical study and query files and ledgers, charge the budget durably, exchange masked \
      uploads over encrypted links and open only the noised result.

      --out FILE writes the released values as they are opened (csv, the \
      mpc.run/2 JSON document, or int64), to FILE.partial until the run \
      succeeded; a vector-sum longer than 10,000 needs --out or --json. A \
      summary of the local data is printed on standard error before the run \
      (also in --json mode, and as local_data in the JSON); it is never sent.

      Exit codes: 0 result printed; 1 the query failed (a peer, the budget, the network, the \
      data; the message names which); 64 bad flags or unreadable input files, or a query the \
      study's registry or policy refuses. With --dry-run: 0 the run would go ahead, 1 it would \
      be refused (the rule is named, and for a cost the largest parameter that would pass); \
      130 interrupted by SIGINT or SIGTERM (the other sites were told; the message says \
      whether this site's charge stands).

      Examples:
        mpc run --study study.json --party 0 --key site0.key --data site0.csv --query count.json
        mpc run --dry-run --study study.json --party 0 --key site0.key --data site0.csv \\
          --query count.reg.json
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

  @OptionGroup(title: "Logging")
  var logging: LogOptions

  @Option(
    name: .long,
    help: "This site's state directory, holding its ledgers (default: $MPC_STATE_DIR, else ~/.mpc)."
  )
  var stateDir: String?

  @Flag(name: .long, help: "Accept a Gaussian share σ below 1.2, down to 1/2 (weak KLS21 bound).")
  var force = false

  @Flag(name: .long, help: "Print JSON (schema mpc.run/2) instead of the table.")
  var json = false

  @Flag(
    name: .long,
    help: """
      Check study, query, policy, approvals and this site's data locally and print what the run \
      would charge and its accuracy; no network activity, nothing charged or written.
      """)
  var dryRun = false

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
    help: "The progress line on standard error: auto (only on a terminal), always or never.")
  var progress: ProgressMode = .auto

  @Flag(name: .long, help: "No progress line (the same as --progress never).")
  var quiet = false

  /// Whether this run shows its progress line.
  var showsProgress: Bool {
    !quiet && progress.isEnabled(stderrIsTerminal: Console.stderrIsTerminal)
  }

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Testing only: seed this party's noise PRG with 32 bytes (64 hex digits); only in a "
        + "test study, and announced to the peers.", visibility: .hidden))
  var seedNoise: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "synth only: where to write the model (default: beside the ledger, "
        + "synth-model-<query id>-party-<id>.json)."))
  var model: String?

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
    FaultInjection.install()
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
    var registered: RegisteredQuery?
    // Once the study and this site's own key are loaded, a local failure is still told to the
    // other sites (a reason code for `stage`, no data), so they stop at once (query.md).
    var known: (StudyManifest, X25519.KeyPair)?
    var stage = ReasonCode.manifestMismatch
    let runPlan: RunPlan
    var resultFile: ResultFile?
    var synthRows: SynthRows?
    var synthModelURL: URL?
    var log: Logger
    do { log = try logging.logger(command: "run") } catch { throw CommandFailure.usage(error) }
    log[metadataKey: "party"] = "\(party)"
    do {
      manifest = try StudyManifest.load(contentsOf: studyURL)
      log[metadataKey: "study"] = "\(manifest.id)"
      guard (0..<manifest.partyCount).contains(party) else {
        throw CommandFailure(
          description: "--party \(party): the study has parties 0…\(manifest.partyCount - 1)")
      }
      identity = try KeyFile.load(URL(fileURLWithPath: key))
      guard identity.publicKey == manifest.parties[party].publicKey else {
        throw CommandFailure(
          description:
            "\(key) is not the key pinned for party \(party) (\(manifest.parties[party].name)) "
            + "in \(study): its public key is \(Hex.encode(identity.publicKey)), the study pins "
            + "\(Hex.encode(manifest.parties[party].publicKey))")
      }
      known = (manifest, identity)
      log.debug(
        "study and key loaded",
        metadata: [
          "step": "load", "study_file": "\(study)", "fingerprint": "\(manifest.fingerprint.hex)",
          "parties": "\(manifest.partyCount)",
        ])
      let queryData: Data
      if let query {
        guard let data = FileManager.default.contents(atPath: query) else {
          throw ManifestError.unreadableFile(file: query, problem: "no such file or not readable")
        }
        queryData = data
      } else {
        queryData = Data((queryInline ?? "").utf8)
      }
      (queryManifest, registered) = try Governance.decodeQuery(
        queryData, file: query ?? "--query-inline")
      log[metadataKey: "query"] = "\(queryManifest.id)"
      log.debug(
        "query read",
        metadata: [
          "step": "load", "kind": "\(queryManifest.kind.name)",
          "mechanism": "\(queryManifest.mechanism.rawValue)",
        ])
      // Registry approvals and policy standards, before anything is sent or charged (DESIGN §8).
      // (A dry run reports a refusal instead: below.)
      if !dryRun {
        approvers = try Governance.admit(
          study: manifest, query: queryManifest, registered: registered)
      }
      if !approvers.isEmpty {
        Console.error(
          "note: query \(queryManifest.id) is approved by \(approvers.joined(separator: ", "))")
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
      stage = .localData
      let dataURL = URL(fileURLWithPath: data)
      if case .synth(let synth) = queryManifest.kind {
        synthRows = try SynthRows.load(query: synth, csv: dataURL)
        input = .adaptive(rows: synthRows?.rows.count ?? 0)
        if dryRun {
          throw CommandFailure(description: "--dry-run is not available for synth queries yet")
        }
      } else if case .vectorSum = queryManifest.kind {
        input = try LocalData.loadVector(
          query: queryManifest, from: dataURL, format: vectorFormat.format)
      } else {
        input = try LocalData.load(query: queryManifest, csv: dataURL)
      }
      log.debug("data read", metadata: ["step": "data", "data_file": "\(data)"])
      if dryRun {
        log.info("dry run: nothing sent or charged", metadata: ["step": "dry-run"])
        try performDryRun(
          study: manifest, party: party, query: queryManifest, registered: registered,
          input: input)
        return
      }
      // The run plan (calibration and noise tables) follows from the study and the query
      // alone. A site without a ledger for this study cannot hold a stored result either, so
      // a plan it refuses (e.g. a Gaussian share σ below 1.2 without --force) is refused
      // before its ledger is created; a site with one checks for a replay first (below).
      let plannedRun = Result { try RunPlan(study: manifest, query: queryManifest, force: force) }
      let location = LedgerLocation.resolve(explicit: stateDir)
      if case .failure(let error) = plannedRun,
        !FileManager.default.fileExists(
          atPath: location.directory(for: manifest).appendingPathComponent(
            BudgetLedger.fileName(partyId: party)
          ).path)
      {
        stage = .manifestMismatch
        throw error
      }
      stage = .ledgerMismatch
      let opened = try location.open(study: manifest, partyId: party, create: true)
      ledger = opened.ledger
      log.debug(
        "ledger opened",
        metadata: [
          "step": "ledger", "ledger": "\(ledger.name)", "spent": "\(ledger.spent)",
          "remaining": "\(ledger.remaining)",
        ])
      // A run of this site that stopped (killed, power lost) between its charge and its first
      // masked value: nothing of it left, so nothing was opened with it (ledger.md §3.1).
      for released in try ledger.releaseUnsentCharges() {
        Console.error(
          "note: released the charge of \(released.queryId) (session "
            + "\(Hex.encode(released.sessionId.prefix(8)))): a run at this site stopped after "
            + "its charge and before any masked value left this site")
      }
      releases = try ReleaseLog.open(directory: opened.directory, partyId: party)
      // A query id reused with another definition is the query's fault, not the ledger's.
      stage = .manifestMismatch
      if let stored = try releases.stored(for: queryManifest),
        let partial = Self.synthPartial(stored, query: queryManifest)
      {
        throw partial
      }
      stage = .ledgerMismatch
      synthModelURL = self.synthModelURL(directory: opened.directory, query: queryManifest)
      if let stored = try releases.stored(for: queryManifest) {
        // Released before: the same answer again, no session, no charge (ledger.md §6).
        log.info(
          "stored result shown again, nothing charged",
          metadata: [
            "step": "replay", "session": "\(Hex.encode(stored.sessionId))",
            "released": "\(stored.time)",
          ])
        Console.error(
          "note: query \(queryManifest.id) was released on \(stored.time) (session "
            + "\(Hex.encode(stored.sessionId.prefix(8)))); showing the stored result, nothing "
            + "charged. A new answer needs a new query id.")
        var object =
          (try? JSONSerialization.jsonObject(with: Data(stored.result.utf8)) as? [String: Any])
          ?? [:]
        object["replayed"] = ["time": stored.time, "session": Hex.encode(stored.sessionId)]
        // The log keeps the result without this site's own keys (ledger.md §6).
        object.merge(
          ReleasedText.localKeys(party: party, badRows: input.badRowCount)
        ) { kept, _ in kept }
        let document = try Console.json(object: object)
        if let out {
          try ResultFile.writeStored(
            try OutputCoding.decode(RunOutput.self, from: Data(document.utf8)), json: document,
            path: out, format: format)
          Console.error("note: wrote the stored result to \(out) (\(format.rawValue))")
        }
        if json {
          print(document)
        } else {
          print(
            stored.text
              + BarChart.text(storedResult: stored.result, width: BarChart.terminalWidth()))
        }
        return
      }
      if let out, synthRows == nil { resultFile = try ResultFile(path: out, format: format) }
      if opened.created {
        Console.error(
          "note: first query of study \(manifest.id) at this site: created party \(party)'s "
            + "ledger \(ledger.name) (budget \(manifest.budget))")
      }
      // Decidable from this site's own ledger, so decided before connecting (the admission
      // check at every party repeats it, DESIGN §5).
      stage = .budgetExhausted
      let cost = try queryManifest.plan(for: manifest, file: query ?? "--query-inline").cost
      if cost.amount > ledger.remaining {
        throw LedgerError.budgetExhausted(
          spent: ledger.spent, total: manifest.budget.amount, cost: cost.amount)
      }
      // The run plan (calibration and noise tables) follows from the study and the query
      // alone, so its refusals (e.g. a Gaussian share σ below 1.2 without --force) are decided
      // here too: bad input, the same exit status as `mpc privacy plan`.
      stage = .manifestMismatch
      runPlan = try plannedRun.get()
    } catch let error as ExitCode {
      throw error
    } catch {
      log.error("refused before connecting: \(error)", metadata: ["step": "check"])
      let code = CommandFailure.usage(error)
      // A dry run never touches the network, not even to tell the others it cannot run.
      if !dryRun, let (manifest, identity) = known {
        await Self.tellPeers(
          study: manifest, party: party, identity: identity, options: network.networkOptions(),
          code: stage, timeout: .seconds(network.timeout))
      }
      throw code
    }
    // This site's data summary, before anything is sent (stderr: stdout holds the result); a
    // synth run prints its own (RunCommand+Synth).
    let localData = LocalDataSummary(input, query: queryManifest, file: data)
    if synthRows == nil {
      for line in localData.lines(maxBadRows: queryManifest.maxBadRows) { Console.error(line) }
    }
    // From here on SIGINT and SIGTERM stop the run and tell the other sites.
    let signals = SignalWatch.start()
    if let synthRows, let synthModelURL {
      do {
        try await runSynth(
          manifest: manifest, query: queryManifest, rows: synthRows, identity: identity,
          ledger: ledger, releases: releases, modelURL: synthModelURL, signals: signals,
          approvers: approvers, registered: registered)
      } catch let error as ExitCode {
        throw error
      } catch {
        throw CommandFailure.report(error)
      }
      return
    }
    do {
      let progress = Progress(enabled: showsProgress)
      progress.connecting(peers: manifest.partyCount - 1)
      log.info(
        "connecting",
        metadata: [
          "step": "connect", "peers": "\(manifest.partyCount - 1)",
          "connect_timeout_s": "\(network.connectTimeout)", "timeout_s": "\(network.timeout)",
        ])
      let options = network.networkOptions(linkUp: { progress.linkUp($0) })
      let seed = seedNoise
      if seed != nil {
        Console.error(
          "warning: --seed-noise makes this party's DP noise predictable (announced to the "
            + "peers; test studies only)")
      }
      // A vector-sum streams to --out as it is opened; nothing of it is kept in memory.
      var isVector = false
      if case .vectorSum = queryManifest.kind { isVector = true }
      let streaming = resultFile != nil && isVector
      let streamFile = streaming ? resultFile : nil
      // The whole noise share (query.md §1.2) is drawn before any link comes up, so no peer can
      // time the samplers; the runner then draws nothing from its noise source.
      var noiseKey = try seed.map { try ChaCha20PRG(seedHex: $0) } ?? .freshlyKeyed()
      let noiseShare = NoiseShare(runPlan, using: &noiseKey)
      let entriesBefore = ledger.entries.count
      let current = CurrentTransport()
      let (timeout, chosenForce) = (network.timeout, force)
      var result: QueryResult
      let linkLog = log
      do {
        let connectStarted = ContinuousClock.now
        result = try await Self.interruptibly(signals, current: current) {
          try await NetworkTransport.withLinks(
            study: manifest, partyID: party, identity: identity, options: options
          ) { transport in
            current.set(transport)
            FaultInjection.reached("links-up")
            let connected = ContinuousClock.now - connectStarted
            progress.say("connected; running \(queryManifest.id)…")
            linkLog.info("links up; running the query", metadata: ["step": "run"])
            var setup = PartySetup(
              study: manifest, query: queryManifest, input: input, ledger: ledger,
              timeout: .seconds(timeout), force: chosenForce)
            setup.runPlan = runPlan
            if let streamFile, let component = runPlan.components.first {
              streamFile.halfWidth = component.noise.intervalHalfWidth
              setup.openedSink = streamFile.sink(component: component.component.name)
              // A short vector is also kept, for the release log (a replay returns it).
              setup.keepsOpenedValues =
                component.component.dimension <= RunDocument.releaseLogVectorLimit
            }
            setup.seededNoise = seed != nil
            setup.progress = { progress.report($0) }
            setup.noiseShare = noiseShare
            // The share was drawn above; the runner draws nothing from this source.
            var noiseSource = ChaCha20PRG.freshlyKeyed()
            var session = SystemRandom()
            var result = try await QueryRunner.run(
              setup, transport: FaultInjection.wrap(transport), noise: &noiseSource,
              session: &session)
            result.statistics.add(connected, to: .connect)
            return result
          }
        }
      } catch {
        progress.done()
        let connected = current.get() != nil
        log.error(
          "run failed: \(error)",
          metadata: ["step": connected ? "run" : "connect", "connected": "\(connected)"])
        let code: ExitCode
        if let interrupted = error as? Interrupted {
          Console.error(
            "error: interrupted by \(interrupted.name); "
              + (connected
                ? "told the other sites that this site stops (cancelled)"
                : "no link was up yet, so no other site was told"))
          code = ExitStatus.interrupted.code
        } else {
          code = CommandFailure.report(
            connected ? Self.explain(error, study: manifest) : network.explain(error))
        }
        Console.error(Self.chargeNote(ledger, since: entriesBefore, query: queryManifest))
        if !connected,
          let note = Self.lostReleaseNote(
            ledger, releases: releases, query: queryManifest, party: party,
            partyCount: manifest.partyCount)
        {
          Console.error(note)
        }
        throw code
      }
      progress.done()
      log[metadataKey: "session"] = "\(Hex.encode(result.sessionID))"
      log.info(
        "opened and charged",
        metadata: [
          "step": "release", "cost": "\(result.cost)", "spent": "\(result.spent)",
          "remaining": "\(result.remaining)",
          "seconds":
            "\(RunStatistics.Phase.allCases.map(result.statistics.seconds(of:)).reduce(0, +))",
        ])
      if let settled = result.reconciliation {
        Console.error(
          "note: the sites' ledgers differed after an earlier abort and were reconciled first: "
            + "\(settled.sessions.filter(\.stands).count) of \(settled.sessions.count) disputed "
            + "session(s) kept as charged (protocols/ledger.md §5)")
      }
      if let resultFile, streaming, result.components[0].raw.count != result.components[0].length {
        result.components[0].raw = .small(resultFile.head)
      }
      try publish(
        result, manifest: manifest, query: queryManifest, ledger: ledger, releases: releases,
        localData: localData, resultFile: resultFile, streamed: streaming, approvers: approvers,
        registered: registered)
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
    releases: ReleaseLog, localData: LocalDataSummary, resultFile: ResultFile?, streamed: Bool,
    approvers: [String], registered: RegisteredQuery?
  ) throws {
    var output = RunOutput(
      result, query: query, study: manifest, party: site.party, badRows: localData.malformed,
      valuesFile: resultFile?.url.path, valuesFormat: resultFile?.format,
      statistics: Self.statistics(result.statistics), rules: manifest.policy?.output)
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
    let inline = result.components.indices.filter {
      let c = result.components[$0]
      return c.labels == nil && c.length <= RunDocument.releaseLogVectorLimit
        && c.raw.count == c.length
    }
    try RunDocument.write(output, streamed: inline, to: &logged, vectors: emit)
    let rest = resultFile.map { "all of them are in \($0.url.path) (\($0.format.rawValue))" }
    let text = ReleasedText.text(
      output, result: result, query: query, study: manifest, rest: rest)
    do {
      let isCharge = { (e: LedgerEntry) in e.kind == .charge && e.queryId == query.id }
      if let charge = ledger.entries.last(where: isCharge) {
        try releases.append(
          query: query, charge: charge, parties: manifest.partyCount,
          result: try ReleasedText.sharedResult(String(decoding: logged.bytes, as: UTF8.self)),
          text: text, approvers: approvers, registered: registered)
      }
      FaultInjection.reached("released")
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
      print(
        text
          + BarChart.text(
            output.components.map(BarChart.ChartComponent.init),
            width: BarChart.terminalWidth()))
    }
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
