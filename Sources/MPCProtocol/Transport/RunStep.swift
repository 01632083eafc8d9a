/// The protocol step a party is at when it waits, sends or fails: named after the sections of
/// `protocols/channel.md` (links) and `protocols/query.md` (the query), so an error and its
/// abort code say where in the protocol it happened.
public enum RunStep: Hashable, Sendable, CustomStringConvertible {
  // MARK: - Links (`protocols/channel.md`)

  /// Dialing a higher-id peer (channel.md §4).
  case connect
  /// Accepting a lower-id peer's connection (channel.md §4).
  case accept
  /// Waiting until every link is up (channel.md §4).
  case awaitLinks
  /// Before the first handshake message was read or written.
  case linkStart
  /// Handshake message 1, 2 or 3 (channel.md §1).
  case handshake(message: Int)
  /// The encrypted link preface (channel.md §3).
  case preface

  // MARK: - The query (`protocols/query.md`)

  /// Local checks before anything is sent (query.md §1).
  case setUp
  /// The hello exchange: manifests and session contributions (query.md §2, agreement).
  case hello
  /// The ledger heads in the hello (query.md §2).
  case ledgerHead
  /// Comparing the agreement transcripts (`protocols/query.md` §2.4).
  case transcript
  /// Exchanging ledgers to reconcile differing heads (`protocols/query.md` §2.2).
  case ledgerReconcile
  /// The admission barrier: every party's durable charge (query.md §3).
  case admission
  /// The masked upload and opening; `chunk` when one chunk is meant (query.md §4).
  case upload(chunk: Int?)
  /// Sending a frame (any step).
  case send
  /// Reading the abort a peer may have sent before its link closed.
  case abortReason

  public var description: String {
    switch self {
    case .connect: "connecting to"
    case .accept: "accepting from"
    case .awaitLinks: "waiting for"
    case .linkStart: "start"
    case .handshake(let message): "message \(message)"
    case .preface: "preface"
    case .setUp: "set-up"
    case .hello: "hello"
    case .ledgerHead: "ledger head"
    case .transcript: "session agreement"
    case .ledgerReconcile: "ledger reconciliation"
    case .admission: "admission"
    case .upload(nil): "masked upload"
    case .upload(let chunk?): "masked upload chunk \(chunk)"
    case .send: "send"
    case .abortReason: "the reason the link closed"
    }
  }
}
