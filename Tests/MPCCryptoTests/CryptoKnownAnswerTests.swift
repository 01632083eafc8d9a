import Foundation
import MPCCrypto
import Testing
import _MPCTestSupport

@Suite struct ChaCha20PRGTests {
  /// RFC 8439 Appendix A.1, test vectors #1 and #2: the all-zero key and nonce, blocks 0 and 1.
  @Test func rfc8439KeystreamBlocks0And1() throws {
    let prg = try ChaCha20PRG(
      key: SecretBytes(copying: [UInt8](repeating: 0, count: 32)),
      nonce: .init(repeating: 0, count: 12))
    var random = prg
    let out = random.bytes(count: 128)
    #expect(
      Hex.encode(out[0..<64])
        == "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
    )
    #expect(
      Hex.encode(out[64..<128])
        == "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"
    )
  }

  /// RFC 8439 Appendix A.1, test vector #3: key 00…01, block 1.
  @Test func rfc8439KeystreamVector3() throws {
    var random = try ChaCha20PRG(
      key: SecretBytes(copying: [UInt8](repeating: 0, count: 31) + [1]),
      nonce: .init(repeating: 0, count: 12))
    _ = random.bytes(count: 64)
    #expect(
      Hex.encode(random.bytes(count: 64))
        == "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"
    )
  }

  /// The stream is the same however it is read: odd chunks, whole blocks, UInt64s.
  @Test func streamIndependentOfChunking() {
    var a = SeededRandom.make("chunking")
    var b = SeededRandom.make("chunking")
    let whole = a.bytes(count: 20_000)
    var pieces: [UInt8] = []
    let sizes = [1, 7, 64, 3, 4096, 5000, 13, 128, 8, 2]
    var i = 0
    while pieces.count < 20_000 {
      let n = min(sizes[i % sizes.count], 20_000 - pieces.count)
      if n == 8 {
        let v = b.nextUInt64()
        pieces += (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
      } else {
        pieces += b.bytes(count: n)
      }
      i += 1
    }
    #expect(pieces == whole)
  }

  @Test func streamsAreSeparated() throws {
    var s0 = SeededRandom.make("streams", stream: 0)
    var s1 = SeededRandom.make("streams", stream: 1)
    #expect(s0.bytes(count: 32) != s1.bytes(count: 32))
  }

  @Test func invalidSizesThrow() {
    #expect(throws: CryptoError.invalidLength(what: "ChaCha20 key", expected: 32, actual: 16)) {
      try ChaCha20PRG(
        key: SecretBytes(copying: [UInt8](repeating: 0, count: 16)),
        nonce: .init(repeating: 0, count: 12))
    }
    #expect(throws: CryptoError.self) { try ChaCha20PRG(seedHex: "abcd") }
    #expect(throws: CryptoError.invalidHex(offset: 0)) {
      try ChaCha20PRG(seedHex: String(repeating: "z", count: 64))
    }
  }

  @Test func uniformBelowIsInRangeAndUnbiased() {
    var random = SeededRandom.make("uniform")
    var counts = [Int](repeating: 0, count: 6)
    for _ in 0..<60_000 { counts[Int(random.uniform(below: 6))] += 1 }
    // χ² with 5 degrees of freedom; 20.5 is the 0.999 quantile.
    let chi2 = counts.reduce(0.0) { $0 + pow(Double($1) - 10_000, 2) / 10_000 }
    #expect(chi2 < 20.5)
    #expect(random.uniform(below: 1) == 0)
  }
}

@Suite struct Blake2bTests {
  /// RFC 7693 Appendix A: BLAKE2b-512("abc").
  @Test func rfc7693Abc() throws {
    #expect(
      Hex.encode(try Blake2b.hash(Array("abc".utf8), outputByteCount: 64))
        == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
    )
  }

  /// libsodium / reference keyed BLAKE2b-512 vectors: key 00..3f, inputs "" and 00..fe.
  @Test func keyedVectors() throws {
    let key = SecretBytes(copying: (0..<64).map { UInt8($0) })
    #expect(
      Hex.encode(try Blake2b.hash([], key: key, outputByteCount: 64))
        == "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"
    )
    #expect(
      Hex.encode(try Blake2b.hash((0..<255).map { UInt8($0) }, key: key, outputByteCount: 64))
        == "142709d62e28fcccd0af97fad0f8465b971e82201dc51070faa0372aa43e92484be1c1e73ba10906d5d1853db6a4106e0a7bf9800d373d6dee2d46d62ef2a461"
    )
  }

  @Test func streamingEqualsOneShot() throws {
    let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var h = try Blake2b(outputByteCount: 32)
    h.update(Array(data[0..<333]))
    h.update(Array(data[333...]))
    #expect(h.finalize() == (try Blake2b.hash(data)))
  }

  @Test func sizeErrors() {
    #expect(throws: CryptoError.self) { try Blake2b.hash([], outputByteCount: 8) }
    #expect(throws: CryptoError.self) {
      try Blake2b.hash([], key: SecretBytes(copying: [1, 2, 3]))
    }
  }
}

