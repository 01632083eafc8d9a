import MPCCrypto
import MPCNetwork
import MPCProtocol
import NIOCore
import Testing
import _MPCTestSupport

struct Parties {
  var random = SeededRandom.make("link")
  let a: X25519.KeyPair
  let b: X25519.KeyPair
  let mallory: X25519.KeyPair

  init() {
    var r = SeededRandom.make("link-keys")
    a = X25519.KeyPair.generate(using: &r)
    b = X25519.KeyPair.generate(using: &r)
    mallory = X25519.KeyPair.generate(using: &r)
  }

  func context(initiatorKey: [UInt8]? = nil, responderKey: [UInt8]? = nil, study: String = "s1")
    -> LinkContext
  {
    LinkContext(
      studyID: study, initiator: 0, responder: 2, initiatorStatic: initiatorKey ?? a.publicKey,
      responderStatic: responderKey ?? b.publicKey)
  }
}

@Suite struct LinkHandshakeTests {
  @Test func bothEndsDeriveTheSameKeys() throws {
    var p = Parties()
    let initiator = LinkHandshake.Initiator(context: p.context(), identity: p.a, using: &p.random)
    let responder = try LinkHandshake.Responder(
      context: p.context(), identity: p.b, message1: initiator.message1, using: &p.random)
    let (m3, ik) = try initiator.finish(message2: responder.message2)
    let rk = try responder.finish(message3: m3)
    #expect(ik.initiatorToResponder.constantTimeEquals(rk.initiatorToResponder))
    #expect(ik.responderToInitiator.constantTimeEquals(rk.responderToInitiator))
    #expect(ik.pairSecret.constantTimeEquals(rk.pairSecret))
    #expect(ik.sessionID == rk.sessionID && ik.sessionID.count == 16)
    #expect(!ik.initiatorToResponder.constantTimeEquals(ik.responderToInitiator))
    #expect(initiator.message1.count == LinkHandshake.message1Size)
    #expect(responder.message2.count == LinkHandshake.message2Size)
    #expect(m3.count == LinkHandshake.message3Size)
  }

  /// Fresh ephemeral keys: two runs between the same parties share no key.
  @Test func everyRunHasFreshKeys() throws {
    var p = Parties()
    func run() throws -> LinkKeys {
      let i = LinkHandshake.Initiator(context: p.context(), identity: p.a, using: &p.random)
      let r = try LinkHandshake.Responder(
        context: p.context(), identity: p.b, message1: i.message1, using: &p.random)
      return try i.finish(message2: r.message2).keys
    }
    let k1 = try run()
    let k2 = try run()
    #expect(!k1.pairSecret.constantTimeEquals(k2.pairSecret))
    #expect(k1.sessionID != k2.sessionID)
  }

  /// A responder holding another key than the pinned one is refused by the initiator.
  @Test func responderWithWrongKeyIsRefused() throws {
    var p = Parties()
    let initiator = LinkHandshake.Initiator(context: p.context(), identity: p.a, using: &p.random)
    // Mallory answers in b's place, with her own key.
    let impostor = try LinkHandshake.Responder(
      context: p.context(responderKey: p.mallory.publicKey), identity: p.mallory,
      message1: initiator.message1, using: &p.random)
    #expect(throws: NetworkError.peerKeyMismatch(peer: 2, step: .handshake(message: 2))) {
      try initiator.finish(message2: impostor.message2)
    }
  }

  /// An initiator holding another key than the pinned one is refused by the responder.
  @Test func initiatorWithWrongKeyIsRefused() throws {
    var p = Parties()
    let impostor = LinkHandshake.Initiator(
      context: p.context(initiatorKey: p.mallory.publicKey), identity: p.mallory, using: &p.random)
    let responder = try LinkHandshake.Responder(
      context: p.context(), identity: p.b, message1: impostor.message1, using: &p.random)
    // The impostor cannot verify b's tag (it computed with its own key) …
    #expect(throws: NetworkError.self) { try impostor.finish(message2: responder.message2) }
    // … and a forged confirmation is refused by b.
    let forged = [UInt8]("MPCL".utf8) + [1, 3] + [UInt8](repeating: 0, count: 32)
    #expect(throws: NetworkError.peerKeyMismatch(peer: 0, step: .handshake(message: 3))) {
      try responder.finish(message3: forged)
    }
  }

  @Test func tamperedMessagesAreRefused() throws {
    var p = Parties()
    let initiator = LinkHandshake.Initiator(context: p.context(), identity: p.a, using: &p.random)
    let responder = try LinkHandshake.Responder(
      context: p.context(), identity: p.b, message1: initiator.message1, using: &p.random)
    for index in [6, 40, 70] {
      var m2 = responder.message2
      m2[index] ^= 1
      #expect(throws: NetworkError.self) { try initiator.finish(message2: m2) }
    }
    var m1 = initiator.message1
    m1[60] ^= 0x80  // the ephemeral key: the responder's tag then cannot match
    let r2 = try LinkHandshake.Responder(
      context: p.context(), identity: p.b, message1: m1, using: &p.random)
    #expect(throws: NetworkError.peerKeyMismatch(peer: 2, step: .handshake(message: 2))) {
      try initiator.finish(message2: r2.message2)
    }
  }

  @Test func wrongStudyPartyOrVersionIsNamed() throws {
    var p = Parties()
    let initiator = LinkHandshake.Initiator(
      context: p.context(study: "other"), identity: p.a, using: &p.random)
    #expect(
      throws: NetworkError.wrongStudyOrParty(peer: 0, reason: "is in a different study than \"s1\"")
    ) {
      try LinkHandshake.Responder(
        context: p.context(), identity: p.b, message1: initiator.message1, using: &p.random)
    }
    var m1 = LinkHandshake.Initiator(context: p.context(), identity: p.a, using: &p.random).message1
    m1[4] = 9
    #expect(
      throws: NetworkError.malformedHandshake(
        peer: 0, step: .handshake(message: 1), reason: "link version 9, this mpc speaks 1")
    ) {
      try LinkHandshake.Responder(
        context: p.context(), identity: p.b, message1: m1, using: &p.random)
    }
    #expect(throws: NetworkError.self) {
      try LinkHandshake.Responder(
        context: p.context(), identity: p.b, message1: [1, 2, 3], using: &p.random)
    }
  }
}

