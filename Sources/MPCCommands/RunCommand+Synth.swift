import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCNetwork
import MPCPrivacy
import MPCProtocol

/// `mpc run` of a `synth` query (issue 20): three rounds over one admission through the
/// adaptive runner, each released round appended to the release log as it opens, then the
/// model (identical at every site) written beside the ledger and, with `--out`, a synthetic
/// CSV of the model's total row count.
extension RunCommand {
  /// The release-log kind of a synth round's record and of its model's record.
  static let synthRoundKind = "synth-round"
  static let synthModelKind = "synth-model"

  /// A stored synth release that is only some rounds (the run aborted later): its id cannot
  /// be run again (the rounds released under it stay released).
  static func synthPartial(_ stored: ReleaseRecord, query: QueryManifest) -> CommandFailure? {
    guard case .synth = query.kind, stored.result.contains("\"\(synthRoundKind)\"") else {
      return nil
    }
    return CommandFailure(
      description:
        "query \(query.id) stopped after some of its rounds were released (\(stored.text)); "
        + "they stay in the release log and the charge stands. A new model needs a new query id.")
  }

  /// The model file of `query` beside the ledger, unless `--model` names one.
  func synthModelURL(directory: URL, query: QueryManifest) -> URL {
    if let model { return URL(fileURLWithPath: model) }
    return directory.appendingPathComponent("synth-model-\(query.id)-party-\(site.party).json")
  }

