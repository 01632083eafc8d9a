import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCNetwork
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

      Exit codes: 0 result printed; 1 the query failed (a peer, the budget, the network, the
      data; the message names which); 64 bad flags or unreadable input files.

      Examples:
        mpc run --study study.json --party 0 --key site0.key --data site0.csv --query count.json
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

  @Flag(name: .long, help: "Accept a Gaussian share σ below 1.2, down to 1/2 (weak KLS21 bound).")
  var force = false

  @Flag(name: .long, help: "Print JSON instead of the table.")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Testing only: seed this party's noise PRG with 32 bytes (64 hex digits).",
      visibility: .hidden))
  var seedNoise: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Testing only: write the raw opened values to this file as little-endian int64 (8 bytes "
        + "each, in order) and leave them out of the JSON.", visibility: .hidden))
  var valuesOut: String?

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
        return
      }
      if opened.created {
        Console.error(
          "note: first query of study \(manifest.id) at this site: created party \(party)'s "
            + "ledger \(ledger.name) (budget \(manifest.budget))")
      }
    } catch {
      throw CommandFailure.usage(error)
    }
    Self.reportBadInput(input, query: queryManifest, data: data)
    do {
      let progress = Progress(enabled: Console.stderrIsTerminal && !json)
      progress.say("connecting to \(manifest.partyCount - 1) peer(s)…")
      let options = network.networkOptions()
      if seedNoise != nil {
        Console.error(
          "warning: --seed-noise makes this party's DP noise predictable; "
            + "for testing and benchmarks only, never with real data")
      }
      // The run plan (noise tables included) and the whole noise share (query.md §1.2) are
      // made while the links come up, so the samplers' time hides behind the connection.
      let (planStudy, planQuery, planForce, seed) = (manifest, queryManifest, force, seedNoise)
      let planning = Task {
        let plan = try RunPlan(study: planStudy, query: planQuery, force: planForce)
        var source = try seed.map { try ChaCha20PRG(seedHex: $0) } ?? .freshlyKeyed()
        return (plan, NoiseShare(plan, using: &source))
      }
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
        (setup.runPlan, setup.noiseShare) = try await planning.value
      } catch {
        // The plan follows from the study and the query alone (e.g. a Gaussian share σ below
        // 1.2 without --force): bad input, the same exit status as `mpc privacy plan`.
        await transport.close()
        throw CommandFailure(description: "\(error)", status: .usage)
      }
      // The share was drawn above; the runner draws nothing from this source.
      var noiseSource = ChaCha20PRG.freshlyKeyed()
      var session = SystemRandom()
      let result: QueryResult
      do {
        result = try await QueryRunner.run(
          setup, transport: transport, noise: &noiseSource, session: &session)
      } catch {
        await transport.close()
        throw error
      }
      await transport.close()
      progress.done()
      if let settled = result.reconciliation {
        Console.error(
          "note: the sites' ledgers differed after an earlier abort and were reconciled first: "
            + "\(settled.sessions.filter(\.stands).count) of \(settled.sessions.count) disputed "
            + "session(s) kept as charged (protocols/ledger.md §5)")
      }
      // The released result as `--json` prints it (values, or the file they went to).
      let output = RunOutput(
        result, query: queryManifest, study: manifest, party: party,
        badRows: input.badRowCount, valuesFile: valuesOut,
        statistics: Self.statistics(result.statistics))
      let resultJSON = try OutputCoding.encode(output)
      // (A long vector written to --values-out in --json mode is not rendered as text.)
      let text =
        json && valuesOut != nil
        ? "released values of \(queryManifest.id) were written to \(valuesOut ?? "")"
        : ResultFormatter.text(result, query: queryManifest, study: manifest)
      // Logged durably before it is shown, so a lost output can be read again (ledger.md §6).
      let isCharge = { (e: LedgerEntry) in e.kind == .charge && e.queryId == queryManifest.id }
      if let charge = ledger.entries.last(where: isCharge) {
        try releases.append(
          query: queryManifest, charge: charge, parties: manifest.partyCount,
          result: resultJSON, text: text)
      }
      if let valuesOut {
        try Self.writeValues(result, to: URL(fileURLWithPath: valuesOut))
      }
      if json {
        print(resultJSON, terminator: "")
      } else {
        print(text)
      }
    } catch let error as ExitCode {
      throw error
    } catch {
      throw CommandFailure.report(error)
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

  /// Writes every released coordinate's raw opened value as a little-endian int64, in order
  /// (the bench reads them back); fails if one does not fit 64 bits.
  static func writeValues(_ result: QueryResult, to url: URL) throws {
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
      throw CommandFailure(description: "--values-out: cannot create \(url.path)")
    }
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    for component in result.components {
      guard case .small(var values) = component.raw else {
        throw CommandFailure(
          description: "--values-out: component \(component.name) has values beyond 64 bits; "
            + "read them from the JSON output instead")
      }
      if UInt64(1).littleEndian != 1 { values = values.map(\.littleEndian) }
      // Straight from the array's storage: no copy of the vector.
      try values.withUnsafeBytes { try handle.write(contentsOf: $0) }
    }
  }

}

extension RunCommand {
  /// The local summary of rows that did not parse (shown at this site only, never sent): they
  /// contributed 0 and the run goes on (`protocols/query.md`, "Data-dependent decisions").
  static func reportBadInput(_ input: LocalVector, query: QueryManifest, data: String) {
    if input.badRowCount > 0 {
      let lines = input.badRows.map { "\($0.line) (\($0.problem))" }.joined(separator: ", ")
      Console.error(
        "note: \(input.badRowCount) unparseable row(s) in \(data) counted as 0, first at line "
          + lines + "; this is reported here only, never sent, and never stops the run "
          + "(a stop would reveal the data without a charge)")
      if input.exceedsExpectedBadRows(of: query) {
        Console.error(
          "warning: more unparseable rows than the query's max_bad_rows "
            + "(\(query.maxBadRows)); check \(data) before the next query")
      }
    }
    if input.saturatedCount > 0 {
      Console.error(
        "note: \(input.saturatedCount) local total(s) exceeded the signed 64-bit range and were "
          + "clamped to it")
    }
  }
}
