import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// `mpc run --json` (and each query of `mpc demo --json`): one released result.
struct RunOutput: CommandOutput {
  static let schema = "mpc.run/2"

  /// A charge or a budget in the study's unit; amounts are exact rationals ("1/20").
  struct Amount: Codable, Hashable {
    var unit: String
    var amount: String
  }

  /// The study's budget after the charge (exact rationals).
  struct Budget: Codable, Hashable {
    var unit: String
    var total: String
    var spent: String
    var remaining: String
  }

  /// One released coordinate: integers as JSON integers.
  struct Value: Codable, Hashable {
    var label: String
    /// The released value (clamped at 0 where the kind says so).
    var value: JSONInteger
    /// The opened value before post-processing.
    var raw: JSONInteger
    var lower: JSONInteger
    var upper: JSONInteger
    /// True when the study policy's output rules suppressed this noisy count (`suppress_below`):
    /// value, raw, lower and upper are then 0 and mean nothing. Absent otherwise.
    var suppressed: Bool?
  }

  /// The sensitivities the noise was calibrated to (exact rationals; Δ2 as its square).
  struct Sensitivity: Codable, Hashable {
    var l1: String
    var l2Squared: String

    enum CodingKeys: String, CodingKey {
      case l1
      case l2Squared = "l2_squared"
    }
  }

  /// One component (the sum or the count of a mean; the only one of other kinds).
  struct Component: Codable, Hashable {
    var name: String
    var sensitivity: Sensitivity
    /// The number k of honest parties whose noise alone meets the target.
    var k: Int
    var perParty: String
    /// ρ of this component (exact).
    var rho: String
    var epsilon: Double
    var intervalHalfWidth: Int64
    var beta: Double
    /// δ added by the Gaussian table sampler (statistical distance), to add to δ.
    var deltaTable: Double
    /// The post-processing applied to the opened values ("clamp_at_zero" or "none").
    var postProcessing: String
    /// The number of released coordinates.
    var length: Int
    /// The labelled values (histogram bins, count, sum); empty for a vector-sum.
    var values: [Value]
    /// A vector-sum's values as plain integers in coordinate order (no post-processing: the
    /// value is the opened value, its interval value ± `interval_half_width`); absent when they
    /// went only to `values_file`.
    var vector: VectorValues?
    /// The `--out` file that holds the values (and its `--format`).
    var valuesFile: String?
    var valuesFormat: String?

    enum CodingKeys: String, CodingKey {
      case name, sensitivity, k, rho, epsilon, beta, length, values, vector
      case perParty = "per_party"
      case intervalHalfWidth = "interval_half_width"
      case deltaTable = "delta_table"
      case postProcessing = "post_processing"
      case valuesFile = "values_file"
      case valuesFormat = "values_format"
    }
  }

  /// The released mean: estimates as numbers, the exact quotient as a rational string.
  struct Mean: Codable, Hashable {
    var value: Double?
    var lower: Double?
    var upper: Double?
    var exact: String?
  }

  /// The zCDP charge read as (ε, δ).
  struct EpsilonAtDelta: Codable, Hashable {
    var epsilon: Double
    var delta: Double
  }

  /// The ε and δ a Gaussian query's `epsilon` asked for (exact rationals as text).
  struct Requested: Codable, Hashable {
    var epsilon: String
    var delta: String
  }

  /// Time, traffic and memory of this party's run.
  struct Statistics: Codable, Hashable {
    var phasesSeconds: [String: Double]
    /// Bytes sent per peer id (JSON object keys are the ids as text).
    var bytesSent: [String: Int]
    var bytesSentTotal: Int
    var maxRSSKiB: Int
    var cpuSeconds: Double

    enum CodingKeys: String, CodingKey {
      case phasesSeconds = "phases_seconds"
      case bytesSent = "bytes_sent"
      case bytesSentTotal = "bytes_sent_total"
      case maxRSSKiB = "max_rss_kib"
      case cpuSeconds = "cpu_seconds"
    }
  }

