import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// `mpc budget`: a party's ledger (show, repair, reconcile).
struct BudgetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "budget",
    abstract: "Show, repair or reconcile this party's privacy-budget ledger.",
    discussion: """
      A site keeps its ledgers in its state directory (--state-dir, else $MPC_STATE_DIR, else \
      ~/.mpc), under ledgers/<study id>-<8 hex of the study hash>/, whatever the study file's \
      location or its `ledger` key. Every party's ledger must agree: compare the head hash \
      printed by `mpc budget show` across sites.

      Examples:
        mpc budget --study study.json --party 0
        mpc budget repair --study study.json --party 0
        mpc budget reconcile --study study.json --party 0 --peer-ledger ledger-party-1.jsonl
      """,
    subcommands: [BudgetShowCommand.self, BudgetRepairCommand.self, BudgetReconcileCommand.self],
    defaultSubcommand: BudgetShowCommand.self)
}

/// The options every `mpc budget` subcommand takes.
struct BudgetLedgerOptions: ParsableArguments {
  @Option(name: .long, help: "The study file.")
  var study: String

  @Option(name: .long, help: "This party's id.")
  var party: Int

  @Option(
    name: .long,
    help: "This site's state directory (default: $MPC_STATE_DIR, else ~/.mpc).")
  var stateDir: String?

  /// The study, checked against --party.
  func manifest() throws -> StudyManifest {
    let manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
    guard (0..<manifest.partyCount).contains(party) else {
      throw ValidationError("--party \(party): the study has parties 0…\(manifest.partyCount - 1)")
    }
    return manifest
  }

  var location: LedgerLocation { LedgerLocation.resolve(explicit: stateDir) }
}

/// `mpc budget show` (the default).
struct BudgetShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show this party's ledger: entries, spent, remaining and the head hash.")

  @OptionGroup var options: BudgetLedgerOptions

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let party = options.party
    do {
      let manifest = try options.manifest()
      let ledger: BudgetLedger
      do {
        ledger = try options.location.open(study: manifest, partyId: party, create: false).ledger
      } catch LedgerIdentityError.noLedger(let id, let directory) {
        // Nothing was charged here yet: show the empty ledger the first query will create.
        Console.error(
          "note: no ledger for study \(id), party \(party) at this site yet (\(directory)); "
            + "the first `mpc run` creates it")
        ledger = try BudgetLedger(store: MemoryLedgerStore(name: directory), study: manifest)
      }
      let spentPrivacy = ledger.spentPrivacy(study: manifest)
      if json {
        let entries: [[String: Any]] = ledger.entries.map { e in
          [
            "seq": e.sequence, "kind": e.kind.rawValue, "query_id": e.queryId,
            "sessions_settled": e.reconciliation?.sessions.count ?? 0,
            "session_id": Hex.encode(e.sessionId), "mechanism": e.mechanism.rawValue,
            "cost": e.cost.amount.description, "unit": e.cost.unit, "time": e.time,
            "hash": Hex.encode(e.hash),
          ]
        }
        var object: [String: Any] = [
          "study": manifest.id, "party": party, "unit": manifest.budget.unit,
          "total": manifest.budget.amount.description, "spent": ledger.spent.description,
          "remaining": ledger.remaining.description, "head": Hex.encode(ledger.head),
          "entries": entries,
        ]
        if let spentPrivacy {
          object["epsilon_spent"] = spentPrivacy.epsilon
          object["delta"] = Double(spentPrivacy.delta)
          object["delta_table"] = Double(spentPrivacy.tableDelta)
        }
        print(try Console.json(object: object))
        return
      }
      print("study \(manifest.id), party \(party) (\(manifest.parties[party].name))")
      if ledger.entries.isEmpty {
        print("no entries")
      } else {
        print("seq  kind     query                 session           cost")
        for e in ledger.entries {
          if let r = e.reconciliation {
            print(
              "\(String(e.sequence).padding(toLength: 4, withPad: " ", startingAt: 0)) reconcile "
                + "\(r.sessions.count) session(s) settled, \(r.heads.count) heads joined; "
                + "spent now \(r.spent)  \(e.time)")
            continue
          }
          let q = e.queryId.padding(toLength: 20, withPad: " ", startingAt: 0)
          print(
            "\(String(e.sequence).padding(toLength: 4, withPad: " ", startingAt: 0)) "
              + "\(e.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(q)  "
              + "\(Hex.encode(e.sessionId.prefix(8)))  \(e.cost)  \(e.time)")
        }
      }
      print("spent      \(manifest.budget.unit) = \(PrivacyNumbers.rho(ledger.spent))")
      print(
        "remaining  \(manifest.budget.unit) = \(PrivacyNumbers.rho(ledger.remaining)) of "
          + PrivacyNumbers.rho(manifest.budget.amount))
      if let p = spentPrivacy {
        print(
          "spent as (ε, δ): ε ≤ \(PrivacyNumbers.epsilon(p.epsilon)) at "
            + p.deltaText)
      }
      print("ledger head \(Hex.encode(ledger.head))")
    } catch let error as ValidationError {
      throw error
    } catch {
      throw CommandFailure.report(error)
    }
  }
}
