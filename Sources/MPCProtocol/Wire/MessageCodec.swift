import MPCBigInt
public import MPCField

/// Limits the decoder checks before allocating anything (`protocols/messages.md`).
public struct CodecLimits: Sendable, Hashable {
  /// The largest frame body accepted.
  public var maxBodyBytes: Int
  /// The most elements in one upload chunk.
  public var maxElementsPerChunk: Int
  /// The widest field element, in bytes.
  public var maxElementWidth: Int
  /// The longest string (ids, rational text, reason text), in UTF-8 bytes.
  public var maxStringBytes: Int

  /// Limits; the defaults allow 1 Mi elements of up to 16 bytes per chunk.
  public init(
    maxBodyBytes: Int = (16 << 20) + 4096, maxElementsPerChunk: Int = 1 << 20,
    maxElementWidth: Int = 512, maxStringBytes: Int = 4096
  ) {
    self.maxBodyBytes = maxBodyBytes
    self.maxElementsPerChunk = maxElementsPerChunk
    self.maxElementWidth = maxElementWidth
    self.maxStringBytes = maxStringBytes
  }
}

/// The versioned binary encoding of ``Message`` (`protocols/messages.md`):
/// `"M" "P" version type LE32(body length) body`.
public struct MessageCodec: Sendable {
  /// The protocol and frame version this codec speaks.
  public static let protocolVersion: UInt16 = 1
  /// The frame header size.
  public static let headerSize = 8
  /// The two magic bytes, `MP`.
  public static let magic: [UInt8] = [0x4D, 0x50]

  /// The limits in force.
  public var limits: CodecLimits

  /// A codec with `limits`.
  public init(limits: CodecLimits = CodecLimits()) {
    self.limits = limits
  }

  // MARK: - Encoding

  /// The frame of `message`; throws if a field breaks a limit or a fixed size, so the encoder
  /// never produces what a decoder with the same limits refuses.
  public func encode(_ message: Message) throws -> [UInt8] {
    var body = Writer()
    switch message {
    case .hello(let h):
      body.u16(h.protocolVersion)
      try body.string(h.studyId, "study id", limits)
      body.u32(h.partyId)
      try body.fixed(h.sessionId, 16, "session id")
      try body.fixed(h.manifestHash, 32, "manifest hash")
      // Flags only when one is set: an ordinary hello is byte for byte the v1 one.
      if h.seededNoise { body.bytes.append(Hello.seededNoiseFlag) }
    case .ledgerHead(let l):
      try body.fixed(l.hash, 32, "ledger head hash")
      try body.string(l.spent.description, "spent", limits)
    case .admit:
      break
    case .refuse(let r), .abort(let r):
      body.u16(r.code.rawValue)
      try body.string(r.text, "reason text", limits)
    case .maskedUpload(let c):
      try body.uploadHeader(
        queryId: c.queryId, chunkIndex: c.chunkIndex, chunkCount: c.chunkCount,
        elementWidth: c.elementWidth, elementCount: c.elementCount, limits: limits)
      guard c.elements.count == Int(c.elementWidth) * Int(c.elementCount) else {
        throw WireError.malformed(
          offset: 0, expected: "element bytes = width × count")
      }
      body.bytes += c.elements
    case .transcript(let hash):
      try body.fixed(hash, 32, "transcript hash")
    case .ledgerEntries(let contents):
      body.bytes += contents
    }
    guard body.bytes.count <= limits.maxBodyBytes else {
      throw WireError.oversized(
        offset: 4, what: "frame body", limit: limits.maxBodyBytes, actual: body.bytes.count)
    }
    var frame = Self.magic + [UInt8(Self.protocolVersion), message.typeByte]
    frame.reserveCapacity(Self.headerSize + body.bytes.count)
    var header = Writer()
    header.u32(UInt32(body.bytes.count))
    frame += header.bytes
    frame += body.bytes
    return frame
  }

