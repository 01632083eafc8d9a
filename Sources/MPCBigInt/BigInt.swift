internal import CGMP

/// An arbitrary-precision integer over GMP's `mpz_t`, a value type with copy-on-write storage.
///
/// Sign rules: `/` and `%` truncate toward zero like Swift's `Int` (the remainder has the sign
/// of the dividend); ``floorDivided(by:)`` rounds toward −∞; ``modulo(_:)`` returns the
/// representative in `[0, |m|)`. Limbs are wiped whenever GMP frees them (see the zeroizing
/// allocator), so secrets held in a `BigInt` do not linger in freed memory. GMP arithmetic is
/// not constant-time: keep secrets out of `BigInt` on hot paths where timing matters.
public struct BigInt: Sendable {
  // Invariant: `storage` is only mutated through `mutate`, which copies it when shared.
  nonisolated(unsafe) var storage: MPZStorage

  init(storage: MPZStorage) {
    self.storage = storage
  }

  /// Zero.
  public init() {
    storage = MPZStorage()
  }

  /// The value of a machine integer.
  public init(_ value: Int) {
    storage = MPZStorage()
    __gmpz_set_si(storage.pointer, value)
  }

  /// The value of an unsigned 64-bit integer.
  public init(_ value: UInt64) {
    storage = MPZStorage()
    __gmpz_set_ui(storage.pointer, UInt(value))
  }

  /// The value of any binary integer.
  public init<T: BinaryInteger>(_ value: T) {
    if let v = Int(exactly: value) {
      self.init(v)
    } else if let v = UInt64(exactly: value) {
      self.init(v)
    } else {
      // Wider than 64 bits: assemble from words, least significant first.
      var result = BigInt()
      let magnitude = value.magnitude
      for (i, word) in magnitude.words.enumerated() {
        result += BigInt(UInt64(word)) << (i * UInt.bitWidth)
      }
      self = value < 0 ? -result : result
    }
  }

  @inline(__always)
  mutating func mutate<R>(_ body: (UnsafeMutablePointer<__mpz_struct>) -> R) -> R {
    if !isKnownUniquelyReferenced(&storage) {
      storage = MPZStorage(copying: storage)
    }
    return body(storage.pointer)
  }

  /// Builds a new value by running a GMP function into fresh storage.
  @inline(__always)
  static func make(_ body: (UnsafeMutablePointer<__mpz_struct>) -> Void) -> BigInt {
    let s = MPZStorage()
    body(s.pointer)
    return BigInt(storage: s)
  }
}

// MARK: - Properties

extension BigInt {
  /// −1, 0 or 1.
  public var signum: Int { Int(mpc_mpz_sgn(storage.pointer)) }

  /// Whether the value is zero.
  public var isZero: Bool { signum == 0 }

  /// Whether the value is negative.
  public var isNegative: Bool { signum < 0 }

  /// Whether the value is odd.
  public var isOdd: Bool { mpc_mpz_odd_p(storage.pointer) != 0 }

  /// Number of bits of |self| (0 for zero).
  public var bitWidth: Int {
    isZero ? 0 : Int(__gmpz_sizeinbase(storage.pointer, 2))
  }

  /// The absolute value.
  public var magnitude: BigInt { BigInt.make { __gmpz_abs($0, storage.pointer) } }

  /// Bit `index` of |self| (two's complement semantics for negatives, as GMP's `mpz_tstbit`).
  public func testBit(_ index: Int) -> Bool {
    __gmpz_tstbit(storage.pointer, UInt(index)) != 0
  }

  /// The 64-bit limbs of |self|, least significant first, padded with zeros to `count`
  /// (or exactly as many as needed when `count` is nil). Throws if it does not fit.
  public func limbs(count: Int? = nil) throws -> [UInt64] {
    let needed = (bitWidth + 63) / 64
    let n = count ?? needed
    guard needed <= n else { throw BigIntError.doesNotFit(bitWidth: bitWidth, byteCount: n * 8) }
    var out = [UInt64](repeating: 0, count: n)
    out.withUnsafeMutableBufferPointer { buf in
      var written = 0
      _ = __gmpz_export(buf.baseAddress, &written, -1, 8, 0, 0, storage.pointer)
    }
    return out
  }

