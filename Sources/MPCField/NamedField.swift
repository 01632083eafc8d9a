public import MPCBigInt

/// The named fields of DESIGN §3: Mersenne primes 2^k − 1.
public enum NamedField: String, CaseIterable, Codable, Sendable {
  /// 2^61 − 1 (one limb, 8-byte elements).
  case m61
  /// 2^89 − 1 (two limbs, 12-byte elements).
  case m89
  /// 2^107 − 1 (two limbs, 14-byte elements).
  case m107
  /// 2^127 − 1 (two limbs, 16-byte elements).
  case m127

  /// The exponent k of 2^k − 1.
  public var exponent: Int {
    switch self {
    case .m61: 61
    case .m89: 89
    case .m107: 107
    case .m127: 127
    }
  }

  /// The prime 2^k − 1.
  public var modulus: BigInt { (BigInt(1) << exponent) - 1 }

  /// The field (cannot fail: these moduli are prime).
  public var field: any PrimeField {
    // Cannot throw: Mersenne exponents 61, 89, 107 and 127 give primes.
    try! makePrimeField(modulus: modulus)
  }
}

/// A study's field setting: `auto`, a named field, or an explicit prime (DESIGN §3).
public enum FieldChoice: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The smallest named field with p > 2·bound.
  case auto
  /// One of ``NamedField``.
  case named(NamedField)
  /// An explicit prime, given in decimal or `0x` hex.
  case prime(BigInt)

  /// Parses `auto`, a named field (`m61`, `m89`, `m107`, `m127`) or a prime.
  public init(parsing text: String) throws {
    let trimmed = text.trimmingWhitespace()
    if trimmed == "auto" {
      self = .auto
    } else if let named = NamedField(rawValue: trimmed) {
      self = .named(named)
    } else if let value = try? BigInt(parsing: trimmed) {
      self = .prime(value)
    } else {
      throw FieldError.unknownField(name: text)
    }
  }

  public var description: String {
    switch self {
    case .auto: "auto"
    case .named(let n): n.rawValue
    case .prime(let p): p.description
    }
  }

  /// The field for a query whose opened value can reach magnitude `bound` (true result plus
  /// the noise tail): p must exceed 2·bound so that signed decoding never wraps.
  public func resolve(bound: BigInt) throws -> any PrimeField {
    let needed = "the query needs p > 2·\(bound) (largest possible |result| plus noise tail)"
    switch self {
    case .auto:
      guard let named = NamedField.allCases.first(where: { $0.modulus > bound * 2 }) else {
        throw FieldError.modulusTooSmall(bitWidth: NamedField.m127.exponent, required: needed)
      }
      return named.field
    case .named(let n):
      guard n.modulus > bound * 2 else {
        throw FieldError.modulusTooSmall(bitWidth: n.exponent, required: needed)
      }
      return n.field
    case .prime(let p):
      let field = try makePrimeField(modulus: p)
      guard p > bound * 2 else {
        throw FieldError.modulusTooSmall(bitWidth: p.bitWidth, required: needed)
      }
      return field
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try FieldChoice(parsing: text)
    } catch let error as FieldError {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

extension String {
  func trimmingWhitespace() -> String {
    let scalars = unicodeScalars
    guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    return String(scalars[start...end])
  }
}
