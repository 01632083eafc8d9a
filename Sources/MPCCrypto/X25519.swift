internal import CSodium

/// X25519 (RFC 7748) Diffie–Hellman through libsodium's `crypto_scalarmult`.
public enum X25519 {
  /// A long-term or ephemeral key pair.
  public struct KeyPair: Sendable {
    /// The 32-byte private scalar (clamped by X25519 itself when used).
    public let privateKey: SecretBytes
    /// The 32-byte public key.
    public let publicKey: [UInt8]

    /// A fresh key pair from `random`.
    public static func generate(using random: inout some RandomSource) -> KeyPair {
      let sk = SecretBytes(randomCount: 32, using: &random)
      // Cannot throw: the key is 32 bytes.
      return try! KeyPair(privateKey: sk)
    }

    /// The key pair of an existing private key.
    public init(privateKey: SecretBytes) throws {
      guard privateKey.count == 32 else {
        throw CryptoError.invalidLength(
          what: "X25519 private key", expected: 32, actual: privateKey.count)
      }
      Sodium.ensureInitialized()
      var pk = [UInt8](repeating: 0, count: 32)
      privateKey.withUnsafeBytes { sk in
        pk.withUnsafeMutableBufferPointer { p in
          _ = crypto_scalarmult_base(
            p.baseAddress!, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
      }
      self.privateKey = privateKey
      self.publicKey = pk
    }

    /// The raw shared secret with `peerPublicKey`; throws for a low-order peer key.
    /// Hash it (``KDF``) before use: it is not uniformly random.
    public func sharedSecret(with peerPublicKey: [UInt8]) throws -> SecretBytes {
      guard peerPublicKey.count == 32 else {
        throw CryptoError.invalidLength(
          what: "X25519 public key", expected: 32, actual: peerPublicKey.count)
      }
      var rc: Int32 = 0
      let secret = SecretBytes(count: 32) { out in
        privateKey.withUnsafeBytes { sk in
          peerPublicKey.withUnsafeBufferPointer { pk in
            rc = crypto_scalarmult(
              out.baseAddress!.assumingMemoryBound(to: UInt8.self),
              sk.baseAddress!.assumingMemoryBound(to: UInt8.self), pk.baseAddress!)
          }
        }
      }
      guard rc == 0 else { throw CryptoError.weakPublicKey }
      return secret
    }
  }
}
