import ArgumentParser
import Foundation
import MPCBigInt
import MPCPrivacy

/// `mpc privacy plan`: each party's noise share for a distributed mechanism.
struct PrivacyPlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Calibrate each party's noise share so any n − t honest parties meet the target.",
    discussion: """
      gaussian: each party adds N_Z(0, σ²/k) per coordinate, k = n − t; the charge is \
      ρ = ½(Δ2/σ + τ√d)² (KLS21), reported as (ε, δ) by the CKS20 conversion. Give --sigma, or \
      --rho / --epsilon to solve for the smallest σ² (9 significant digits, rounded up). \
      laplace: each party adds a Pólya share; any k shares sum to DLap(Δ1/ε), pure ε.

      Examples:
        mpc privacy plan --mechanism gaussian --sigma 5 --l1 1 --l2 1 --parties 11 --colluders 1 --delta 1e-6
        mpc privacy plan --mechanism gaussian --rho 0.04 --l1 2 --l2 "sqrt(2)" --dimension 1000 --parties 3 --colluders 1 --delta 1e-6 --json
        mpc privacy plan --mechanism laplace --epsilon 1 --l1 1 --l2 1 --parties 3 --colluders 1 --delta 1e-6
      """)

  @Option(help: "gaussian or laplace.")
  var mechanism: MechanismArgument

  @Option(help: "Total σ of the k honest parties' noise (gaussian).")
  var sigma: RationalArgument?

  @Option(help: "Target ε (pure for laplace; at --delta for gaussian).")
  var epsilon: RationalArgument?

  @Option(help: "Target ρ-zCDP.")
  var rho: RationalArgument?

  @Option(help: "L1 sensitivity Δ1.")
  var l1: RationalArgument

  @Option(help: "L2 sensitivity Δ2: a rational or sqrt(X), e.g. sqrt(2).")
  var l2: L2Argument

  @Option(help: "Number d of released coordinates.")
  var dimension: Int = 1

  @Option(help: "Number n of parties.")
  var parties: Int

  @Option(help: "Number t of parties that may collude.")
  var colluders: Int

  @Option(help: "δ for the (ε, δ) report, in (0, 1).")
  var delta: RationalArgument

  @Flag(help: "Print one JSON object.")
  var json = false

  @Flag(help: "Accept a per-party Gaussian σ below 1.2.")
  var force = false

  func validate() throws {
    let given = [sigma != nil, epsilon != nil, rho != nil].filter { $0 }.count
    guard given == 1 else {
      throw ValidationError("give exactly one of --sigma, --epsilon, --rho")
    }
  }

  func run() throws {
    try execute(writer: .standardOutput)
  }

  func execute(writer: OutputWriter) throws {
    let plan = try usageErrors { try makePlan() }
    writer.write(self.json ? try OutputCoding.encode(PlanOutput(plan)) : Self.human(plan))
  }

  func makePlan() throws -> NoisePlan {
    let target: PrivacyTarget
    if let sigma {
      target = .sigma(sigma.value)
    } else if let epsilon {
      target = .epsilon(epsilon.value)
    } else {
      target = .rho(rho!.value)  // validate() guarantees one target
    }
    let request = CalibrationRequest(
      mechanism: mechanism.mechanism, target: target,
      sensitivity: try Sensitivity(l1: l1.value, l2Squared: l2.squared),
      dimension: dimension, parties: parties, colluders: colluders, delta: delta.value,
      force: force)
    return try NoiseCalibration.plan(request)
  }

  static func human(_ plan: NoisePlan) -> String {
    var lines: [String] = []
    let level = Int(((1 - plan.beta) * 100).rounded())
    lines.append("mechanism     \(plan.mechanism.rawValue)")
    lines.append(
      "parties       n = \(plan.parties), colluders t = \(plan.colluders), honest k = \(plan.k), "
        + "dimension d = \(plan.dimension)")
    switch plan.perParty {
    case .gaussian(let s2):
      lines.append(
        "per party     N_Z(0, σ² = \(s2)) per coordinate (s = \(formatted(Double(s2).squareRoot())))"
      )
      lines.append(
        "privacy       ρ ≤ \(PrivacyNumbers.rhoBound(plan.rho)) zCDP → ε = "
          + "\(PrivacyNumbers.epsilon(plan.epsilon)) at δ = \(PrivacyNumbers.delta(plan.delta))")
      lines.append("tau           \(formatted(roundedUp(plan.tau))) (upper bound, KLS21)")
      lines.append(
        "table path    δ += \(PrivacyNumbers.delta(plan.tableDelta)) when shares use the "
          + "2^-100 table sampler")
    case .polya(let scale, let shares):
      lines.append(
        "per party     Pólya share NB(1/\(shares), q) − NB'(1/\(shares), q), q = e^(−1/\(scale)); "
          + "any \(shares) sum to DLap(\(scale))")
      lines.append(
        "privacy       \(plan.cost) pure DP (as zCDP: ρ = \(PrivacyNumbers.rho(plan.rho)))")
    }
    lines.append(
      "\(level)% interval  ±\(plan.intervalHalfWidth) (total noise per coordinate, all "
        + "\(plan.parties) parties adding shares)")
    return lines.joined(separator: "\n") + "\n"
  }
}

