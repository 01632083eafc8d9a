import MPCCrypto
package import NIOCore

/// Splits a link's inbound byte stream (`protocols/channel.md` §2): first the fixed-size
/// handshake messages this side expects, then frames `LE32(L) ‖ C`, each passed on as the
/// ciphertext C. The declared length is checked against the maximum as soon as its four bytes
/// are there, before any byte of C is waited for or allocated.
package struct LinkFrameDecoder: ByteToMessageDecoder {
  package typealias InboundOut = ByteBuffer

  /// Sizes of the handshake messages still expected before framing starts, in order.
  var handshakeSizes: [Int]
  /// The peer, for errors (nil on an accepted link until its message 1 named it; the link
  /// then relabels the error).
  let peer: Int?
  /// Largest plaintext length accepted.
  let maximumFrame: Int
  /// Frames passed on so far (the index of the next one, for errors).
  var frames: UInt64 = 0

  /// A decoder for the side that expects `handshakeSizes` first (the initiator expects message
  /// 2, the responder messages 1 and 3).
  package init(handshakeSizes: [Int], peer: Int?, maximumFrame: Int) {
    self.handshakeSizes = handshakeSizes
    self.peer = peer
    self.maximumFrame = maximumFrame
  }

  /// The decoder of a link's initiator: message 2, then frames.
  package static func initiator(peer: Int, maximumFrame: Int) -> LinkFrameDecoder {
    LinkFrameDecoder(
      handshakeSizes: [LinkHandshake.message2Size], peer: peer, maximumFrame: maximumFrame)
  }

  /// The decoder of a link's responder: messages 1 and 3, then frames.
  package static func responder(maximumFrame: Int) -> LinkFrameDecoder {
    LinkFrameDecoder(
      handshakeSizes: [LinkHandshake.message1Size, LinkHandshake.message3Size], peer: nil,
      maximumFrame: maximumFrame)
  }

  package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws
    -> DecodingState
  {
    guard let frame = try next(&buffer) else { return .needMoreData }
    context.fireChannelRead(wrapInboundOut(frame))
    return .continue
  }

  package mutating func decodeLast(
    context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
  ) throws -> DecodingState {
    // A truncated trailing frame is dropped: the link reports the closed stream.
    try decode(context: context, buffer: &buffer)
  }

  /// The next complete handshake message or frame ciphertext, or nil if more bytes are needed.
  mutating func next(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
    if let size = handshakeSizes.first {
      guard let message = buffer.readSlice(length: size) else { return nil }
      handshakeSizes.removeFirst()
      return message
    }
    guard
      let declared = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self)
    else { return nil }
    let length = Int(declared)
    let plaintext = length - XChaCha20Poly1305.tagByteCount
    guard plaintext <= maximumFrame else {
      throw NetworkError.frameTooLarge(peer: peer, length: plaintext, maximum: maximumFrame)
    }
    guard plaintext >= 0 else { throw NetworkError.frameRejected(peer: peer, frame: frames) }
    guard buffer.readableBytes >= 4 + length else { return nil }
    buffer.moveReaderIndex(forwardBy: 4)
    frames += 1
    return buffer.readSlice(length: length)
  }
}
