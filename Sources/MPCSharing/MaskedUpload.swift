public import MPCCrypto
public import MPCField

/// Streams party i's masked upload y_i = x_i + η_i + Σ_{j>i} r_ij − Σ_{j<i} r_ij (mod p)
/// (DESIGN §4.4) chunk by chunk: each pair's mask is expanded on the fly from its own PRG, so
/// memory stays at one chunk per call however long the vector is.
public struct MaskedUploadStream {
  /// This party's id.
  public let party: Int
  /// Number of parties.
  public let partyCount: Int
  /// The field.
  public let field: any PrimeField
  /// The vector length m.
  public let length: Int
  /// Elements produced so far.
  public private(set) var position = 0

  // One generator per peer, sign +1 for peers j > i (added), −1 for j < i (subtracted).
  private var generators: [(peer: Int, prg: ChaCha20PRG)]
  private var scratch: [UInt64] = []

  /// A stream for `party` given its pair secrets with every other party (keyed by peer id).
  public init(
    party: Int, partyCount: Int, pairSecrets: [Int: SecretBytes], context: MaskContext,
    field: any PrimeField
  ) throws {
    guard partyCount >= 2, (0..<partyCount).contains(party) else {
      throw SharingError.invalidParty(id: party, partyCount: partyCount)
    }
    self.party = party
    self.partyCount = partyCount
    self.field = field
    self.length = context.length
    generators = []
    for peer in 0..<partyCount where peer != party {
      guard let secret = pairSecrets[peer] else {
        throw SharingError.missingPairSecret(party: party, peer: peer)
      }
      let prg = try PairwiseMask.generator(
        pairSecret: secret, context: context, low: min(party, peer), high: max(party, peer))
      generators.append((peer, prg))
    }
  }

  /// Masks the next `chunk.count` elements of x_i + η_i in place (the chunk must already hold
  /// the party's reduced input plus noise).
  public mutating func mask(_ chunk: inout FieldVector) throws {
    guard chunk.field.modulus == field.modulus else {
      throw FieldError.fieldMismatch(expected: field.description, actual: chunk.field.description)
    }
    let n = chunk.count
    guard n <= length - position else {
      throw SharingError.chunkOverrun(requested: n, remaining: length - position)
    }
    let limbsNeeded = n * field.limbCount
    if scratch.count < limbsNeeded { scratch = [UInt64](repeating: 0, count: limbsNeeded) }
    let f = field.kernels
    let me = party
    chunk.withUnsafeMutableLimbs { y in
      scratch.withUnsafeMutableBufferPointer { all in
        let r = UnsafeMutableBufferPointer(rebasing: all[0..<limbsNeeded])
        for g in generators.indices {
          f.fillUniform(r, using: &generators[g].prg)
          if generators[g].peer > me {
            f.add(y, UnsafeBufferPointer(r))
          } else {
            f.subtract(y, UnsafeBufferPointer(r))
          }
        }
        // Mask material does not outlive the call.
        r.update(repeating: 0)
      }
    }
    position += n
  }

  /// Whether the whole vector has been masked.
  public var isComplete: Bool { position == length }
}
