import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// `mpc budget`: a party's ledger.
struct BudgetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "budget",
    abstract: "Show this party's privacy-budget ledger: entries, spent and remaining.",
    discussion: """
      The ledger is verified on open (hash chain, torn last line). Every party's ledger must
      agree: compare the head hash printed here across sites.

      Example:
        mpc budget --study study.json --party 0
      """)

  @Option(name: .long, help: "The study file.")
  var study: String

  @Option(name: .long, help: "This party's id.")
  var party: Int

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    do {
      let url = URL(fileURLWithPath: study)
      let manifest = try StudyManifest.load(contentsOf: url)
      guard (0..<manifest.partyCount).contains(party) else {
        throw ValidationError(
          "--party \(party): the study has parties 0…\(manifest.partyCount - 1)")
      }
      let ledger = try BudgetLedger.open(
        directory: manifest.ledgerDirectory(relativeTo: url), partyId: party, study: manifest)
      let delta = manifest.delta.map(Double.init) ?? 1e-6
      let spentCost = manifest.budget.with(amount: ledger.spent)
      let epsilonSpent = try? spentCost.epsilon(delta: delta)
      if json {
        let entries: [[String: Any]] = ledger.entries.map { e in
          [
            "seq": e.sequence, "kind": e.kind.rawValue, "query_id": e.queryId,
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
        if case .zcdp = manifest.budget, let epsilonSpent {
          object["epsilon_spent"] = epsilonSpent
          object["delta"] = delta
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
          let q = e.queryId.padding(toLength: 20, withPad: " ", startingAt: 0)
          print(
            "\(String(e.sequence).padding(toLength: 4, withPad: " ", startingAt: 0)) "
              + "\(e.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(q)  "
              + "\(Hex.encode(e.sessionId.prefix(8)))  \(e.cost)  \(e.time)")
        }
      }
      print("spent      \(manifest.budget.unit) = \(ledger.spent)")
      print("remaining  \(manifest.budget.unit) = \(ledger.remaining) of \(manifest.budget.amount)")
      if case .zcdp = manifest.budget, let epsilonSpent {
        print("spent as (ε, δ): ε ≤ \(String(format: "%.4f", epsilonSpent)) at δ = \(delta)")
      }
      print("ledger head \(Hex.encode(ledger.head))")
    } catch let error as ValidationError {
      throw error
    } catch {
      throw CommandFailure.report(error)
    }
  }
}
