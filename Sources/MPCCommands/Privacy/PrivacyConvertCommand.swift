import ArgumentParser
import MPCBigInt
import MPCPrivacy

/// `mpc privacy convert`: ρ-zCDP to (ε, δ)-DP by the CKS20 conversion.
struct PrivacyConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert ρ-zCDP to (ε, δ)-DP (CKS20 Cor. 13, rounded up).",
    discussion: """
      Examples:
        mpc privacy convert --rho 0.02 --delta 1e-6
        mpc privacy convert --rho 1/2 --delta 1e-6 --json
      """)

  @Option(help: "ρ ≥ 0.")
  var rho: RationalArgument

  @Option(help: "δ in (0, 1).")
  var delta: RationalArgument

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    try execute(writer: .standardOutput)
  }

  func execute(writer: OutputWriter) throws {
    let epsilon = try usageErrors { () throws -> Double in
      guard delta.value.signum > 0, delta.value < 1 else {
        throw PrivacyError.invalidParameter(
          field: "delta", value: delta.value.description, requirement: "must be in (0, 1)")
      }
      return try Accounting.epsilon(rho: rho.value, delta: Double(delta.value))
    }
    if self.json {
      writer.write(
        try OutputCoding.encode(
          ConvertOutput(
            rho: rho.value.description, delta: delta.value.description, epsilon: epsilon)))
    } else {
      writer.write(
        "ρ = \(PrivacyNumbers.rho(rho.value)) zCDP → (ε = \(PrivacyNumbers.epsilon(epsilon)), "
          + "δ = \(PrivacyNumbers.delta(delta.value)))-DP\n")
    }
  }
}

/// `mpc privacy convert --json`: ρ and δ exact, ε rounded up.
struct ConvertOutput: CommandOutput {
  static let schema = "mpc.privacy.convert/1"

  var schema: String = Self.schema
  var rho: String
  var delta: String
  var epsilon: Double
}
