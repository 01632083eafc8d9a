import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy

// MARK: - Shared helpers

/// The primes the field vectors cover: the named Mersenne fields, 2^255 − 19, and primes just
/// above a power of two (whose uniform sampling rejects about half the candidates).
enum VectorPrimes {
  static let m61 = NamedField.m61.modulus
  static let m89 = NamedField.m89.modulus
  static let m107 = NamedField.m107.modulus
  static let m127 = NamedField.m127.modulus
  static let p255 = (BigInt(1) << 255) - 19
  static let p257 = BigInt(257)
  static let p62 = (BigInt(1) << 61) + 15
  static let p65 = (BigInt(1) << 64) + 13
  static let p128 = (BigInt(1) << 127) + 29
  static let p256 = (BigInt(1) << 255) + 95
}

func field(_ input: VectorValue) throws -> any PrimeField {
  try makePrimeField(modulus: try input["modulus"].bigInt())
}

func decimals(_ values: [BigInt]) -> VectorValue { .array(values.map { .decimal($0) }) }

func bigInts(_ value: VectorValue) throws -> [BigInt] { try value.array().map { try $0.bigInt() } }

// MARK: - field

/// Field arithmetic, element encoding and signed decoding (`protocols/field.md` §1–§2).
struct FieldFamily: VectorFamily {
  var name: String { "field" }
  var summary: String {
    "Element-wise a + b, a − b, −a and a + s (mod p) of integer vectors reduced into [0, p), "
      + "their fixed-width little-endian encodings, and signed decoding, for named fields, "
      + "2^255 − 19 and primes just above powers of two; inputs may be negative or ≥ p."
  }
  var spec: String { "protocols/field.md §1–§2" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let primes: [(String, BigInt)] = [
      ("m61", VectorPrimes.m61), ("m89", VectorPrimes.m89), ("m107", VectorPrimes.m107),
      ("m127", VectorPrimes.m127), ("p255 = 2^255 - 19", VectorPrimes.p255),
      ("p257", VectorPrimes.p257), ("p62 = 2^61 + 15", VectorPrimes.p62),
      ("p65 = 2^64 + 13", VectorPrimes.p65), ("p128 = 2^127 + 29", VectorPrimes.p128),
    ]
    return primes.map { label, p in
      let half = (p - 1) >> 1
      let top = (BigInt(1) << p.bitWidth) - 1
      let a: [BigInt] = [0, 1, p - 1, half, half + 1, -1, p, p * 2 + 5, -half, top, 12345, -7]
      let b: [BigInt] = [p - 1, p - 1, 1, half + 1, half, -1, 0, 3, -half, 1, p - 12345, 7]
      return (
        "\(label): edge values",
        .object([
          "modulus": .decimal(p), "a": decimals(a), "b": decimals(b), "scalar": .decimal(p - 2),
        ])
      )
    }
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let f = try field(input)
    let a = FieldVector(try bigInts(input["a"]), in: f)
    let b = FieldVector(try bigInts(input["b"]), in: f)
    var sum = a
    try sum.add(b)
    var difference = a
    try difference.subtract(b)
    var negation = a
    negation.negate()
    var shifted = a
    shifted.addScalar(try input["scalar"].bigInt())
    return .object([
      "width": .integer(f.elementByteCount),
      "bits": .integer(f.bitWidth),
      "a": .hex(a.encoded()), "b": .hex(b.encoded()),
      "sum": .hex(sum.encoded()), "difference": .hex(difference.encoded()),
      "negation": .hex(negation.encoded()), "add_scalar": .hex(shifted.encoded()),
      "a_signed": decimals(a.signedValues), "sum_signed": decimals(sum.signedValues),
      "difference_signed": decimals(difference.signedValues),
    ])
  }
}

// MARK: - prg

