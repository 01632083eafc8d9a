public import MPCCrypto
public import MPCField

/// Additive n-of-n secret sharing of field vectors: x = Σ shares (mod p). Any n − 1 shares are
/// jointly uniform and independent of x.
public enum AdditiveSharing {
  /// Splits `secret` into `parties` shares: the first n − 1 uniform from `random`, the last
  /// x − Σ others.
  public static func split(
    _ secret: FieldVector, parties: Int, using random: inout some RandomSource
  ) throws -> [FieldVector] {
    guard parties >= 2 else { throw SharingError.invalidParty(id: parties, partyCount: parties) }
    var shares: [FieldVector] = []
    var last = secret
    for _ in 0..<(parties - 1) {
      let share = FieldVector(uniformCount: secret.count, in: secret.field, using: &random)
      try last.subtract(share)
      shares.append(share)
    }
    shares.append(last)
    return shares
  }

  /// Σ shares (mod p).
  public static func reconstruct(_ shares: [FieldVector]) throws -> FieldVector {
    guard var total = shares.first else {
      throw SharingError.inconsistentShares(reason: "no shares")
    }
    for share in shares.dropFirst() {
      do {
        try total.add(share)
      } catch let error as FieldError {
        throw SharingError.inconsistentShares(reason: error.description)
      }
    }
    return total
  }
}
