import ArgumentParser
import Foundation
import Testing

@testable import MPCCommands

/// Collects what a command writes.
final class Capture {
  var text = ""
  var writer: OutputWriter { OutputWriter { [self] in text += $0 } }
}

@Suite struct PrivacyCommandTests {
  func run(_ arguments: [String]) throws -> (out: String, err: String) {
    let command = try PrivacyCommand.parseAsRoot(arguments)
    let out = Capture()
    let err = Capture()
    switch command {
    case let plan as PrivacyPlanCommand: try plan.execute(writer: out.writer)
    case let convert as PrivacyConvertCommand: try convert.execute(writer: out.writer)
    case let sample as PrivacySampleCommand:
      try sample.execute(writer: out.writer, warnings: err.writer)
    case let bench as PrivacyBenchCommand: try bench.execute(writer: out.writer)
    default: Issue.record("unexpected command \(type(of: command))")
    }
    return (out.text, err.text)
  }

  /// The message and exit code of a failing invocation (parse or run).
  func failure(_ arguments: [String]) -> (message: String, code: Int32) {
    do {
      _ = try run(arguments)
      return ("no error", 0)
    } catch {
      return (PrivacyCommand.message(for: error), PrivacyCommand.exitCode(for: error).rawValue)
    }
  }

  static let gaussianPlan = [
    "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1", "1", "--l2", "1", "--parties", "10",
    "--colluders", "0", "--delta", "1e-6",
  ]

  @Test func planGaussianHuman() throws {
    let out = try run(Self.gaussianPlan).out
    #expect(out.contains("N_Z(0, σ² = 5/2)"))
    #expect(out.contains("honest k = 10"))
    // ρ is an upper bound here: one number, rounded up (exact 40000000077/2000000000000).
    #expect(out.contains("privacy       ρ ≤ 0.02001 zCDP → ε = 0.9 at δ = 1e-6"), "\(out)")
    #expect(out.contains("95% interval  ±10"))
  }

  @Test func planJSONKeys() throws {
    let out = try run(Self.gaussianPlan + ["--json"]).out
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    for key in ["per_party", "k", "rho", "epsilon", "delta", "tau", "ci95_half_width"] {
      #expect(object[key] != nil, "missing \(key)")
    }
    #expect(object["k"] as? Int == 10)
    #expect(abs((object["epsilon"] as? Double ?? 0) - 0.89994) < 1e-5)
    #expect((object["per_party"] as? [String: Any])?["sigma_squared"] as? String == "5/2")
    #expect(object["ci95_half_width"] as? Int == 10)
  }

  /// `--epsilon` for gaussian is (ε, δ)-DP at `--delta`, as in a query: ε ≤ 1/2, not ρ = 1/8
  /// (ε ≈ 2.42).
  @Test func planGaussianEpsilonMeansEpsilonAtDelta() throws {
    let out = try run([
      "plan", "--mechanism", "gaussian", "--epsilon", "1/2", "--l1", "1", "--l2", "1",
      "--parties", "3", "--colluders", "1", "--delta", "1e-6", "--json",
    ]).out
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    let epsilon = try #require(object["epsilon"] as? Double)
    #expect(epsilon <= 0.5 && epsilon > 0.49, "ε = \(epsilon)")
    let rho = try #require(object["rho"] as? Double)
    #expect(rho < 0.125 && rho > 0.006, "ρ = \(rho)")
  }

  @Test func planLaplaceWithIrrationalL2() throws {
    let out = try run([
      "plan", "--mechanism", "laplace", "--epsilon", "0.1", "--l1", "1", "--l2", "sqrt(2)",
      "--parties", "3", "--colluders", "1", "--delta", "1e-6", "--json",
    ]).out
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    #expect(object["ci95_half_width"] as? Int == 36)
    #expect(object["epsilon_exact"] as? String == "1/10")
    #expect((object["per_party"] as? [String: Any])?["scale"] as? String == "10")
  }

  @Test func planLaplaceHuman() throws {
    let out = try run([
      "plan", "--mechanism", "laplace", "--epsilon", "0.1", "--l1", "1", "--l2", "1",
      "--parties", "3", "--colluders", "1", "--delta", "1e-6",
    ]).out
    #expect(out.contains("ε = 1/10 pure DP (as zCDP: ρ = 1/200)"))
    #expect(out.contains("any 2 sum to DLap(10)"))
    #expect(out.contains("±36"))
  }

  /// Replace-one histogram with Δ2 = √2 given as sqrt(2): ρ = 2/(2·25) = 1/25 exactly.
  @Test func planReplaceOneGaussian() throws {
    let out = try run([
      "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1", "2", "--l2", "sqrt(2)",
      "--parties", "2", "--colluders", "1", "--delta", "1e-6", "--json",
    ]).out
    #expect(out.contains("\"rho_exact\" : \"1/25\""))
    #expect(out.contains("\"epsilon\" : 1.30499"))
  }