/// The seeded ChaCha20 stream and its readers `bytes`, `next64`, `nextBits` and `uniform`
/// (`protocols/random.md` §2–§3).
struct PRGFamily: VectorFamily {
  var name: String { "prg" }
  var summary: String {
    "PRG(seed, stream) read by a sequence of operations: bytes(n) (hex), next64, bits(k) and "
      + "uniform(m) (decimal); each result records the bytes it consumed; uniform bounds just "
      + "above a power of two make rejections occur (rejections = consumed/⌈k/8⌉ − 1)."
  }
  var spec: String { "protocols/random.md §2–§3" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func op(_ kind: String, _ arg: VectorValue) -> VectorValue {
      .object(["op": .string(kind), "arg": arg])
    }
    let seed = Hex.encode((0..<32).map { UInt8($0) })
    let zeros = String(repeating: "00", count: 32)
    let uniformBounds = ["2", "3", "5", "129", "257", "65537", "4294967297", "9223372036854775809"]
    return [
      (
        "RFC 8439 A.1 #1: zero key and nonce, first two blocks",
        .object(["seed": .string(zeros), "stream": 0, "ops": .array([op("bytes", 128)])])
      ),
      (
        "reads split across the block boundary",
        .object([
          "seed": .string(seed), "stream": 0,
          "ops": .array([op("bytes", 3), op("bytes", 58), op("bytes", 7), op("next64", .null)]),
        ])
      ),
      (
        "stream id 1",
        .object([
          "seed": .string(seed), "stream": 1,
          "ops": .array([op("bytes", 32), op("next64", .null)]),
        ])
      ),
      (
        "stream id 2^63 - 1",
        .object([
          "seed": .string(seed), "stream": .int(Int64.max), "ops": .array([op("bytes", 16)]),
        ])
      ),
      (
        "nextBits for k = 0, 1, 7, 8, 9, 31, 61, 63, 64",
        .object([
          "seed": .string(seed), "stream": 0,
          "ops": .array([0, 1, 7, 8, 9, 31, 61, 63, 64].map { op("bits", .int($0)) }),
        ])
      ),
      (
        "uniform with rejections (bounds 2^k + 1), four draws each",
        .object([
          "seed": .string(seed), "stream": 3,
          "ops": .array(
            (["1"] + uniformBounds).flatMap { m in (0..<4).map { _ in op("uniform", .string(m)) } }),
        ])
      ),
      (
        "uniform beyond 64 bits: 2^64 + 1 and 2^127 + 29",
        .object([
          "seed": .string(seed), "stream": 4,
          "ops": .array(
            (0..<4).map { _ in op("uniform", .decimal((BigInt(1) << 64) + 1)) }
              + (0..<4).map { _ in op("uniform", .decimal(VectorPrimes.p128)) }),
        ])
      ),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    var random = try CountingRandom(input)
    var results: [VectorValue] = []
    var rejections = 0
    for item in try input["ops"].array() {
      let before = random.consumed
      let value: VectorValue
      switch try item["op"].string() {
      case "bytes":
        value = .hex(random.bytes(count: try item["arg"].int()))
      case "next64":
        value = .decimal(BigInt(random.nextUInt64()))
      case "bits":
        let k = try item["arg"].int()
        guard (0...64).contains(k) else { throw VectorError.invalidCase(problem: "bits(\(k))") }
        value = .decimal(BigInt(random.nextBits(k)))
      case "uniform":
        let m = try item["arg"].bigInt()
        guard m.signum > 0 else { throw VectorError.invalidCase(problem: "uniform(\(m))") }
        if let small = UInt64(exactly: m) {
          value = .decimal(BigInt(random.uniform(below: small)))
        } else {
          value = .decimal(ExactSampling.uniform(below: m, using: &random))
        }
        if m > 1 {
          let width = ((m - 1).bitWidth + 7) / 8
          rejections += (random.consumed - before) / width - 1
        }
      case let other:
        throw VectorError.invalidCase(problem: "unknown PRG operation '\(other)'")
      }
      results.append(.object(["value": value, "consumed": .integer(random.consumed - before)]))
    }
    return .object([
      "results": .array(results), "consumed": .integer(random.consumed),
      "rejections": .integer(rejections),
    ])
  }
}

// MARK: - field-sampling

/// Uniform field elements from a seeded stream (`protocols/field.md` §3).
struct FieldSamplingFamily: VectorFamily {
  var name: String { "field-sampling" }
  var summary: String {
    "count uniform elements of Z_p drawn from PRG(seed, stream): candidates of ⌈bitlen(p)/8⌉ "
      + "little-endian bytes masked to bitlen(p) bits, rejected while ≥ p; the encoded vector, "
      + "the bytes consumed and the number of rejected candidates."
  }
  var spec: String { "protocols/field.md §3, protocols/random.md §3" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let primes: [(String, BigInt)] = [
      ("m61", VectorPrimes.m61), ("m127", VectorPrimes.m127), ("p255", VectorPrimes.p255),
      ("p257 (rejections)", VectorPrimes.p257), ("p62 = 2^61 + 15 (rejections)", VectorPrimes.p62),
      ("p65 = 2^64 + 13 (rejections)", VectorPrimes.p65),
      ("p128 = 2^127 + 29 (rejections)", VectorPrimes.p128),
      ("p256 = 2^255 + 95 (rejections)", VectorPrimes.p256),
    ]
    let seed = Hex.encode((0..<32).map { UInt8(0xa0 + $0 % 16) })
    return primes.enumerated().map { i, entry in
      (
        entry.0,
        .object([
          "modulus": .decimal(entry.1), "seed": .string(seed), "stream": .integer(i),
          "count": 16,
        ])
      )
    }
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let f = try field(input)
    var random = try CountingRandom(input)
    let count = try input["count"].int()
    let v = FieldVector(uniformCount: count, in: f, using: &random)
    return .object([
      "elements": .hex(v.encoded()), "consumed": .integer(random.consumed),
      "rejections": .integer(random.consumed / f.elementByteCount - count),
    ])
  }
}

// MARK: - kdf

/// The KDF (`protocols/random.md` §4).
struct KDFFamily: VectorFamily {
  var name: String { "kdf" }
  var summary: String {
    "KDF(ikm, label, parts) = keyed BLAKE2b-256 of \"swift-mpc/kdf/v1\" ‖ LE32(|label|) ‖ label "
      + "‖ LE32(|part|) ‖ part …: the hashed message and the 32-byte key."
  }
  var spec: String { "protocols/random.md §4" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let ikm = Hex.encode((0..<32).map { UInt8($0) })
    func c(_ name: String, _ ikm: String, _ label: String, _ parts: [String]) -> (
      name: String, input: VectorValue
    ) {
      (
        name,
        .object([
          "ikm": .string(ikm), "label": .string(label), "parts": .array(parts.map { .string($0) }),
        ])
      )
    }
    return [
      c("no parts", ikm, "pairwise-mask", []),
      c("one empty part", ikm, "link-pair-secret", [""]),
      c("parts shifted between boundaries (a)", ikm, "x", ["0102", "03"]),
      c("parts shifted between boundaries (b)", ikm, "x", ["01", "0203"]),
      c("empty label", ikm, "", ["00"]),
      c("UTF-8 label", String(repeating: "ff", count: 32), "größe", ["deadbeef", "", "00000000"]),
      c("16-byte ikm", String(repeating: "11", count: 16), "pairwise-mask", ["01000000"]),
      c("64-byte ikm", String(repeating: "22", count: 64), "pairwise-mask", ["01000000"]),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let label = try input["label"].string()
    let parts = try input["parts"].array().map { try $0.bytes() }
    let key = try KDF.derive(
      from: SecretBytes(copying: try input["ikm"].bytes()), label: label, parts: parts)
    return .object([
      "message": .hex(KDF.message(label: label, parts: parts)), "key": .hex(key.exposedBytes()),
    ])
  }
}
