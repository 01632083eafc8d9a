import MPCBigInt
import MPCCrypto
import MPCPrivacy

/// The exact samplers of `protocols/noise.md` §2–§4, one family per sampler: a seeded stream
/// and parameters → the first `count` draws and the bytes they consumed.
struct NoiseFamily: VectorFamily {
  enum Kind: String, CaseIterable {
    case bernoulli
    case bernoulliExp = "bernoulli-exp"
    case geometric, laplace
    case gaussianExact = "gaussian-exact"
    case gaussianTable = "gaussian-table"
    case nb, polya
  }

  let kind: Kind

  static let all: [any VectorFamily] = Kind.allCases.map { NoiseFamily(kind: $0) }

  var name: String { "noise-\(kind.rawValue)" }

  var summary: String {
    let law: String
    switch kind {
    case .bernoulli: law = "Bernoulli(p/q) on the integers p, q as given (not reduced); outputs 0/1"
    case .bernoulliExp:
      law = "Bernoulli(exp(−num/den)) on num, den as given (not reduced); outputs 0/1"
    case .geometric: law = "the geometric law P(y) = (1 − e^−a)e^−ya of rate a (lowest terms)"
    case .laplace: law = "the discrete Laplace law DLap(scale)"
    case .gaussianExact: law = "the discrete Gaussian N_Z(0, σ²) by the exact method (CKS20)"
    case .gaussianTable:
      law =
        "the discrete Gaussian N_Z(0, σ²) by the inversion table (16 bytes per draw); "
        + "`bound` is the table's support bound B"
    case .nb: law = "the negative binomial NB(r, e^−a) for 0 < r ≤ 1"
    case .polya: law = "one party's Pólya share (k shares of DLap(scale)): NB(1/k) − NB'(1/k)"
    }
    return "Seed and stream of the ChaCha20 PRG, parameters as exact rationals → the first "
      + "`count` draws of \(law), and the number of stream bytes they consumed."
  }

  var spec: String {
    switch kind {
    case .bernoulli: "protocols/noise.md §2.2–§2.3"
    case .bernoulliExp: "protocols/noise.md §2.4"
    case .geometric: "protocols/noise.md §3.1"
    case .laplace: "protocols/noise.md §3.2"
    case .gaussianExact: "protocols/noise.md §3.3"
    case .gaussianTable: "protocols/noise.md §4"
    case .nb: "protocols/noise.md §3.4"
    case .polya: "protocols/noise.md §3.5"
    }
  }

  /// The seed of `protocols/noise.md` §10 (stream 0 reproduces its table).
  static let pinnedSeed = Hex.encode((0..<32).map { UInt8($0) })

