public import MPCBigInt
package import MPCCrypto

/// A prime field Z_p with vector operations on contiguous little-endian 64-bit limbs
/// (DESIGN §3). Element i of a vector occupies limbs `[i·L, (i+1)·L)` with L = ``limbCount``,
/// always fully reduced into `[0, p)`. Vector operations never allocate per element.
///
/// Two implementations: ``SmallPrimeField`` (p < 2^64, machine words) and
/// ``LargePrimeField`` (any width, multi-limb carry chains). ``makePrimeField(modulus:)``
/// picks the right one; named fields come from ``NamedField``.
///
/// The public surface is values (``FieldVector``, `BigInt`); the pointer kernels behind it are
/// package-internal (`PrimeFieldKernels`).
public protocol PrimeField: Sendable, CustomStringConvertible {
  /// The prime p.
  var modulus: BigInt { get }
  /// bitlen(p).
  var bitWidth: Int { get }
  /// 64-bit limbs per element: ⌈bitlen(p)/64⌉.
  var limbCount: Int { get }
  /// Bytes per encoded element: ⌈bitlen(p)/8⌉ (DESIGN §3).
  var elementByteCount: Int { get }

}

// MARK: - Kernels (package-internal)

/// The in-place vector kernels of a field on raw limbs (`count · limbCount` limbs, every
/// element reduced). Package API: library users reach them only through ``FieldVector``.
package protocol PrimeFieldKernels: PrimeField {
  /// a[i] ← a[i] + b[i] mod p for every element; both hold `count·limbCount` limbs.
  func add(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>)
  /// a[i] ← a[i] + b[i] mod p with `b` read from raw bytes at any alignment (little-endian
  /// limbs, `a.count · 8` bytes, every element already checked < p).
  func add(_ a: UnsafeMutableBufferPointer<UInt64>, unalignedLimbs b: UnsafeRawBufferPointer)
  /// a[i] ← a[i] − b[i] mod p.
  func subtract(_ a: UnsafeMutableBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>)
  /// a[i] ← −a[i] mod p.
  func negate(_ a: UnsafeMutableBufferPointer<UInt64>)
  /// a[i] ← a[i] + s mod p for one reduced scalar `s` (`limbCount` limbs).
  func addScalar(_ a: UnsafeMutableBufferPointer<UInt64>, _ s: UnsafeBufferPointer<UInt64>)
  /// Fills `a` with elements uniform in [0, p) from `random` (``PrimeField/sampleRule``).
  func fillUniform(_ a: UnsafeMutableBufferPointer<UInt64>, using random: inout some RandomSource)
}

extension PrimeField {
  /// The kernels of this field: the field itself for the package's two implementations; for a
  /// conformance outside the package, the generic multi-limb kernels of the same modulus (a
  /// prime field is determined by its modulus, so the results are the same).
  package var kernels: any PrimeFieldKernels {
    if let own = self as? any PrimeFieldKernels { return own }
    return LargePrimeField(validatedModulus: modulus)
  }
}

// MARK: - Shared behaviour

extension PrimeField {
  /// How uniform elements are drawn (normative, `protocols/field.md`): each candidate is the
  /// next ``elementByteCount`` bytes of the stream read little-endian, masked to
  /// ``bitWidth`` bits; candidates ≥ p are rejected and the next one is read.
  public static var sampleRule: String {
    "candidate = LE(next ⌈bitlen(p)/8⌉ bytes) mod 2^bitlen(p); reject while ≥ p"
  }

  /// A short name: the named field's name or "p<bits>-…".
  public var description: String {
    if let named = NamedField.allCases.first(where: { $0.modulus == modulus }) {
      return named.rawValue
    }
    return "prime(\(FieldError.abbreviate(modulus.description)), \(bitWidth) bits)"
  }

  /// Whether two fields have the same modulus.
  public func isSame(as other: any PrimeField) -> Bool {
    modulus == other.modulus
  }

  /// (p − 1)/2: the largest magnitude of a signed value (DESIGN §3).
  public var maxSignedMagnitude: BigInt { (modulus - 1) >> 1 }

  /// The element v mod p of any integer.
  public func element(_ value: BigInt) -> BigInt {
    // Cannot throw: the modulus is non-zero.
    try! value.modulo(modulus)
  }

  /// The signed value of an element: v if v ≤ (p − 1)/2, else v − p (DESIGN §3).
  public func signedValue(_ element: BigInt) -> BigInt {
    element > maxSignedMagnitude ? element - modulus : element
  }
}

// MARK: - Construction

/// The field for a prime `modulus`: p < 2^64 gets the machine-word implementation.
/// Throws if p is composite, below 3, or wider than ``maxModulusBits``.
public func makePrimeField(modulus: BigInt) throws -> any PrimeField {
  if modulus.bitWidth <= 64 {
    return try SmallPrimeField(modulus: modulus)
  }
  return try LargePrimeField(modulus: modulus)
}

/// The widest modulus accepted.
public let maxModulusBits = 4096

func validatePrime(_ modulus: BigInt) throws {
  guard modulus.bitWidth <= maxModulusBits else {
    throw FieldError.modulusTooLarge(bitWidth: modulus.bitWidth, maximum: maxModulusBits)
  }
  guard modulus >= 3 else {
    throw FieldError.modulusTooSmall(
      bitWidth: modulus.bitWidth, required: "p must be an odd prime ≥ 3")
  }
  guard modulus.isProbablePrime() else {
    throw FieldError.notPrime(modulus: modulus.description)
  }
}
