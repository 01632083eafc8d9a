import MPCBigInt
import MPCCrypto
import MPCField
import MPCSharing

// MARK: - masks

/// Pairwise mask keys, mask vectors and the masked uploads of every party
/// (`protocols/sharing.md` §2–§4).
struct MasksFamily: VectorFamily {
  var name: String { "masks" }
  var summary: String {
    "For n parties with pair secrets S_ij and a mask context: every mask key K_ij, every mask "
      + "r_ij (encoded), each party's masked upload y_i = x_i + η_i + Σ_{j>i} r_ij − Σ_{j<i} r_ij "
      + "(encoded) for the given integer inputs x_i and noise η_i, and the opened signed sum."
  }
  var spec: String { "protocols/sharing.md §2–§4" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func secrets(_ n: Int, _ tag: UInt8) -> VectorValue {
      var list: [VectorValue] = []
      for i in 0..<n {
        for j in (i + 1)..<n {
          list.append(
            .object([
              "i": .integer(i), "j": .integer(j),
              "secret": .hex(
                (0..<32).map { UInt8(truncatingIfNeeded: Int(tag) + 16 * i + j + $0) }),
            ]))
        }
      }
      return .array(list)
    }
    func c(
      _ name: String, n: Int, modulus: BigInt, length: Int, vector: String, tag: UInt8
    ) -> (name: String, input: VectorValue) {
      let x: [VectorValue] = (0..<n).map { i in
        .integers((0..<length).map { Int64(10 * i + $0) })
      }
      let eta: [VectorValue] = (0..<n).map { i in
        .integers((0..<length).map { Int64(($0 + i) % 5) - 2 })
      }
      return (
        name,
        .object([
          "modulus": .decimal(modulus), "protocol_version": 1, "study_id": "flu-2026",
          "session_id": .hex((0..<16).map { UInt8($0) &* 17 &+ tag }), "query_id": "q-sum",
          "vector_name": .string(vector), "length": .integer(length), "parties": .integer(n),
          "pair_secrets": secrets(n, tag), "x": .array(x), "eta": .array(eta),
        ])
      )
    }
    return [
      c("n = 2, m61, m = 8", n: 2, modulus: VectorPrimes.m61, length: 8, vector: "result", tag: 1),
      c(
        "n = 3, m127, m = 6", n: 3, modulus: VectorPrimes.m127, length: 6, vector: "result", tag: 2),
      c(
        "n = 3, p65 (rejections), m = 8", n: 3, modulus: VectorPrimes.p65, length: 8,
        vector: "result", tag: 3),
      c("n = 4, m89, m = 4", n: 4, modulus: VectorPrimes.m89, length: 4, vector: "sum", tag: 4),
      c(
        "n = 5, p255, m = 3", n: 5, modulus: VectorPrimes.p255, length: 3, vector: "result", tag: 5),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let f = try field(input)
    let n = try input["parties"].int()
    let length = try input["length"].int()
    let context = MaskContext(
      protocolVersion: UInt32(try input["protocol_version"].int()),
      studyID: try input["study_id"].string(), sessionID: try input["session_id"].bytes(),
      queryID: try input["query_id"].string(), vectorName: try input["vector_name"].string(),
      length: length, field: f)
    var secrets: [Int: [Int: SecretBytes]] = [:]
    var keys: [VectorValue] = []
    var masks: [VectorValue] = []
    for item in try input["pair_secrets"].array() {
      let i = try item["i"].int()
      let j = try item["j"].int()
      let secret = SecretBytes(copying: try item["secret"].bytes())
      secrets[i, default: [:]][j] = secret
      secrets[j, default: [:]][i] = secret
      let key = try PairwiseMask.key(pairSecret: secret, context: context, low: i, high: j)
      let mask = try PairwiseMask.expand(
        pairSecret: secret, context: context, low: i, high: j, field: f)
      keys.append(.object(["i": .integer(i), "j": .integer(j), "key": .hex(key.exposedBytes())]))
      masks.append(.object(["i": .integer(i), "j": .integer(j), "mask": .hex(mask.encoded())]))
    }
    let xs = try input["x"].array()
    let etas = try input["eta"].array()
    var uploads: [VectorValue] = []
    var total = FieldVector(zeros: length, in: f)
    for i in 0..<n {
      var y = FieldVector(try bigInts(xs[i]), in: f)
      try y.add(FieldVector(try bigInts(etas[i]), in: f))
      var stream = try MaskedUploadStream(
        party: i, partyCount: n, pairSecrets: secrets[i] ?? [:], context: context, field: f)
      try stream.mask(&y)
      uploads.append(.hex(y.encoded()))
      try total.add(y)
    }
    return .object([
      "keys": .array(keys), "masks": .array(masks), "uploads": .array(uploads),
      "opened": decimals(total.signedValues),
    ])
  }
}

// MARK: - sharing

/// Additive n-of-n sharing from a seeded stream (`protocols/sharing.md` §1).
struct SharingFamily: VectorFamily {
  var name: String { "sharing" }
  var summary: String {
    "Additive shares of an integer vector (reduced mod p): shares 1 … n−1 are uniform vectors "
      + "drawn in order from PRG(seed, stream), share n = x − Σ others; encoded shares and the "
      + "bytes consumed."
  }
  var spec: String { "protocols/sharing.md §1, protocols/field.md §3" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let seed = Hex.encode((0..<32).map { UInt8(255 - $0) })
    func c(_ name: String, _ p: BigInt, _ n: Int, _ secret: [BigInt], stream: Int) -> (
      name: String, input: VectorValue
    ) {
      (
        name,
        .object([
          "modulus": .decimal(p), "parties": .integer(n), "secret": decimals(secret),
          "seed": .string(seed), "stream": .integer(stream),
        ])
      )
    }
    return [
      c("m61, n = 2", VectorPrimes.m61, 2, [0, 1, -1, 42, 1 << 40, -(1 << 40)], stream: 0),
      c("m127, n = 3", VectorPrimes.m127, 3, [5, -5, 0, VectorPrimes.m127 - 1], stream: 1),
      c("p257 (rejections), n = 5", VectorPrimes.p257, 5, [0, 1, 2, 128, 256, -3], stream: 2),
      c("p255, n = 3", VectorPrimes.p255, 3, [7, -7], stream: 3),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let f = try field(input)
    var random = try CountingRandom(input)
    let secret = FieldVector(try bigInts(input["secret"]), in: f)
    let shares = try AdditiveSharing.split(
      secret, parties: try input["parties"].int(), using: &random)
    let reconstructed = try AdditiveSharing.reconstruct(shares)
    return .object([
      "shares": .array(shares.map { .hex($0.encoded()) }), "consumed": .integer(random.consumed),
      "reconstructed": decimals(reconstructed.signedValues),
    ])
  }
}
