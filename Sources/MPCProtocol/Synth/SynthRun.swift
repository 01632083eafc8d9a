import MPCBigInt
import MPCPrivacy

/// A `synth` query over the adaptive runner (`protocols/query.md` §7): the round layouts from a
/// party's rows, and the model from the released rounds.
public enum SynthRun {
  /// The synth query of `query`, or an error naming the kind.
  public static func synthQuery(_ query: QueryManifest) throws -> SynthQuery {
    guard case .synth(let s) = query.kind else {
      throw RunError.invalidSetUp(problem: "query \(query.id) is a \(query.kind.name), not synth")
    }
    return s
  }

  /// The layout of each round: 1-way marginals, all 2-way marginals, then the 2-way marginals
  /// of the tree selected from round 2 (the same at every party: it reads released values only).
  public static func layout(query: SynthQuery, rows: SynthRows) -> AdaptiveLayout {
    { round, released in
      switch round {
      case 0: return AdaptiveRound(values: query.oneWayLayout.vector(rows: rows.rows))
      case 1: return AdaptiveRound(values: query.twoWayLayout.vector(rows: rows.rows))
      default:
        let (tree, _) = SynthSelection.tree(query: query, roundTwo: try int64(released[1]))
        return AdaptiveRound(values: query.treeLayout(tree).vector(rows: rows.rows))
      }
    }
  }

  /// The released values of a round as machine integers (every count fits).
  static func int64(_ release: AdaptiveRelease) throws -> [Int64] {
    try release.raw.map {
      guard let v = Int(exactly: $0) else {
        throw SynthError.malformedRelease(round: release.round, problem: "a value beyond 2^63")
      }
      return Int64(v)
    }
  }

  /// The total noise variance per cell of a round: n parties' share variances.
  static func variance(_ release: AdaptiveRelease) throws -> Rational {
    guard case .gaussian(let s2) = release.noise.perParty else {
      throw SynthError.malformedRelease(round: release.round, problem: "not gaussian noise")
    }
    return Rational(release.noise.parties) * s2
  }

  /// The model of an adaptive run's three released rounds.
  public static func model(query: QueryManifest, result: AdaptiveResult) throws -> SynthModel {
    let synth = try synthQuery(query)
    return try SynthEstimation.model(
      query: synth, queryId: query.id, sessionId: result.sessionID,
      rounds: try result.rounds.map(int64), variances: try result.rounds.map(variance))
  }
}

extension LocalVector {
  /// The input of an adaptive query's set-up: no vector (each round computes its own) and
  /// `rows` records read.
  public static func adaptive(rows: Int) -> LocalVector {
    LocalVector(
      values: [], rows: rows, badRowCount: 0, badRows: [], clippedCount: 0, blankLines: 0)
  }
}
