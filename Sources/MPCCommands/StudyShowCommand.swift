import ArgumentParser
import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// `mpc study show`: what a study file says, and its fingerprint to read out between sites.
struct StudyShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show a study file: parties, t, k, budget, policy, registry and its fingerprint.",
    discussion: """
      Every site must hold the same study file. Compare the fingerprint (the study hash as hex, \
      and as eight words for reading aloud) with every other site before the first run, e.g. \
      on the phone; `mpc study verify --fingerprint …` checks one you were given.
      """)

  @Option(name: .long, help: "The study file.")
  var study: String

  @Option(
    name: .long,
    help:
      "This site's state directory, to show where its ledgers live (default: $MPC_STATE_DIR, else ~/.mpc)."
  )
  var stateDir: String?

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let manifest: StudyManifest
    do {
      manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
    } catch {
      throw CommandFailure.usage(error)
    }
    let ledgers = LedgerLocation.resolve(explicit: stateDir).directory(for: manifest).path
    do {
      if json {
        print(
          try OutputCoding.encode(StudyShowOutput(manifest, ledgers: ledgers)), terminator: "")
      } else {
        print(Self.text(manifest, ledgers: ledgers))
      }
    } catch {
      throw CommandFailure.report(error)
    }
  }

  static func text(_ s: StudyManifest, ledgers: String) -> String {
    var lines = ["study \(s.id)"]
    lines.append("  fingerprint  \(s.fingerprint.hex)")
    lines.append("  read aloud   \(s.fingerprint.words.joined(separator: " "))")
    lines.append(
      "  parties      n = \(s.partyCount), colluders t = \(s.colluders), honest k = \(s.honestCount)"
    )
    for p in s.parties {
      lines.append(
        "    \(p.id)  \(p.name)  \(p.address)  key \(Hex.encode(Array(p.publicKey.prefix(8))))…")
    }
    lines.append(
      "  budget       \(s.budget)"
        + (s.delta.map { ", reported at δ = \(PrivacyNumbers.delta($0))" } ?? ""))
    lines.append(
      "  neighbours   \(s.neighbour.rawValue), a person at up to \(s.maxSitesPerPerson) site(s)")
    lines.append("  field        \(s.field)")
    if let policy = s.policy {
      lines.append("  policy       \(policySummary(policy))")
      lines.append("  output rules \(policy.output.summary)")
    } else {
      lines.append("  policy       none")
    }
    if let r = s.registry {
      let who = r.approvers.map(\.id).joined(separator: ", ")
      lines.append(
        "  registry     \(r.threshold) of \(r.approvers.count) approvers (\(who))"
          + (r.required ? ", required for every query" : ", optional"))
    } else {
      lines.append("  registry     none (any query within the budget may run)")
    }
    lines.append("  ledgers      \(ledgers) (this site)")
    return lines.joined(separator: "\n")
  }

  static func policySummary(_ p: StudyPolicy) -> String {
    var parts: [String] = []
    if let tier = p.tier { parts.append("tier \(tier)") }
    if let c = p.maxQueryCost { parts.append("per query ≤ \(c)") }
    if let c = p.maxTotal { parts.append("total ≤ \(c)") }
    if let m = p.mechanisms {
      parts.append("mechanisms \(m.map(\.rawValue).sorted().joined(separator: ", "))")
    }
    if let n = p.neighbours {
      parts.append("neighbours \(n.map(\.rawValue).sorted().joined(separator: ", "))")
    }
    if let d = p.maxDelta { parts.append("δ ≤ \(PrivacyNumbers.delta(d))") }
    if let s = p.minSitesPerPerson { parts.append("sites per person ≥ \(s)") }
    if let k = p.minHonest { parts.append("k ≥ \(k)") }
    return parts.isEmpty ? "no limits" : parts.joined(separator: "; ")
  }
}

/// `mpc study verify`: checks the fingerprint another site read out.
struct StudyVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check that a study file has the fingerprint another site gave you.")

  @Option(name: .long, help: "The study file.")
  var study: String

  @Option(
    name: .long,
    help: "The fingerprint: its hex (at least 8 digits; spaces ignored) or its eight words.")
  var fingerprint: String

  func run() throws {
    let manifest: StudyManifest
    do {
      manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
    } catch {
      throw CommandFailure.usage(error)
    }
    if manifest.fingerprint.matches(fingerprint) {
      print("ok: \(study) has fingerprint \(manifest.fingerprint)")
    } else {
      Console.error(
        "error: \(study) has fingerprint \(manifest.fingerprint), not \"\(fingerprint)\"; "
          + "the files differ: get the study file again from its coordinator and compare again")
      throw ExitStatus.failure.code
    }
  }
}

/// `mpc study show --json`.
struct StudyShowOutput: CommandOutput {
  static let schema = "mpc.study.show/1"

  struct Party: Codable {
    var id: Int
    var name: String
    var address: String
    var publicKey: String

    enum CodingKeys: String, CodingKey {
      case id, name, address
      case publicKey = "public_key"
    }
  }

  var schema: String = Self.schema
  var id: String
  var studyHash: String
  var fingerprintWords: [String]
  var parties: [Party]
  var colluders: Int
  var honest: Int
  var budget: String
  var delta: String?
  var neighbour: String
  var maxSitesPerPerson: Int
  var field: String
  var policy: StudyPolicy?
  var registry: QueryRegistry?
  var ledgers: String

  init(_ s: StudyManifest, ledgers: String) {
    id = s.id
    studyHash = Hex.encode(s.studyHash)
    fingerprintWords = s.fingerprint.words
    parties = s.parties.map {
      Party(id: $0.id, name: $0.name, address: $0.address, publicKey: Hex.encode($0.publicKey))
    }
    colluders = s.colluders
    honest = s.honestCount
    budget = s.budget.description
    delta = s.delta?.description
    neighbour = s.neighbour.rawValue
    maxSitesPerPerson = s.maxSitesPerPerson
    field = "\(s.field)"
    policy = s.policy
    registry = s.registry
    self.ledgers = ledgers
  }

  enum CodingKeys: String, CodingKey {
    case schema, id, parties, colluders, honest, budget, delta, neighbour, field, policy
    case registry, ledgers
    case studyHash = "study_hash"
    case fingerprintWords = "fingerprint_words"
    case maxSitesPerPerson = "max_sites_per_person"
  }
}
