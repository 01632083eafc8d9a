internal import CGMP

/// An exact rational number over GMP's `mpq_t`, always in lowest terms with a positive
/// denominator; a value type with copy-on-write storage.
public struct Rational: Sendable {
  // Invariant: `storage` is canonical and only mutated through `make` (fresh storage).
  nonisolated(unsafe) var storage: MPQStorage

  init(storage: MPQStorage) {
    self.storage = storage
  }

  @inline(__always)
  static func make(_ body: (UnsafeMutablePointer<__mpq_struct>) -> Void) -> Rational {
    let s = MPQStorage()
    body(s.pointer)
    return Rational(storage: s)
  }

  /// Zero.
  public init() {
    storage = MPQStorage()
  }

  /// The integer `value`.
  public init(_ value: BigInt) {
    storage = MPQStorage()
    __gmpq_set_z(storage.pointer, value.storage.pointer)
  }

  /// The integer `value`.
  public init(_ value: Int) {
    self.init(BigInt(value))
  }

  /// `numerator / denominator`, reduced; throws on a zero denominator.
  public init(_ numerator: BigInt, _ denominator: BigInt) throws {
    guard !denominator.isZero else { throw BigIntError.divisionByZero }
    storage = MPQStorage()
    __gmpz_set(mpc_mpq_numref(storage.pointer), numerator.storage.pointer)
    __gmpz_set(mpc_mpq_denref(storage.pointer), denominator.storage.pointer)
    __gmpq_canonicalize(storage.pointer)
  }

  /// `numerator / denominator` for machine integers; traps on a zero denominator.
  public init(_ numerator: Int, _ denominator: Int) {
    precondition(denominator != 0, "Rational with zero denominator")
    // Cannot throw: the denominator is non-zero.
    self = try! Rational(BigInt(numerator), BigInt(denominator))
  }

  /// The numerator (carries the sign).
  public var numerator: BigInt {
    BigInt.make { __gmpz_set($0, mpc_mpq_numref_const(storage.pointer)) }
  }

  /// The denominator (always positive).
  public var denominator: BigInt {
    BigInt.make { __gmpz_set($0, mpc_mpq_denref_const(storage.pointer)) }
  }

  /// −1, 0 or 1.
  public var signum: Int { Int(mpc_mpq_sgn(storage.pointer)) }

  /// Whether the value is zero.
  public var isZero: Bool { signum == 0 }

  /// Whether the value is an integer.
  public var isInteger: Bool { denominator == 1 }

  /// ⌊self⌋.
  public var floor: BigInt {
    BigInt.make {
      __gmpz_fdiv_q(
        $0, mpc_mpq_numref_const(storage.pointer), mpc_mpq_denref_const(storage.pointer))
    }
  }

  /// ⌈self⌉.
  public var ceiling: BigInt {
    BigInt.make {
      __gmpz_cdiv_q(
        $0, mpc_mpq_numref_const(storage.pointer), mpc_mpq_denref_const(storage.pointer))
    }
  }

  /// The absolute value.
  public var magnitude: Rational { Rational.make { __gmpq_abs($0, storage.pointer) } }

  /// The multiplicative inverse; throws for zero.
  public func reciprocal() throws -> Rational {
    guard !isZero else { throw BigIntError.divisionByZero }
    return Rational.make { __gmpq_inv($0, storage.pointer) }
  }

  /// `self` raised to a machine exponent (negative exponents invert; zero base throws for them).
  public func power(_ exponent: Int) throws -> Rational {
    if exponent < 0 { return try reciprocal().power(-exponent) }
    let n = numerator.power(exponent)
    let d = denominator.power(exponent)
    return try Rational(n, d)
  }
}

extension Double {
  /// The nearest `Double` of `value` (truncated by GMP); for reporting only, never for noise.
  public init(_ value: Rational) {
    self = __gmpq_get_d(value.storage.pointer)
  }
}

// MARK: - Equality, ordering, hashing

extension Rational: Comparable, Hashable {
  public static func == (lhs: Rational, rhs: Rational) -> Bool {
    __gmpq_equal(lhs.storage.pointer, rhs.storage.pointer) != 0
  }

  public static func < (lhs: Rational, rhs: Rational) -> Bool {
    __gmpq_cmp(lhs.storage.pointer, rhs.storage.pointer) < 0
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(numerator)
    hasher.combine(denominator)
  }
}

extension Rational: ExpressibleByIntegerLiteral {
  /// An integer literal.
  public init(integerLiteral value: Int) {
    self.init(value)
  }
}

// MARK: - Arithmetic

extension Rational: AdditiveArithmetic {
  /// Zero.
  public static var zero: Rational { Rational() }

  public static func + (lhs: Rational, rhs: Rational) -> Rational {
    make { __gmpq_add($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  public static func - (lhs: Rational, rhs: Rational) -> Rational {
    make { __gmpq_sub($0, lhs.storage.pointer, rhs.storage.pointer) }
  }
}

extension Rational {
  /// Negation.
  public static prefix func - (value: Rational) -> Rational {
    make { __gmpq_neg($0, value.storage.pointer) }
  }

  /// Product.
  public static func * (lhs: Rational, rhs: Rational) -> Rational {
    make { __gmpq_mul($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  /// In-place product.
  public static func *= (lhs: inout Rational, rhs: Rational) {
    lhs = lhs * rhs
  }

  /// Quotient; traps on division by zero (use ``dividing(by:)`` to get an error instead).
  public static func / (lhs: Rational, rhs: Rational) -> Rational {
    precondition(!rhs.isZero, "Rational division by zero")
    return make { __gmpq_div($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  /// Quotient; throws on division by zero.
  public func dividing(by divisor: Rational) throws -> Rational {
    guard !divisor.isZero else { throw BigIntError.divisionByZero }
    return self / divisor
  }
}
