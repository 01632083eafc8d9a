import ArgumentParser
import Foundation
import Logging
import MPCCrypto
import MPCNetwork
import MPCProtocol

/// `mpc doctor`: checks the links of a study without touching data.
struct DoctorCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check every peer: reachable, pinned key, same version, same study file.",
    discussion: """
      Touches no data and spends no budget. Run it at every site at about the same time \
      (lower party ids dial higher ones, as in a run). Prints one line per peer with the fix \
      for each failure; exits 0 only if every peer is fine. --connect-timeout bounds how long \
      it waits for peers to come up (default 60 s, as for run).

      Example:
        mpc doctor --study study.json --party 0 --key site0.key
        mpc doctor --study study.json --party 2 --key site2.key --listen 0.0.0.0:7400
      """)

  @OptionGroup(title: "Site")
  var site: SiteOptions

  @OptionGroup(title: "Network")
  var network: NetworkArguments

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  @OptionGroup(title: "Logging")
  var logging: LogOptions

  func run() async throws {
    let manifest: StudyManifest
    let identity: X25519.KeyPair
    let party = site.party
    do {
      manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: site.study))
      guard (0..<manifest.partyCount).contains(party) else {
        throw CommandFailure(
          description: "--party \(party): the study has parties 0…\(manifest.partyCount - 1)")
      }
      identity = try KeyFile.load(URL(fileURLWithPath: site.key))
    } catch {
      throw CommandFailure.usage(error)
    }
    var log: Logger
    do { log = try logging.logger(command: "doctor") } catch { throw CommandFailure.usage(error) }
    log[metadataKey: "study"] = "\(manifest.id)"
    log[metadataKey: "party"] = "\(party)"
    log.info(
      "checking peers",
      metadata: ["step": "doctor", "peers": "\(manifest.partyCount - 1)"])
    let statuses: [PeerStatus]
    do {
      statuses = try await NetworkDoctor.check(
        study: manifest, partyID: party, identity: identity, options: network.networkOptions())
    } catch {
      log.error("peer check failed: \(error)", metadata: ["step": "doctor"])
      throw CommandFailure.report(network.explain(error))
    }
    for s in statuses {
      log.log(
        level: s.isOK ? .info : .warning, "peer \(s.peer): \(s.outcome.rawValue)",
        metadata: [
          "step": "doctor", "peer": "\(s.peer)", "address": "\(s.address)", "detail": "\(s.detail)",
        ])
    }
    if json {
      print(
        try OutputCoding.encode(DoctorOutput(study: manifest, party: party, statuses: statuses)),
        terminator: "")
    } else {
      print("study \(manifest.id), fingerprint \(manifest.fingerprint.hex)")
      print("party \(party) (\(manifest.parties[party].name)), \(MPCVersion.description)")
      for s in statuses {
        let mark = s.isOK ? "ok  " : "FAIL"
        print("\(mark) party \(s.peer) \(s.name) at \(s.address): \(s.detail)")
        if let fix = s.fix { print("     fix: \(fix)") }
      }
    }
    if !statuses.allSatisfy(\.isOK) { throw ExitStatus.failure.code }
  }
}

/// `mpc doctor --json`: one entry per peer.
struct DoctorOutput: CommandOutput {
  static let schema = "mpc.doctor/1"

  /// One peer's outcome.
  struct Peer: Codable, Hashable {
    var peer: Int
    var name: String
    var address: String
    var outcome: String
    var version: String?
    var detail: String
    var fix: String?
  }

  var schema: String
  var study: String
  /// The study fingerprint (`mpc study show`), to compare between sites.
  var fingerprint: String
  var party: Int
  var version: String
  var peers: [Peer]

  init(study: StudyManifest, party: Int, statuses: [PeerStatus]) {
    schema = Self.schema
    self.study = study.id
    fingerprint = study.fingerprint.hex
    self.party = party
    version = MPCVersion.description
    peers = statuses.map {
      Peer(
        peer: $0.peer, name: $0.name, address: $0.address, outcome: $0.outcome.rawValue,
        version: $0.peerVersion, detail: $0.detail, fix: $0.fix)
    }
  }
}
