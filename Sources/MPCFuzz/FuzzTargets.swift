import Foundation
import MPCCrypto
import MPCNetwork
import MPCProtocol
import NIOCore
import NIOEmbedded

/// The decoders that read bytes a party does not control — from the network before and after
/// authentication, and from the files an operator is handed — each as a function that must
/// return (accept or throw a typed error) for every input: no trap, no hang, no sanitizer
/// report. `make fuzz` runs them under libFuzzer; `mpc-fuzz replay` runs a corpus through them.
enum FuzzTarget: String, CaseIterable {
  case frames
  case handshake
  case codec
  case study
  case query
  case csv
  case vector
  case ledger

  func run(_ bytes: [UInt8]) {
    switch self {
    case .frames: Self.frames(bytes)
    case .handshake: Self.handshake(bytes)
    case .codec: Self.codec(bytes)
    case .study: _ = try? StudyManifest.decode(Data(bytes), file: "fuzz.json")
    // Plain and registered (signed) query files both go through the governance decoder.
    case .query: _ = try? Governance.decodeQuery(Data(bytes), file: "fuzz.json")
    case .csv: Self.csv(bytes)
    case .vector: Self.vector(bytes)
    case .ledger: Self.ledger(bytes)
    }
  }

  /// The link's inbound byte stream on both sides (handshake sizes, then length-prefixed
  /// frames), fed in two pieces so partial reads are exercised too.
  static func frames(_ bytes: [UInt8]) {
    let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    for decoder in [
      LinkFrameDecoder.responder(maximumFrame: 1 << 12),
      LinkFrameDecoder.initiator(peer: 1, maximumFrame: 1 << 12),
    ] {
      let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder))
      for piece in [bytes[..<split], bytes[split...]] {
        var buffer = channel.allocator.buffer(capacity: piece.count)
        buffer.writeBytes(piece)
        if (try? channel.writeInbound(buffer)) == nil { break }
      }
      while (try? channel.readInbound(as: ByteBuffer.self)) != nil {}
      _ = try? channel.finish()
    }
  }

  static let keys: (initiator: X25519.KeyPair, responder: X25519.KeyPair) = {
    // Fixed keys: the fuzzer explores the messages, not the key space.
    let a = try! X25519.KeyPair(
      privateKey: SecretBytes(copying: Array(repeating: UInt8(0x11), count: 32)))
    let b = try! X25519.KeyPair(
      privateKey: SecretBytes(copying: Array(repeating: UInt8(0x22), count: 32)))
    return (a, b)
  }()

  static var context: LinkContext {
    LinkContext(
      studyID: "fuzz", initiator: 0, responder: 1, initiatorStatic: keys.initiator.publicKey,
      responderStatic: keys.responder.publicKey)
  }

  /// Message 1 at a responder (what an unauthenticated dialer sends first), then the same
  /// bytes as message 2 at an initiator and as message 3 after a valid message 1.
  static func handshake(_ bytes: [UInt8]) {
    var random = FuzzRandom(seed: bytes)
    _ = try? LinkHandshake.Responder(
      context: context, identity: keys.responder, message1: bytes, using: &random)
    let initiator = LinkHandshake.Initiator(
      context: context, identity: keys.initiator, using: &random)
    _ = try? initiator.finish(message2: bytes)
    if let responder = try? LinkHandshake.Responder(
      context: context, identity: keys.responder, message1: initiator.message1, using: &random)
    {
      _ = try? responder.finish(message3: bytes)
    }
  }

  /// The message codec; a frame that decodes must encode back to the same bytes
  /// (the canonical form is unique, `protocols/messages.md` §1).
  static func codec(_ bytes: [UInt8]) {
    let codec = MessageCodec()
    _ = try? codec.decodeUpload(bytes)
    _ = try? codec.decodeFrame(from: bytes[...])
    guard let message = try? codec.decode(bytes) else { return }
    guard let again = try? codec.encode(message), again == bytes else {
      fatalError("a decoded message does not encode back to its bytes")
    }
  }

  static let queries: [QueryManifest] = [
    #"{"id": "h", "kind": "histogram", "column": "ward", "categories": ["icu", "medical"], "outside": "other", "rho": "1/10"}"#,
    #"{"id": "b", "kind": "histogram", "column": "age", "bin_edges": [0, 18, 65, 120], "outside": "other", "rho": "1/10"}"#,
    #"{"id": "s", "kind": "mean", "column": "age", "bounds": [0, 120], "max_bad_rows": 3, "rho": "1/10"}"#,
    #"{"id": "c", "kind": "count", "where": {"column": "ward", "equals": "icu"}, "rho": "1/10"}"#,
  ].map { try! QueryManifest.decode(Data($0.utf8), file: "fuzz-query.json") }

  static let vectorQuery = try! QueryManifest.decode(
    Data(
      #"{"id": "v", "kind": "vector-sum", "length": 4, "bounds": [-10, 10], "rho": "1/10"}"#.utf8),
    file: "fuzz-query.json")

  static func csv(_ bytes: [UInt8]) {
    for query in queries {
      _ = try? LocalData.load(query: query, csv: bytes, file: "fuzz.csv")
    }
  }

  static func vector(_ bytes: [UInt8]) {
    for format in VectorFormat.allCases {
      _ = try? LocalData.loadVector(
        query: vectorQuery, bytes: bytes, file: "fuzz.vec", format: format)
    }
  }

  static let ledgerStudy = try! StudyManifest.decode(
    Data(
      #"""
      {"id": "fuzz", "parties": [
        {"id": 0, "name": "a", "address": "127.0.0.1:1", "public_key": "\#(Hex.encode(keys.initiator.publicKey))"},
        {"id": 1, "name": "b", "address": "127.0.0.1:2", "public_key": "\#(Hex.encode(keys.responder.publicKey))"}],
       "colluders": 1, "budget": {"rho": "1"}, "delta": "1e-6", "field": "auto",
       "ledger": "ledger", "neighbour": "add-remove"}
      """#.utf8), file: "fuzz-study.json")

  /// A ledger file as it is found on disk: replayed, verified, and then charged once.
  /// The same bytes as a ledger file and as a release log (both JSON-lines hash chains).
  static func ledger(_ bytes: [UInt8]) {
    _ = try? BudgetLedger(store: MemoryLedgerStore(contents: bytes), study: ledgerStudy)
    _ = try? ReleaseLog(store: MemoryLedgerStore(contents: bytes))
  }
}

/// Deterministic bytes for the handshake's ephemeral keys (seeded by the input).
struct FuzzRandom: RandomSource {
  var state: UInt64

  init(seed: [UInt8]) {
    state = 0x9E37_79B9_7F4A_7C15
    for b in seed.prefix(64) { state = (state ^ UInt64(b)) &* 0x1000_0000_01B3 }
  }

  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count {
      state = state &+ 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      buffer[i] = UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
  }
}
