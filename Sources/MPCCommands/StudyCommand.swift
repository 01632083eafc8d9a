import ArgumentParser
import Foundation
import MPCBigInt
import MPCProtocol

/// `mpc study`: study files.
struct StudyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "study",
    abstract: "Create study files that every site then holds identically.",
    subcommands: [StudyInitCommand.self, StudyShowCommand.self, StudyVerifyCommand.self])
}

/// `mpc study init`: writes a study file.
struct StudyInitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Write a study file for n parties.",
    discussion: """
      Party ids follow the order of the --party options (0, 1, …), or of the lines of \
      --parties-file. Every site must hold an identical copy of the file: the protocol \
      refuses to run if the files differ (compare fingerprints with `mpc study show`).

      Example (three hospitals, at most one of them colluding, a zCDP budget of ρ = 1):
        mpc study init --id flu-2026 \\
          --party "St Mary's,10.0.0.1:7400,<public key of site 0>" \\
          --party "Riverside,10.0.0.2:7400,<public key of site 1>" \\
          --party "Northgate,10.0.0.3:7400,<public key of site 2>" \\
          --colluders 1 --rho 1 --delta 1e-6 --out study.json

      For many sites, a CSV file with one line per site (NAME,HOST:PORT,PUBLIC_KEY; an \
      optional header line `name,address,public_key`; '#' lines are comments):
        mpc study init --id flu-2026 --parties-file sites.csv --rho 1 --out study.json
      """)

  @Option(name: .long, help: "Study id (letters, digits, '-', '_', '.').")
  var id: String

  @Option(
    name: .customLong("party"),
    help: ArgumentHelp(
      "A party as NAME,HOST:PORT,PUBLIC_KEY; repeat in id order.", valueName: "party"))
  var parties: [String] = []

  @Option(
    name: .customLong("parties-file"),
    help: ArgumentHelp(
      "A CSV file of the parties, one NAME,HOST:PORT,PUBLIC_KEY line per site in id order.",
      valueName: "file"))
  var partiesFile: String?

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

  @Option(name: .long, help: "Where to write the study file.")
  var out: String

  @Flag(name: .long, help: "Overwrite an existing study file.")
  var force = false

  func validate() throws {
    guard (epsilon == nil) != (rho == nil) else {
      throw ValidationError("give exactly one budget: --epsilon E (pure) or --rho R (zCDP)")
    }
    guard parties.isEmpty || partiesFile == nil else {
      throw ValidationError("give the parties either as --party options or as --parties-file")
    }
    guard partiesFile != nil || parties.count >= 2 else {
      throw ValidationError("a study needs at least two --party (or a --parties-file)")
    }
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
    if let partiesFile {
      list = try Self.readPartiesFile(partiesFile)
    }
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
      delta: delta)
  }
}

extension StudyInitCommand {
  /// The parties of a `--parties-file`: CSV (quoted names may hold commas), one
  /// `NAME,HOST:PORT,PUBLIC_KEY` record per site in id order, an optional header
  /// `name,address,public_key`, blank and `#` lines skipped. Errors name the file and line;
  /// addresses and keys are then checked by the study loader (naming `parties[i]`).
  static func readPartiesFile(_ path: String) throws -> [StudyFile.Party] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CommandFailure(
        description:
          "\(path): cannot read: \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")",
        status: .usage)
    }
    var parser = CSVParser(bytes: Array(data))
    var list: [StudyFile.Party] = []
    var first = true
    while let record = parser.next() {
      let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
      if fields.allSatisfy(\.isEmpty) || fields.first?.hasPrefix("#") == true { continue }
      defer { first = false }
      if first && fields.map({ $0.lowercased() }) == ["name", "address", "public_key"] { continue }
      if let problem = record.problem {
        throw CommandFailure(description: "\(path):\(record.line): \(problem)", status: .usage)
      }
      guard fields.count == 3 else {
        throw CommandFailure(
          description: "\(path):\(record.line): expected 3 fields NAME,HOST:PORT,PUBLIC_KEY, "
            + "found \(fields.count) (quote a name that holds a comma)",
          status: .usage)
      }
      list.append(
        StudyFile.Party(id: list.count, name: fields[0], address: fields[1], publicKey: fields[2]))
    }
    guard list.count >= 2 else {
      throw CommandFailure(
        description: "\(path): a study needs at least two parties, found \(list.count)",
        status: .usage)
    }
    return list
  }
}

/// `--neighbour` of `study init`: what one person's change to the data is.
enum NeighbourArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
  case addRemove = "add-remove"
  case replaceOne = "replace-one"
}
