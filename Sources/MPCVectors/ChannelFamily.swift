import MPCCrypto
import MPCNetwork

/// The link handshake and framing (`protocols/channel.md`), with the ephemeral keys and nonces
/// stated explicitly: each side's random source yields its ephemeral private key (32 bytes)
/// then its nonce (16 bytes), and nothing else.
struct ChannelFamily: VectorFamily {
  var name: String { "channel" }
  var summary: String {
    "Static and ephemeral X25519 private keys and nonces of initiator i and responder j → "
      + "handshake messages 1–3, both link keys, the pair secret, the link session id, and the "
      + "first frames of each direction on the wire (LE32(L) ‖ XChaCha20-Poly1305 ciphertext)."
  }
  var spec: String { "protocols/channel.md §1–§2" }

  /// Seals `plaintexts` in order and returns the wire frames `LE32(L) ‖ C`.
  static func wire(_ plaintexts: [[UInt8]], key: SecretBytes, direction: UInt8, peer: Int) throws
    -> [[UInt8]]
  {
    var cipher = FrameCipher(key: key, direction: direction, peer: peer)
    return try plaintexts.map { p in
      let c = try cipher.seal(p)
      let n = UInt32(c.count)
      return (0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * UInt32($0))) } + c
    }
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func c(_ name: String, _ study: String, _ i: Int, _ j: Int, _ tag: UInt8) -> (
      name: String, input: VectorValue
    ) {
      func bytes(_ count: Int, _ offset: UInt8) -> VectorValue {
        .hex((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) &+ tag &+ offset })
      }
      return (
        name,
        .object([
          "study_id": .string(study), "initiator": .integer(i), "responder": .integer(j),
          "initiator_static_private": bytes(32, 0x10),
          "responder_static_private": bytes(32, 0x20),
          "initiator_ephemeral_private": bytes(32, 0x30), "initiator_nonce": bytes(16, 0x40),
          "responder_ephemeral_private": bytes(32, 0x50), "responder_nonce": bytes(16, 0x60),
          "frames_initiator_to_responder": .array([
            "", "4d5001030000000000", .hex(Array("hello".utf8)),
          ]),
          "frames_responder_to_initiator": .array([
            "4d5001030000000000", .hex([UInt8](repeating: 0xee, count: 40)),
          ]),
        ])
      )
    }
    return [
      c("parties 0 and 1", "flu-2026", 0, 1, 1),
      c("parties 2 and 4", "flu-2026", 2, 4, 2),
      c("parties 0 and 2 of another study", "grippe-été", 0, 2, 3),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let initiatorStatic = try X25519.KeyPair(
      privateKey: SecretBytes(copying: try input["initiator_static_private"].bytes()))
    let responderStatic = try X25519.KeyPair(
      privateKey: SecretBytes(copying: try input["responder_static_private"].bytes()))
    let i = try input["initiator"].int()
    let j = try input["responder"].int()
    let context = LinkContext(
      studyID: try input["study_id"].string(), initiator: i, responder: j,
      initiatorStatic: initiatorStatic.publicKey, responderStatic: responderStatic.publicKey)
    var initiatorRandom = FixedBytesSource(
      try input["initiator_ephemeral_private"].bytes() + input["initiator_nonce"].bytes())
    var responderRandom = FixedBytesSource(
      try input["responder_ephemeral_private"].bytes() + input["responder_nonce"].bytes())
    let initiator = LinkHandshake.Initiator(
      context: context, identity: initiatorStatic, using: &initiatorRandom)
    let responder = try LinkHandshake.Responder(
      context: context, identity: responderStatic, message1: initiator.message1,
      using: &responderRandom)
    try initiatorRandom.checkFullyConsumed("initiator")
    try responderRandom.checkFullyConsumed("responder")
    let (message3, keys) = try initiator.finish(message2: responder.message2)
    let responderKeys = try responder.finish(message3: message3)
    guard responderKeys.pairSecret.exposedBytes() == keys.pairSecret.exposedBytes(),
      responderKeys.initiatorToResponder.exposedBytes() == keys.initiatorToResponder.exposedBytes(),
      responderKeys.responderToInitiator.exposedBytes() == keys.responderToInitiator.exposedBytes(),
      responderKeys.sessionID == keys.sessionID
    else {
      throw VectorError.invalidCase(problem: "initiator and responder derived different keys")
    }
    let ir = try Self.wire(
      try input["frames_initiator_to_responder"].array().map { try $0.bytes() },
      key: keys.initiatorToResponder, direction: 0, peer: i)
    let ri = try Self.wire(
      try input["frames_responder_to_initiator"].array().map { try $0.bytes() },
      key: keys.responderToInitiator, direction: 1, peer: j)
    return .object([
      "initiator_static_public": .hex(initiatorStatic.publicKey),
      "responder_static_public": .hex(responderStatic.publicKey),
      "message1": .hex(initiator.message1), "message2": .hex(responder.message2),
      "message3": .hex(message3),
      "key_initiator_to_responder": .hex(keys.initiatorToResponder.exposedBytes()),
      "key_responder_to_initiator": .hex(keys.responderToInitiator.exposedBytes()),
      "pair_secret": .hex(keys.pairSecret.exposedBytes()), "session_id": .hex(keys.sessionID),
      "wire_initiator_to_responder": .array(ir.map { .hex($0) }),
      "wire_responder_to_initiator": .array(ri.map { .hex($0) }),
    ])
  }
}
