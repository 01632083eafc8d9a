import ArgumentParser
import Foundation
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// `mpc budget repair`: cuts a torn last line (only that), after a full backup.
struct BudgetRepairCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repair",
    abstract: "Move a torn last ledger line to <ledger>.torn, after backing up the whole file.",
    discussion: """
      Only a half-written last line (a crash while charging) is cut; any other damage is \
      corruption and is refused. A torn charge never returned, so no masked value of its \
      session left this party: cutting it loses no spent budget.
      """)

  @OptionGroup var options: BudgetLedgerOptions

  func run() throws {
    do {
      let manifest = try options.manifest()
      let location = options.location
      let directory = try location.checkIdentity(study: manifest, create: false)
      let file = directory.appendingPathComponent(BudgetLedger.fileName(partyId: options.party))
      guard FileManager.default.fileExists(atPath: file.path) else {
        throw LedgerIdentityError.noLedger(studyId: manifest.id, directory: directory.path)
      }
      let releases = directory.appendingPathComponent(ReleaseLog.fileName(partyId: options.party))
      if FileManager.default.fileExists(atPath: releases.path),
        let cut = try ReleaseLog.repair(store: FileLedgerStore(path: releases.path))
      {
        print(
          "\(releases.path): cut a torn last record (\(cut.count) bytes) to \(releases.path).torn; "
            + "its result was never shown (records are written before the output)")
      }
      let stamp = ISO8601DateFormatter().string(from: Date())
        .replacingOccurrences(of: ":", with: "")
      let backup = file.path + ".backup-\(stamp)"
      guard
        let cut = try BudgetLedger.repair(
          directory: directory, partyId: options.party, backup: backup)
      else {
        // Verify the rest too, so "intact" means the whole chain.
        let ledger = try BudgetLedger.open(
          directory: directory, partyId: options.party, study: manifest)
        print(
          "\(file.path): intact (\(ledger.entries.count) entries, head "
            + "\(Hex.encode(ledger.head.prefix(8)))); nothing to repair")
        return
      }
      let text = String(decoding: cut.bytes, as: UTF8.self)
      print("\(file.path): cut torn line \(cut.line) (\(cut.bytes.count) bytes):")
      print("  \(text.trimmingCharacters(in: .newlines))")
      print("moved to   \(file.path).torn")
      print("backup     \(backup) (the file before the cut)")
      let ledger = try BudgetLedger.open(
        directory: directory, partyId: options.party, study: manifest)
      print(
        "ledger now \(ledger.entries.count) entries, spent \(manifest.budget.unit) = "
          + "\(ledger.spent), head \(Hex.encode(ledger.head))")
      print(
        "note: the cut line never completed, so its charge never returned and no masked value "
          + "of that session left this party; if other parties kept a charge for it, "
          + "`mpc budget reconcile` settles it conservatively")
    } catch let error as ValidationError {
      throw error
    } catch {
      throw CommandFailure.report(error)
    }
  }
}

