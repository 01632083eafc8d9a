import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol
import Synchronization

/// How `mpc run` tells the other sites that this one stops, and how it names a peer that did
/// (`protocols/query.md`, "Aborts"): a reason code and a fixed text per code, never data, paths
/// or errnos.
extension RunCommand {
  /// The text sent with an abort of `code`: what the category means, nothing about the data.
  static func abortText(_ code: ReasonCode) -> String {
    switch code {
    case .localData: "its data could not be loaded for this query"
    case .manifestMismatch:
      "its study or query file is invalid or cannot run as written there (e.g. its noise "
        + "share would be too small), or its policy or registry refuses the query"
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
    var alsoStopped: [(Int, Reason)] = []
    // Peers already waiting connect at once; one not started yet is waited for up to the
    // connect timeout, so that it too learns why instead of timing out.
    let progress = Progress(enabled: Console.stderrIsTerminal)
    progress.say(
      "telling the other sites why (waiting up to \(options.connectDeadline.components.seconds) s for "
        + "their links; Ctrl-C skips this)…")
    defer { progress.done() }
    do {
      try await NetworkTransport.withLinks(
        study: study, partyID: party, identity: identity, options: options
      ) { transport in
        await abort(transport, code: code)
        let deadline = ContinuousClock.now + timeout
        for peer in 0..<study.partyCount where peer != party {
          // Whatever the peer still sends, until it closes the link or stops too (its abort:
          // it waits for nothing more from this site, so waiting for its close would hold both
          // sites until the deadline).
          while deadline > .now,
            let frame = try? await transport.receive(
              from: peer, timeout: deadline - .now, step: .abortReason)
          {
            if case .abort(let reason)? = try? MessageCodec().decode(frame) {
              alsoStopped.append((peer, reason))
              break
            }
          }
        }
      }
      Console.error("note: told the other sites that this site stops (\(code))")
      for (peer, reason) in alsoStopped {
        Console.error(
          "note: party \(peer) (\(PeerText.printable(study.parties[peer].name))) stops too: "
            + PeerText.printable(reason.text))
      }
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

// MARK: - Signals

/// SIGINT and SIGTERM as a ``Mailbox``: from ``start()`` on, the signals no longer end the
/// process; each one received is put in ``received``. After the first, both get their default
/// action back, so a second Ctrl-C ends the process at once.
final class SignalWatch: Sendable {
  let received = Mailbox<Int32>(capacity: 2)
  // Set once in init, never mutated; only kept alive (a cancelled source delivers nothing).
  nonisolated(unsafe) private let sources: [any DispatchSourceSignal]

  private init(signals: [Int32]) {
    let received = received
    sources = signals.map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        _ = received.offer(number)
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
      }
      source.resume()
      return source
    }
  }

  static func start() -> SignalWatch { SignalWatch(signals: [SIGINT, SIGTERM]) }

  deinit { for source in sources { source.cancel() } }
}

/// The run was stopped by a signal.
struct Interrupted: Error {
  var signal: Int32
  var name: String {
    signal == SIGINT ? "SIGINT (Ctrl-C)" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
  }
}

/// The signal that stopped the run, once one did.
final class CaughtSignal: Sendable {
  private let signal = Mutex<Int32?>(nil)
  func set(_ s: Int32) { signal.withLock { $0 = s } }
  func get() -> Int32? { signal.withLock { $0 } }
}

/// The transport of the run, once its links are up (read by the signal handler's task).
final class CurrentTransport: Sendable {
  private let transport = Mutex<NetworkTransport?>(nil)
  func set(_ t: NetworkTransport) { transport.withLock { $0 = t } }
  func get() -> NetworkTransport? { transport.withLock { $0 } }
}

extension RunCommand {
  /// Runs `operation` until it ends or a signal arrives. On a signal, sends `cancelled` to every
  /// peer (once the links are up) and closes the links from this (uncancelled) task, so they
  /// are written and closed in order; the operation then fails and ``Interrupted`` is thrown.
  static func interruptibly<R: Sendable>(
    _ signals: SignalWatch, current: CurrentTransport,
    _ operation: @escaping @Sendable () async throws -> R
  ) async throws -> R {
    let caught = CaughtSignal()
    return try await withThrowingTaskGroup(of: R?.self) { group in
      group.addTask {
        let signal = try await signals.received.take()
        caught.set(signal)
        if let transport = current.get() {
          await abort(transport, code: .cancelled)
          await transport.close()
        }
        throw Interrupted(signal: signal)
      }
      group.addTask { try await operation() }
      defer { group.cancelAll() }
      while true {
        do {
          guard let next = try await group.next() else { break }
          if let result = next { return result }
        } catch let interrupted as Interrupted {
          throw interrupted
        } catch {
          // After a signal the operation fails on its closed links; the signal's task is not
          // cancelled while it still closes them (a reset would drop the abort unread).
          if caught.get() == nil { throw error }
        }
      }
      // Cannot happen: the operation either returns a value or throws.
      throw CancellationError()
    }
  }

  /// Whether this site's charge for `query` stands after a failed run, and why (query.md §3).
  static func chargeNote(_ ledger: BudgetLedger, since count: Int, query: QueryManifest)
    -> String
  {
    let added = ledger.entries.dropFirst(count).filter { $0.queryId == query.id }
    guard added.contains(where: { $0.kind == .charge }) else {
      return
        "note: nothing was charged for \(query.id) at this site (the run stopped before admission)"
    }
    if added.contains(where: { $0.kind == .release }) {
      return "note: nothing is charged for \(query.id) at this site: the charge was released, "
        + "as no masked value had left this site"
    }
    return "note: the charge for \(query.id) stands at this site: every party had admitted the "
      + "query, so this site's masked upload may have left (a charge that stands is never refunded)"
  }
}

extension RunCommand {
  /// After a run that never got its links up: when this site's masked value of `query` left it
  /// in an earlier session that this site has no release record of (a record torn by a crash
  /// and cut by `mpc budget repair`), the other sites may have released it and now answer from
  /// their release logs without connecting; says how to copy their record
  /// (`protocols/ledger.md` §6.2). Nil otherwise.
  static func lostReleaseNote(
    _ ledger: BudgetLedger, releases: ReleaseLog, query: QueryManifest, party: Int,
    partyCount: Int
  ) -> String? {
    guard !releases.hasRecord(queryId: query.id),
      let upload = ledger.entries.last(where: {
        $0.kind == .upload && $0.queryId == query.id
      })
    else { return nil }
    let peer = (0..<partyCount).first { $0 != party } ?? 0
    return "note: this site's masked value of \(query.id) left it in session "
      + "\(Hex.encode(upload.sessionId.prefix(8))) (\(upload.time)) and this site has no record "
      + "of a release. If the other sites show \(query.id) as released (`mpc audit list` there), "
      + "they answer from their release logs and will not connect again: copy a peer's log "
      + "here (e.g. party \(peer)'s \(ReleaseLog.fileName(partyId: peer)); it holds released "
      + "results, no data), run `mpc budget reconcile --peer-releases FILE --apply`, then run "
      + "again"
  }
}
