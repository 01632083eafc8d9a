import Foundation
import MPCBigInt
import MPCPrivacy

/// What a replayer compares where a family's `expected` is not compared member for member
/// (`protocols/README.md`, "What a replayer compares"; `protocols/vectors.md` §1.1).
enum VectorComparison {
  /// The relative tolerance on a reported binary64 ε of the ρ → (ε, δ) conversion
  /// (`protocols/noise.md` §6.2): a recomputed ε′ matches the file's ε iff
  /// |ε′ − ε| ≤ 10^−9·ε. The conversion runs on the platform's `exp`, `log` and `log1p`, which
  /// are not correctly rounded, so its last bits may differ between math libraries.
  static let epsilonRelativeTolerance = 1e-9

  /// Whether the binary64 texts `actual` and `expected` agree within the ε tolerance.
  static func epsilonMatches(_ actual: VectorValue, _ expected: VectorValue) throws -> Bool {
    let a = try parseDouble(actual)
    let e = try parseDouble(expected)
    return (a - e).magnitude <= epsilonRelativeTolerance * e.magnitude
  }

  /// `actual` with its member `key` replaced by `expected`'s when `accept` says the two agree,
  /// so that the exact comparison that follows skips it; unchanged otherwise.
  static func accepting(
    _ key: String, of actual: VectorValue, from expected: VectorValue,
    if accept: (VectorValue, VectorValue) throws -> Bool
  ) throws -> VectorValue {
    guard case .object(var members) = actual, let a = members[key],
      let e = expected.optional(key), try accept(a, e)
    else { return actual }
    members[key] = e
    return .object(members)
  }
}

extension VectorValue {
  /// This value with every object member named `key` removed, at any depth.
  func removingMembers(named key: String) -> VectorValue {
    switch self {
    case .array(let items): return .array(items.map { $0.removingMembers(named: key) })
    case .object(let members):
      var out: [String: VectorValue] = [:]
      for (k, v) in members where k != key { out[k] = v.removingMembers(named: key) }
      return .object(out)
    default: return self
    }
  }

  /// This value with every string member named `key` replaced by the JSON value it holds
  /// (a string that is not JSON is kept as it is), at any depth.
  func parsingMembers(named key: String) -> VectorValue {
    switch self {
    case .array(let items): return .array(items.map { $0.parsingMembers(named: key) })
    case .object(let members):
      var out: [String: VectorValue] = [:]
      for (k, v) in members {
        if k == key, case .string(let text) = v,
          let parsed = try? VectorValue(json: Data(text.utf8))
        {
          out[k] = parsed
        } else {
          out[k] = v.parsingMembers(named: key)
        }
      }
      return .object(out)
    default: return self
    }
  }
}

// MARK: - Families whose comparison is not member for member

extension AccountingFamily {
  /// `epsilon-from-rho`: ε within ``VectorComparison/epsilonRelativeTolerance``; every other
  /// operation exactly.
  func mismatch(actual: VectorValue, expected: VectorValue, input: VectorValue) throws -> String? {
    let compared = try VectorComparison.accepting(
      "epsilon", of: actual, from: expected, if: VectorComparison.epsilonMatches)
    return compared.firstDifference(from: expected)
  }
}

extension CalibrationFamily {
  /// ε within the tolerance; `table_delta` recomputed from the file's own ε (noise.md §6.4)
  /// and then compared exactly, like every other member.
  func mismatch(actual: VectorValue, expected: VectorValue, input: VectorValue) throws -> String? {
    var compared = try VectorComparison.accepting(
      "epsilon", of: actual, from: expected, if: VectorComparison.epsilonMatches)
    if try input["mechanism"].string() == "gaussian", case .object(var members) = compared,
      let fileEpsilon = expected.optional("epsilon")
    {
      let samples = try input["parties"].int() * input["dimension"].int()
      members["table_delta"] = .rational(
        NoiseCalibration.tableDeltaCharge(
          epsilon: Rational(exactly: try parseDouble(fileEpsilon)), samples: samples))
      compared = .object(members)
    }
    return compared.firstDifference(from: expected)
  }
}

extension NegativeFamily {
  /// The members that are wording, not compared: the message (`text`) and the descriptive
  /// fields of an error (`expected`, `what`, `requirement`).
  static let wording = ["text", "expected", "what", "requirement"]

  /// The error class (`error`), its positional fields (offsets, peers, steps, amounts, the
  /// field and value refused) and every other member exactly; wording is not compared.
  func mismatch(actual: VectorValue, expected: VectorValue, input: VectorValue) throws -> String? {
    let strip = { (v: VectorValue) in Self.wording.reduce(v) { $0.removingMembers(named: $1) } }
    return strip(actual).firstDifference(from: strip(expected))
  }
}

extension LedgerFamily {
  /// Every member exactly, except each entry's `line`, compared as the JSON value it holds
  /// (ledger.md §1 makes key order and spacing a SHOULD; the hash is over the canonical form).
  func mismatch(actual: VectorValue, expected: VectorValue, input: VectorValue) throws -> String? {
    actual.parsingMembers(named: "line").firstDifference(
      from: expected.parsingMembers(named: "line"))
  }
}
