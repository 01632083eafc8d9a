import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy
import MPCProtocol
import Testing
import _MPCTestSupport

@Suite struct MessageCodecTests {
  static let codec = MessageCodec()

  /// A random message of a random type, from the seeded stream.
  static func randomMessage(_ rng: inout ChaCha20PRG) -> Message {
    func text() -> String {
      let alphabet = Array("abcXYZ019-._é∑ \n\"")
      return String(
        (0..<Int(rng.uniform(below: 40))).map { _ in
          alphabet[Int(rng.uniform(below: UInt64(alphabet.count)))]
        })
    }
    switch rng.uniform(below: 6) {
    case 0:
      return .hello(
        Hello(
          protocolVersion: UInt16(truncatingIfNeeded: rng.nextUInt64()), studyId: text(),
          partyId: UInt32(truncatingIfNeeded: rng.nextUInt64()), sessionId: rng.bytes(count: 16),
          manifestHash: rng.bytes(count: 32)))
    case 1:
      let spent = Rational(Int(rng.uniform(below: 1000)), Int(rng.uniform(below: 1000)) + 1)
      return .ledgerHead(LedgerHead(hash: rng.bytes(count: 32), spent: spent))
    case 2:
      return .admit
    case 3:
      return .refuse(
        Reason(code: ReasonCode(rawValue: UInt16(rng.uniform(below: 20))), text: text()))
    case 4:
      return .abort(Reason(code: .timeout, text: text()))
    default:
      let width = UInt16(rng.uniform(below: 17) + 1)
      let count = UInt32(rng.uniform(below: 64))
      let chunks = UInt32(rng.uniform(below: 5) + 1)
      return .maskedUpload(
        MaskedUploadChunk(
          queryId: text(), chunkIndex: UInt32(rng.uniform(below: UInt64(chunks))),
          chunkCount: chunks, elementWidth: width, elementCount: count,
          elements: rng.bytes(count: Int(width) * Int(count))))
    }
  }

  @Test func roundTripsRandomMessages() throws {
    var rng = SeededRandom.make("codec/round-trip")
    var seen: Set<UInt8> = []
    for _ in 0..<600 {
      let message = Self.randomMessage(&rng)
      let frame = try Self.codec.encode(message)
      #expect(try Self.codec.decode(frame) == message)
      seen.insert(message.typeByte)
    }
    #expect(seen.count == 6)
  }

  @Test func everyTruncationPointIsTypedAndStreamingWaits() throws {
    var rng = SeededRandom.make("codec/truncation")
    for _ in 0..<60 {
      let frame = try Self.codec.encode(Self.randomMessage(&rng))
      for cut in 0..<frame.count {
        let prefix = Array(frame[0..<cut])
        #expect(throws: WireError.self) { try Self.codec.decode(prefix) }
        do {
          _ = try Self.codec.decode(prefix)
        } catch let error as WireError {
          guard case .truncated(let offset, _) = error else {
            Issue.record("cut at \(cut): \(error)")
            continue
          }
          #expect(offset == cut)
        }
        #expect(try Self.codec.decodeFrame(from: prefix[...]) == nil)
      }
    }
  }

  @Test func streamingDecodesConcatenatedFrames() throws {
    let a = try Self.codec.encode(.admit)
    let b = try Self.codec.encode(.abort(Reason(code: .peerAborted, text: "party 2 aborted")))
    let stream = a + b + [0x4D]
    let (first, used) = try #require(try Self.codec.decodeFrame(from: stream[...]))
    #expect(first == .admit && used == a.count)
    let (second, used2) = try #require(try Self.codec.decodeFrame(from: stream[used...]))
    #expect(second == .abort(Reason(code: .peerAborted, text: "party 2 aborted")))
    #expect(try Self.codec.decodeFrame(from: stream[(used + used2)...]) == nil)
  }

  @Test func knownHelloBytes() throws {
    let hello = Hello(
      studyId: "s", partyId: 2, sessionId: [UInt8](repeating: 0x11, count: 16),
      manifestHash: [UInt8](repeating: 0x22, count: 32))
    let frame = try Self.codec.encode(.hello(hello))
    let header: [UInt8] = [0x4D, 0x50, 0x01, 0x01, 59, 0, 0, 0]
    let body: [UInt8] =
      [0x01, 0x00, 1, 0, 0, 0, 0x73, 2, 0, 0, 0] + [UInt8](repeating: 0x11, count: 16)
      + [UInt8](repeating: 0x22, count: 32)
    #expect(frame == header + body)
  }