  @Test func convert() throws {
    #expect(
      try run(["convert", "--rho", "1/2", "--delta", "1e-6"]).out.contains(
        "ρ = 1/2 zCDP → (ε = 5.222, δ = 1e-6)-DP"))
    // A long ρ given exactly stays exact, its decimal beside it.
    let long = try run(["convert", "--rho", "123456789/987654321", "--delta", "1e-6"]).out
    #expect(long.hasPrefix("ρ = 13717421/109739369 (≈0.125) zCDP → (ε = "), "\(long)")
    let json = try run(["convert", "--rho", "0.02", "--delta", "1e-6", "--json"]).out
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(abs((object["epsilon"] as? Double ?? 0) - 0.899935) < 1e-6)
  }

  static let seed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

  /// Seeded sampling replays the pinned outputs and warns on stderr.
  @Test func sampleSeeded() throws {
    let (out, err) = try run([
      "sample", "--mechanism", "laplace", "--scale", "3/2", "--count", "12", "--seed", Self.seed,
    ])
    #expect(out == "0\n0\n-1\n-4\n0\n2\n0\n2\n0\n1\n-3\n-1\n")
    #expect(err.contains("testing only"))
    let gaussian = try run([
      "sample", "--mechanism", "gaussian", "--sigma-squared", "9/4", "--count", "4", "--seed",
      Self.seed,
    ]).out
    #expect(gaussian == "-1\n0\n0\n-2\n")
    let polya = try run([
      "sample", "--mechanism", "polya", "--scale", "10", "--shares", "3", "--count", "3", "--seed",
      Self.seed,
    ]).out
    #expect(polya == "4\n-1\n0\n")
  }

  @Test func sampleUnseededUsesCSPRNG() throws {
    let (out, err) = try run([
      "sample", "--mechanism", "gaussian", "--sigma-squared", "100", "--count", "200",
    ])
    let values = out.split(separator: "\n").compactMap { Int64($0) }
    #expect(values.count == 200)
    #expect(Set(values).count > 10)
    #expect(err.isEmpty)
  }

  @Test func benchPrintsEveryConfiguration() throws {
    let out = try run(["bench", "--count", "200"]).out
    #expect(out.contains("nproc"))
    #expect(out.contains("mpc privacy bench"))
    #expect(
      out.split(separator: "\n").filter { $0.contains("samples/s") }.count
        == PrivacyBenchCommand.configurations.count)
  }

  /// Every error case gives its message and exit code 64.
  @Test(arguments: [
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1", "1", "--l2", "1", "--parties",
        "3", "--colluders", "3", "--delta", "1e-6",
      ], "invalid colluders 3"
    ),
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "1", "--l1", "1", "--l2", "1", "--parties",
        "10", "--colluders", "0", "--delta", "1e-6",
      ], "below 1.2"
    ),
    (
      [
        "plan", "--mechanism", "laplace", "--epsilon", "0", "--l1", "1", "--l2", "1", "--parties",
        "3", "--colluders", "1", "--delta", "1e-6",
      ], "invalid epsilon 0"
    ),
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1", "1", "--l2", "1", "--parties",
        "3", "--colluders", "1", "--delta", "2",
      ], "invalid delta 2"
    ),
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1=-1", "--l2", "1", "--parties", "3",
        "--colluders", "1", "--delta", "1e-6",
      ], "invalid l1 -1"
    ),
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "5", "--epsilon", "1", "--l1", "1", "--l2",
        "1", "--parties", "3", "--colluders", "1", "--delta", "1e-6",
      ], "exactly one of"
    ),
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "abc", "--l1", "1", "--l2", "1", "--parties",
        "3", "--colluders", "1", "--delta", "1e-6",
      ], "--sigma"
    ),
    (
      [
        "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1", "1", "--l2", "1", "--dimension",
        "0", "--parties", "3", "--colluders", "1", "--delta", "1e-6",
      ], "invalid dimension 0"
    ),
    (["convert", "--rho=-1", "--delta", "1e-6"], "invalid rho -1"),
    (["convert", "--rho", "1", "--delta", "0"], "invalid delta 0"),
    (["sample", "--mechanism", "gaussian", "--count", "3"], "needs --sigma-squared"),
    (["sample", "--mechanism", "laplace", "--scale", "0", "--count", "3"], "invalid scale 0"),
    (
      ["sample", "--mechanism", "polya", "--scale", "2", "--shares", "0", "--count", "3"],
      "invalid shares 0"
    ),
    (
      [
        "sample", "--mechanism", "gaussian", "--sigma-squared", "4", "--method", "exact",
        "--timing", "fixed-work", "--count", "3",
      ], "fixed-work"
    ),
    (
      ["sample", "--mechanism", "laplace", "--scale", "2", "--count", "3", "--seed", "abcd"],
      "invalid --seed"
    ),
  ])
  func errors(_ arguments: [String], _ message: String) {
    let (text, code) = failure(arguments)
    #expect(text.contains(message), "\(text)")
    #expect(code == 64)
  }
}
