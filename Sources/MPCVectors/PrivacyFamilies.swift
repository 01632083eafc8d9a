import MPCBigInt
import MPCPrivacy

// MARK: - Shared helpers

/// `{"epsilon": r}` or `{"rho": r}`.
func privacyCost(_ value: VectorValue) throws -> PrivacyCost {
  let members = try value.object()
  guard members.count == 1, let (unit, amount) = members.first else {
    throw VectorError.invalidCase(problem: "a cost is {\"epsilon\": r} or {\"rho\": r}")
  }
  switch unit {
  case "epsilon": return .pure(epsilon: try amount.rational())
  case "rho": return .zcdp(rho: try amount.rational())
  default: throw VectorError.invalidCase(problem: "unknown cost unit '\(unit)'")
  }
}

func costValue(_ cost: PrivacyCost) -> VectorValue {
  .object([cost.unit: .rational(cost.amount)])
}

/// A binary64 quantity: Swift's shortest round-tripping decimal text.
func double(_ x: Double) -> VectorValue { .string("\(x)") }

func parseDouble(_ value: VectorValue) throws -> Double {
  let text = try value.string()
  guard let x = Double(text) else {
    throw VectorError.invalidCase(problem: "not a number '\(text)'")
  }
  return x
}

// MARK: - calibration

