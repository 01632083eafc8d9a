internal import CSodium

/// Runs `sodium_init` exactly once per process, before any other libsodium call.
private let sodiumReady: Bool = {
  // 0 = initialised now, 1 = already initialised; -1 = failure (no usable entropy source).
  let rc = sodium_init()
  precondition(rc >= 0, "libsodium failed to initialise (sodium_init returned \(rc))")
  return true
}()

/// Entry point of the libsodium facade.
public enum Sodium {
  /// Initialises libsodium if needed; every type of this module calls it before using libsodium.
  @inline(__always)
  public static func ensureInitialized() {
    precondition(sodiumReady)
  }

  /// The libsodium version string (for `mpc --version` and `mpc doctor`).
  public static var version: String {
    ensureInitialized()
    return String(cString: sodium_version_string())
  }
}

/// Errors of the crypto layer. Cases never carry key or secret bytes.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A key, nonce or seed of the wrong length.
  case invalidLength(what: String, expected: Int, actual: Int)
  /// X25519 produced the all-zero shared secret (a low-order peer public key).
  case weakPublicKey
  /// An authenticated decryption failed: the data or its associated data was altered.
  case authenticationFailed(context: String)
  /// Text that should be hexadecimal is not; `offset` is the first bad character.
  case invalidHex(offset: Int)

  public var description: String {
    switch self {
    case .invalidLength(let what, let expected, let actual):
      return "\(what) must be \(expected) bytes, got \(actual)"
    case .weakPublicKey:
      return "the peer's X25519 public key has low order (shared secret would be zero)"
    case .authenticationFailed(let context):
      return "authentication failed: \(context)"
    case .invalidHex(let offset):
      return "invalid hexadecimal at character \(offset + 1)"
    }
  }
}