  var schema: String
  var study: String
  var party: Int
  var queryID: String
  var kind: String
  var sessionID: String
  var field: String
  var mechanism: String
  var parties: Int
  var cost: Amount
  var budget: Budget
  var components: [Component]
  var epsilonAtDelta: EpsilonAtDelta?
  /// The ε a Gaussian query asked for and the study δ it holds at (it was charged the largest
  /// ρ meeting them, `protocols/manifest.md` "Mechanism and cost"); absent otherwise.
  var requested: Requested?
  var mean: Mean?
  var statistics: Statistics?
  /// Rows of this site's data that could not be read and counted as 0 (`protocols/query.md`
  /// §1.1: never a reason to stop, never sent); never silently dropped.
  var badRows: Int
  /// When this site printed the result (ISO 8601, UTC).
  var time: String
  /// The study policy's output rules applied to the values above as post-processing (at no
  /// privacy cost), in words; absent when the study has none. With rules, `raw` is the value
  /// after them: the value before the rules is not released.
  var outputRules: String?
  /// The query as run (its definition, defaults filled in).
  var query: QueryManifest
  /// Which post-processing applied, in words (each component's `post_processing` is the code).
  var postProcessing: String
  /// What this site's data held (`LocalDataSummary`): local only, never sent to peers.
  var localData: LocalDataSummary?
  /// Present and true when this party's noise was seeded (test studies only).
  var seededNoise: Bool?

  /// The statistic derived from the opened vector (variance, crosstab, quantile; `protocols/
  /// query.md` "Statistics"); absent for the other kinds.
  var statistic: StatisticReport?

  enum CodingKeys: String, CodingKey {
    case schema, study, party, kind, field, mechanism, parties, cost, budget, components, mean
    case requested, statistic
    case statistics, time, query
    case queryID = "query_id"
    case sessionID = "session_id"
    case epsilonAtDelta = "epsilon_at_delta"
    case badRows = "bad_rows"
    case outputRules = "output_rules"
    case postProcessing = "post_processing"
    case localData = "local_data"
    case seededNoise = "seeded_noise"
  }
}

/// A vector-sum's values in the document: a JSON array of integers. While it is written by
/// ``RunDocument`` it is a placeholder the writer replaces by the numbers, streamed.
struct VectorValues: Codable, Hashable {
  var values: [JSONInteger] = []
  var placeholder: String?

  init(values: [JSONInteger]) { self.values = values }
  init(placeholder: String) { self.placeholder = placeholder }

  init(from decoder: any Decoder) throws {
    values = try decoder.singleValueContainer().decode([JSONInteger].self)
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    if let placeholder { try container.encode(placeholder) } else { try container.encode(values) }
  }
}

extension RunOutput {
  /// The document of `result`. Labelled values are listed; a vector-sum's values are not (no
  /// allocation per coordinate): ``RunDocument`` streams them in, or they went to `valuesFile`.
  init(
    _ r: QueryResult, query: QueryManifest, study: StudyManifest, party: Int, badRows: Int,
    valuesFile: String? = nil, valuesFormat: ResultFormat? = nil,
    statistics: Statistics? = nil, now: Date = Date(), rules: StudyPolicy.OutputRules? = nil
  ) {
    let rules = rules.flatMap { $0.isEmpty ? nil : $0 }
    schema = Self.schema
    self.study = study.id
    self.party = party
    queryID = r.queryID
    kind = query.kind.name
    sessionID = Hex.encode(r.sessionID)
    field = r.field
    mechanism = r.mechanism.rawValue
    parties = study.partyCount
    cost = Amount(unit: r.cost.unit, amount: r.cost.amount.description)
    budget = Budget(
      unit: study.budget.unit, total: study.budget.amount.description,
      spent: r.spent.description, remaining: r.remaining.description)
    components = r.components.map { c in
      Component(
        name: c.name,
        sensitivity: Sensitivity(
          l1: c.sensitivity.l1.description, l2Squared: c.sensitivity.l2Squared.description),
        k: c.noise.k, perParty: ResultFormatter.shareDescription(c.noise.perParty),
        rho: c.noise.rho.description, epsilon: c.noise.epsilon,
        intervalHalfWidth: c.noise.intervalHalfWidth, beta: c.noise.beta,
        deltaTable: Double(c.noise.tableDelta),
        postProcessing: ([c.clampAtZero ? "clamp_at_zero" : nil, rules?.summary].compactMap { $0 }
          .joined(separator: "; ")).nonEmpty ?? "none", length: c.length,
        values: c.labels == nil
          ? []
          : c.values.map { v in
            guard let rules else {
              return Value(
                label: v.label, value: JSONInteger(v.value), raw: JSONInteger(v.raw),
                lower: JSONInteger(v.lower), upper: JSONInteger(v.upper))
            }
            guard let r = rules.release(v, isCount: c.clampAtZero) else {
              let zero = JSONInteger(0)
              return Value(
                label: v.label, value: zero, raw: zero, lower: zero, upper: zero, suppressed: true)
            }
            return Value(
              label: r.label, value: JSONInteger(r.value), raw: JSONInteger(r.raw),
              lower: JSONInteger(r.lower), upper: JSONInteger(r.upper))
          },
        vector: nil, valuesFile: valuesFile, valuesFormat: valuesFormat?.rawValue)
    }
    self.query = query
    postProcessing = Self.postProcessingNote(query.kind)
    if let p = r.privacy {
      epsilonAtDelta = EpsilonAtDelta(epsilon: p.epsilon, delta: Double(p.delta))
    }
    if let asked = ResultFormatter.askedEpsilon(query) {
      requested = Requested(
        epsilon: asked.description, delta: GaussianEpsilon.delta(of: study).description)
    }
    mean = r.mean.map {
      Mean(
        value: $0.value.map(Double.init), lower: $0.lower.map(Double.init),
        upper: $0.upper.map(Double.init), exact: $0.value?.description)
    }
    if let rules {
      outputRules = rules.summary
      // A mean whose count is suppressed is suppressed with it.
      if components.contains(where: {
        $0.name == "count" && $0.values.contains { $0.suppressed == true }
      }),
        mean != nil
      {
        mean = Mean(value: nil, lower: nil, upper: nil, exact: nil)
      }
    }
    if case .statistic(let s) = query.kind {
      if rules != nil {
        // Derived from the values before the rules, it could undo them: not derived.
        statistic = .withheld(
          kind: s.name, reason: "not derived: the study's output rules apply to the released values"
        )
      } else {
        do {
          statistic = try StatisticsRelease.report(r, query: query)
        } catch {
          statistic = .withheld(kind: s.name, reason: "not derived: \(error)")
        }
      }
    }
    self.statistics = statistics
    self.badRows = badRows
    time = ISO8601DateFormatter().string(from: now)
  }
}

