/// Errors of the field layer; cases carry sizes and indices, never element values of secrets.
public enum FieldError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The modulus is composite (or not positive).
  case notPrime(modulus: String)
  /// The modulus is below the smallest one the layer accepts, or too small for a use.
  case modulusTooSmall(bitWidth: Int, required: String)
  /// The modulus is above the largest supported width.
  case modulusTooLarge(bitWidth: Int, maximum: Int)
  /// No named field has that name.
  case unknownField(name: String)
  /// Two vectors (or a vector and a buffer) of different lengths were combined.
  case lengthMismatch(expected: Int, actual: Int)
  /// Vectors of different fields (limb layouts) were combined.
  case fieldMismatch(expected: String, actual: String)
  /// An encoded element at `index` is ≥ p.
  case elementOutOfRange(index: Int)
  /// An encoding has a byte length that is not a whole number of elements.
  case invalidEncodingLength(byteCount: Int, elementByteCount: Int)
  /// A value cannot be represented (|v| > (p − 1)/2 for a signed value).
  case valueOutOfRange(index: Int, bitWidth: Int)

  public var description: String {
    switch self {
    case .notPrime(let m):
      return "field modulus \(Self.abbreviate(m)) is not prime"
    case .modulusTooSmall(let bits, let required):
      return "field modulus of \(bits) bits is too small: \(required)"
    case .modulusTooLarge(let bits, let maximum):
      return "field modulus of \(bits) bits exceeds the supported \(maximum) bits"
    case .unknownField(let name):
      return
        "unknown field \"\(name)\": use auto, \(NamedField.allCases.map(\.rawValue).joined(separator: ", ")) or a prime"
    case .lengthMismatch(let expected, let actual):
      return "vector length mismatch: expected \(expected) elements, got \(actual)"
    case .fieldMismatch(let expected, let actual):
      return "field mismatch: expected \(expected), got \(actual)"
    case .elementOutOfRange(let index):
      return "encoded element \(index) is not below the modulus"
    case .invalidEncodingLength(let byteCount, let width):
      return "encoding of \(byteCount) bytes is not a whole number of \(width)-byte elements"
    case .valueOutOfRange(let index, let bits):
      return "value \(index) does not fit the signed range of the \(bits)-bit field"
    }
  }

  static func abbreviate(_ s: String) -> String {
    s.count > 40 ? String(s.prefix(18)) + "…" + String(s.suffix(18)) : s
  }
}
