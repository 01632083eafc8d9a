public import MPCCrypto
public import MPCProtocol
import NIOCore

/// What `mpc doctor` learned about one peer.
public struct PeerStatus: Sendable, Equatable {
  /// The outcome of the check.
  public enum Outcome: String, Sendable, Equatable, CaseIterable {
    /// Reachable, proved its pinned key, same study file, same version.
    case ok
    /// No link within the deadline (not running, wrong address, firewall).
    case unreachable
    /// The peer did not prove the key pinned for it (or refused ours).
    case keyMismatch = "key-mismatch"
    /// The peer is in another study or claims another party id.
    case wrongStudy = "wrong-study"
    /// The link works but the peer's study file differs.
    case studyDiffers = "study-differs"
    /// The link works and the study agrees, but the peer runs another software version.
    case versionDiffers = "version-differs"
    /// Any other failure (see ``PeerStatus/detail``).
    case failed
  }

  /// The peer's id.
  public var peer: Int
  /// The peer's name in the study file.
  public var name: String
  /// The address checked.
  public var address: String
  /// The outcome.
  public var outcome: Outcome
  /// The peer's software version, when the link came up.
  public var peerVersion: String?
  /// True when the peer answered from a `mpc run` rather than `mpc doctor`.
  public var peerIsRunning: Bool
  /// One line on what was found.
  public var detail: String
  /// What to do about it; nil when the outcome is ``Outcome/ok``.
  public var fix: String?

  /// True when nothing needs fixing.
  public var isOK: Bool { outcome == .ok }
}

/// The `mpc doctor` probe (`protocols/channel.md` §5): without data, opens a link to every
/// peer exactly as a run does (which proves the pinned keys), exchanges software versions and
/// study hashes in the encrypted preface, and reports each peer with a fix.
///
/// Every peer must run `mpc doctor` (or `mpc run`) at the same time: lower ids dial higher ones
/// as in a run. A peer that is in a run answers the probe without being disturbed.
public enum NetworkDoctor {
  /// The study hash compared by the probe: BLAKE2b-256 over `swift-mpc/study/v1` and the
  /// study's canonical value (`protocols/manifest.md`).
  public static func studyHash(_ study: StudyManifest) -> [UInt8] {
    LinkPreface.studyHash(study)
  }

  /// Checks every peer of `study` from party `partyID`, waiting up to
  /// `options.connectDeadline` for peers that are not up yet; one status per peer, in id order.
  /// Throws only for local problems: an unknown party id, a key that is not the one pinned for
  /// `partyID`, an invalid address, or an address this party cannot listen on.
  public static func check(
    study: StudyManifest, partyID: Int, identity: X25519.KeyPair,
    options: NetworkOptions = NetworkOptions()
  ) async throws -> [PeerStatus] {
    let factory = try LinkFactory(
      study: study, partyID: partyID, identity: identity, options: options, mode: .doctor)
    return try await factory.withLinkSet(policy: .doctor) { set in
      // A peer that did not come up is reported from what the table recorded for it.
      try? await set.table.waitUntilSettled(deadline: set.deadline)
      await set.stopListening()
      let found = set.table.close()
      return (0..<study.partyCount).filter { $0 != partyID }.map { peer in
        let dialed = peer > partyID
        let address = dialed ? factory.dialAddress(peer) : study.parties[peer].address
        let result: Result<Link, any Error>
        if let link = found.links[peer] {
          result = .success(link)
        } else if let failure = found.failures[peer] {
          // A definitive failure names the peer; an unauthenticated one names the address.
          result = .failure(
            dialed && failure.isDefinitive
              ? NetworkError.link(peer: peer, address: address, step: .connect, error: failure)
              : failure)
        } else {
          result = .failure(
            NetworkError.peerUnreachable(
              peer: peer, address: address, step: dialed ? .connect : .awaitLinks,
              seconds: options.connectDeadline.seconds,
              lastError: dialed ? found.lastAttempt[peer] : nil))
        }
        return status(peer: peer, result: result, factory: factory)
      }
    }
  }

  static func status(peer: Int, result: Result<Link, any Error>, factory: LinkFactory)
    -> PeerStatus
  {
    let party = factory.study.parties[peer]
    let address = peer > factory.me ? factory.dialAddress(peer) : party.address
    var status = PeerStatus(
      peer: peer, name: party.name, address: address, outcome: .ok, peerVersion: nil,
      peerIsRunning: false, detail: "", fix: nil)
    let who = "party \(peer) (\(party.name))"
    switch result {
    case .success(let link):
      let theirs = link.preface
      let ours = factory.preface
      status.peerVersion = theirs.softwareVersion
      status.peerIsRunning = theirs.mode == .run
      let running = status.peerIsRunning ? "; it is running a query" : ""
      if theirs.studyHash != ours.studyHash {
        status.outcome = .studyDiffers
        status.detail =
          "reachable and key verified, but its study file differs (study hash "
          + "\(Hex.encode(theirs.studyHash.prefix(8)))…, here \(Hex.encode(ours.studyHash.prefix(8)))…)"
          + running
        status.fix =
          "distribute one study file to every site; compare `mpc doctor` study hashes at both"
      } else if theirs.softwareVersion != ours.softwareVersion {
        status.outcome = .versionDiffers
        status.detail =
          "reachable, key verified, same study; it runs mpc \(theirs.softwareVersion), "
          + "here \(ours.softwareVersion)" + running
        status.fix = "install the same mpc version at every site"
      } else {
        status.detail =
          "reachable, key verified, same study, mpc \(theirs.softwareVersion)" + running
      }
    case .failure(let error):
      status.detail = describe(error)
      guard let error = error as? NetworkError else {
        status.outcome = .failed
        status.fix = "run `mpc doctor` again at both sites"
        return status
      }
      var cause = error.underlying
      if case .unauthenticated(_, _, _, let failure) = cause { cause = failure.underlying }
      switch cause {
      case .peerUnreachable, .handshakeTimeout:
        status.outcome = .unreachable
        status.fix =
          "start `mpc doctor` (or `mpc run`) at \(who) at the same time, and check that it "
          + "listens on \(address) and that no firewall is in the way"
      case .peerKeyMismatch, .closedDuringHandshake:
        status.outcome = .keyMismatch
        status.fix =
          "compare \(who)'s public key (printed by its `mpc keygen`) with "
          + "parties[\(peer)].public_key in the study file at both sites; each site must run "
          + "with its own key file"
      case .wrongStudyOrParty, .malformedHandshake:
        status.outcome = .wrongStudy
        status.fix =
          "\(who) must run with the same study file and with --party \(peer)"
      case .studyMismatch:
        status.outcome = .studyDiffers
        status.fix = "distribute one study file to every site"
      default:
        status.outcome = .failed
        status.fix = "run `mpc doctor` again at both sites; if it persists, check the network"
      }
    }
    return status
  }
}