  /// The value of non-negative little-endian 64-bit limbs.
  public init(limbs: some Collection<UInt64>) {
    let array = Array(limbs)
    self = BigInt.make { z in
      array.withUnsafeBufferPointer { buf in
        __gmpz_import(z, buf.count, -1, 8, 0, 0, buf.baseAddress)
      }
    }
  }
}

// MARK: - Conversions

extension Int {
  /// The value of `value` if it fits in an `Int`.
  public init?(exactly value: BigInt) {
    guard __gmpz_fits_slong_p(value.storage.pointer) != 0 else { return nil }
    self = __gmpz_get_si(value.storage.pointer)
  }
}

extension UInt64 {
  /// The value of `value` if it is non-negative and fits in 64 bits.
  public init?(exactly value: BigInt) {
    guard !value.isNegative, value.bitWidth <= 64 else { return nil }
    self = UInt64(__gmpz_get_ui(value.storage.pointer))
  }
}

extension Double {
  /// The nearest-below `Double` of `value` (GMP truncates); for reporting only, never for noise.
  public init(_ value: BigInt) {
    self = __gmpz_get_d(value.storage.pointer)
  }
}

// MARK: - Literals, equality, ordering, hashing

extension BigInt: ExpressibleByIntegerLiteral {
  /// A literal that fits in `Int`.
  public init(integerLiteral value: Int) {
    self.init(value)
  }
}

extension BigInt: Comparable, Hashable {
  public static func == (lhs: BigInt, rhs: BigInt) -> Bool {
    __gmpz_cmp(lhs.storage.pointer, rhs.storage.pointer) == 0
  }

  public static func < (lhs: BigInt, rhs: BigInt) -> Bool {
    __gmpz_cmp(lhs.storage.pointer, rhs.storage.pointer) < 0
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(signum)
    // `limbs()` cannot fail without an explicit count.
    for limb in (try? magnitude.limbs()) ?? [] {
      hasher.combine(limb)
    }
  }
}

// MARK: - Arithmetic

extension BigInt: AdditiveArithmetic {
  /// Zero.
  public static var zero: BigInt { BigInt() }

