public import MPCCrypto
import MPCProtocol

/// What both ends of a link must agree on before keys exist (`protocols/channel.md`).
public struct LinkContext: Sendable {
  /// The study id (its BLAKE2b-256 digest travels in the first message).
  public var studyID: String
  /// The dialing party (always the lower id).
  public var initiator: Int
  /// The listening party (the higher id).
  public var responder: Int
  /// The initiator's static public key, as pinned in the study file.
  public var initiatorStatic: [UInt8]
  /// The responder's static public key, as pinned in the study file.
  public var responderStatic: [UInt8]

  /// A link context.
  public init(
    studyID: String, initiator: Int, responder: Int, initiatorStatic: [UInt8],
    responderStatic: [UInt8]
  ) {
    self.studyID = studyID
    self.initiator = initiator
    self.responder = responder
    self.initiatorStatic = initiatorStatic
    self.responderStatic = responderStatic
  }

  var studyDigest: [UInt8] {
    // Cannot throw: BLAKE2b-256 unkeyed.
    try! Blake2b.hash(Array("swift-mpc/study-id/v1".utf8) + Array(studyID.utf8))
  }
}

/// The keys a completed handshake yields.
public struct LinkKeys: Sendable {
  /// Encrypts frames initiator → responder.
  public let initiatorToResponder: SecretBytes
  /// Encrypts frames responder → initiator.
  public let responderToInitiator: SecretBytes
  /// The 32-byte pair secret for pairwise masks (`sharing.md` S_ij).
  public let pairSecret: SecretBytes
  /// The link's 16-byte session id (public; binds everything sent on the link).
  public let sessionID: [UInt8]
}

/// A three-message authenticated key exchange (`protocols/channel.md`): ephemeral–ephemeral
/// DH for forward secrecy, static–static and static–ephemeral DHs for mutual authentication
/// against the pinned keys, the whole transcript bound into every derived key.
public enum LinkHandshake {
  static let magic: [UInt8] = Array("MPCL".utf8)
  static let version: UInt8 = 1
  /// Sizes of the three messages.
  public static let message1Size = 4 + 1 + 1 + 4 + 4 + 32 + 32 + 16
  /// Size of the responder's reply.
  public static let message2Size = 4 + 1 + 1 + 32 + 16 + 32
  /// Size of the initiator's confirmation.
  public static let message3Size = 4 + 1 + 1 + 32

  /// The initiator after sending message 1.
  public struct Initiator: Sendable {
    let context: LinkContext
    let identity: X25519.KeyPair
    let ephemeral: X25519.KeyPair
    /// Message 1, to send to the responder.
    public let message1: [UInt8]

    /// Starts a handshake as `context.initiator` with its static key pair.
    public init(
      context: LinkContext, identity: X25519.KeyPair, using random: inout some RandomSource
    ) {
      self.context = context
      self.identity = identity
      ephemeral = X25519.KeyPair.generate(using: &random)
      let nonce = random.bytes(count: 16)
      var m = magic + [version, 1]
      m += le32(context.initiator) + le32(context.responder) + context.studyDigest
      m += ephemeral.publicKey + nonce
      message1 = m
    }

    /// Checks message 2 and returns message 3 and the link keys.
    public func finish(message2: [UInt8]) throws -> (message3: [UInt8], keys: LinkKeys) {
      let peer = context.responder
      try checkHeader(
        message2, size: message2Size, type: 2, peer: peer, step: .handshake(message: 2))
      let responderEphemeral = Array(message2[6..<38])
      let body = Array(message2[0..<(message2Size - 32)])
      let tag = Array(message2[(message2Size - 32)...])
      let dh = try [
        identity.sharedSecret(with: context.responderStatic),
        ephemeral.sharedSecret(with: responderEphemeral),
        identity.sharedSecret(with: responderEphemeral),
        ephemeral.sharedSecret(with: context.responderStatic),
      ]
      let schedule = try KeySchedule(
        dh: dh, context: context, transcript: message1 + body)
      guard try schedule.responderTag().constantTimeEquals(SecretBytes(copying: tag)) else {
        throw NetworkError.peerKeyMismatch(peer: peer, step: .handshake(message: 2))
      }
      let confirmation =
        magic + [version, 3] + (try schedule.initiatorTag(after: tag)).exposedBytes()
      return (confirmation, try schedule.keys())
    }
  }

  /// The responder after answering message 1.
  public struct Responder: Sendable {
    let context: LinkContext
    let schedule: KeySchedule
    let sentTag: [UInt8]
    /// Message 2, to send back to the initiator.
    public let message2: [UInt8]

