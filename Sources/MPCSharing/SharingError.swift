/// Errors of the sharing layer; cases carry party ids and sizes, never share or mask bytes.
public enum SharingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Fewer than two parties, or a party id outside 0..<n.
  case invalidParty(id: Int, partyCount: Int)
  /// A pair secret of the wrong length for the pair (i, j).
  case invalidPairSecret(party: Int, peer: Int, byteCount: Int)
  /// The pair secrets given do not cover exactly the other n − 1 parties.
  case missingPairSecret(party: Int, peer: Int)
  /// Shares of different lengths or fields.
  case inconsistentShares(reason: String)
  /// A chunk longer than what remains of the vector.
  case chunkOverrun(requested: Int, remaining: Int)

  public var description: String {
    switch self {
    case .invalidParty(let id, let n):
      return "party \(id) is not one of the \(n) parties (ids 0..<\(n), n ≥ 2)"
    case .invalidPairSecret(let party, let peer, let count):
      return "pair secret of parties \(party) and \(peer) must be 32 bytes, got \(count)"
    case .missingPairSecret(let party, let peer):
      return "party \(party) has no pair secret for peer \(peer)"
    case .inconsistentShares(let reason):
      return "inconsistent shares: \(reason)"
    case .chunkOverrun(let requested, let remaining):
      return "chunk of \(requested) elements requested but only \(remaining) remain"
    }
  }
}
