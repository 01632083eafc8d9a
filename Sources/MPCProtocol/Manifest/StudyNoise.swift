public import MPCPrivacy

/// How every party of a study draws its noise (`protocols/noise.md` §10, "a study MUST record
/// which method and timing mode each party uses"): the study's optional `noise` key.
///
/// ```json
/// "noise": {"gaussian_method": "table", "timing": "fixed-work"}
/// ```
///
/// Absent, a study uses the table method with variable timing (what v1 did before the key
/// existed) and hashes as it did then. Laplace (Pólya) noise is always exact and variable-time.
public struct StudyNoise: Sendable, Hashable, Codable {
  /// The discrete Gaussian method (`table` or `exact`).
  public var gaussianMethod: DiscreteGaussianSampler.Method
  /// The discrete Gaussian timing mode (`variable` or `fixed-work`, table method only).
  public var timing: DiscreteGaussianSampler.Timing

  /// What a study without the key uses.
  public static let `default` = StudyNoise(gaussianMethod: .table, timing: .variable)

  /// A noise setting.
  public init(
    gaussianMethod: DiscreteGaussianSampler.Method, timing: DiscreteGaussianSampler.Timing
  ) {
    self.gaussianMethod = gaussianMethod
    self.timing = timing
  }

  private enum CodingKeys: String, CodingKey, CaseIterable {
    case gaussianMethod = "gaussian_method"
    case timing
  }

  public init(from decoder: any Decoder) throws {
    try rejectUnknownKeys(decoder, allowed: Set(CodingKeys.allCases.map(\.rawValue)))
    let container = try decoder.container(keyedBy: CodingKeys.self)
    gaussianMethod = try container.decodeChoice(
      DiscreteGaussianSampler.Method.self, forKey: .gaussianMethod)
    timing = try container.decodeChoice(DiscreteGaussianSampler.Timing.self, forKey: .timing)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(gaussianMethod.rawValue, forKey: .gaussianMethod)
    try container.encode(timing.rawValue, forKey: .timing)
  }

  /// The problem of the setting, if any.
  func validationIssue() -> ManifestIssue? {
    if timing == .fixedWork && gaussianMethod == .exact {
      return ManifestIssue(
        field: "noise.timing",
        problem: "fixed-work needs gaussian_method \"table\": exact rejection sampling has no "
          + "fixed-work mode (noise.md §10)")
    }
    return nil
  }

  /// `{gaussian_method, timing}` as strings.
  var canonical: CanonicalValue {
    .record([
      "gaussian_method": .string(gaussianMethod.rawValue), "timing": .string(timing.rawValue),
    ])
  }
}