  static func expectError(
    _ bytes: [UInt8], _ check: (WireError) -> Bool, codec: MessageCodec = codec
  ) {
    do {
      let message = try codec.decode(bytes)
      Issue.record("decoded \(message)")
    } catch let error as WireError {
      #expect(check(error), "\(error)")
    } catch {
      Issue.record("untyped \(error)")
    }
  }

  /// Found by `make fuzz` (codec target): `4/4` decoded as 1, so one value had two encodings.
  @Test func nonCanonicalSpentIsMalformed() throws {
    let good = try Self.codec.encode(
      .ledgerHead(LedgerHead(hash: [UInt8](repeating: 0, count: 32), spent: Rational(1, 2))))
    _ = try Self.codec.decode(good)
    for text in ["4/4", "2/4", "02", "1/1", "-0", "+1", " 1"] {
      var body = [UInt8](repeating: 0, count: 32)
      body += withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian, Array.init)
      body += Array(text.utf8)
      let frame =
        [0x4D, 0x50, 0x01, 0x02] + withUnsafeBytes(of: UInt32(body.count).littleEndian, Array.init)
        + body
      Self.expectError(frame) { if case .malformed(40, _) = $0 { true } else { false } }
    }
  }

  @Test func malformedHeaders() throws {
    let frame = try Self.codec.encode(.admit)
    var bad = frame
    bad[0] = 0x00
    Self.expectError(bad) { $0 == .malformed(offset: 0, expected: "the magic bytes 'MP'") }
    bad = frame
    bad[2] = 2
    Self.expectError(bad) { if case .malformed(2, _) = $0 { true } else { false } }
    bad = frame
    bad[3] = 0x09
    Self.expectError(bad) { $0 == .malformed(offset: 3, expected: "a message type 1…8") }
    Self.expectError(frame + [0]) { $0 == .malformed(offset: 8, expected: "the end of the frame") }
    // A body that claims more than its message uses.
    var padded = try Self.codec.encode(.admit)
    padded[4] = 1
    Self.expectError(padded + [0]) { $0 == .malformed(offset: 8, expected: "the end of the body") }
  }

  @Test func oversizedIsRefusedFromTheHeaderAlone() throws {
    let small = MessageCodec(
      limits: CodecLimits(
        maxBodyBytes: 100, maxElementsPerChunk: 4, maxElementWidth: 16, maxStringBytes: 8))
    // Only the 8 header bytes exist; the declared 4 GiB body is refused before any allocation.
    let header: [UInt8] = [0x4D, 0x50, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff]
    #expect(
      throws: WireError.oversized(
        offset: 4, what: "frame body", limit: 100, actual: Int(UInt32.max))
    ) {
      try small.decodeFrame(from: header[...])
    }
    // A string length over the limit.
    let longId = try Self.codec.encode(.abort(Reason(code: .timeout, text: "123456789")))
    Self.expectError(
      longId, { $0 == .oversized(offset: 10, what: "reason text", limit: 8, actual: 9) },
      codec: small)
    #expect(throws: WireError.self) {
      try small.encode(.abort(Reason(code: .timeout, text: "123456789")))
    }
    // An element count over the limit, and a width over the limit.
    let chunk = MaskedUploadChunk(
      queryId: "q", chunkIndex: 0, chunkCount: 1, elementWidth: 2, elementCount: 5,
      elements: [UInt8](repeating: 1, count: 10))
    let frame = try Self.codec.encode(.maskedUpload(chunk))
    Self.expectError(
      frame, { if case .oversized(_, "element count", 4, 5) = $0 { true } else { false } },
      codec: small)
    var wide = chunk
    wide.elementWidth = 17
    wide.elementCount = 1
    wide.elements = [UInt8](repeating: 0, count: 17)
    Self.expectError(
      try Self.codec.encode(.maskedUpload(wide)),
      { if case .oversized(_, "element width", 16, 17) = $0 { true } else { false } }, codec: small)
  }

  @Test func malformedBodies() throws {
    let chunk = MaskedUploadChunk(
      queryId: "q", chunkIndex: 0, chunkCount: 2, elementWidth: 2, elementCount: 3,
      elements: [1, 2, 3, 4, 5, 6])
    let frame = try Self.codec.encode(.maskedUpload(chunk))
    // Body: LE32(1) "q" index count width count elements → index at 13, count at 17.
    var bad = frame
    bad[13] = 2  // index 2 of 2 chunks
    Self.expectError(bad) { if case .malformed(13, _) = $0 { true } else { false } }
    bad = frame
    bad[23] = 4  // 4 elements declared, 3 present
    Self.expectError(bad) { if case .malformed(27, _) = $0 { true } else { false } }
    // Invalid UTF-8 in a string.
    var text = try Self.codec.encode(.refuse(Reason(code: .budgetExhausted, text: "ab")))
    text[text.count - 1] = 0xff
    Self.expectError(text) { $0 == .malformed(offset: 10, expected: "reason text as valid UTF-8") }
    // A spent value that is not a rational.
    var head = try Self.codec.encode(
      .ledgerHead(LedgerHead(hash: [UInt8](repeating: 0, count: 32), spent: Rational(1, 2))))
    head[head.count - 2] = UInt8(ascii: "x")
    Self.expectError(head) { if case .malformed(40, _) = $0 { true } else { false } }
    // The encoder refuses what the decoder would.
    #expect(throws: WireError.self) {
      try Self.codec.encode(
        .hello(Hello(studyId: "s", partyId: 0, sessionId: [1], manifestHash: [])))
    }
    var inconsistent = chunk
    inconsistent.elements.removeLast()
    #expect(throws: WireError.self) { try Self.codec.encode(.maskedUpload(inconsistent)) }
  }

  /// The upload fast paths agree with the general codec: `encodeUpload` writes the same bytes
  /// as `encode`, and `decodeUpload` accepts, describes and refuses (with the same error)
  /// exactly what `decode` does, on intact and corrupted frames.
  @Test func uploadFastPathsMatchTheGeneralCodec() throws {
    var rng = SeededRandom.make("codec/upload-fast-path")
    for field in [NamedField.m61.field, NamedField.m89.field, NamedField.m127.field] {
      let count = Int(rng.uniform(below: 50))
      let elements = FieldVector(uniformCount: count, in: field, using: &rng)
      let chunks = UInt32(rng.uniform(below: 4) + 1)
      let chunk = MaskedUploadChunk(
        queryId: "query-\(count)", chunkIndex: chunks - 1, chunkCount: chunks,
        elementWidth: UInt16(field.elementByteCount), elementCount: UInt32(count),
        elements: elements.encoded())
      let fast = try Self.codec.encodeUpload(
        queryId: chunk.queryId, chunkIndex: chunk.chunkIndex, chunkCount: chunk.chunkCount,
        elements: elements)
      #expect(fast == (try Self.codec.encode(.maskedUpload(chunk))))
    }
    var decodedBoth = 0
    for round in 0..<600 {
      var frame = try Self.codec.encode(Self.randomMessage(&rng))
      if round % 2 == 1 {
        frame[Int(rng.uniform(below: UInt64(frame.count)))] = UInt8(
          truncatingIfNeeded: rng.nextUInt64())
      }
      let general = Result { try Self.codec.decode(frame) }
      let fast = Result { try Self.codec.decodeUpload(frame) }
      switch (general, fast) {
      case (.success(.maskedUpload(let chunk)), .success(let header?)):
        #expect(header.queryId == chunk.queryId && header.chunkIndex == chunk.chunkIndex)
        #expect(header.chunkCount == chunk.chunkCount && header.elementCount == chunk.elementCount)
        #expect(header.elementWidth == chunk.elementWidth)
        #expect(Array(frame[header.elementRange]) == chunk.elements)
        decodedBoth += 1
      case (.success(let message), .success(nil)):
        #expect(message.typeByte != Message.maskedUploadType)
      case (.failure(let a), .failure(let b)):
        #expect(a as? WireError == b as? WireError, "\(a) vs \(b)")
      case (_, .success(nil)):
        // Not an upload by its type byte (or shorter than a header): the general path decides.
        #expect(frame.count < MessageCodec.headerSize || frame[3] != Message.maskedUploadType)
      default:
        Issue.record("general \(general), fast \(fast) for \(frame.prefix(12))")
      }
    }
    #expect(decodedBoth > 20)
  }

  @Test func randomCorruptionNeverTraps() throws {
    var rng = SeededRandom.make("codec/corruption")
    var decoded = 0
    var refused = 0
    for _ in 0..<400 {
      var frame = try Self.codec.encode(Self.randomMessage(&rng))
      for _ in 0..<Int(rng.uniform(below: 3) + 1) {
        frame[Int(rng.uniform(below: UInt64(frame.count)))] = UInt8(
          truncatingIfNeeded: rng.nextUInt64())
      }
      do {
        _ = try Self.codec.decode(frame)
        decoded += 1
      } catch is WireError {
        refused += 1
      }
    }
    #expect(decoded + refused == 400 && refused > 0)
  }
}