    /// Answers message 1 as `context.responder`. Throws if it names another study or pair.
    public init(
      context: LinkContext, identity: X25519.KeyPair, message1: [UInt8],
      using random: inout some RandomSource
    ) throws {
      let peer = context.initiator
      try checkHeader(
        message1, size: message1Size, type: 1, peer: peer, step: .handshake(message: 1))
      let claimedInitiator = readLE32(message1, 6)
      let claimedResponder = readLE32(message1, 10)
      guard claimedInitiator == context.initiator, claimedResponder == context.responder else {
        throw NetworkError.wrongStudyOrParty(
          peer: peer,
          reason:
            "dialed as party \(claimedInitiator) to party \(claimedResponder), expected "
            + "\(context.initiator) to \(context.responder)")
      }
      guard Array(message1[14..<46]) == context.studyDigest else {
        throw NetworkError.wrongStudyOrParty(
          peer: peer, reason: "is in a different study than \"\(context.studyID)\"")
      }
      let initiatorEphemeral = Array(message1[46..<78])
      let ephemeral = X25519.KeyPair.generate(using: &random)
      let nonce = random.bytes(count: 16)
      let body = magic + [version, 2] + ephemeral.publicKey + nonce
      let dh = try [
        identity.sharedSecret(with: context.initiatorStatic),
        ephemeral.sharedSecret(with: initiatorEphemeral),
        ephemeral.sharedSecret(with: context.initiatorStatic),
        identity.sharedSecret(with: initiatorEphemeral),
      ]
      let schedule = try KeySchedule(dh: dh, context: context, transcript: message1 + body)
      let tag = try schedule.responderTag().exposedBytes()
      self.context = context
      self.schedule = schedule
      self.sentTag = tag
      message2 = body + tag
    }

    /// Checks message 3 and returns the link keys.
    public func finish(message3: [UInt8]) throws -> LinkKeys {
      let peer = context.initiator
      try checkHeader(
        message3, size: message3Size, type: 3, peer: peer, step: .handshake(message: 3))
      let tag = SecretBytes(copying: message3[6...])
      guard try schedule.initiatorTag(after: sentTag).constantTimeEquals(tag) else {
        throw NetworkError.peerKeyMismatch(peer: peer, step: .handshake(message: 3))
      }
      return try schedule.keys()
    }
  }

  // MARK: - Key schedule

  /// prk = BLAKE2b-256("swift-mpc/link/v1" ‖ DH1 ‖ DH2 ‖ DH3 ‖ DH4 ‖ S_I ‖ S_R);
  /// h = BLAKE2b-256(transcript); every key = KDF(prk, label, [h, LE32(i), LE32(j)]).
  struct KeySchedule: Sendable {
    let prk: SecretBytes
    let transcriptHash: [UInt8]
    let ids: [[UInt8]]

    init(dh: [SecretBytes], context: LinkContext, transcript: [UInt8]) throws {
      var h = try Blake2b(outputByteCount: 32)
      h.update(Array("swift-mpc/link/v1".utf8))
      for secret in dh { secret.withUnsafeBytes { h.update($0) } }
      h.update(context.initiatorStatic)
      h.update(context.responderStatic)
      prk = h.finalizeSecret()
      transcriptHash = try Blake2b.hash(transcript)
      ids = [le32(context.initiator), le32(context.responder)]
    }

    func derive(_ label: String, extra: [UInt8] = []) throws -> SecretBytes {
      try KDF.derive(from: prk, label: label, parts: [transcriptHash] + ids + [extra])
    }

    func responderTag() throws -> SecretBytes { try derive("link-confirm-responder") }
    func initiatorTag(after responderTag: [UInt8]) throws -> SecretBytes {
      try derive("link-confirm-initiator", extra: responderTag)
    }

    func keys() throws -> LinkKeys {
      LinkKeys(
        initiatorToResponder: try derive("link-key-initiator-to-responder"),
        responderToInitiator: try derive("link-key-responder-to-initiator"),
        pairSecret: try derive("link-pair-secret"),
        sessionID: Array(try derive("link-session-id").exposedBytes()[0..<16]))
    }
  }
}

// MARK: - Helpers

func le32(_ v: Int) -> [UInt8] {
  (0..<4).map { UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: v) >> (8 * UInt32($0))) }
}

func readLE32(_ bytes: [UInt8], _ offset: Int) -> Int {
  (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
}

func checkHeader(_ m: [UInt8], size: Int, type: UInt8, peer: Int?, step: RunStep) throws {
  guard m.count == size else {
    throw NetworkError.malformedHandshake(
      peer: peer, step: step, reason: "\(m.count) bytes, expected \(size)")
  }
  guard Array(m[0..<4]) == LinkHandshake.magic else {
    throw NetworkError.malformedHandshake(peer: peer, step: step, reason: "not a swift-mpc link")
  }
  guard m[4] == LinkHandshake.version else {
    throw NetworkError.malformedHandshake(
      peer: peer, step: step,
      reason: "link version \(m[4]), this mpc speaks \(LinkHandshake.version)")
  }
  guard m[5] == type else {
    throw NetworkError.malformedHandshake(
      peer: peer, step: step, reason: "message type \(m[5]), expected \(type)")
  }
}