@Suite struct FrameCipherTests {
  func pair() -> (FrameCipher, FrameCipher) {
    let key = SecretBytes(copying: [UInt8](repeating: 3, count: 32))
    return (
      FrameCipher(key: key, direction: 0, peer: 0, maximumFrame: 1024),
      FrameCipher(key: key, direction: 0, peer: 0, maximumFrame: 1024)
    )
  }

  @Test func roundTripInOrder() throws {
    var (tx, rx) = pair()
    for i in 0..<5 {
      let msg = [UInt8](repeating: UInt8(i), count: i * 10)
      let sealed = try tx.seal(msg)
      #expect(sealed.count == msg.count + 16)
      #expect(try rx.open(sealed) == msg)
    }
  }

  /// The wire path (seal straight into a length-prefixed buffer, open from the buffer) gives
  /// the same bytes and plaintexts as the array path, frame after frame.
  @Test func framesOnTheWireMatchTheArrayPath() throws {
    var (tx, rx) = pair()
    var (txWire, rxWire) = pair()
    for i in 0..<4 {
      let msg = (0..<(i * 37)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ i) }
      let sealed = try tx.seal(msg)
      var wire = try txWire.sealFrame(msg)
      #expect(wire.readInteger(endianness: .little, as: UInt32.self) == UInt32(sealed.count))
      #expect(Array(buffer: wire) == sealed)
      #expect(try rxWire.open(wire) == msg)
      #expect(try rx.open(sealed) == msg)
    }
    var tampered = try txWire.sealFrame([1, 2, 3])
    tampered.moveReaderIndex(forwardBy: 4)
    tampered.setInteger(UInt8(0xFF), at: tampered.readerIndex)
    #expect(throws: NetworkError.frameRejected(peer: 0, frame: 4)) { try rxWire.open(tampered) }
  }

  @Test func bitFlipReplayAndReorderAreRejected() throws {
    var (tx, rx) = pair()
    let f0 = try tx.seal([1, 2, 3])
    let f1 = try tx.seal([4, 5, 6])
    var flipped = f0
    flipped[1] ^= 0x10
    var r1 = rx
    #expect(throws: NetworkError.frameRejected(peer: 0, frame: 0)) { try r1.open(flipped) }
    var r2 = rx
    // Reordered: frame 1 arrives first.
    #expect(throws: NetworkError.frameRejected(peer: 0, frame: 0)) { try r2.open(f1) }
    _ = try rx.open(f0)
    // Replayed: frame 0 again.
    #expect(throws: NetworkError.frameRejected(peer: 0, frame: 1)) { try rx.open(f0) }
    #expect(try rx.open(f1) == [4, 5, 6])
  }

  @Test func otherDirectionIsRejected() throws {
    let key = SecretBytes(copying: [UInt8](repeating: 3, count: 32))
    var tx = FrameCipher(key: key, direction: 0, peer: 0)
    var rx = FrameCipher(key: key, direction: 1, peer: 0)
    #expect(throws: NetworkError.self) { try rx.open(try tx.seal([9])) }
  }

  @Test func oversizedFrameRefusedBeforeAllocation() throws {
    let (_, rx) = pair()
    #expect(throws: NetworkError.frameTooLarge(peer: 0, length: 1025, maximum: 1024)) {
      try rx.checkLength(1025 + 16)
    }
    #expect(throws: NetworkError.self) { try rx.checkLength(3) }
  }
}
