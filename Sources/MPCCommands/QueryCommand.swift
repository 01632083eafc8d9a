import ArgumentParser
import Foundation
import MPCCrypto
import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// `mpc query`: registered queries (approvals by the study's registry, DESIGN §8).
struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query",
    abstract: "Sign, verify and show registered queries (approvals of the study's registry).",
    discussion: """
      A registered query is the query manifest with a purpose text and a use-case id, signed \
      by the approvers the study's registry pins (`protocols/manifest.md` "Registry"). Each \
      approver signs in turn with the key made by `mpc keygen --signing`; `mpc run` at every \
      site checks the signatures before anything is sent or charged.

      Examples:
        mpc query sign --query count.json --study study.json --key ethics-1.key \\
          --purpose "Monthly ICU admissions for the flu report" --use-case flu-report \\
          --out count.reg.json
        mpc query sign --query count.reg.json --study study.json --key legal-1.key \\
          --out count.reg.json
        mpc query verify --query count.reg.json --study study.json
        mpc query show --query count.reg.json
      """,
    subcommands: [QuerySignCommand.self, QueryVerifyCommand.self, QueryShowCommand.self])

  /// Reads a query file: a bare query or a registered one.
  static func load(_ path: String) throws -> (query: QueryManifest, registered: RegisteredQuery?) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ManifestError.unreadableFile(file: path, problem: "no such file or not readable")
    }
    return try Governance.decodeQuery(data, file: path)
  }

  /// The study file, which must have a registry.
  static func studyWithRegistry(_ path: String) throws -> (StudyManifest, QueryRegistry) {
    let study = try StudyManifest.load(contentsOf: URL(fileURLWithPath: path))
    guard let registry = study.registry else {
      throw CommandFailure(
        description: "\(path): study \(study.id) has no registry (no approvers to sign for)",
        status: .usage)
    }
    return (study, registry)
  }

  /// Lines describing a verification.
  static func verificationLines(_ v: RegisteredQuery.Verification, registry: QueryRegistry)
    -> [String]
  {
    var lines = [
      "signed by    \(v.valid.isEmpty ? "nobody valid" : v.valid.joined(separator: ", "))"
    ]
    for r in v.rejected { lines.append("not counted  \(r.approver): \(r.problem)") }
    let missing = registry.approvers.map(\.id).filter { !v.valid.contains($0) }
    lines.append(
      "threshold    \(v.valid.count) of \(v.threshold) required: "
        + (v.approved
          ? "met" : "NOT met (may still sign: \(missing.joined(separator: ", ")))"))
    return lines
  }
}

/// `mpc query sign`: adds this approver's signature to a registered query file.
struct QuerySignCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sign",
    abstract: "Add an approver's signature to a query (making it a registered query).",
    discussion: """
      --query is a bare query file (then --purpose and --use-case are required) or a registered \
      query signed by other approvers (then they are taken from it; giving different ones is \
      refused, since it would void the other signatures). The signature is over the study id, \
      the canonical query, the purpose and the use case. --out may name the input file, which \
      is then replaced atomically; any other existing file is refused.

      Exit codes: 0 signed; 64 bad flags or files, or a key that is not an approver's.
      """)

  @Option(name: .long, help: "The query file (bare or registered).")
  var query: String

  @Option(name: .long, help: "The study file (its registry pins the approvers).")
  var study: String

  @Option(name: .long, help: "This approver's signing key (mpc keygen --signing).")
  var key: String

  @Option(name: .long, help: "What the query is for (required for a bare query).")
  var purpose: String?

  @Option(name: .long, help: "The use-case id of the board's register (required for a bare query).")
  var useCase: String?

  @Option(name: .long, help: "Where to write the signed query file.")
  var out: String

  func run() throws {
    do {
      let (manifest, registry) = try QueryCommand.studyWithRegistry(study)
      let (bare, registeredIn) = try QueryCommand.load(query)
      var registered: RegisteredQuery
      if let registeredIn {
        for (flag, given, kept) in [
          ("--purpose", purpose, registeredIn.purpose),
          ("--use-case", useCase, registeredIn.useCase),
        ] where given != nil && given != kept {
          throw CommandFailure(
            description:
              "\(flag) differs from the one \(query) was signed with (\"\(kept)\"); changing it "
              + "would void the existing signatures: leave \(flag) out, or start from the bare query",
            status: .usage)
        }
        registered = registeredIn
      } else {
        guard let purpose, let useCase else {
          throw CommandFailure(
            description: "\(query) is a bare query: give --purpose and --use-case to register it",
            status: .usage)
        }
        // Validated like a file's (non-empty purpose, use-case id syntax).
        let text = try RegisteredQuery(query: bare, purpose: purpose, useCase: useCase).encoded()
        registered = try RegisteredQuery.decode(text, file: "--purpose/--use-case")
      }
      let pair = try SigningKeyFile.load(URL(fileURLWithPath: key))
      guard let approver = registry.approvers.first(where: { $0.publicKey == pair.publicKey })
      else {
        throw CommandFailure(
          description:
            "\(key) (public key \(Hex.encode(pair.publicKey))) is not an approver of study "
            + "\(manifest.id); its registry pins "
            + registry.approvers.map(\.id).joined(separator: ", "),
          status: .usage)
      }
      registered = registered.signed(by: approver.id, key: pair, studyID: manifest.id)
      let outURL = URL(fileURLWithPath: out)
      let inPlace =
        outURL.standardizedFileURL.path == URL(fileURLWithPath: query).standardizedFileURL.path
      let bytes = Array(try registered.encoded())
      if inPlace {
        let temporary = URL(fileURLWithPath: out + ".\(getpid()).tmp")
        try SafeFile.create(temporary, bytes: bytes, mode: 0o644)
        guard rename(temporary.path, out) == 0 else {
          throw CommandFailure(description: "cannot replace \(out): errno \(errno)")
        }
      } else {
        try SafeFile.create(outURL, bytes: bytes, mode: 0o644)
      }
      let v = registered.verify(against: registry, studyID: manifest.id)
      print("signed \(bare.id) as \(approver.id); wrote \(out)")
      for line in QueryCommand.verificationLines(v, registry: registry) { print(line) }
    } catch {
      throw CommandFailure.usage(error)
    }
  }
}

