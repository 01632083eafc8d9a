import MPCBigInt
public import MPCCrypto
public import MPCField

/// Everything a pairwise mask is bound to (DESIGN §4.3, `protocols/sharing.md`). Two different
/// contexts never yield the same mask stream: every field is part of the key derivation.
public struct MaskContext: Sendable, Hashable {
  /// Spec version (`protocols/sharing.md`); part of the derivation.
  public var protocolVersion: UInt32
  /// The study id.
  public var studyID: String
  /// The 16-byte session id: fresh per run, so re-runs never reuse a mask.
  public var sessionID: [UInt8]
  /// The query id.
  public var queryID: String
  /// Which vector of the query the mask covers (e.g. "result", "sum", "count").
  public var vectorName: String
  /// Number of field elements.
  public var length: Int
  /// The field modulus, as little-endian bytes in the derivation.
  public var modulus: [UInt8]

  /// A mask context.
  public init(
    protocolVersion: UInt32 = 1, studyID: String, sessionID: [UInt8], queryID: String,
    vectorName: String, length: Int, field: any PrimeField
  ) {
    self.protocolVersion = protocolVersion
    self.studyID = studyID
    self.sessionID = sessionID
    self.queryID = queryID
    self.vectorName = vectorName
    self.length = length
    // Cannot throw: p is positive and fits its own byte width.
    modulus = try! field.modulus.littleEndianBytes(count: field.elementByteCount)
  }
}

/// The pairwise masks r_ij = −r_ji's counterpart: for i < j both parties expand the same stream.
public enum PairwiseMask {
  /// The KDF label of mask keys.
  public static let label = "pairwise-mask"

  /// The ChaCha20 key of the mask between `low` < `high`:
  /// KDF(pairSecret, "pairwise-mask", [LE32(version), studyID, sessionID, queryID, vectorName,
  /// LE64(length), modulus LE, LE32(low), LE32(high)]). The nonce is all zeros: every key is
  /// used for exactly one stream.
  public static func key(pairSecret: SecretBytes, context: MaskContext, low: Int, high: Int)
    throws -> SecretBytes
  {
    guard pairSecret.count == 32 else {
      throw SharingError.invalidPairSecret(party: low, peer: high, byteCount: pairSecret.count)
    }
    precondition(low < high, "mask pair must be ordered")
    return try KDF.derive(
      from: pairSecret, label: label,
      parts: [
        le(UInt64(context.protocolVersion), 4), Array(context.studyID.utf8), context.sessionID,
        Array(context.queryID.utf8), Array(context.vectorName.utf8), le(UInt64(context.length), 8),
        context.modulus, le(UInt64(low), 4), le(UInt64(high), 4),
      ])
  }

  /// The PRG that expands the mask between `low` < `high`.
  public static func generator(
    pairSecret: SecretBytes, context: MaskContext, low: Int, high: Int
  ) throws -> ChaCha20PRG {
    let key = try key(pairSecret: pairSecret, context: context, low: low, high: high)
    return try ChaCha20PRG(key: key, nonce: [UInt8](repeating: 0, count: 12))
  }

  /// The whole mask vector r_{low,high} (for tests and vectors; uploads stream it in chunks).
  public static func expand(
    pairSecret: SecretBytes, context: MaskContext, low: Int, high: Int, field: any PrimeField
  ) throws -> FieldVector {
    var prg = try generator(pairSecret: pairSecret, context: context, low: low, high: high)
    return FieldVector(uniformCount: context.length, in: field, using: &prg)
  }

  static func le(_ value: UInt64, _ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
  }
}
