import MPCCrypto
import Testing
import _MPCTestSupport

/// RFC 8032 §7.1 known answers, and the refusals the registry relies on.
struct Ed25519Tests {
  static let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
  static let publicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
  static let emptySignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

  @Test func rfc8032TestOne() throws {
    let pair = try Ed25519.KeyPair(seed: SecretBytes(copying: try Hex.decode(Self.seed)))
    #expect(Hex.encode(pair.publicKey) == Self.publicKey)
    let signature = pair.sign([])
    #expect(Hex.encode(signature) == Self.emptySignature)
    #expect(Ed25519.verify(signature: signature, message: [], publicKey: pair.publicKey))
  }

  @Test func rfc8032TestTwo() throws {
    let pair = try Ed25519.KeyPair(
      seed: SecretBytes(
        copying: try Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
    )
    #expect(
      Hex.encode(pair.publicKey)
        == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
    #expect(
      Hex.encode(pair.sign([0x72]))
        == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
  }

  @Test func aChangedMessageSignatureOrKeyIsRefused() throws {
    var random = SeededRandom.make("ed25519-refusals")
    let pair = Ed25519.KeyPair.generate(using: &random)
    let other = Ed25519.KeyPair.generate(using: &random)
    let message = Array("query q1, study hash 00…".utf8)
    let signature = pair.sign(message)
    #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
    #expect(
      !Ed25519.verify(signature: signature, message: message + [0], publicKey: pair.publicKey))
    var flipped = signature
    flipped[5] ^= 1
    #expect(!Ed25519.verify(signature: flipped, message: message, publicKey: pair.publicKey))
    #expect(!Ed25519.verify(signature: signature, message: message, publicKey: other.publicKey))
    #expect(
      !Ed25519.verify(
        signature: Array(signature.prefix(63)), message: message, publicKey: pair.publicKey))
    // A small-order public key (the identity point) never verifies.
    let identity = [UInt8(1)] + [UInt8](repeating: 0, count: 31)
    #expect(!Ed25519.verify(signature: signature, message: message, publicKey: identity))
  }

  @Test func theSeedIsNeverPrinted() throws {
    let pair = try Ed25519.KeyPair(seed: SecretBytes(copying: try Hex.decode(Self.seed)))
    #expect(!"\(pair)".contains("9d61b1"))
  }
}