/// `mpc query verify`: who signed, and whether the study would admit the query.
struct QueryVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check a query's signatures and the study policy: would every site admit it?",
    discussion: """
      Prints the approvers whose signatures are valid, the ones that do not count and why, and \
      whether the registry's threshold is met; then the policy check.

      Exit codes: 0 every site would admit the query; 1 it would be refused (signatures \
      missing or not matching, or a policy rule: the message names which); 64 bad flags or \
      files.
      """)

  @Option(name: .long, help: "The query file (registered or bare).")
  var query: String

  @Option(name: .long, help: "The study file.")
  var study: String

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let manifest: StudyManifest
    let bare: QueryManifest
    let registered: RegisteredQuery?
    do {
      manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
      (bare, registered) = try QueryCommand.load(query)
    } catch {
      throw CommandFailure.usage(error)
    }
    var lines = ["query \(bare.id) (\(query)) for study \(manifest.id)"]
    var output = QueryVerifyOutput(queryID: bare.id, study: manifest.id)
    if let registry = manifest.registry {
      if let registered {
        let v = registered.verify(against: registry, studyID: manifest.id)
        lines += QueryCommand.verificationLines(v, registry: registry)
        output.signers = v.valid
        output.rejected = v.rejected.map { .init(approver: $0.approver, problem: $0.problem) }
        output.threshold = v.threshold
        output.thresholdMet = v.approved
      } else {
        lines.append("signed by    nobody: a bare query, not registered")
        output.threshold = registry.threshold
        output.thresholdMet = false
      }
      if !registry.required { lines.append("registry     optional for this study") }
    } else {
      lines.append("registry     none: the study runs any query within the budget")
    }
    do {
      try Governance.admit(study: manifest, query: bare, registered: registered)
      lines.append("admitted     yes: every site would run it")
      output.admitted = true
    } catch {
      lines.append("admitted     NO: \(error)")
      output.admitted = false
      output.refusal = "\(error)"
    }
    do {
      print(
        json ? try OutputCoding.encode(output) : lines.joined(separator: "\n"),
        terminator: json ? "" : "\n")
    } catch {
      throw CommandFailure.report(error)
    }
    if !output.admitted { throw ExitStatus.failure.code }
  }
}

/// `mpc query verify --json`.
struct QueryVerifyOutput: CommandOutput {
  static let schema = "mpc.query.verify/1"

  struct Rejected: Codable {
    var approver: String
    var problem: String
  }

  var schema: String = Self.schema
  var queryID: String
  var study: String
  var signers: [String] = []
  var rejected: [Rejected] = []
  var threshold: Int?
  var thresholdMet: Bool?
  var admitted = false
  var refusal: String?

  enum CodingKeys: String, CodingKey {
    case schema, study, signers, rejected, threshold, admitted, refusal
    case queryID = "query_id"
    case thresholdMet = "threshold_met"
  }
}

/// `mpc query show`: a query's definition, hash and fingerprint.
struct QueryShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show a query file: its definition, query hash and fingerprint, and signatures.",
    discussion: """
      The query hash is BLAKE2b-256 over "swift-mpc/query/v1" and the canonical query record \
      (`protocols/manifest.md` §4); its fingerprint is for reading aloud between sites and \
      approvers. With --study, also the digest approvers sign for that study.
      """)

  @Option(name: .long, help: "The query file (bare or registered).")
  var query: String

  @Option(name: .long, help: "A study file, to show the signing digest for it.")
  var study: String?

  func run() throws {
    do {
      let (bare, registered) = try QueryCommand.load(query)
      var lines = ["query \(bare.id) (\(bare.kind.name))"]
      lines.append("  query hash   \(Hex.encode(bare.queryHash))")
      lines.append("  fingerprint  \(bare.fingerprint.hex)")
      lines.append("  read aloud   \(bare.fingerprint.words.joined(separator: " "))")
      if let registered {
        lines.append("  purpose      \(registered.purpose)")
        lines.append("  use case     \(registered.useCase)")
        let who = registered.signatures.map(\.approver)
        lines.append("  signatures   \(who.isEmpty ? "none" : who.joined(separator: ", "))")
      } else {
        lines.append("  registration none (a bare query: `mpc query sign` registers it)")
      }
      if let study {
        let manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
        let digest = (registered ?? RegisteredQuery(query: bare, purpose: "", useCase: ""))
          .signingDigest(studyID: manifest.id)
        lines.append(
          "  signing digest for study \(manifest.id): "
            + (registered == nil ? "(needs a purpose and use case)" : Hex.encode(digest)))
      }
      lines.append("  definition")
      let definition = try ReleaseRecord.definition(of: bare)
      let pretty = try JSONSerialization.data(
        withJSONObject: try JSONSerialization.jsonObject(with: Data(definition.utf8)),
        options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
      lines += String(decoding: pretty, as: UTF8.self).split(separator: "\n").map { "    \($0)" }
      print(lines.joined(separator: "\n"))
    } catch {
      throw CommandFailure.usage(error)
    }
  }
}
