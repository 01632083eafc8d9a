// MARK: - Parsing and printing

extension Rational: LosslessStringConvertible, CustomStringConvertible {
  /// Parses like ``init(parsing:)``; nil on invalid text.
  public init?(_ description: String) {
    guard let value = try? Rational(parsing: description) else { return nil }
    self = value
  }

  /// Parses exactly: an integer (`-3`), a fraction (`7/3`), a decimal (`0.25`, `.5`), or
  /// scientific notation (`1e-6`, `2.5E3`). No rounding happens: `0.1` is exactly 1/10.
  /// Throws ``BigIntError`` naming the first bad character.
  public init(parsing text: String) throws {
    let trimmed = text
    if let slash = trimmed.firstIndex(of: "/") {
      let numText = String(trimmed[..<slash])
      let denText = String(trimmed[trimmed.index(after: slash)...])
      let num: BigInt
      do {
        num = try BigInt(parsing: numText)
      } catch {
        throw Rational.offsetError(text, in: numText, shift: 0, expected: "an integer numerator")
      }
      let den: BigInt
      do {
        den = try BigInt(parsing: denText)
      } catch {
        throw Rational.offsetError(
          text, in: denText, shift: numText.utf8.count + 1, expected: "an integer denominator")
      }
      guard !den.isZero else { throw BigIntError.divisionByZero }
      self = try Rational(num, den)
      return
    }
    self = try Rational.parseDecimal(text)
  }

  private static func offsetError(
    _ whole: String, in part: String, shift: Int, expected: String
  ) -> BigIntError {
    var offset = 0
    for (i, c) in part.utf8.enumerated() {
      let isSign = i == 0 && (c == UInt8(ascii: "-") || c == UInt8(ascii: "+"))
      if !isSign, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
        offset = i
        break
      }
      offset = i + 1
    }
    return .invalidNumber(text: whole, offset: shift + offset, expected: expected)
  }

  private static func parseDecimal(_ text: String) throws -> Rational {
    let chars = Array(text.utf8)
    let expected = "a number such as 3, -0.25, 7/3 or 1e-6"
    func fail(_ at: Int) -> BigIntError {
      .invalidNumber(text: text, offset: at, expected: expected)
    }
    var i = 0
    var negative = false
    if i < chars.count, chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") {
      negative = chars[i] == UInt8(ascii: "-")
      i += 1
    }
    var digits: [UInt8] = []
    var fractionDigits = 0
    var seenPoint = false
    var seenDigit = false
    while i < chars.count {
      let c = chars[i]
      if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
        digits.append(c)
        seenDigit = true
        if seenPoint { fractionDigits += 1 }
      } else if c == UInt8(ascii: "."), !seenPoint {
        seenPoint = true
      } else {
        break
      }
      i += 1
    }
    guard seenDigit else { throw fail(i) }
    var exponent = 0
    if i < chars.count {
      guard chars[i] == UInt8(ascii: "e") || chars[i] == UInt8(ascii: "E") else { throw fail(i) }
      i += 1
      var expNegative = false
      if i < chars.count, chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") {
        expNegative = chars[i] == UInt8(ascii: "-")
        i += 1
      }
      let expStart = i
      var value = 0
      while i < chars.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(chars[i]) {
        value = value * 10 + Int(chars[i] - UInt8(ascii: "0"))
        guard value <= 100_000 else { throw fail(i) }
        i += 1
      }
      guard i > expStart, i == chars.count else { throw fail(i) }
      exponent = expNegative ? -value : value
    }
    let mantissa = try BigInt(parsing: String(decoding: digits, as: UTF8.self))
    let scale = exponent - fractionDigits
    let ten = BigInt(10)
    var result =
      scale >= 0
      ? Rational(mantissa * ten.power(scale))
      : try Rational(mantissa, ten.power(-scale))
    if negative { result = -result }
    return result
  }

  /// `n` for integers, otherwise `n/d` in lowest terms.
  public var description: String {
    let d = denominator
    return d == 1 ? numerator.description : "\(numerator)/\(d)"
  }
}

// MARK: - Codable (as a string, exact)

extension Rational: Codable {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try Rational(parsing: text)
    } catch let error as BigIntError {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
