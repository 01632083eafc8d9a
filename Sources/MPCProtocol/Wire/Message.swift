public import MPCBigInt

/// A reason code of `refuse` and `abort` (`protocols/messages.md`); unknown codes survive
/// decoding so newer peers can add some.
public struct ReasonCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
  /// The wire value.
  public var rawValue: UInt16

  /// A code from its wire value.
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// The manifest hashes differ.
  public static let manifestMismatch = ReasonCode(rawValue: 1)
  /// The ledger heads or spent budgets differ.
  public static let ledgerMismatch = ReasonCode(rawValue: 2)
  /// Admission failed: the budget is exhausted.
  public static let budgetExhausted = ReasonCode(rawValue: 3)
  /// The peer speaks another protocol version.
  public static let versionMismatch = ReasonCode(rawValue: 4)
  /// A message did not arrive in time.
  public static let timeout = ReasonCode(rawValue: 5)
  /// A message could not be decoded or was unexpected.
  public static let malformedMessage = ReasonCode(rawValue: 6)
  /// The local data could not be loaded.
  public static let localData = ReasonCode(rawValue: 7)
  /// Another party aborted.
  public static let peerAborted = ReasonCode(rawValue: 8)
  /// The operator cancelled.
  public static let cancelled = ReasonCode(rawValue: 9)
  /// Anything else.
  public static let internalError = ReasonCode(rawValue: 10)
  /// The parties saw different hello contributions: they would derive different sessions.
  public static let sessionMismatch = ReasonCode(rawValue: 11)
  /// An opened value lies outside the range the field was sized for: the opening failed.
  public static let implausibleResult = ReasonCode(rawValue: 12)

  public var description: String {
    let names: [UInt16: String] = [
      1: "manifest-mismatch", 2: "ledger-mismatch", 3: "budget-exhausted",
      4: "version-mismatch", 5: "timeout", 6: "malformed-message", 7: "local-data",
      8: "peer-aborted", 9: "cancelled", 10: "internal-error", 11: "session-mismatch",
      12: "implausible-result",
    ]
    return names[rawValue] ?? "code-\(rawValue)"
  }
}

/// `hello`: the first message on every link; carries the manifest hash to compare.
public struct Hello: Sendable, Hashable {
  /// The protocol version the sender speaks.
  public var protocolVersion: UInt16
  /// The study id.
  public var studyId: String
  /// The sender's party id.
  public var partyId: UInt32
  /// The 16-byte session id.
  public var sessionId: [UInt8]
  /// The 32-byte manifest hash.
  public var manifestHash: [UInt8]
  /// The sender draws its noise from a seed (`mpc bench`'s replay check): peers refuse this
  /// unless the study is a test study. Sent as an optional trailing flags byte (bit 0), absent
  /// when false, so an ordinary hello's bytes are unchanged (`protocols/messages.md`).
  public var seededNoise: Bool

  /// A hello.
  public init(
    protocolVersion: UInt16 = MessageCodec.protocolVersion, studyId: String, partyId: UInt32,
    sessionId: [UInt8], manifestHash: [UInt8], seededNoise: Bool = false
  ) {
    self.protocolVersion = protocolVersion
    self.studyId = studyId
    self.partyId = partyId
    self.sessionId = sessionId
    self.manifestHash = manifestHash
    self.seededNoise = seededNoise
  }
}

extension Hello {
  /// Bit 0 of the hello's optional flags byte: the sender's noise is seeded.
  static let seededNoiseFlag: UInt8 = 0x01
}

/// `ledgerHead`: the sender's ledger head hash and spent budget.
public struct LedgerHead: Sendable, Hashable {
  /// The 32-byte head hash.
  public var hash: [UInt8]
  /// The spent budget, exact (sent as its canonical rational text).
  public var spent: Rational

  /// A ledger head.
  public init(hash: [UInt8], spent: Rational) {
    self.hash = hash
    self.spent = spent
  }
}

/// `refuse` and `abort`: a reason code and a human-readable text (never secret bytes).
public struct Reason: Sendable, Hashable {
  /// The code.
  public var code: ReasonCode
  /// The text.
  public var text: String

  /// A reason.
  public init(code: ReasonCode, text: String) {
    self.code = code
    self.text = text
  }
}

/// A masked-upload chunk's fields, with its elements left in the frame at `elementRange`
/// (``MessageCodec/decodeUpload(_:)``).
public struct MaskedUploadHeader: Sendable, Hashable {
  /// The query id.
  public var queryId: String
  /// This chunk's index, 0…chunkCount−1.
  public var chunkIndex: UInt32
  /// How many chunks the upload has.
  public var chunkCount: UInt32
  /// Bytes per element.
  public var elementWidth: UInt16
  /// Elements in this chunk.
  public var elementCount: UInt32
  /// Where the elementWidth × elementCount element bytes lie in the frame.
  public var elementRange: Range<Int>
}

/// `maskedUpload`: one chunk of a party's masked vector y_i as fixed-width field elements.
public struct MaskedUploadChunk: Sendable, Hashable {
  /// The query id.
  public var queryId: String
  /// This chunk's index, 0…chunkCount−1.
  public var chunkIndex: UInt32
  /// How many chunks the upload has.
  public var chunkCount: UInt32
  /// Bytes per element, ⌈bitlen(p)/8⌉.
  public var elementWidth: UInt16
  /// Elements in this chunk.
  public var elementCount: UInt32
  /// elementWidth × elementCount raw little-endian element bytes.
  public var elements: [UInt8]

  /// A chunk.
  public init(
    queryId: String, chunkIndex: UInt32, chunkCount: UInt32, elementWidth: UInt16,
    elementCount: UInt32, elements: [UInt8]
  ) {
    self.queryId = queryId
    self.chunkIndex = chunkIndex
    self.chunkCount = chunkCount
    self.elementWidth = elementWidth
    self.elementCount = elementCount
    self.elements = elements
  }
}

/// Every message of DESIGN §4.
public enum Message: Sendable, Hashable {
  /// Manifest agreement.
  case hello(Hello)
  /// Ledger agreement.
  case ledgerHead(LedgerHead)
  /// The sender admits the query (its charge is durable).
  case admit
  /// The sender refuses the query.
  case refuse(Reason)
  /// A chunk of the masked upload.
  case maskedUpload(MaskedUploadChunk)
  /// The sender aborts the query.
  case abort(Reason)
  /// The 32-byte hash of the agreement transcript the sender saw (every party's hello
  /// contribution; `protocols/query.md` §2.4), compared before anything is charged.
  case transcript([UInt8])
  /// The sender's whole ledger file, byte for byte (`protocols/ledger.md` §1), sent when the
  /// ledger heads differ so that every party can plan the same reconciliation (§5).
  case ledgerEntries([UInt8])

  /// The type byte of ``maskedUpload(_:)``.
  public static let maskedUploadType: UInt8 = 0x05

  /// The wire type byte.
  public var typeByte: UInt8 {
    switch self {
    case .hello: 0x01
    case .ledgerHead: 0x02
    case .admit: 0x03
    case .refuse: 0x04
    case .maskedUpload: Self.maskedUploadType
    case .abort: 0x06
    case .transcript: 0x07
    case .ledgerEntries: 0x08
    }
  }

  /// The largest type byte of this version (types are 1…this).
  public static let lastType: UInt8 = 0x08
}