  /// The frame of a masked-upload chunk whose elements are `elements`, written straight into
  /// the frame: the same bytes as ``encode(_:)`` of the equivalent ``MaskedUploadChunk``,
  /// without the intermediate copies.
  public func encodeUpload(
    queryId: String, chunkIndex: UInt32, chunkCount: UInt32, elements: FieldVector
  ) throws -> [UInt8] {
    var body = Writer()
    try body.uploadHeader(
      queryId: queryId, chunkIndex: chunkIndex, chunkCount: chunkCount,
      elementWidth: UInt16(elements.field.elementByteCount),
      elementCount: UInt32(elements.count), limits: limits)
    let bodyLength = body.bytes.count + elements.encodedByteCount
    guard bodyLength <= limits.maxBodyBytes else {
      throw WireError.oversized(
        offset: 4, what: "frame body", limit: limits.maxBodyBytes, actual: bodyLength)
    }
    var header = Writer()
    header.bytes = Self.magic + [UInt8(Self.protocolVersion), Message.maskedUploadType]
    header.u32(UInt32(bodyLength))
    header.bytes += body.bytes
    let prefix = header.bytes
    return [UInt8](unsafeUninitializedCapacity: prefix.count + elements.encodedByteCount) {
      buffer, initialized in
      let raw = UnsafeMutableRawBufferPointer(buffer)
      prefix.withUnsafeBytes { raw.copyMemory(from: $0) }
      elements.encode(into: UnsafeMutableRawBufferPointer(rebasing: raw[prefix.count...]))
      initialized = buffer.count
    }
  }

  /// A masked-upload frame decoded without copying its elements: nil if `frame` holds another
  /// message type (decode it with ``decode(_:)``). Checks exactly what ``decode(_:)`` checks.
  public func decodeUpload(_ frame: [UInt8]) throws -> MaskedUploadHeader? {
    guard frame.count >= Self.headerSize, frame[3] == Message.maskedUploadType else { return nil }
    for (i, expected) in Self.magic.enumerated() where frame[i] != expected {
      throw WireError.malformed(offset: i, expected: "the magic bytes 'MP'")
    }
    guard frame[2] == UInt8(Self.protocolVersion) else {
      throw WireError.malformed(
        offset: 2, expected: "frame version \(Self.protocolVersion), found \(frame[2])")
    }
    let length = Int(Reader.le32(frame, at: 4))
    guard length <= limits.maxBodyBytes else {
      throw WireError.oversized(
        offset: 4, what: "frame body", limit: limits.maxBodyBytes, actual: length)
    }
    guard frame.count - Self.headerSize == length else {
      if frame.count - Self.headerSize < length {
        throw WireError.truncated(
          offset: frame.count, expected: "a \(length)-byte body after the header")
      }
      throw WireError.malformed(
        offset: Self.headerSize + length, expected: "the end of the frame")
    }
    var reader = Reader(bytes: frame[Self.headerSize...], offset: Self.headerSize, limits: limits)
    return try reader.uploadHeader()
  }

  // MARK: - Decoding

  /// Decodes exactly one frame; a short input is ``WireError/truncated(offset:expected:)``,
  /// extra bytes are ``WireError/malformed(offset:expected:)``.
  public func decode(_ frame: [UInt8]) throws -> Message {
    guard let (message, consumed) = try decodeFrame(from: frame[...]) else {
      if frame.count < Self.headerSize {
        throw WireError.truncated(offset: frame.count, expected: "an 8-byte frame header")
      }
      let length = Int(Reader.le32(frame, at: 4))
      throw WireError.truncated(
        offset: frame.count, expected: "a \(length)-byte body after the header")
    }
    guard consumed == frame.count else {
      throw WireError.malformed(offset: consumed, expected: "the end of the frame")
    }
    return message
  }

