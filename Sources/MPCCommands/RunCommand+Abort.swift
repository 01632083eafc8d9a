import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol

/// How `mpc run` tells the other sites that this one stops, and how it names a peer that did
/// (`protocols/query.md`, "Aborts"): a reason code and a fixed text per code, never data, paths
/// or errnos.
extension RunCommand {
  /// The text sent with an abort of `code`: what the category means, nothing about the data.
  static func abortText(_ code: ReasonCode) -> String {
    switch code {
    case .localData: "its data could not be loaded for this query"
    case .manifestMismatch:
      "its study or query file is invalid, or its policy or registry refuses the query"
    case .ledgerMismatch: "its budget ledger cannot be used"
    case .cancelled: "its operator stopped the run"
    default: "it cannot take part in this query"
    }
  }

  /// Sends an abort of `code` to every peer (failures ignored: this site is stopping anyway).
  static func abort(_ transport: NetworkTransport, code: ReasonCode) async {
    guard
      let frame = try? MessageCodec().encode(.abort(Reason(code: code, text: abortText(code))))
    else { return }
    for peer in 0..<transport.partyCount where peer != transport.partyID {
      try? await transport.send(frame, to: peer)
    }
  }

  /// A site that cannot take part still connects, tells every peer why (`code`) and waits until
  /// each has closed its link (at most `timeout`), so the others stop at once instead of at
  /// their deadline. Prints what happened.
  static func tellPeers(
    study: StudyManifest, party: Int, identity: X25519.KeyPair, options: NetworkOptions,
    code: ReasonCode, timeout: Duration
  ) async {
    do {
      try await NetworkTransport.withLinks(
        study: study, partyID: party, identity: identity, options: options
      ) { transport in
        await abort(transport, code: code)
        let deadline = ContinuousClock.now + timeout
        for peer in 0..<study.partyCount where peer != party {
          // Whatever the peer still sends, until it closes the link.
          while deadline > .now,
            (try? await transport.receive(
              from: peer, timeout: deadline - .now, step: .abortReason)) != nil
          {}
        }
      }
      Console.error("note: told the other sites that this site stops (\(code))")
    } catch {
      Console.error("note: could not tell the other sites that this site stops: \(error)")
    }
  }

  /// A run failure as the operator reads it: a peer that aborted is named with its site name.
  static func explain(_ error: any Error, study: StudyManifest) -> any Error {
    guard case RunError.peerAborted(let peer, let reason) = error,
      study.parties.indices.contains(peer)
    else { return error }
    return CommandFailure(
      description: "party \(peer) (\(study.parties[peer].name)) stopped the query: "
        + PeerText.printable(reason))
  }
}
