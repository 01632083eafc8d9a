import MPCCrypto
import NIOCore
import NIOEmbedded
import Testing

@testable import MPCNetwork

@Suite struct LinkFrameDecoderTests {
  /// `LE32(count) ‖ ciphertext`, the wire form `FrameCipher.sealFrame` writes.
  static func frame(_ ciphertext: [UInt8]) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(UInt32(ciphertext.count), endianness: .little)
    buffer.writeBytes(ciphertext)
    return buffer
  }

  /// message 2 (86 bytes), then frames of 0, 1 and 1000 plaintext bytes.
  static func stream() -> (bytes: [UInt8], messages: [[UInt8]]) {
    var messages: [[UInt8]] = [(0..<LinkHandshake.message2Size).map { UInt8($0 & 0xff) }]
    var bytes = messages[0]
    for (i, plain) in [0, 1, 1000].enumerated() {
      let ciphertext = (0..<(plain + 16)).map { UInt8(truncatingIfNeeded: $0 * 7 + i) }
      messages.append(ciphertext)
      var frame = Self.frame(ciphertext)
      bytes += frame.readBytes(length: frame.readableBytes)!
    }
    return (bytes, messages)
  }

  func decode(chunks: [Int]) throws -> [[UInt8]] {
    let channel = EmbeddedChannel(
      handler: ByteToMessageHandler(LinkFrameDecoder.initiator(peer: 2, maximumFrame: 4096)))
    let (bytes, _) = Self.stream()
    var offset = 0
    var chunk = 0
    var out: [[UInt8]] = []
    while offset < bytes.count {
      let size = min(chunks[chunk % chunks.count], bytes.count - offset)
      try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<(offset + size)]))
      while let frame = try channel.readInbound(as: ByteBuffer.self) {
        out.append(Array(buffer: frame))
      }
      offset += size
      chunk += 1
    }
    #expect(try channel.finish().isClean)
    return out
  }

  @Test func byteByByte() throws {
    #expect(try decode(chunks: [1]) == Self.stream().messages)
  }

  @Test(arguments: [[2, 3, 5, 7], [85, 1, 4, 19], [4096]])
  func oddChunks(_ chunks: [Int]) throws {
    #expect(try decode(chunks: chunks) == Self.stream().messages)
  }

  /// The responder expects messages 1 and 3 before framing starts.
  @Test func responderHandshakeSizes() throws {
    let channel = EmbeddedChannel(
      handler: ByteToMessageHandler(LinkFrameDecoder.responder(maximumFrame: 64)))
    let m1 = [UInt8](repeating: 1, count: LinkHandshake.message1Size)
    let m3 = [UInt8](repeating: 3, count: LinkHandshake.message3Size)
    var frame = Self.frame([UInt8](repeating: 9, count: 20))
    try channel.writeInbound(ByteBuffer(bytes: m1 + m3 + frame.readBytes(length: 24)!))
    #expect(try channel.readInbound(as: ByteBuffer.self).map { Array(buffer: $0) } == m1)
    #expect(try channel.readInbound(as: ByteBuffer.self).map { Array(buffer: $0) } == m3)
    #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 20)
    _ = try channel.finish()
  }

  /// A declared length above the maximum is refused from its 4 header bytes alone: the decoder
  /// never waits for (or buffers) the body.
  @Test func oversizedLengthRefusedFromTheHeader() throws {
    let channel = EmbeddedChannel(
      handler: ByteToMessageHandler(LinkFrameDecoder.initiator(peer: 2, maximumFrame: 4096)))
    try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 0, count: 86)))
    #expect(try channel.readInbound(as: ByteBuffer.self) != nil)
    var header = ByteBuffer()
    header.writeInteger(UInt32(0xffff_fff0), endianness: .little)
    #expect(throws: NetworkError.frameTooLarge(peer: 2, length: 0xffff_ffe0, maximum: 4096)) {
      try channel.writeInbound(header)
    }
    _ = try? channel.finish()
  }

  @Test func lengthJustAboveTheMaximumIsRefused() throws {
    let decoder = LinkFrameDecoder(handshakeSizes: [], peer: 1, maximumFrame: 100)
    var ok = ByteBuffer()
    ok.writeInteger(UInt32(116), endianness: .little)
    var d = decoder
    #expect(try d.next(&ok) == nil)  // allowed, waiting for the body
    var over = ByteBuffer()
    over.writeInteger(UInt32(117), endianness: .little)
    #expect(throws: NetworkError.frameTooLarge(peer: 1, length: 101, maximum: 100)) {
      var d = decoder
      _ = try d.next(&over)
    }
    var short = ByteBuffer()
    short.writeInteger(UInt32(15), endianness: .little)
    #expect(throws: NetworkError.frameRejected(peer: 1, frame: 0)) {
      var d = decoder
      _ = try d.next(&short)
    }
  }

  @Test func prefaceRoundTripAndRejections() throws {
    let hash = [UInt8](repeating: 7, count: 32)
    let preface = LinkPreface(mode: .doctor, studyHash: hash, softwareVersion: "1.2.3")
    #expect(try LinkPreface(decoding: preface.encoded(), peer: 1) == preface)
    #expect(throws: NetworkError.self) {
      try LinkPreface(decoding: preface.encoded() + [0], peer: 1)
    }
    var wrongMagic = preface.encoded()
    wrongMagic[0] ^= 1
    #expect(throws: NetworkError.self) { try LinkPreface(decoding: wrongMagic, peer: 1) }
    let long = LinkPreface(
      mode: .run, studyHash: hash, softwareVersion: String(repeating: "é", count: 200))
    #expect(long.softwareVersion.utf8.count <= 255)
    #expect(try LinkPreface(decoding: long.encoded(), peer: 1) == long)
  }

  @Test func hostPortParsing() {
    #expect(HostPort("127.0.0.1:7400") == HostPort("127.0.0.1:7400"))
    #expect(HostPort("127.0.0.1:7400")?.port == 7400)
    #expect(HostPort("[::1]:9")?.host == "::1")
    #expect(HostPort("site.example:0")?.host == "site.example")
    for bad in ["", "host", ":1", "host:", "host:65536", "host:-1", "[::1]9", "h:+1"] {
      #expect(HostPort(bad) == nil, "\(bad)")
    }
  }
}

/// The pending-handshake caps count each admitted connection once: its place comes back once,
/// however often its end is reported (a link that fails after its handshake once gave it back a
/// second time, raising the caps by one per such link).
@Suite struct PendingHandshakesTests {
  @Test func aPlaceComesBackOnce() {
    let pending = PendingHandshakes(total: 2, perSource: 2)
    #expect(pending.admit("a") && pending.admit("a"))
    #expect(!pending.admit("a") && !pending.admit("b"))
    let place = PendingHandshakes.Place(pending, source: "a")
    place.release()
    place.release()
    #expect(pending.admit("b"))
    #expect(!pending.admit("b"), "the second release gave back a place it did not hold")
  }
}
