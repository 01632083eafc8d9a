package import MPCCrypto

/// Deterministic randomness for tests: a ChaCha20 PRG keyed by BLAKE2b(label), so every test
/// names its own stream and reruns draw the same bytes.
package enum SeededRandom {
  /// A generator whose key is BLAKE2b-256 of `label`.
  package static func make(_ label: String, stream: UInt64 = 0) -> ChaCha20PRG {
    // Cannot throw: a 32-byte digest is a valid key and BLAKE2b-256 is a valid size.
    let key = try! Blake2b.hash(Array(label.utf8), outputByteCount: 32)
    return try! ChaCha20PRG(seed: SecretBytes(copying: key), streamID: stream)
  }
}
