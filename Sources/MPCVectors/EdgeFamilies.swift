import MPCBigInt
import MPCCrypto
import MPCField
import MPCNetwork
import MPCPrivacy
import MPCProtocol

// MARK: - preface

/// The link preface (`protocols/channel.md` §3) and the study hash it carries
/// (`protocols/random.md` §5).
struct PrefaceFamily: VectorFamily {
  var name: String { "preface" }
  var summary: String {
    "A study, a mode (1 run, 2 doctor) and a version string → the study hash "
      + "BLAKE2b-256(LE32(18) ‖ \"swift-mpc/study/v1\" ‖ canonical study) and the preface "
      + "plaintext \"MPCP\" ‖ 01 ‖ mode ‖ H ‖ LE16(v) ‖ version, as sent in frame 0 of each "
      + "direction."
  }
  var spec: String { "protocols/channel.md §3, protocols/random.md §5, protocols/manifest.md §4" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func c(_ name: String, _ study: VectorValue, mode: Int, version: String) -> (
      name: String, input: VectorValue
    ) {
      (name, .object(["study": study, "mode": .integer(mode), "version": .string(version)]))
    }
    var noDelta = try VectorManifests.study(budget: ["epsilon": "1"]).object()
    noDelta["delta"] = nil
    return [
      c("run, n = 3", VectorManifests.study(), mode: 1, version: "mpc 1.0.0"),
      c("doctor, empty version string", VectorManifests.study(), mode: 2, version: ""),
      c(
        "run, ε budget without delta (delta absent: tag 00)", .object(noDelta), mode: 1,
        version: "mpc 1.0.0"),
      c(
        "run, n = 5, m89, UTF-8 version", VectorManifests.study(n: 5, field: "m89"), mode: 1,
        version: "mpc 1.0.0 (été)"),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let study = try studyManifest(input["study"])
    guard let mode = LinkMode(rawValue: UInt8(try input["mode"].int())) else {
      throw VectorError.invalidCase(problem: "mode is 1 (run) or 2 (doctor)")
    }
    let hash = study.studyHash
    let preface = LinkPreface(
      mode: mode, studyHash: hash, softwareVersion: try input["version"].string())
    let bytes = preface.encoded()
    guard try LinkPreface(decoding: bytes, peer: 0) == preface else {
      throw VectorError.invalidCase(problem: "the preface does not decode to itself")
    }
    return .object([
      "study_canonical": .hex(study.canonical.encoded), "study_hash": .hex(hash),
      "preface": .hex(bytes),
    ])
  }
}

// MARK: - field-auto

/// `auto` field sizing at the edge of every named field (`protocols/field.md` §1): the
/// resolution of a bound B, and the bound B a query derives (`protocols/query.md` §1).
struct FieldAutoFamily: VectorFamily {
  var name: String { "field-auto" }
  var summary: String {
    "kind `resolve`: a field choice and a bound B → the field (p > 2·B) or the refusal; kind "
      + "`query`: a study and a query → each component's share law, the bound B of query.md §1 "
      + "and the field `auto` selects. Cases sit on both sides of each named field's edge "
      + "B = (p − 1)/2."
  }
  var spec: String { "protocols/field.md §1, protocols/query.md §1" }

  /// The bound B of `query` under `study`.
  static func bound(study: StudyManifest, query: QueryManifest) throws -> (RunPlan, BigInt) {
    let plan = try RunPlan(study: study, query: query)
    return (plan, RunPlan.resultBound(query: query, study: study, components: plan.components))
  }

  /// A two-party sum query with bounds [0, m] and laplace ε, under a study with budget ε.
  static func sumCase(bound m: Int64, epsilon: String) -> (study: VectorValue, query: VectorValue) {
    (
      VectorManifests.study(n: 2, budget: ["epsilon": .string(epsilon)]),
      .object([
        "id": "q-edge", "kind": "sum", "column": "age", "bounds": .array([0, .int(m)]),
        "mechanism": "laplace", "epsilon": .string(epsilon),
      ])
    )
  }

