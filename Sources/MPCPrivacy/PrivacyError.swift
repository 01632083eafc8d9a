/// Errors of the privacy layer. Cases name the offending field and its value (parameters are
/// public study settings, never secrets).
public enum PrivacyError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A parameter outside its allowed range; `requirement` says what is allowed.
  case invalidParameter(field: String, value: String, requirement: String)
  /// The number of colluders must be below the number of parties.
  case tooManyColluders(parties: Int, colluders: Int)
  /// The per-party Gaussian share is too narrow for the KLS21 bound to be useful.
  case shareTooNarrow(shareSigma: String, minimum: String, advice: String)
  /// Two options that cannot be combined, or a required option missing.
  case unsupportedCombination(String)
  /// A privacy cost of one kind combined with one of another kind.
  case mixedCostKinds(String, String)

  /// A one-line human description.
  public var description: String {
    switch self {
    case .invalidParameter(let field, let value, let requirement):
      return "invalid \(field) \(value): \(requirement)"
    case .tooManyColluders(let parties, let colluders):
      return
        "invalid colluders \(colluders): must be at least 0 and below the number of parties (\(parties))"
    case .shareTooNarrow(let shareSigma, "1/2", let advice):
      return
        "per-party share sigma s = \(shareSigma) is below 1/2, where the distributed Gaussian "
        + "bound (KLS21) ends; not even --force accepts it: \(advice), or lower the colluders"
    case .shareTooNarrow(let shareSigma, let minimum, let advice):
      return
        "per-party share sigma s = \(shareSigma) is below \(minimum): the distributed Gaussian "
        + "bound (KLS21) is loose there; \(advice), lower the colluders, or pass --force "
        + "(which accepts shares down to s = 1/2)"
    case .unsupportedCombination(let text):
      return text
    case .mixedCostKinds(let a, let b):
      return "cannot combine a \(a) cost with a \(b) cost; convert one first"
    }
  }
}
