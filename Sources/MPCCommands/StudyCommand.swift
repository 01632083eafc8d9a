import ArgumentParser
import Foundation
import MPCBigInt
import MPCProtocol

/// `mpc study`: study files.
struct StudyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "study",
    abstract: "Create study files that every site then holds identically.",
    subcommands: [StudyInitCommand.self])
}

/// `mpc study init`: writes a study file.
struct StudyInitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Write a study file for n parties.",
    discussion: """
      Party ids follow the order of the --party options (0, 1, …). Every site must hold an
      identical copy of the file: the protocol refuses to run if the files differ.

      Example (three hospitals, at most one of them colluding, a zCDP budget of ρ = 1):
        mpc study init --id flu-2026 \\
          --party "St Mary's,10.0.0.1:7400,<public key of site 0>" \\
          --party "Riverside,10.0.0.2:7400,<public key of site 1>" \\
          --party "Northgate,10.0.0.3:7400,<public key of site 2>" \\
          --colluders 1 --rho 1 --delta 1e-6 --out study.json
      """)

  @Option(name: .long, help: "Study id (letters, digits, '-', '_', '.').")
  var id: String

  @Option(
    name: .customLong("party"),
    help: ArgumentHelp(
      "A party as NAME,HOST:PORT,PUBLIC_KEY; repeat in id order.", valueName: "party"))
  var parties: [String] = []

  @Option(name: .long, help: "t: how many parties may collude (1 ≤ t ≤ n − 1).")
  var colluders: Int = 1

  @Option(name: .long, help: "auto, m61, m89, m107, m127, or a prime.")
  var field = "auto"

  @Option(name: .long, help: "add-remove or replace-one.")
  var neighbour: NeighbourArgument = .addRemove

  @Option(
    name: .customLong("max-sites-per-person"), help: "At how many sites one person may appear.")
  var maxSites = 1

  @Option(name: .long, help: "Total pure-ε budget (for laplace queries).")
  var epsilon: String?

  @Option(name: .long, help: "Total zCDP budget ρ (gaussian and laplace queries).")
  var rho: String?

  @Option(name: .long, help: "δ for reporting zCDP as (ε, δ).")
  var delta = "1e-6"

  @Option(name: .long, help: "Ledger directory, relative to the study file.")
  var ledger = "ledger"

  @Option(name: .long, help: "Where to write the study file.")
  var out: String

  @Flag(name: .long, help: "Overwrite an existing study file.")
  var force = false

  func validate() throws {
    guard (epsilon == nil) != (rho == nil) else {
      throw ValidationError("give exactly one budget: --epsilon E (pure) or --rho R (zCDP)")
    }
    guard parties.count >= 2 else { throw ValidationError("a study needs at least two --party") }
  }

  func run() throws {
    do {
      let data = try studyFile().encoded()
      // Validate through the same loader every site will use: an invalid study is bad input.
      let study: StudyManifest
      do {
        study = try StudyManifest.decode(data, file: out)
      } catch {
        throw CommandFailure(description: "\(error)", status: .usage)
      }
      try SafeFile.create(
        URL(fileURLWithPath: out), bytes: Array(data), mode: 0o644, overwrite: force)
      print(
        "wrote \(out): study \(study.id), \(study.partyCount) parties, t = \(study.colluders), "
          + "k = \(study.honestCount), budget \(study.budget), field \(study.field)")
    } catch {
      throw CommandFailure.report(error)
    }
  }

  func studyFile() throws -> StudyFile {
    var list: [StudyFile.Party] = []
    for (index, text) in parties.enumerated() {
      let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard parts.count >= 3 else {
        throw ValidationError(
          "--party #\(index + 1) \"\(text)\": expected NAME,HOST:PORT,PUBLIC_KEY")
      }
      let key = parts[parts.count - 1].trimmingCharacters(in: .whitespaces)
      let address = parts[parts.count - 2].trimmingCharacters(in: .whitespaces)
      let name = parts[0..<(parts.count - 2)].joined(separator: ",").trimmingCharacters(
        in: .whitespaces)
      list.append(StudyFile.Party(id: index, name: name, address: address, publicKey: key))
    }
    return StudyFile(
      id: id, parties: list, colluders: colluders, field: field, neighbour: neighbour.rawValue,
      maxSitesPerPerson: maxSites, budget: epsilon.map { ["epsilon": $0] } ?? ["rho": rho ?? ""],
      delta: delta, ledger: ledger)
  }
}

/// `--neighbour` of `study init`: what one person's change to the data is.
enum NeighbourArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
  case addRemove = "add-remove"
  case replaceOne = "replace-one"
}
