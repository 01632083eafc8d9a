internal import CSodium

/// Ed25519 signatures (RFC 8032) through libsodium's `crypto_sign_detached`: the approvers of
/// a study's query registry sign registered queries with these keys (DESIGN §8).
public enum Ed25519 {
  /// Size of a public key.
  public static let publicKeySize = 32
  /// Size of a signature.
  public static let signatureSize = 64

  /// A signing key pair. The 32-byte seed is the secret; libsodium's 64-byte secret key
  /// (seed ‖ public key) is derived from it when signing and wiped afterwards.
  public struct KeyPair: Sendable {
    /// The 32-byte secret seed.
    public let seed: SecretBytes
    /// The 32-byte public key.
    public let publicKey: [UInt8]

    /// A fresh key pair from `random`.
    public static func generate(using random: inout some RandomSource) -> KeyPair {
      // Cannot throw: the seed is 32 bytes.
      try! KeyPair(seed: SecretBytes(randomCount: 32, using: &random))
    }

    /// The key pair of an existing 32-byte seed.
    public init(seed: SecretBytes) throws {
      guard seed.count == 32 else {
        throw CryptoError.invalidLength(what: "Ed25519 seed", expected: 32, actual: seed.count)
      }
      Sodium.ensureInitialized()
      var pk = [UInt8](repeating: 0, count: 32)
      _ = Self.expand(seed, publicKey: &pk)  // the expanded key is wiped when released
      self.seed = seed
      self.publicKey = pk
    }

    /// libsodium's 64-byte secret key for `seed`, in wiped storage; writes the public key.
    private static func expand(_ seed: SecretBytes, publicKey pk: inout [UInt8]) -> SecretBytes {
      SecretBytes(count: 64) { sk in
        seed.withUnsafeBytes { s in
          pk.withUnsafeMutableBufferPointer { p in
            _ = crypto_sign_seed_keypair(
              p.baseAddress!, sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
              s.baseAddress!.assumingMemoryBound(to: UInt8.self))
          }
        }
      }
    }

    /// The 64-byte signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
      var pk = [UInt8](repeating: 0, count: 32)
      let secret = Self.expand(seed, publicKey: &pk)
      var signature = [UInt8](repeating: 0, count: Ed25519.signatureSize)
      secret.withUnsafeBytes { sk in
        signature.withUnsafeMutableBufferPointer { sig in
          _ = crypto_sign_detached(
            sig.baseAddress!, nil, message, UInt64(message.count),
            sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
      }
      return signature
    }
  }

  /// Whether `signature` is a valid signature of `message` under `publicKey` (libsodium
  /// rejects non-canonical encodings and small-order public keys).
  public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
    guard signature.count == signatureSize, publicKey.count == publicKeySize else { return false }
    Sodium.ensureInitialized()
    return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
  }
}
