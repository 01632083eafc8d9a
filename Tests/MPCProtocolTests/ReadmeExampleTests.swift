import Foundation
import MPCCrypto
import MPCProtocol
import Testing

/// The embedding example of README ("Embedding: a whole study in one process"): the region
/// between the markers is the README's block without its imports, which are this file's
/// imports but `Testing` (`.ci/check-readme-example.py`, run by `make lint`, compares them), so
/// the checks of its results, which need more, are in `ReadmeExampleTests+Checks.swift`.
@Suite struct ReadmeExampleTests {
  @Test func readmeExampleRuns() async throws {
    // --- README example begins ---
    // A study file as `mpc study init` writes it (placeholder keys: nothing leaves the process).
    let studyJSON = """
      {"id": "flu-2026", "colluders": 1, "field": "auto", "neighbour": "add-remove",
       "budget": {"rho": "1"}, "delta": "1e-6", "ledger": "ledger",
       "parties": [
         {"id": 0, "name": "A", "address": "a.example:7400", "public_key": "\(String(repeating: "01", count: 32))"},
         {"id": 1, "name": "B", "address": "b.example:7400", "public_key": "\(String(repeating: "02", count: 32))"},
         {"id": 2, "name": "C", "address": "c.example:7400", "public_key": "\(String(repeating: "03", count: 32))"}]}
      """
    let study = try StudyManifest.decode(Data(studyJSON.utf8), file: "study.json")
    let query = try QueryManifest.decode(
      Data(
        #"{"id": "q1", "kind": "count", "where": {"column": "sex", "equals": "F"}, "rho": "1/20"}"#
          .utf8),
      file: "query.json")
    let sites = ["sex\nF\nM\nF\n", "sex\nF\nF\n", "sex\nM\nF\nF\nF\n"]  // each site's private CSV

    var random = SystemRandom()
    let network = InMemoryNetwork(partyCount: 3, using: &random)
    let results = try await withThrowingTaskGroup(of: QueryResult.self) { group in
      for i in 0..<3 {
        let input = try LocalData.load(
          query: query, csv: Array(sites[i].utf8), file: "site\(i).csv")
        let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: study)
        let setup = PartySetup(study: study, query: query, input: input, ledger: ledger)
        group.addTask {
          var noise = SystemRandom()
          var session = SystemRandom()
          return try await QueryRunner.run(
            setup, transport: network.endpoint(i), noise: &noise, session: &session)
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    let count = results[0].components[0].values[0]
    print(
      "women: \(count.value), 95% interval [\(count.lower), \(count.upper)], ρ left \(results[0].remaining)"
    )
    // --- README example ends ---
    Self.check(results, trueCount: 7)
  }
}