  func cases() throws -> [(name: String, input: VectorValue)] {
    var stream = 0
    func c(_ label: String, _ params: [String: VectorValue], count: Int = 16, pinned: Bool = false)
      -> (name: String, input: VectorValue)
    {
      let s = pinned ? 0 : stream + 1
      if !pinned { stream += 1 }
      var object = params
      object["seed"] = .string(Self.pinnedSeed)
      object["stream"] = .integer(s)
      object["count"] = .integer(pinned ? 12 : count)
      return ("\(label), stream \(s)", .object(object))
    }
    switch kind {
    case .bernoulli:
      let pairs: [(String, String)] = [
        ("1", "2"), ("1", "3"), ("2", "6"), ("0", "5"), ("5", "5"), ("7", "5"), ("3", "129"),
        ("999999", "1000000"), ("1", "1180591620717411303425"),
      ]
      return pairs.map { p, q in
        c("p/q = \(p)/\(q)", ["p": .string(p), "q": .string(q)], count: 24)
      }
    case .bernoulliExp:
      let pairs: [(String, String)] = [
        ("0", "1"), ("1", "2"), ("2", "4"), ("1", "1"), ("3", "2"), ("5", "1"), ("7", "3"),
        ("1", "1000"), ("36893488147419103233", "18446744073709551616"),
      ]
      return pairs.map { n, d in
        c("γ = \(n)/\(d)", ["num": .string(n), "den": .string(d)], count: 24)
      }
    case .geometric:
      return ["1", "1/2", "3/2", "1/10", "2/3", "5"].map { c("rate \($0)", ["rate": .string($0)]) }
    case .laplace:
      return [c("scale 3/2 (noise.md §9)", ["scale": "3/2"], pinned: true)]
        + ["3/2", "1", "10", "1/3", "7/2", "100"].map { c("scale \($0)", ["scale": .string($0)]) }
    case .gaussianExact:
      return [c("σ² = 9/4 (noise.md §9)", ["sigma_squared": "9/4"], pinned: true)]
        + ["9/4", "1", "1/4", "10", "2/3", "10000"].map {
          c("σ² = \($0)", ["sigma_squared": .string($0)])
        }
    case .gaussianTable:
      return [c("σ² = 9/4 (noise.md §9)", ["sigma_squared": "9/4"], pinned: true)]
        + ["9/4", "1", "1/4", "10", "2/3", "10000"].map {
          c("σ² = \($0)", ["sigma_squared": .string($0)])
        }
    case .nb:
      return [c("r = 1/2, a = 1 (noise.md §9)", ["shape": "1/2", "rate": "1"], pinned: true)]
        + [("1/2", "1"), ("1/3", "1/10"), ("1", "1/2"), ("2/5", "3/2"), ("1/5", "1/100")].map {
          c("r = \($0.0), a = \($0.1)", ["shape": .string($0.0), "rate": .string($0.1)])
        }
    case .polya:
      return [c("scale 10, k = 3 (noise.md §9)", ["scale": "10", "shares": 3], pinned: true)]
        + [("10", 3), ("3/2", 2), ("1", 1), ("7/2", 5), ("100", 4)].map {
          c("scale \($0.0), k = \($0.1)", ["scale": .string($0.0), "shares": .integer($0.1)])
        }
    }
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    var random = try CountingRandom(input)
    let count = try input["count"].int()
    var outputs: [Int64] = []
    var extra: [String: VectorValue] = [:]
    switch kind {
    case .bernoulli:
      let p = try input["p"].bigInt()
      let q = try input["q"].bigInt()
      outputs = (0..<count).map { _ in
        ExactSampling.bernoulli(p, over: q, using: &random) ? 1 : 0
      }
    case .bernoulliExp:
      let num = try input["num"].bigInt()
      let den = try input["den"].bigInt()
      outputs = (0..<count).map { _ in
        ExactSampling.bernoulliExpMinus(num, over: den, using: &random) ? 1 : 0
      }
    case .geometric:
      outputs = try GeometricSampler(rate: try input["rate"].rational())
        .samples(count: count, using: &random)
    case .laplace:
      outputs = try DiscreteLaplaceSampler(scale: try input["scale"].rational())
        .samples(count: count, using: &random)
    case .gaussianExact:
      outputs = try DiscreteGaussianSampler(
        sigmaSquared: try input["sigma_squared"].rational(), method: .exact
      ).samples(count: count, using: &random)
    case .gaussianTable:
      let sigmaSquared = try input["sigma_squared"].rational()
      outputs = try DiscreteGaussianSampler(sigmaSquared: sigmaSquared, method: .table)
        .samples(count: count, using: &random)
      extra["bound"] = .integer(try DiscreteGaussianTable(sigmaSquared: sigmaSquared).bound)
    case .nb:
      outputs = try NegativeBinomialSampler(
        shape: try input["shape"].rational(), rate: try input["rate"].rational()
      ).samples(count: count, using: &random)
    case .polya:
      outputs = try PolyaShareSampler(
        scale: try input["scale"].rational(), shares: try input["shares"].int()
      ).samples(count: count, using: &random)
    }
    extra["outputs"] = .integers(outputs)
    extra["consumed"] = .integer(random.consumed)
    return .object(extra)
  }
}
