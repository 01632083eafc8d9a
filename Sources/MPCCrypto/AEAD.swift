internal import CSodium

/// XChaCha20-Poly1305 (IETF construction, libsodium `crypto_aead_xchacha20poly1305_ietf_*`):
/// authenticated encryption with associated data. Decryption failure throws; it never returns
/// partial plaintext.
public enum XChaCha20Poly1305 {
  /// Key size in bytes.
  public static let keyByteCount = 32
  /// Nonce size in bytes.
  public static let nonceByteCount = 24
  /// Authentication tag size in bytes (ciphertext = plaintext + tag).
  public static let tagByteCount = 16

  /// Encrypts `plaintext` under `key` and `nonce`, authenticating `associatedData` too.
  public static func seal(
    _ plaintext: UnsafeRawBufferPointer, key: SecretBytes, nonce: [UInt8],
    associatedData: [UInt8] = []
  ) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
    try out.withUnsafeMutableBytes {
      try seal(plaintext, into: $0, key: key, nonce: nonce, associatedData: associatedData)
    }
    return out
  }

  /// Encrypts `plaintext` into `out`, which must hold exactly `plaintext.count + tagByteCount`
  /// bytes (ciphertext then tag): for callers that own the output buffer (no copy).
  public static func seal(
    _ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
    key: SecretBytes, nonce: [UInt8], associatedData: [UInt8] = []
  ) throws {
    try check(key: key, nonce: nonce)
    guard out.count == plaintext.count + tagByteCount else {
      throw CryptoError.invalidLength(
        what: "AEAD output", expected: plaintext.count + tagByteCount, actual: out.count)
    }
    var outLength: UInt64 = 0
    key.withUnsafeBytes { k in
      nonce.withUnsafeBufferPointer { n in
        associatedData.withUnsafeBufferPointer { ad in
          _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            out.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLength,
            plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
            ad.baseAddress, UInt64(ad.count), nil, n.baseAddress!,
            k.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
      }
    }
  }

  /// Encrypts an array.
  public static func seal(
    _ plaintext: [UInt8], key: SecretBytes, nonce: [UInt8], associatedData: [UInt8] = []
  ) throws -> [UInt8] {
    try plaintext.withUnsafeBytes {
      try seal($0, key: key, nonce: nonce, associatedData: associatedData)
    }
  }

  /// Decrypts and verifies; throws ``CryptoError/authenticationFailed(context:)`` if the
  /// ciphertext, nonce or associated data was altered.
  public static func open(
    _ ciphertext: UnsafeRawBufferPointer, key: SecretBytes, nonce: [UInt8],
    associatedData: [UInt8] = [], context: String
  ) throws -> [UInt8] {
    try check(key: key, nonce: nonce)
    guard ciphertext.count >= tagByteCount else {
      throw CryptoError.authenticationFailed(context: context + " (shorter than a tag)")
    }
    var out = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
    var outLength: UInt64 = 0
    let rc = out.withUnsafeMutableBufferPointer { o in
      key.withUnsafeBytes { k in
        nonce.withUnsafeBufferPointer { n in
          associatedData.withUnsafeBufferPointer { ad in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
              o.baseAddress, &outLength, nil,
              ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
              ad.baseAddress, UInt64(ad.count), n.baseAddress!,
              k.baseAddress!.assumingMemoryBound(to: UInt8.self))
          }
        }
      }
    }
    guard rc == 0 else { throw CryptoError.authenticationFailed(context: context) }
    return out
  }

  /// Decrypts an array.
  public static func open(
    _ ciphertext: [UInt8], key: SecretBytes, nonce: [UInt8], associatedData: [UInt8] = [],
    context: String
  ) throws -> [UInt8] {
    try ciphertext.withUnsafeBytes {
      try open($0, key: key, nonce: nonce, associatedData: associatedData, context: context)
    }
  }

  private static func check(key: SecretBytes, nonce: [UInt8]) throws {
    guard key.count == keyByteCount else {
      throw CryptoError.invalidLength(what: "AEAD key", expected: keyByteCount, actual: key.count)
    }
    guard nonce.count == nonceByteCount else {
      throw CryptoError.invalidLength(
        what: "AEAD nonce", expected: nonceByteCount, actual: nonce.count)
    }
  }
}