/// `mpc budget reconcile`: joins forked ledgers conservatively (`protocols/ledger.md` §5).
struct BudgetReconcileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reconcile",
    abstract:
      "Settle forked ledgers and recover lost release records; nothing is written without --apply.",
    discussion: """
      Give the other parties' ledger files (they hold costs, session ids and hashes, no data) \
      with --peer-ledger, or keep them in this party's ledger directory. A session charged at \
      any party and not released there stands for everyone; one released by every party that \
      charged it is settled as released. Every party applies the same reconcile entry, after \
      which the heads agree again. Forks that are not only charges and releases (another study \
      version, entries that differ otherwise) are refused with a report. With \
      --peer-releases (or the other parties' release logs in this directory), release records \
      this party lost (a torn last record cut by `mpc budget repair`) are copied from a peer's \
      log, each only for a session whose masked value left this party (protocols/ledger.md \
      §6.2).
      """)

  @OptionGroup var options: BudgetLedgerOptions

  @Option(name: .long, help: "Another party's ledger file (repeatable).")
  var peerLedger: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Another party's release log (releases-party-<id>.jsonl, repeatable): records this "
        + "party lost are copied from it."))
  var peerReleases: [String] = []

  @Flag(name: .long, help: "Append the reconcile entry (default: report only).")
  var apply = false

  func run() throws {
    do {
      let manifest = try options.manifest()
      let opened = try options.location.open(
        study: manifest, partyId: options.party, create: false)
      let (directory, count) = (opened.directory, manifest.partyCount)
      let ledgers = explicitOrBeside(peerLedger, directory, count, BudgetLedger.fileName)
      let logs = explicitOrBeside(peerReleases, directory, count, ReleaseLog.fileName)
      guard !ledgers.isEmpty || !logs.isEmpty else {
        throw CommandFailure(
          description:
            "no peer ledgers or release logs: give them with --peer-ledger (each party's "
            + "ledger-party-<id>.jsonl) or --peer-releases (releases-party-<id>.jsonl)")
      }
      if !ledgers.isEmpty { try reconcileLedgers(opened.ledger, peers: ledgers, manifest) }
      if !logs.isEmpty {
        let releases = try ReleaseLog.open(directory: opened.directory, partyId: options.party)
        try recoverReleases(releases, peers: logs, ledger: opened.ledger)
      }
    } catch let error as ValidationError {
      throw error
    } catch {
      throw CommandFailure.report(error)
    }
  }

  /// `explicit`, or the files `name(j)` in `directory` of the other of `count` parties that
  /// exist.
  private func explicitOrBeside(
    _ explicit: [String], _ directory: URL, _ count: Int, _ name: (Int) -> String
  ) -> [String] {
    guard explicit.isEmpty else { return explicit }
    return (0..<count).filter { $0 != options.party }.map {
      directory.appendingPathComponent(name($0)).path
    }.filter { FileManager.default.fileExists(atPath: $0) }
  }

  private func reconcileLedgers(
    _ ledger: BudgetLedger, peers paths: [String], _ manifest: StudyManifest
  ) throws {
    // Peers' files are read, never locked or written.
    let peers = try paths.map { path -> BudgetLedger in
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure(description: "\(path): cannot read")
      }
      return try BudgetLedger(
        store: MemoryLedgerStore(name: path, contents: Array(data)), study: manifest)
    }
    let all = [ledger] + peers
    print("ledgers of study \(manifest.id):")
    for (name, l) in zip([ledger.name] + paths, all) {
      print(
        "  \(Hex.encode(l.head.prefix(8)))  spent \(l.spent)  \(l.entries.count) entries  \(name)"
      )
    }
    guard let plan = try LedgerReconciler.plan(all) else {
      print("every head agrees: nothing to reconcile")
      return
    }
    print("sessions in dispute:")
    for s in plan.sessions {
      let here = ledger.isOpen(queryId: s.queryId, sessionId: s.sessionId)
      print(
        "  \(s.queryId) session \(Hex.encode(s.sessionId.prefix(8)))  \(s.cost)  "
          + (s.stands ? "stands (kept by at least one party)" : "released by every party")
          + (s.stands && !here ? "; charged again here" : ""))
    }
    print(
      "spent here \(ledger.spent) → \(plan.spent.amount) (\(manifest.budget.unit)); "
        + "every party ends with \(plan.spent.amount)")
    if let last = ledger.entries.last, last.reconciliation == plan {
      print("this party already appended this reconcile entry (seq \(last.sequence))")
      return
    }
    guard apply else {
      print("nothing written; run again with --apply (at every party) to append this entry")
      return
    }
    let entry = try ledger.reconcile(plan)
    print("appended reconcile entry seq \(entry.sequence); head now \(Hex.encode(ledger.head))")
  }

  /// Copies the release records this party lost (a torn last record cut by `mpc budget
  /// repair`) from the longest peer log that has them (`protocols/ledger.md` §6.2).
  private func recoverReleases(
    _ releases: ReleaseLog, peers paths: [String], ledger: BudgetLedger
  ) throws {
    print("release log \(releases.name): \(releases.count) record(s)")
    var best: ReleaseLog.Recovery?
    var bestPath = ""
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure(description: "\(path): cannot read")
      }
      let peer = try ReleaseLog(store: MemoryLedgerStore(name: path, contents: Array(data)))
      let records = try peer.all
      let found = try releases.recover(from: records, peerName: path, ledger: ledger)
      print("  \(path): \(records.count) record(s); \(found.records.count) missing here")
      if let refusal = found.refusal { print("    not taken: \(refusal)") }
      if found.records.count > (best?.records.count ?? 0) {
        best = found
        bestPath = path
      }
    }
    guard let best, !best.records.isEmpty else {
      print("no release record is missing here")
      return
    }
    for r in best.records {
      print(
        "  record \(r.sequence): query \(r.queryId), session "
          + "\(Hex.encode(r.sessionId.prefix(8))), released \(r.time) (this party's masked value "
          + "of that session had left it)")
    }
    guard apply else {
      print("nothing written; run again with --apply to copy these record(s) from \(bestPath)")
      return
    }
    try releases.adopt(best.records)
    print(
      "copied \(best.records.count) record(s) from \(bestPath); a re-run of "
        + best.records.map(\.queryId).joined(separator: ", ")
        + " now shows the stored result here too")
  }
}