  public static func + (lhs: BigInt, rhs: BigInt) -> BigInt {
    make { __gmpz_add($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  public static func - (lhs: BigInt, rhs: BigInt) -> BigInt {
    make { __gmpz_sub($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  public static func += (lhs: inout BigInt, rhs: BigInt) {
    let r = rhs.storage
    lhs.mutate { __gmpz_add($0, $0, r.pointer) }
  }

  public static func -= (lhs: inout BigInt, rhs: BigInt) {
    let r = rhs.storage
    lhs.mutate { __gmpz_sub($0, $0, r.pointer) }
  }
}

extension BigInt {
  /// Negation.
  public static prefix func - (value: BigInt) -> BigInt {
    make { __gmpz_neg($0, value.storage.pointer) }
  }

  /// Product.
  public static func * (lhs: BigInt, rhs: BigInt) -> BigInt {
    make { __gmpz_mul($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  /// In-place product.
  public static func *= (lhs: inout BigInt, rhs: BigInt) {
    let r = rhs.storage
    lhs.mutate { __gmpz_mul($0, $0, r.pointer) }
  }

  /// Quotient truncated toward zero. Traps on division by zero, like `Int`.
  public static func / (lhs: BigInt, rhs: BigInt) -> BigInt {
    precondition(!rhs.isZero, "BigInt division by zero")
    return make { __gmpz_tdiv_q($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  /// Remainder of truncated division: it has the sign of `lhs`. Traps on zero, like `Int`.
  public static func % (lhs: BigInt, rhs: BigInt) -> BigInt {
    precondition(!rhs.isZero, "BigInt division by zero")
    return make { __gmpz_tdiv_r($0, lhs.storage.pointer, rhs.storage.pointer) }
  }

  /// Truncated quotient and remainder; throws on division by zero.
  public func quotientAndRemainder(dividingBy divisor: BigInt) throws -> (
    quotient: BigInt, remainder: BigInt
  ) {
    guard !divisor.isZero else { throw BigIntError.divisionByZero }
    let q = MPZStorage()
    let r = MPZStorage()
    __gmpz_tdiv_qr(q.pointer, r.pointer, storage.pointer, divisor.storage.pointer)
    return (BigInt(storage: q), BigInt(storage: r))
  }

  /// Quotient rounded toward −∞; throws on division by zero.
  public func floorDivided(by divisor: BigInt) throws -> BigInt {
    guard !divisor.isZero else { throw BigIntError.divisionByZero }
    return BigInt.make { __gmpz_fdiv_q($0, storage.pointer, divisor.storage.pointer) }
  }

  /// Quotient rounded toward +∞; throws on division by zero.
  public func ceilDivided(by divisor: BigInt) throws -> BigInt {
    guard !divisor.isZero else { throw BigIntError.divisionByZero }
    return BigInt.make { __gmpz_cdiv_q($0, storage.pointer, divisor.storage.pointer) }
  }

  /// The representative of `self` modulo `modulus` in `[0, |modulus|)`; throws on zero.
  public func modulo(_ modulus: BigInt) throws -> BigInt {
    guard !modulus.isZero else { throw BigIntError.divisionByZero }
    return BigInt.make { __gmpz_mod($0, storage.pointer, modulus.storage.pointer) }
  }

  /// `self` shifted left by `bits` (multiplication by 2^bits).
  public static func << (lhs: BigInt, bits: Int) -> BigInt {
    precondition(bits >= 0, "negative shift")
    return make { __gmpz_mul_2exp($0, lhs.storage.pointer, UInt(bits)) }
  }

  /// `self` shifted right by `bits`, rounding toward −∞ (floor division by 2^bits).
  public static func >> (lhs: BigInt, bits: Int) -> BigInt {
    precondition(bits >= 0, "negative shift")
    return make { __gmpz_fdiv_q_2exp($0, lhs.storage.pointer, UInt(bits)) }
  }

  /// `self` raised to a non-negative machine exponent.
  public func power(_ exponent: Int) -> BigInt {
    precondition(exponent >= 0, "negative exponent")
    return BigInt.make { __gmpz_pow_ui($0, storage.pointer, UInt(exponent)) }
  }

  /// `self^exponent mod modulus` in `[0, modulus)`; a negative exponent uses the inverse.
  public func power(_ exponent: BigInt, modulo modulus: BigInt) throws -> BigInt {
    guard !modulus.isZero else { throw BigIntError.divisionByZero }
    if exponent.isNegative {
      let inv = try inverse(modulo: modulus)
      return try inv.power(-exponent, modulo: modulus)
    }
    return BigInt.make {
      __gmpz_powm($0, storage.pointer, exponent.storage.pointer, modulus.storage.pointer)
    }
  }

  /// The inverse of `self` modulo `modulus`, in `[0, |modulus|)`.
  public func inverse(modulo modulus: BigInt) throws -> BigInt {
    guard !modulus.isZero else { throw BigIntError.divisionByZero }
    let s = MPZStorage()
    guard __gmpz_invert(s.pointer, storage.pointer, modulus.storage.pointer) != 0 else {
      throw BigIntError.notInvertible
    }
    return BigInt(storage: s)
  }

  /// Greatest common divisor (non-negative).
  public func gcd(_ other: BigInt) -> BigInt {
    BigInt.make { __gmpz_gcd($0, storage.pointer, other.storage.pointer) }
  }

  /// ⌊√self⌋ for self ≥ 0.
  public func squareRootFloor() throws -> BigInt {
    guard !isNegative else { throw BigIntError.negativeValue(context: "square root") }
    return BigInt.make { __gmpz_sqrt($0, storage.pointer) }
  }

  /// Whether the value is (probably) prime: GMP's BPSW plus `rounds` Miller–Rabin rounds,
  /// error probability below 4^−rounds for composites.
  public func isProbablePrime(rounds: Int = 40) -> Bool {
    __gmpz_probab_prime_p(storage.pointer, Int32(rounds)) != 0
  }
}
