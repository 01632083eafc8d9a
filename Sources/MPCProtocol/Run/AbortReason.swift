/// An error that knows which ``ReasonCode`` a party sends its peers in the `abort` it
/// broadcasts when the error ends its run (`protocols/messages.md`, `abort`). Every error type
/// of the run conforms with an exhaustive switch, so a new case must choose its code.
public protocol AbortReason: Error {
  /// The code sent to peers when this error aborts the run.
  var reasonCode: ReasonCode { get }
}

extension ReasonCode {
  /// The code for `error`: its own if it is an ``AbortReason``, `cancelled` for a cancelled
  /// task, `internal-error` otherwise.
  public init(for error: any Error) {
    switch error {
    case let known as any AbortReason: self = known.reasonCode
    case is CancellationError: self = .cancelled
    default: self = .internalError
    }
  }
}

extension ManifestError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .invalidManifest, .unreadableFile, .invalidJSON: .internalError
    }
  }
}

extension LedgerError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .budgetExhausted: .budgetExhausted
    case .budgetUnitMismatch, .nonPositiveCost, .corrupt, .tornTail, .io, .busy, .chargeNotFound,
      .duplicateCharge, .chargeStands:
      .internalError
    }
  }
}

extension WireError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .truncated, .malformed, .oversized: .malformedMessage
    }
  }
}

extension InputError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .unreadableFile, .missingColumn, .invalidHeader, .localOverflow, .vectorLength:
      .localData
    }
  }
}

extension RunError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .invalidSetUp: .internalError
    case .peerAborted: .peerAborted
    case .implausibleResult: .implausibleResult
    case .peerMismatch(_, .hello, _): .manifestMismatch
    case .peerMismatch(_, .ledgerHead, _), .peerMismatch(_, .ledgerReconcile, _): .ledgerMismatch
    case .peerMismatch(_, .transcript, _): .sessionMismatch
    case .peerMismatch: .malformedMessage
    }
  }
}

extension TransportError: AbortReason {
  public var reasonCode: ReasonCode {
    switch self {
    case .timeout, .closed, .unknownPeer: .timeout
    }
  }
}