@Suite struct KDFTests {
  @Test func domainSeparation() throws {
    let ikm = SecretBytes(copying: [UInt8](repeating: 7, count: 32))
    let a = try KDF.derive(from: ikm, label: "mask", parts: [[1, 2], [3]])
    let b = try KDF.derive(from: ikm, label: "mask", parts: [[1], [2, 3]])
    let c = try KDF.derive(from: ikm, label: "mask2", parts: [[1, 2], [3]])
    #expect(!a.constantTimeEquals(b))
    #expect(!a.constantTimeEquals(c))
    #expect(a.constantTimeEquals(try KDF.derive(from: ikm, label: "mask", parts: [[1, 2], [3]])))
    #expect(a.count == 32)
    // The message layout is the spec's: domain ‖ LE32 lengths ‖ fields.
    #expect(
      KDF.message(label: "ab", parts: [[9]])
        == Array("swift-mpc/kdf/v1".utf8) + [2, 0, 0, 0] + Array("ab".utf8) + [1, 0, 0, 0, 9])
    // And it is keyed BLAKE2b-256 of that message.
    #expect(
      a.exposedBytes()
        == (try Blake2b.hash(KDF.message(label: "mask", parts: [[1, 2], [3]]), key: ikm)))
  }
}

@Suite struct X25519Tests {
  /// RFC 7748 §6.1.
  @Test func rfc7748DiffieHellman() throws {
    let alice = try X25519.KeyPair(
      privateKey: SecretBytes(
        copying: try Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    )
    let bob = try X25519.KeyPair(
      privateKey: SecretBytes(
        copying: try Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    )
    #expect(
      Hex.encode(alice.publicKey)
        == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    #expect(
      Hex.encode(bob.publicKey)
        == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    let k1 = try alice.sharedSecret(with: bob.publicKey)
    let k2 = try bob.sharedSecret(with: alice.publicKey)
    #expect(
      Hex.encode(k1.exposedBytes())
        == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    #expect(k1.constantTimeEquals(k2))
  }

  @Test func lowOrderPointRefused() throws {
    var random = SeededRandom.make("x25519")
    let pair = X25519.KeyPair.generate(using: &random)
    #expect(throws: CryptoError.weakPublicKey) {
      try pair.sharedSecret(with: [UInt8](repeating: 0, count: 32))
    }
    #expect(throws: CryptoError.self) { try pair.sharedSecret(with: [1, 2, 3]) }
  }

  @Test func secretsDoNotPrint() {
    let s = SecretBytes(copying: [1, 2, 3])
    #expect(s.description == "SecretBytes(3 bytes)")
  }

  @Test func hexRoundTrip() throws {
    #expect(try Hex.decode("00ffA0") == [0, 255, 160])
    #expect(Hex.encode([0, 255, 160]) == "00ffa0")
    #expect(throws: CryptoError.invalidHex(offset: 3)) { try Hex.decode("abc") }
  }
}

/// Secrets go from their source straight into zeroizing storage: the same bytes as the plain
/// paths, with no plain copy in between.
@Suite struct SecretStorageTests {
  @Test func finalizeSecretEqualsFinalize() throws {
    let key = SecretBytes(copying: [UInt8](repeating: 3, count: 32))
    var a = try Blake2b(outputByteCount: 32, key: key)
    var b = try Blake2b(outputByteCount: 32, key: key)
    a.update([1, 2, 3])
    b.update([1, 2, 3])
    let secret = a.finalizeSecret().exposedBytes()
    let plain = b.finalize()
    #expect(secret == plain)
  }

  @Test func hexDigitsDecodeIntoSecretBytes() throws {
    let text = Array("00ffA07b".utf8)
    let secret = try text.withUnsafeBytes { try SecretBytes(hexDigits: $0) }
    #expect(secret.exposedBytes() == [0, 255, 160, 123])
    #expect(throws: CryptoError.invalidHex(offset: 2)) {
      try Array("00g0".utf8).withUnsafeBytes { try SecretBytes(hexDigits: $0) }
    }
    #expect(throws: CryptoError.invalidHex(offset: 3)) {
      try Array("abc".utf8).withUnsafeBytes { try SecretBytes(hexDigits: $0) }
    }
  }

  @Test func appendHexAndWipe() {
    let secret = SecretBytes(copying: [0, 255, 160, 123])
    var text = Array("k: ".utf8)
    text.reserveCapacity(text.count + 8)
    secret.appendHex(to: &text)
    #expect(String(decoding: text, as: UTF8.self) == "k: 00ffa07b")
    text.withUnsafeMutableBytes { SecretBytes.wipe($0) }
    #expect(text == [UInt8](repeating: 0, count: 11))
  }
}