  /// Decodes the first frame of `bytes` if it is complete: nil when more bytes are needed
  /// (the header is still checked first, so an oversized frame is refused before it is read).
  public func decodeFrame(from bytes: ArraySlice<UInt8>) throws -> (Message, consumed: Int)? {
    let base = bytes.startIndex
    let available = bytes.count
    // Check each header byte as soon as it is there.
    for (i, expected) in Self.magic.enumerated() where i < available {
      guard bytes[base + i] == expected else {
        throw WireError.malformed(offset: i, expected: "the magic bytes 'MP'")
      }
    }
    if available > 2, bytes[base + 2] != UInt8(Self.protocolVersion) {
      throw WireError.malformed(
        offset: 2, expected: "frame version \(Self.protocolVersion), found \(bytes[base + 2])")
    }
    if available > 3, !(0x01...Message.lastType).contains(bytes[base + 3]) {
      throw WireError.malformed(offset: 3, expected: "a message type 1…\(Message.lastType)")
    }
    guard available >= Self.headerSize else { return nil }
    let length = Int(Reader.le32(Array(bytes[base..<base + 8]), at: 4))
    guard length <= limits.maxBodyBytes else {
      throw WireError.oversized(
        offset: 4, what: "frame body", limit: limits.maxBodyBytes, actual: length)
    }
    guard available - Self.headerSize >= length else { return nil }
    let bodyStart = base + Self.headerSize
    var reader = Reader(
      bytes: bytes[bodyStart..<bodyStart + length], offset: Self.headerSize, limits: limits)
    let message: Message
    switch bytes[base + 3] {
    case 0x01:
      var hello = Hello(
        protocolVersion: try reader.u16("protocol version"),
        studyId: try reader.string("study id"), partyId: try reader.u32("party id"),
        sessionId: try reader.fixed(16, "session id"),
        manifestHash: try reader.fixed(32, "manifest hash"))
      if reader.remaining > 0 {
        // One flags byte, present only when non-zero, with only known bits (one encoding).
        let at = reader.position
        guard try reader.fixed(1, "hello flags") == [Hello.seededNoiseFlag] else {
          throw WireError.malformed(offset: at, expected: "hello flags 0x01 or no flags byte")
        }
        hello.seededNoise = true
      }
      message = .hello(hello)
    case 0x02:
      let hash = try reader.fixed(32, "ledger head hash")
      let at = reader.position
      let text = try reader.string("spent")
      // Canonical text only (`n` or `n/d` in lowest terms, d > 1): one value, one encoding.
      guard let spent = try? Rational(parsing: text), spent.description == text else {
        throw WireError.malformed(offset: at, expected: "spent as a rational such as 3/4")
      }
      message = .ledgerHead(LedgerHead(hash: hash, spent: spent))
    case 0x03:
      message = .admit
    case 0x04, 0x06:
      let reason = Reason(
        code: ReasonCode(rawValue: try reader.u16("reason code")),
        text: try reader.string("reason text"))
      message = bytes[base + 3] == 0x04 ? .refuse(reason) : .abort(reason)
    case 0x07:
      message = .transcript(try reader.fixed(32, "transcript hash"))
    case 0x08:
      message = .ledgerEntries(try reader.fixed(reader.remaining, "ledger file"))
    default:
      message = .maskedUpload(try reader.chunk())
    }
    guard reader.remaining == 0 else {
      throw WireError.malformed(offset: reader.position, expected: "the end of the body")
    }
    return (message, Self.headerSize + length)
  }
}

// MARK: - Byte writer and reader

private struct Writer {
  var bytes: [UInt8] = []

  mutating func u16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }

  mutating func u32(_ v: UInt32) {
    for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
  }

  mutating func string(_ s: String, _ what: String, _ limits: CodecLimits) throws {
    let utf8 = Array(s.utf8)
    guard utf8.count <= limits.maxStringBytes else {
      throw WireError.oversized(
        offset: bytes.count, what: what, limit: limits.maxStringBytes, actual: utf8.count)
    }
    u32(UInt32(utf8.count))
    bytes += utf8
  }

  /// A masked upload's fields before its elements, with the limits the decoder checks.
  mutating func uploadHeader(
    queryId: String, chunkIndex: UInt32, chunkCount: UInt32, elementWidth: UInt16,
    elementCount: UInt32, limits: CodecLimits
  ) throws {
    try string(queryId, "query id", limits)
    guard chunkCount >= 1, chunkIndex < chunkCount else {
      throw WireError.malformed(offset: 0, expected: "chunk index < chunk count")
    }
    u32(chunkIndex)
    u32(chunkCount)
    guard elementWidth >= 1, Int(elementWidth) <= limits.maxElementWidth else {
      throw WireError.oversized(
        offset: 0, what: "element width", limit: limits.maxElementWidth,
        actual: Int(elementWidth))
    }
    u16(elementWidth)
    guard Int(elementCount) <= limits.maxElementsPerChunk else {
      throw WireError.oversized(
        offset: 0, what: "element count", limit: limits.maxElementsPerChunk,
        actual: Int(elementCount))
    }
    u32(elementCount)
  }

  mutating func fixed(_ b: [UInt8], _ count: Int, _ what: String) throws {
    guard b.count == count else {
      throw WireError.malformed(offset: bytes.count, expected: "a \(count)-byte \(what)")
    }
    bytes += b
  }
}

