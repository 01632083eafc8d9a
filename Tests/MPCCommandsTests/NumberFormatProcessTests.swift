import Foundation
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// Every command's human output writes ε, δ and ρ by the one rule of ``PrivacyNumbers``: no
/// `1/1000000` or `1e-06` for δ, no ε with more than 4 significant digits.
@Suite(.serialized) struct NumberFormatProcessTests {
  /// The forms the rule replaced: δ as a rational or with a two-digit exponent; ε written
  /// with 5 or more significant digits (`2.1419`, `0.899935`, `5.221534`); a bound or an exact
  /// value written as an approximation (`ρ ≤ ≈0.02001`, `ρ = ≈0.125`).
  static func oldForms(in text: String) -> [String] {
    var found: [String] = []
    for old in ["1/1000000", "1e-06", "1e-09", "e-0", "≤ ≈", "= ≈"] where text.contains(old) {
      found.append(old)
    }
    // ε followed by a number of 5+ significant digits.
    let epsilon = try! Regex(#"ε (?:=|≤) (-?[0-9]+\.[0-9]+)"#)
    for match in text.matches(of: epsilon) {
      let number = String(text[match.range]).split(separator: " ").last.map(String.init) ?? ""
      let digits = number.filter(\.isNumber).drop { $0 == "0" }
      if digits.count > 4 { found.append(number) }
    }
    return found
  }

  @Test func theOldFormsAreRecognised() {
    #expect(Self.oldForms(in: "at δ = 1/1000000") == ["1/1000000"])
    #expect(Self.oldForms(in: "(ε ≤ 2.1419 at δ = 1e-06)") == ["1e-06", "e-0", "2.1419"])
    #expect(Self.oldForms(in: "ε = 0.899935 at δ = 1e-6") == ["0.899935"])
    #expect(Self.oldForms(in: "(ε ≤ 2.142 at δ = 1e-6 + 9.1e-29 (Gaussian table))").isEmpty)
    #expect(Self.oldForms(in: "ε = 0.001235").isEmpty)
    #expect(Self.oldForms(in: "ρ ≤ ≈0.02001 zCDP") == ["≤ ≈"])
    #expect(Self.oldForms(in: "ρ = ≈0.125 zCDP") == ["= ≈"])
    #expect(Self.oldForms(in: "ρ = 13717421/109739369 (≈0.125) zCDP").isEmpty)
  }

  @Test func runBudgetPlanConvertStudyShowDryRunAndAuditShareOneRule() async throws {
    let sites = try await ResultOutputTests.Sites()
    for i in 0..<3 {
      let csv = "x\n" + (0..<(20 + i)).map { "\(($0 * 13) % 90)" }.joined(separator: "\n") + "\n"
      try csv.write(toFile: sites.path("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    // A Gaussian count asked as ε at the study δ (its charge is the largest ρ meeting them),
    // and a histogram under a ρ charge.
    let queries = [
      #"{"id": "n", "kind": "count", "mechanism": "gaussian", "epsilon": "1/2"}"#,
      #"{"id": "h", "kind": "histogram", "column": "x", "bin_edges": [0, 30, 60, 90], "outside": "clip", "rho": "1/7"}"#,
    ]
    var outputs: [String: String] = [:]
    for query in queries {
      let dry = try await MPCProcess.run(
        sites.run(0, data: sites.path("s0.csv"), query: query, ["--dry-run"]))
      #expect(dry.status == 0, "\(dry.stderr)")
      outputs["dry run \(query)"] = dry.stdout + dry.stderr
      let runs = try await MPCProcess.runAll(
        (0..<3).map { sites.run($0, data: sites.path("s\($0).csv"), query: query, []) })
      for (i, r) in runs.enumerated() {
        #expect(r.status == 0, "party \(i): \(r.stderr)")
        outputs["run \(i) \(query)"] = r.stdout + r.stderr
      }
      #expect(runs[0].stdout.contains("privacy: charged"))
    }
    let commands: [[String]] = [
      ["budget", "--study", sites.study, "--party", "0", "--state-dir", sites.path("state0")],
      ["audit", "--study", sites.study, "--party", "0", "--state-dir", sites.path("state0")],
      ["study", "show", "--study", sites.study],
      [
        "privacy", "plan", "--mechanism", "gaussian", "--sigma", "5", "--l1", "1", "--l2", "1",
        "--parties", "10", "--colluders", "0", "--delta", "1e-6",
      ],
      ["privacy", "convert", "--rho", "1/2", "--delta", "1e-6"],
      ["privacy", "convert", "--rho", "1/3", "--delta", "1/1000000000"],
      ["privacy", "convert", "--rho", "123456789/987654321", "--delta", "1e-6"],
    ]
    for args in commands {
      let r = try await MPCProcess.run(args)
      #expect(r.status == 0, "\(args): \(r.stderr)")
      outputs[args.joined(separator: " ")] = r.stdout + r.stderr
    }
    for (name, text) in outputs {
      #expect(Self.oldForms(in: text).isEmpty, "\(name): \(Self.oldForms(in: text))\n\(text)")
    }
    // The forms of the rule itself.
    let run = outputs.first { $0.key.hasPrefix("run 0") && $0.key.contains("epsilon") }?.value ?? ""
    #expect(run.contains("for the requested ε = 0.5 at δ = 1e-6"), "\(run)")
    let budget = outputs.first { $0.key.hasPrefix("budget") }?.value ?? ""
    #expect(budget.contains("spent as (ε, δ): ε ≤ "), "\(budget)")
    #expect(outputs.values.contains { $0.contains("(ε = 5.222, δ = 1e-6)") })
    #expect(outputs.values.contains { $0.contains("δ = 1e-9") })
  }
}
