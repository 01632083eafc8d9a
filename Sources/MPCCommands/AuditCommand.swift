import ArgumentParser
import Foundation
import MPCCrypto
import MPCProtocol

/// `mpc audit`: the releases and spending of a party, for its privacy board.
struct AuditCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "List, verify and export the releases and spending of this party.",
    discussion: """
      Reads this party's ledger and release log (protocols/ledger.md §6) without locking or \
      writing them.

      Examples:
        mpc audit --study study.json --party 0
        mpc audit verify --study study.json --party 0
        mpc audit export --study study.json --party 0 --out report.html
        mpc audit export --study study.json --party 0 --format json --out report.json
      """,
    subcommands: [AuditListCommand.self, AuditVerifyCommand.self, AuditExportCommand.self],
    defaultSubcommand: AuditListCommand.self)
}

/// The options of every `mpc audit` subcommand.
struct AuditOptions: ParsableArguments {
  /// The same study, party and state-directory options as `mpc budget`.
  @OptionGroup var site: BudgetLedgerOptions

  /// The study and this party's files (bad input: exit 64).
  func state() throws -> AuditState {
    do {
      let (study, party) = (site.study, site.party)
      let manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
      guard (0..<manifest.partyCount).contains(party) else {
        throw CommandFailure(
          description: "--party \(party): the study has parties 0…\(manifest.partyCount - 1)",
          status: .usage)
      }
      return try AuditState.load(
        study: manifest, party: party, location: site.location)
    } catch {
      throw CommandFailure.usage(error)
    }
  }
}

/// `mpc audit` (`list`): the releases and the spending.
struct AuditListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List releases (with approvers) and spending.",
    discussion: "Exit codes: 0 listed; 1 the files fail `mpc audit verify`; 64 bad input.")

  @OptionGroup var options: AuditOptions

  func run() throws {
    let state = try options.state()
    let report = AuditReport(state)
    print("study \(report.study), party \(report.party): \(report.releases.count) release(s)")
    for r in report.releases {
      let approved =
        r.approvers.isEmpty ? "" : "  approved by \(r.approvers.joined(separator: ", "))"
      print(
        "  \(r.seq)  \(r.queryID)  \(r.time)  cost \(AuditHTML.total(r.cost))  "
          + "running total \(r.runningTotal.unit) = \(r.runningTotal.amount)\(approved)")
    }
    print("spending (ledger entries):")
    for s in report.spending {
      print(
        "  \(s.seq)  \(s.kind)  \(s.queryID)  \(s.cost)  spent after: \(s.spentAfter)  \(s.time)")
    }
    print(
      "spent \(AuditHTML.total(report.spentAsEpsilon)); remaining \(report.budget.unit) = "
        + "\(report.budget.remaining) of \(report.budget.total)")
    if !report.problems.isEmpty {
      for p in report.problems { Console.error("error: \(p)") }
      throw ExitStatus.failure.code
    }
  }
}

/// `mpc audit verify`: the two chains, and each against the other.
struct AuditVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the ledger and release-log hash chains and tie every release to its charge.",
    discussion: """
      With --peer-log (another site's releases-party-<id>.jsonl), also checks that every record \
      equals the peer's (records are identical at every party except for their times): an edit \
      that rebuilt this log's chain still differs from the other sites' logs.

      Exit codes: 0 both chains intact and every release record tied to the ledger charge that \
      paid for it (same query, session, manifest hash, mechanism, k and cost; not refunded), \
      and equal to every peer log's; 1 a problem (each is printed, naming the record); 64 bad \
      input.
      """)

  @OptionGroup var options: AuditOptions

  @Option(
    name: .long,
    help: "Another party's release log of this study (repeatable): every record must match.")
  var peerLog: [String] = []

  func run() throws {
    var state = try options.state()
    for file in peerLog {
      guard let bytes = FileManager.default.contents(atPath: file) else {
        throw CommandFailure.usage(
          ManifestError.unreadableFile(file: file, problem: "no such file or not readable"))
      }
      do {
        let peer = try ReleaseLog(store: MemoryLedgerStore(name: file, contents: Array(bytes)))
        state.problems += ReleaseLog.compare(state.records, with: try peer.all, peerName: file)
      } catch {
        state.problems.append("\(file): \(error)")
      }
    }
    if state.problems.isEmpty {
      print(
        "ok: ledger (\(state.ledger.entries.count) entries, head "
          + "\(Hex.encode(state.ledger.head.prefix(8)))…) and release log "
          + "(\(state.records.count) records) agree"
          + (peerLog.isEmpty ? "" : "; every record matches \(peerLog.count) peer log(s)"))
      return
    }
    for p in state.problems { Console.error("error: \(p)") }
    throw ExitStatus.failure.code
  }
}

/// `mpc audit export`: the board's report.
struct AuditExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write the board's report: self-contained HTML (default) or JSON.",
    discussion: """
      The HTML needs no network: styles, SVG charts and a small layout check are inline. Per \
      release: the question, the answer with its 95% intervals, the cost, the approvers, the \
      running total as (ε, δ) and the guarantee in plain words. Problems found by \
      `mpc audit verify` are printed at the top of the report (and the exit code is 1). \
      --out is refused if it exists.
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case html
    case json
  }

  @OptionGroup var options: AuditOptions

  @Option(name: .long, help: "Where to write the report (must not exist).")
  var out: String

  @Option(name: .long, help: "html or json.")
  var format: Format = .html

  func run() throws {
    let state = try options.state()
    let report = AuditReport(state)
    do {
      let text =
        format == .json ? try OutputCoding.encode(report) : AuditHTML.render(report)
      try SafeFile.create(URL(fileURLWithPath: out), bytes: Array(text.utf8), mode: 0o644)
    } catch {
      throw CommandFailure.report(error)
    }
    print(
      "wrote \(out): \(report.releases.count) release(s), \(report.spending.count) ledger entries")
    if !report.problems.isEmpty {
      for p in report.problems { Console.error("error: \(p)") }
      throw ExitStatus.failure.code
    }
  }
}
