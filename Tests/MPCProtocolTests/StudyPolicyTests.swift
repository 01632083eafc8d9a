import Foundation
import MPCBigInt
import MPCPrivacy
import MPCProtocol
import Testing

/// The study policy: tier standards checked before any charge, and output post-processing.
struct StudyPolicyTests {
  static func policy(_ json: String) throws -> StudyPolicy {
    try JSONDecoder().decode(StudyPolicy.self, from: Data(json.utf8))
  }

  static func query(_ json: String) throws -> QueryManifest {
    try QueryManifest.decode(Data(json.utf8), file: "q.json")
  }

  @Test func roundingIsToTheNearestMultipleWithTiesAwayFromZero() {
    let rules = StudyPolicy.OutputRules(roundTo: 10)
    let cases: [(Int, Int)] = [
      (0, 0), (4, 0), (5, 10), (14, 10), (15, 20), (-4, 0), (-5, -10), (-15, -20), (284, 280),
    ]
    for (x, y) in cases {
      #expect(rules.apply(BigInt(x), isCount: false) == BigInt(y), "\(x)")
    }
  }

  @Test func smallNoisyCountsAreSuppressedOtherValuesAreNot() {
    let rules = StudyPolicy.OutputRules(roundTo: 5, suppressBelow: 10)
    #expect(rules.apply(BigInt(7), isCount: true) == nil)  // rounds to 5, below 10
    #expect(rules.apply(BigInt(8), isCount: true) == BigInt(10))
    #expect(rules.apply(BigInt(-3), isCount: false) == BigInt(-5))
    #expect(rules.summary == "rounded to a multiple of 5; noisy counts below 10 suppressed")
  }

  @Test func aQueryAboveTheTierCostOrWithAnotherMechanismIsRefused() throws {
    let p = try Self.policy(
      #"{"tier": "high", "max_query_cost": {"rho": "1/10"}, "mechanisms": ["gaussian"]}"#)
    let ok = try Self.query(#"{"id": "q", "kind": "count", "rho": "1/10"}"#)
    try p.check(query: ok, cost: .zcdp(rho: Rational(1, 10)))
    #expect(throws: PolicyError.self) { try p.check(query: ok, cost: .zcdp(rho: Rational(1, 5))) }
    let laplace = try Self.query(
      #"{"id": "l", "kind": "count", "mechanism": "laplace", "epsilon": "1/10"}"#)
    do {
      try p.check(query: laplace, cost: .pure(epsilon: Rational(1, 10)))
      Issue.record("a laplace query passed a gaussian-only policy")
    } catch let PolicyError.violated(rule, problem) {
      #expect(rule == "policy.mechanisms")
      #expect(problem.contains("'high' tier allows gaussian"))
    }
    // ε against a ρ limit compares through ρ = ε²/2: ε = 1/2 → ρ = 1/8 > 1/10.
    let open = try Self.policy(#"{"max_query_cost": {"rho": "1/10"}}"#)
    #expect(throws: PolicyError.self) {
      try open.check(query: laplace, cost: .pure(epsilon: Rational(1, 2)))
    }
    try open.check(query: laplace, cost: .pure(epsilon: Rational(2, 5)))  // ρ = 0.08
  }

  @Test func theFileFormRefusesWhatWouldBeMeaningless() throws {
    for bad in [
      #"{"mechanisms": []}"#, #"{"mechanisms": ["gauss"]}"#, #"{"max_delta": "1"}"#,
      #"{"round_to": 0}"#, #"{"max_query_cost": {"rho": "0"}}"#, #"{"max_rho": "1"}"#,
    ] {
      #expect(throws: (any Error).self, "\(bad)") { _ = try Self.policy(bad) }
    }
    let p = try Self.policy(
      #"{"tier": "t", "neighbours": ["replace-one"], "max_delta": "1e-9", "min_honest": 2, "round_to": 10}"#
    )
    let again = try JSONDecoder().decode(StudyPolicy.self, from: JSONEncoder().encode(p))
    #expect(again == p)
  }
}
