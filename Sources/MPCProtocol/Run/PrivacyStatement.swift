import Foundation
public import MPCBigInt
public import MPCPrivacy

/// The (ε, δ) a zCDP cost meets, with the Gaussian table's δ combined (`protocols/noise.md`
/// §6.4): ρ → ε at the study's δ (CKS20, §6.2), plus δ_table = (1 + e^ε)·N·2^−100 for the N
/// table draws behind it (0 with the exact method). What `run` and `budget` report.
public struct PrivacyStatement: Sendable, Hashable {
  /// ε of the zCDP cost at ``studyDelta`` (binary64, rounded as §6.2 says).
  public var epsilon: Double
  /// The study's δ (10^−6 if absent).
  public var studyDelta: Rational
  /// The δ of the Gaussian table draws (0 with the exact method or no Gaussian draw).
  public var tableDelta: Rational
  /// The combined δ: the cost is (``epsilon``, ``delta``)-DP.
  public var delta: Rational { studyDelta + tableDelta }

  /// The statement for `cost` backed by `tableDraws` Gaussian draws of `study`'s method; nil
  /// for a pure-ε cost (no δ) or an ε that cannot be computed.
  public init?(cost: PrivacyCost, tableDraws: Int, study: StudyManifest) {
    guard case .zcdp = cost else { return nil }
    let delta = GaussianEpsilon.delta(of: study)
    guard let epsilon = try? cost.epsilon(delta: Double(delta)) else { return nil }
    self.epsilon = epsilon
    studyDelta = delta
    let method = (study.noise ?? .default).gaussianMethod
    tableDelta =
      method == .table && tableDraws > 0
      ? NoiseCalibration.tableDeltaCharge(epsilon: Rational(exactly: epsilon), samples: tableDraws)
      : .zero
  }

  /// "δ = 1e-6 + 3.3e-25 (Gaussian table)", or "δ = 1e-6" without table draws: both parts by
  /// the one rule of `PrivacyNumbers` (MPCPrivacy: scientific, at most 2 significant digits, rounded up,
  /// so the text never understates δ).
  public var deltaText: String {
    let study = PrivacyNumbers.delta(studyDelta)
    guard tableDelta.signum > 0 else { return "δ = \(study)" }
    return "δ = \(study) + \(PrivacyNumbers.delta(tableDelta)) (Gaussian table)"
  }
}
