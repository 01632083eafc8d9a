/// Key derivation with full domain separation (`protocols/random.md`, "KDF"):
///
///     KDF(ikm, label, parts) = BLAKE2b-256(key = ikm,
///         msg = "swift-mpc/kdf/v1" ‖ LE32(|label|) ‖ label ‖ Σ (LE32(|part|) ‖ part))
///
/// Every part is length-prefixed, so no two distinct (label, parts) lists share an input.
public enum KDF {
  /// The domain prefix of every derivation; changes with the spec version.
  public static let domain = "swift-mpc/kdf/v1"

  /// The exact message that is hashed (exposed for vectors and the spec).
  public static func message(label: String, parts: [[UInt8]]) -> [UInt8] {
    var msg = Array(domain.utf8)
    func append(_ bytes: [UInt8]) {
      let n = UInt32(bytes.count)
      for i in 0..<4 { msg.append(UInt8(truncatingIfNeeded: n >> (8 * UInt32(i)))) }
      msg.append(contentsOf: bytes)
    }
    append(Array(label.utf8))
    parts.forEach(append)
    return msg
  }

  /// A 32-byte key derived from `ikm` (16…64 bytes) for `label` and `parts`.
  public static func derive(from ikm: SecretBytes, label: String, parts: [[UInt8]]) throws
    -> SecretBytes
  {
    var hasher = try Blake2b(outputByteCount: 32, key: ikm)
    hasher.update(message(label: label, parts: parts))
    // Straight into zeroizing storage: the derived key never sits in a plain array.
    return hasher.finalizeSecret()
  }
}