private struct Reader {
  let bytes: ArraySlice<UInt8>
  /// The frame offset of `bytes.startIndex`.
  let offset: Int
  let limits: CodecLimits
  var index: Int

  init(bytes: ArraySlice<UInt8>, offset: Int, limits: CodecLimits) {
    self.bytes = bytes
    self.offset = offset
    self.limits = limits
    index = bytes.startIndex
  }

  /// The frame offset of the next byte.
  var position: Int { offset + (index - bytes.startIndex) }
  var remaining: Int { bytes.endIndex - index }

  static func le32(_ b: [UInt8], at i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
  }

  private func need(_ count: Int, _ what: String) throws {
    guard remaining >= count else {
      throw WireError.malformed(
        offset: position, expected: "\(what) (\(count) bytes) within the frame body")
    }
  }

  mutating func u16(_ what: String) throws -> UInt16 {
    try need(2, what)
    defer { index += 2 }
    return UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
  }

  mutating func u32(_ what: String) throws -> UInt32 {
    try need(4, what)
    defer { index += 4 }
    return UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
      | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
  }

  mutating func fixed(_ count: Int, _ what: String) throws -> [UInt8] {
    try need(count, what)
    defer { index += count }
    return Array(bytes[index..<index + count])
  }

  mutating func string(_ what: String) throws -> String {
    let at = position
    let length = Int(try u32("\(what) length"))
    guard length <= limits.maxStringBytes else {
      throw WireError.oversized(
        offset: at, what: what, limit: limits.maxStringBytes, actual: length)
    }
    let raw = try fixed(length, what)
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw WireError.malformed(offset: at, expected: "\(what) as valid UTF-8")
    }
    return text
  }

  /// A masked upload's header fields and where its elements lie; checks the declared sizes
  /// against the bytes that remain, and consumes them.
  mutating func uploadHeader() throws -> MaskedUploadHeader {
    let queryId = try string("query id")
    let indexAt = position
    let chunkIndex = try u32("chunk index")
    let chunkCount = try u32("chunk count")
    guard chunkCount >= 1, chunkIndex < chunkCount else {
      throw WireError.malformed(
        offset: indexAt, expected: "chunk index < chunk count and chunk count ≥ 1")
    }
    let widthAt = position
    let width = try u16("element width")
    guard width >= 1, Int(width) <= limits.maxElementWidth else {
      throw WireError.oversized(
        offset: widthAt, what: "element width", limit: limits.maxElementWidth,
        actual: Int(width))
    }
    let countAt = position
    let count = try u32("element count")
    guard Int(count) <= limits.maxElementsPerChunk else {
      throw WireError.oversized(
        offset: countAt, what: "element count", limit: limits.maxElementsPerChunk,
        actual: Int(count))
    }
    let byteCount = Int(width) * Int(count)
    guard byteCount == remaining else {
      throw WireError.malformed(
        offset: position,
        expected: "\(byteCount) element bytes (width × count), found \(remaining)")
    }
    let start = index
    index += byteCount
    return MaskedUploadHeader(
      queryId: queryId, chunkIndex: chunkIndex, chunkCount: chunkCount, elementWidth: width,
      elementCount: count, elementRange: start..<index)
  }

  mutating func chunk() throws -> MaskedUploadChunk {
    let header = try uploadHeader()
    return MaskedUploadChunk(
      queryId: header.queryId, chunkIndex: header.chunkIndex, chunkCount: header.chunkCount,
      elementWidth: header.elementWidth, elementCount: header.elementCount,
      elements: Array(bytes[header.elementRange]))
  }

}