/// `--mechanism`.
enum MechanismArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
  case gaussian
  case laplace

  var mechanism: NoiseMechanism { self == .gaussian ? .gaussian : .laplace }
}

/// `mpc privacy plan --json` (exact rationals as strings, bounds as numbers).
struct PlanOutput: CommandOutput {
  static let schema = "mpc.privacy.plan/1"

  struct PerParty: Codable {
    var distribution: String
    var sigmaSquared: String?
    var scale: String?
    var shares: Int?

    enum CodingKeys: String, CodingKey {
      case distribution
      case sigmaSquared = "sigma_squared"
      case scale
      case shares
    }
  }

  var schema: String
  var mechanism: String
  var parties: Int
  var colluders: Int
  var k: Int
  var dimension: Int
  var perParty: PerParty
  var rho: Double
  var rhoExact: String
  var epsilon: Double
  var epsilonExact: String?
  var delta: Double
  var tau: Double?
  var deltaTable: Double?
  var ci95HalfWidth: Int64
  var beta: Double

  enum CodingKeys: String, CodingKey {
    case schema, mechanism, parties, colluders, k, dimension, rho, epsilon, delta, tau, beta
    case perParty = "per_party"
    case rhoExact = "rho_exact"
    case epsilonExact = "epsilon_exact"
    case deltaTable = "delta_table"
    case ci95HalfWidth = "ci95_half_width"
  }

  init(_ plan: NoisePlan) {
    schema = Self.schema
    mechanism = plan.mechanism.rawValue
    parties = plan.parties
    colluders = plan.colluders
    k = plan.k
    dimension = plan.dimension
    switch plan.perParty {
    case .gaussian(let s2):
      perParty = PerParty(
        distribution: "discrete_gaussian", sigmaSquared: s2.description, scale: nil, shares: nil)
      tau = roundedUp(plan.tau)
      deltaTable = roundedUp(plan.tableDelta)
      epsilonExact = nil
    case .polya(let scale, let shares):
      perParty = PerParty(
        distribution: "polya", sigmaSquared: nil, scale: scale.description, shares: shares)
      tau = nil
      deltaTable = nil
      if case .pure(let e) = plan.cost { epsilonExact = e.description } else { epsilonExact = nil }
    }
    rho = roundedUp(plan.rho)
    rhoExact = plan.rho.description
    epsilon = plan.epsilon
    delta = Double(plan.delta)
    ci95HalfWidth = plan.intervalHalfWidth
    beta = plan.beta
  }

}