/// Distributed calibration (`protocols/noise.md` §5–§7).
struct CalibrationFamily: VectorFamily {
  var name: String { "calibration" }
  var summary: String {
    "Calibration requests (mechanism, target, Δ1, Δ2², d, n, t, δ, β, force) → k, each party's "
      + "share (σ² of N_Z or the Pólya scale and k), the charged cost, ρ, τ̄, the table δ and "
      + "the interval half-width (exact rationals as n/d; ε and β are binary64 written as the "
      + "shortest round-tripping decimal)."
  }
  var spec: String { "protocols/noise.md §5–§7" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func c(
      _ name: String, _ mechanism: String, _ target: [String: VectorValue], l1: String,
      l2: String, d: Int = 1, n: Int, t: Int, force: Bool = false
    ) -> (name: String, input: VectorValue) {
      (
        name,
        .object([
          "mechanism": .string(mechanism), "target": .object(target), "l1": .string(l1),
          "l2_squared": .string(l2), "dimension": .integer(d), "parties": .integer(n),
          "colluders": .integer(t), "delta": "1/1000000", "beta": "0.05", "force": .bool(force),
        ])
      )
    }
    return [
      c(
        "gaussian, ρ = 1/50, n = 3, t = 1", "gaussian", ["rho": "1/50"], l1: "1", l2: "1", n: 3,
        t: 1),
      c(
        "gaussian, σ = 10, n = 5, t = 2, d = 4", "gaussian", ["sigma": "10"], l1: "2", l2: "2",
        d: 4, n: 5, t: 2),
      c("gaussian, ε = 1, k = 1", "gaussian", ["epsilon": "1"], l1: "1", l2: "1", n: 2, t: 1),
      c("gaussian, σ = 3/2, n = 1", "gaussian", ["sigma": "3/2"], l1: "1", l2: "1", n: 1, t: 0),
      c(
        "gaussian, σ = 2, k = 3, forced", "gaussian", ["sigma": "2"], l1: "1", l2: "1", n: 3, t: 0,
        force: true),
      c(
        "laplace, ε = 1/2, Δ1 = 120, n = 3, t = 1", "laplace", ["epsilon": "1/2"], l1: "120",
        l2: "14400", n: 3, t: 1),
      c("laplace, ρ = 1/8, n = 5, t = 2", "laplace", ["rho": "1/8"], l1: "1", l2: "1", n: 5, t: 2),
      c("laplace, ε = 1, n = 1", "laplace", ["epsilon": "1"], l1: "2", l2: "4", n: 1, t: 0),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    guard let mechanism = NoiseMechanism(rawValue: try input["mechanism"].string()) else {
      throw VectorError.invalidCase(problem: "unknown mechanism")
    }
    let targetObject = try input["target"].object()
    guard targetObject.count == 1, let (unit, amount) = targetObject.first else {
      throw VectorError.invalidCase(problem: "target is one of sigma, epsilon, rho")
    }
    let target: PrivacyTarget
    switch unit {
    case "sigma": target = .sigma(try amount.rational())
    case "epsilon": target = .epsilon(try amount.rational())
    case "rho": target = .rho(try amount.rational())
    default: throw VectorError.invalidCase(problem: "unknown target '\(unit)'")
    }
    let plan = try NoiseCalibration.plan(
      CalibrationRequest(
        mechanism: mechanism, target: target,
        sensitivity: try Sensitivity(
          l1: try input["l1"].rational(), l2Squared: try input["l2_squared"].rational()),
        dimension: try input["dimension"].int(), parties: try input["parties"].int(),
        colluders: try input["colluders"].int(), delta: try input["delta"].rational(),
        force: try input["force"].bool(), beta: try parseDouble(input["beta"])))
    let share: VectorValue
    switch plan.perParty {
    case .gaussian(let sigmaSquared):
      share = .object(["law": "gaussian", "sigma_squared": .rational(sigmaSquared)])
    case .polya(let scale, let shares):
      share = .object(["law": "polya", "scale": .rational(scale), "shares": .integer(shares)])
    }
    return .object([
      "k": .integer(plan.k), "per_party": share, "cost": costValue(plan.cost),
      "rho": .rational(plan.rho), "epsilon": double(plan.epsilon), "tau": .rational(plan.tau),
      "table_delta": .rational(plan.tableDelta),
      "interval_half_width": .int(plan.intervalHalfWidth),
    ])
  }
}

// MARK: - accounting

/// Costs, conversions, verified bounds and intervals (`protocols/noise.md` §4.1, §5–§7).
struct AccountingFamily: VectorFamily {
  var name: String { "accounting" }
  var summary: String {
    "One accounting operation per case (`op`): composition, fitting and remaining budget, "
      + "ρ → (ε, δ), τ̄ and ρ̄ bounds, the table δ, ExpMinus and ⌈√x⌉₆₄ bounds, and interval "
      + "half-widths; exact rationals as n/d, binary64 as the shortest round-tripping decimal."
  }
  var spec: String { "protocols/noise.md §4.1, §5, §6, §7" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func c(_ name: String, _ op: String, _ args: [String: VectorValue]) -> (
      name: String, input: VectorValue
    ) {
      var object = args
      object["op"] = .string(op)
      return (name, .object(object))
    }
    let eps: (String) -> VectorValue = { .object(["epsilon": .string($0)]) }
    let rho: (String) -> VectorValue = { .object(["rho": .string($0)]) }
    return [
      c("compose pure + pure", "compose", ["costs": .array([eps("1/2"), eps("1/3")])]),
      c("compose pure + zcdp", "compose", ["costs": .array([eps("1"), rho("1/4")])]),
      c(
        "compose zcdp + zcdp + pure", "compose",
        ["costs": .array([rho("1/8"), rho("1/8"), eps("1/2")])]),
      c("pure fits zcdp budget", "fits", ["cost": eps("1"), "budget": rho("1/2")]),
      c("pure does not fit zcdp budget", "fits", ["cost": eps("11/10"), "budget": rho("1/2")]),
      c("zcdp fits zcdp budget", "fits", ["cost": rho("1/2"), "budget": rho("1/2")]),
      c("remaining zcdp after pure", "remaining", ["budget": rho("1"), "spent": eps("1")]),
      c("remaining pure after pure", "remaining", ["budget": eps("2"), "spent": eps("3/4")]),
      c("ρ = 1/2, δ = 1e-6 → ε", "epsilon-from-rho", ["rho": "1/2", "delta": "1e-06"]),
      c("ρ = 1/200, δ = 1e-9 → ε", "epsilon-from-rho", ["rho": "1/200", "delta": "1e-09"]),
      c("ρ = 3, δ = 1e-5 → ε", "epsilon-from-rho", ["rho": "3", "delta": "1e-05"]),
      c("τ̄, σ² = 4, k = 2", "tau", ["sigma_squared": "4", "k": 2]),
      c("τ̄, σ² = 9/4, k = 3", "tau", ["sigma_squared": "9/4", "k": 3]),
      c("τ̄, k = 1", "tau", ["sigma_squared": "1", "k": 1]),
      c(
        "ρ̄, σ² = 4, Δ2² = 1, d = 3, τ̄(k = 2)", "rho-bound",
        ["sigma_squared": "4", "l2_squared": "1", "dimension": 3, "k": 2]),
      c(
        "ρ̄, σ² = 8, Δ2² = 2, d = 1, k = 1 (exact)", "rho-bound",
        ["sigma_squared": "8", "l2_squared": "2", "dimension": 1, "k": 1]),
      c("table δ, ε = 1, 300 samples", "table-delta", ["epsilon": "1", "samples": 300]),
      c("ExpMinus(1/2, 64)", "exp-minus", ["r": "1/2", "precision": 64]),
      c("ExpMinus(3, 128)", "exp-minus", ["r": "3", "precision": 128]),
      c("ExpMinus(0, 32)", "exp-minus", ["r": "0", "precision": 32]),
      c("⌈√2⌉₆₄", "sqrt-upper", ["x": "2"]),
      c("⌈√(9/4)⌉₆₄", "sqrt-upper", ["x": "9/4"]),
      c("DLap(10) half-width, β = 0.05", "interval-laplace", ["scale": "10", "beta": "0.05"]),
      c("DLap(3/2) half-width, β = 0.01", "interval-laplace", ["scale": "3/2", "beta": "0.01"]),
      c(
        "N_Z sum half-width, s² = 9/4, 3 shares", "interval-gaussian-sum",
        ["share_sigma_squared": "9/4", "shares": 3, "beta": "0.05"]),
      c(
        "N_Z sum half-width, s² = 243, 20 shares: 20²·315² ≤ 4·10^7, exact convolution",
        "interval-gaussian-sum", ["share_sigma_squared": "243", "shares": 20, "beta": "0.05"]),
      c(
        "N_Z sum half-width, s² = 244, 20 shares: 20²·317² > 4·10^7, N_Z(0, 20·s²) at β/(1 + τ)",
        "interval-gaussian-sum", ["share_sigma_squared": "244", "shares": 20, "beta": "0.05"]),
      c(
        "Pólya total half-width, scale 10, k = 2, n = 3", "interval-polya",
        ["scale": "10", "shares": 2, "parties": 3, "beta": "0.05"]),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    switch try input["op"].string() {
    case "compose":
      let costs = try input["costs"].array().map(privacyCost)
      guard var total = costs.first else { throw VectorError.invalidCase(problem: "no costs") }
      for c in costs.dropFirst() { total = total + c }
      return .object(["total": costValue(total)])
    case "fits":
      return .object([
        "fits": .bool(try privacyCost(input["cost"]).fits(in: try privacyCost(input["budget"])))
      ])
    case "remaining":
      let left = try privacyCost(input["budget"]).remaining(after: try privacyCost(input["spent"]))
      return .object(["remaining": costValue(left)])
    case "epsilon-from-rho":
      let e = try Accounting.epsilon(
        rho: try input["rho"].rational(), delta: try parseDouble(input["delta"]))
      return .object(["epsilon": double(e)])
    case "tau":
      return .object([
        "tau": .rational(
          NoiseCalibration.tauUpperBound(
            sigmaSquared: try input["sigma_squared"].rational(), k: try input["k"].int()))
      ])
    case "rho-bound":
      let s2 = try input["sigma_squared"].rational()
      let tau = NoiseCalibration.tauUpperBound(sigmaSquared: s2, k: try input["k"].int())
      let rho = NoiseCalibration.rhoUpperBound(
        sigmaSquared: s2, l2Squared: try input["l2_squared"].rational(),
        dimension: try input["dimension"].int(), tau: tau)
      return .object(["tau": .rational(tau), "rho": .rational(rho)])
    case "table-delta":
      return .object([
        "table_delta": .rational(
          NoiseCalibration.tableDeltaCharge(
            epsilon: try input["epsilon"].rational(), samples: try input["samples"].int()))
      ])
    case "exp-minus":
      let (lo, hi) = VerifiedMath.expMinus(
        try input["r"].rational(), precision: try input["precision"].int())
      return .object(["lo": .decimal(lo), "hi": .decimal(hi)])
    case "sqrt-upper":
      return .object(["sqrt_upper": .rational(VerifiedMath.sqrtUpper(try input["x"].rational()))])
    case "interval-laplace":
      return .object([
        "half_width": .int(
          try NoiseInterval.discreteLaplace(
            scale: try input["scale"].rational(), beta: try parseDouble(input["beta"])))
      ])
    case "interval-gaussian-sum":
      return .object([
        "half_width": .int(
          try NoiseInterval.discreteGaussianSum(
            shareSigmaSquared: try input["share_sigma_squared"].rational(),
            shares: try input["shares"].int(), beta: try parseDouble(input["beta"])))
      ])
    case "interval-polya":
      return .object([
        "half_width": .int(
          try NoiseInterval.polyaTotal(
            scale: try input["scale"].rational(), shares: try input["shares"].int(),
            parties: try input["parties"].int(), beta: try parseDouble(input["beta"])))
      ])
    case let other:
      throw VectorError.invalidCase(problem: "unknown accounting operation '\(other)'")
    }
  }
}