  /// Runs the synth query (after the local checks of `run()`), prints and writes its results.
  func runSynth(
    manifest: StudyManifest, query: QueryManifest, rows: SynthRows, identity: X25519.KeyPair,
    ledger: BudgetLedger, releases: ReleaseLog, modelURL: URL, signals: SignalWatch,
    approvers: [String], registered: RegisteredQuery?
  ) async throws {
    let synth = try SynthRun.synthQuery(query)
    let party = site.party
    // This site's own summary (stderr, never sent): what went to `other` instead of a refusal.
    Console.error(
      "local synth data \(data): \(rows.rows.count) row(s); \(rows.malformedRecords) malformed "
        + "record(s) and \(rows.unparsedValues) empty or unparseable number(s) counted as "
        + "`other` (this summary stays at this site)")
    let progress = Progress(enabled: showsProgress)
    progress.connecting(peers: manifest.partyCount - 1)
    let options = network.networkOptions(linkUp: { progress.linkUp($0) })
    let seed = seedNoise
    let entriesBefore = ledger.entries.count
    let current = CurrentTransport()
    let (timeout, chosenForce) = (network.timeout, force)
    let layout = SynthRun.layout(query: synth, rows: rows)
    let parties = manifest.partyCount
    let result: AdaptiveResult
    do {
      result = try await Self.interruptibly(signals, current: current) {
        try await NetworkTransport.withLinks(
          study: manifest, partyID: party, identity: identity, options: options
        ) { transport in
          current.set(transport)
          progress.say("connected; running \(query.id) (3 rounds)…")
          var setup = PartySetup(
            study: manifest, query: query, input: .adaptive(rows: rows.rows.count),
            ledger: ledger, timeout: .seconds(timeout), force: chosenForce)
          setup.seededNoise = seed != nil
          let runner = try AdaptiveQueryRunner(setup, transport: transport, layout: layout)
          var noise = try seed.map { try ChaCha20PRG(seedHex: $0) } ?? .freshlyKeyed()
          var session = SystemRandom()
          return try await runner.run(noise: &noise, session: &session) { release in
            // Durably logged before the next round starts (ledger.md §6).
            guard
              let charge = ledger.entries.last(where: {
                $0.kind == .charge && $0.queryId == query.id
              })
            else { throw CommandFailure(description: "no charge of \(query.id) in the ledger") }
            let values = release.raw.map(\.description).joined(separator: ",")
            try releases.append(
              query: query, charge: charge, parties: parties,
              result: "{\"kind\":\"\(Self.synthRoundKind)\",\"round\":\(release.round + 1),"
                + "\"values\":[\(values)]}",
              text: "synth \(query.id): round \(release.round + 1) of 3 released "
                + "(\(release.raw.count) values)",
              approvers: approvers, registered: registered)
          }
        }
      }
    } catch {
      progress.done()
      let connected = current.get() != nil
      let code: ExitCode
      if let interrupted = error as? Interrupted {
        Console.error("error: interrupted by \(interrupted.name)")
        code = ExitStatus.interrupted.code
      } else {
        code = CommandFailure.report(
          connected ? Self.explain(error, study: manifest) : network.explain(error))
      }
      Console.error(Self.chargeNote(ledger, since: entriesBefore, query: query))
      throw code
    }
    progress.done()
    // Post-processing, identical at every site.
    let model = try SynthRun.model(query: query, result: result)
    let fingerprint = try model.fingerprint()
    try SynthFiles.writeAtomically(Array(try model.canonicalJSON()), to: modelURL.path)
    guard let charge = ledger.entries.last(where: { $0.kind == .charge && $0.queryId == query.id })
    else { throw CommandFailure(description: "no charge of \(query.id) in the ledger") }
    let names = model.columns.map(\.name)
    let treeText = model.tree.map { "\(names[$0.a])–\(names[$0.b])" }.joined(separator: ", ")
    try releases.append(
      query: query, charge: charge, parties: parties,
      result: "{\"kind\":\"\(Self.synthModelKind)\",\"fingerprint\":\"\(fingerprint)\","
        + "\"model\":\(String(decoding: try model.canonicalJSON(), as: UTF8.self))}",
      text: "synth \(query.id): model released (tree \(treeText); fingerprint "
        + "\(fingerprint.prefix(16))…)",
      approvers: approvers, registered: registered)
    // The synthetic file: the model's total rows, seeded by the session (the same at every site).
    var fidelity: SynthFidelity?
    let total = max(1, Int(model.rootWeights.reduce(0, +)))
    let sampleSeed = result.sessionID.prefix(8).enumerated().reduce(UInt64(0)) {
      $0 | (UInt64($1.element) << (8 * UInt64($1.offset)))
    }
    if let out {
      let sampler = try SynthSampler(model: model)
      let sampled = try sampler.sample(rows: total, seed: sampleSeed)
      try SynthFiles.writeAtomically(sampler.csv(sampled), to: out)
      fidelity = SynthFidelity(model: model, rows: sampled)
    }
    let seconds = result.roundTimes.map {
      Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
    }
    if json {
      struct Document: Encodable {
        var schema = "mpc.synth/1"
        var query: String
        var session: String
        var party: Int
        var rounds: Int
        var roundSeconds: [Double]
        var cost: String
        var spent: String
        var remaining: String
        var tree: [[String]]
        var fingerprint: String
        var modelFile: String
        var syntheticFile: String?
        var syntheticRows: Int?
        var sampleSeed: UInt64
        var fidelity: SynthFidelity?
      }
      print(
        try SynthFiles.json(
          Document(
            query: query.id, session: Hex.encode(result.sessionID), party: party,
            rounds: result.rounds.count, roundSeconds: seconds, cost: "\(result.cost)",
            spent: "\(result.spent)", remaining: "\(result.remaining)",
            tree: model.tree.map { [names[$0.a], names[$0.b]] }, fingerprint: fingerprint,
            modelFile: modelURL.path, syntheticFile: out, syntheticRows: out.map { _ in total },
            sampleSeed: sampleSeed, fidelity: fidelity)))
    } else {
      print("synth \(query.id): 3 rounds released over one charge of \(result.cost)")
      for (r, s) in seconds.enumerated() {
        print(
          "  round \(r + 1): \(result.rounds[r].raw.count) values, \(String(format: "%.3f", s)) s")
      }
      print("  tree: \(treeText)")
      print("  model: \(modelURL.path) (fingerprint \(fingerprint))")
      if let out { print("  synthetic rows: \(total) in \(out) (seed \(sampleSeed))") }
      print("  budget: spent \(result.spent), remaining \(result.remaining)")
      if let fidelity { print(fidelity.text) }
    }
  }
}
