import ArgumentParser
import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol

/// `mpc doctor`: checks the links of a study without touching data.
struct DoctorCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check every peer: reachable, pinned key, same version, same study file.",
    discussion: """
      Touches no data and spends no budget. Run it at every site at about the same time
      (lower party ids dial higher ones, as in a run). Prints one line per peer with the fix
      for each failure; exits 0 only if every peer is fine.

      Example:
        mpc doctor --study study.json --party 0 --key site0.key
      """)

  @Option(name: .long, help: "The study file.")
  var study: String

  @Option(name: .long, help: "This site's party id.")
  var party: Int

  @Option(name: .long, help: "This site's private key file.")
  var key: String

  @Option(name: .long, help: "Seconds to wait for peers to come up.")
  var timeout: Int = 30

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() async throws {
    let manifest: StudyManifest
    let identity: X25519.KeyPair
    do {
      manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
      identity = try KeyFile.load(URL(fileURLWithPath: key))
    } catch {
      Console.error("error: \(error)")
      throw ExitCode(64)
    }
    let statuses: [PeerStatus]
    do {
      statuses = try await NetworkDoctor.check(
        study: manifest, partyID: party, identity: identity,
        options: NetworkOptions(
          connectDeadline: .seconds(timeout), softwareVersion: MPCVersion.description))
    } catch {
      throw CommandFailure.report(error)
    }
    if json {
      let list: [[String: Any]] = statuses.map { s in
        [
          "peer": s.peer, "name": s.name, "address": s.address, "outcome": s.outcome.rawValue,
          "version": s.peerVersion ?? NSNull(), "detail": s.detail, "fix": s.fix ?? NSNull(),
        ]
      }
      print(try Console.json(object: ["study": manifest.id, "party": party, "peers": list]))
    } else {
      print(
        "study \(manifest.id), party \(party) (\(manifest.parties[party].name)), \(MPCVersion.description)"
      )
      for s in statuses {
        let mark = s.isOK ? "ok  " : "FAIL"
        print("\(mark) party \(s.peer) \(s.name) at \(s.address): \(s.detail)")
        if let fix = s.fix { print("     fix: \(fix)") }
      }
    }
    if !statuses.allSatisfy(\.isOK) { throw ExitCode(1) }
  }
}