  /// The largest upper bound m of `sumCase` whose B still fits `field` (B ≤ (p − 1)/2).
  static func edge(of field: NamedField, epsilon: String, below limit: Int64) throws -> Int64 {
    let half = (field.modulus - 1) / 2
    func fits(_ m: Int64) throws -> Bool {
      let c = sumCase(bound: m, epsilon: epsilon)
      return try bound(study: studyManifest(c.study), query: queryManifest(c.query)).1 <= half
    }
    var lo: Int64 = 1
    var hi = limit
    guard try fits(lo), try !fits(hi) else {
      throw VectorError.invalidCase(problem: "no edge of \(field.rawValue) below \(limit)")
    }
    while hi - lo > 1 {
      let mid = lo + (hi - lo) / 2
      if try fits(mid) { lo = mid } else { hi = mid }
    }
    return lo
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    var list: [(name: String, input: VectorValue)] = []
    let fields = NamedField.allCases
    for (index, f) in fields.enumerated() {
      let half = (f.modulus - 1) / 2
      let next = index + 1 < fields.count ? fields[index + 1].rawValue : "refused"
      list.append(
        (
          "auto, B = (p − 1)/2 of \(f.rawValue) → \(f.rawValue)",
          .object(["kind": "resolve", "field": "auto", "bound": .decimal(half)])
        ))
      list.append(
        (
          "auto, B = (p + 1)/2 of \(f.rawValue) → \(next)",
          .object(["kind": "resolve", "field": "auto", "bound": .decimal(half + 1)])
        ))
    }
    list.append(
      (
        "m61 given, B = (p + 1)/2 → refused",
        .object([
          "kind": "resolve", "field": "m61", "bound": .decimal(NamedField.m61.modulus / 2 + 1),
        ])
      ))
    list.append(
      (
        "prime 2^61 + 15 given, B = 2^60 + 7 → accepted",
        .object([
          "kind": "resolve", "field": "2305843009213693967",
          "bound": .decimal((BigInt(1) << 60) + 7),
        ])
      ))
    for (f, epsilon, limit) in [
      // The upper limits keep the Pólya scale m/ε within the cap 2^20 (noise.md §5.2.1).
      (NamedField.m61, "1024", Int64(1) << 30), (NamedField.m89, "68719476736", Int64(1) << 56),
    ] {
      let m = try Self.edge(of: f, epsilon: epsilon, below: limit)
      for (bound, side) in [(m, "largest bound that fits"), (m + 1, "one more")] {
        let c = Self.sumCase(bound: bound, epsilon: epsilon)
        list.append(
          (
            "sum [0, \(bound)], laplace ε = \(epsilon), n = 2: \(f.rawValue) edge, \(side)",
            .object(["kind": "query", "study": c.study, "query": c.query])
          ))
      }
    }
    return list
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    switch try input["kind"].string() {
    case "resolve":
      let choice = try FieldChoice(parsing: try input["field"].string())
      let bound = try input["bound"].bigInt()
      do {
        let f = try choice.resolve(bound: bound)
        return .object(["modulus": .decimal(f.modulus)])
      } catch let error as FieldError {
        return .object(["error": .string(try errorValue(error)["error"].string())])
      }
    case "query":
      let study = try studyManifest(input["study"])
      let query = try queryManifest(input["query"])
      let (plan, bound) = try Self.bound(study: study, query: query)
      let noise: [VectorValue] = plan.components.map { nc in
        switch nc.noise.perParty {
        case .gaussian(let s2): .object(["law": "gaussian", "sigma_squared": .rational(s2)])
        case .polya(let scale, let shares):
          .object(["law": "polya", "scale": .rational(scale), "shares": .integer(shares)])
        }
      }
      return .object([
        "noise": .array(noise), "bound": .decimal(bound),
        "modulus": .decimal(plan.field.modulus),
      ])
    case let other:
      throw VectorError.invalidCase(problem: "unknown field-auto kind '\(other)'")
    }
  }
}