extension String {
  /// nil for the empty string.
  fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

extension RunOutput {
  /// The post-processing of a kind, in words (`protocols/query.md` §5).
  static func postProcessingNote(_ kind: QueryKind) -> String {
    switch kind {
    case .count, .histogram:
      "counts clamped at 0: value = max(raw, 0), lower = max(raw - h, 0); raw is the opened value"
    case .mean:
      "count clamped at 0, sum not clamped; mean = sum / count clamped to the bounds, released "
        + "only if the noisy count is positive"
    case .sum:
      "none: value = raw, the opened value (it may be negative)"
    case .vectorSum:
      "none: every coordinate is the opened value (it may be negative or above m·U), not clamped"
    case .synth:
      "marginals clamped at 0; the tree model and synthetic rows are derived from them by "
        + "protocols/query.md §7"
    case .statistic:
      "count parts clamped at 0, sums not clamped; the statistic (and its interval or test) is "
        + "derived from the opened parts by the seeded post-processing of protocols/query.md §5.2"
    }
  }
}

extension RunOutput.Component {
  /// Reads a component of any `mpc.run` version: `length` (added in `mpc.run/2`) defaults to
  /// the number of labelled values, so release logs written before it still read.
  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    sensitivity = try c.decode(RunOutput.Sensitivity.self, forKey: .sensitivity)
    k = try c.decode(Int.self, forKey: .k)
    perParty = try c.decode(String.self, forKey: .perParty)
    rho = try c.decode(String.self, forKey: .rho)
    epsilon = try c.decode(Double.self, forKey: .epsilon)
    intervalHalfWidth = try c.decode(Int64.self, forKey: .intervalHalfWidth)
    beta = try c.decode(Double.self, forKey: .beta)
    deltaTable = try c.decode(Double.self, forKey: .deltaTable)
    postProcessing = try c.decode(String.self, forKey: .postProcessing)
    values = try c.decode([RunOutput.Value].self, forKey: .values)
    length = try c.decodeIfPresent(Int.self, forKey: .length) ?? values.count
    vector = try c.decodeIfPresent(VectorValues.self, forKey: .vector)
    valuesFile = try c.decodeIfPresent(String.self, forKey: .valuesFile)
    valuesFormat = try c.decodeIfPresent(String.self, forKey: .valuesFormat)
  }
}
