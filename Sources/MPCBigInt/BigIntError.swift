/// Errors of the big-number layer. Cases carry positions and sizes, never secret values.
public enum BigIntError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Text that is not a number in the expected notation; `offset` is the first bad character.
  case invalidNumber(text: String, offset: Int, expected: String)
  /// Division or reduction by zero.
  case divisionByZero
  /// The value has no inverse modulo the given modulus.
  case notInvertible
  /// A value does not fit in the requested fixed-width encoding.
  case doesNotFit(bitWidth: Int, byteCount: Int)
  /// A negative value where only non-negative ones are allowed.
  case negativeValue(context: String)

  public var description: String {
    switch self {
    case .invalidNumber(let text, let offset, let expected):
      let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
      return "invalid number \"\(shown)\" at character \(offset + 1): expected \(expected)"
    case .divisionByZero:
      return "division by zero"
    case .notInvertible:
      return "value is not invertible modulo the given modulus"
    case .doesNotFit(let bits, let bytes):
      return "a \(bits)-bit value does not fit in \(bytes) bytes"
    case .negativeValue(let context):
      return "negative value not allowed: \(context)"
    }
  }
}
