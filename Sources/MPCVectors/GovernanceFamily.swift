import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

// MARK: - governance

/// Governance (`protocols/manifest.md` §1.1–§1.3, `protocols/ledger.md` §6): registered
/// queries signed by a study's approvers, policy admissions and refusals, and release-log
/// records tied to the ledger charges that paid for them.
struct GovernanceFamily: VectorFamily {
  var name: String { "governance" }
  var summary: String {
    "Signed manifests: a study with a registry, approvers' Ed25519 seeds, a query, purpose and "
      + "use case → the signing record, digest, signatures, the registered file and who counts; "
      + "policy: a study with a policy and a query → its cost and whether it is admitted or the "
      + "rule refusing it; release log: charges and releases → ledger entries and the release "
      + "records' canonical encodings, hashes and JSON lines."
  }
  var spec: String { "protocols/manifest.md §1.1–§1.3, protocols/ledger.md §6" }

  static let approverIDs = ["ethics-1", "legal-1", "patients-1"]

  static func seed(_ i: Int) -> [UInt8] { [UInt8](repeating: UInt8(0x31 + i), count: 32) }

  static func pair(_ seed: [UInt8]) throws -> Ed25519.KeyPair {
    try Ed25519.KeyPair(seed: SecretBytes(copying: seed))
  }

  static func registryStudy(threshold: Int = 2) throws -> VectorValue {
    let approvers = try approverIDs.enumerated().map { i, id -> VectorValue in
      .object(["id": .string(id), "public_key": .hex(try pair(seed(i)).publicKey)])
    }
    return VectorManifests.study(
      extra: [
        "registry": .object([
          "required": true, "threshold": .integer(threshold), "approvers": .array(approvers),
        ])
      ])
  }

  static let histogram: VectorValue = .object([
    "id": "q-wards", "kind": "histogram", "column": "ward",
    "categories": .array(["icu", "er"]), "outside": "other", "rho": "1/10",
  ])

  func cases() throws -> [(name: String, input: VectorValue)] {
    let seeds = VectorValue.object(
      Dictionary(
        uniqueKeysWithValues: Self.approverIDs.enumerated().map { ($1, .hex(Self.seed($0))) }))
    func signed(_ signers: [String], signedQuery: VectorValue? = nil) throws -> VectorValue {
      var o: [String: VectorValue] = [
        "case": "signatures", "study": try Self.registryStudy(), "approver_seeds": seeds,
        "query": Self.histogram, "purpose": "Ward mix for the winter report",
        "use_case": "winter-report", "signers": .array(signers.map { .string($0) }),
      ]
      if let signedQuery { o["signed_query"] = signedQuery }
      return .object(o)
    }
    let policy: VectorValue = .object([
      "tier": "high", "max_query_cost": .object(["rho": "1/5"]), "mechanisms": .array(["gaussian"]),
      "min_honest": 2, "round_to": 5, "suppress_below": 3,
    ])
    func policed(_ query: VectorValue) -> VectorValue {
      .object([
        "case": "policy", "study": VectorManifests.study(extra: ["policy": policy]),
        "query": query,
      ])
    }
    let count: VectorValue = .object(["id": "q-count", "kind": "count", "rho": "1/8"])
    let session = { (b: UInt8) in VectorValue.hex([UInt8](repeating: b, count: 16)) }
    let manifest = { (b: UInt8) in VectorValue.hex([UInt8](repeating: b, count: 32)) }
    let releases: VectorValue = .object([
      "case": "release-log", "study": VectorManifests.study(),
      "releases": .array([
        .object([
          "query": Self.histogram, "session_id": session(1), "manifest_hash": manifest(0xa1),
          "time": "2026-12-01T10:00:00Z",
          "result": #"{"query_id":"q-wards","values":[10,5,0]}"#,
          "text": "query q-wards: icu 10, er 5, other 0",
          "approvers": .array(["ethics-1", "legal-1"]),
          "purpose": "Ward mix for the winter report", "use_case": "winter-report",
        ]),
        .object([
          "query": count, "session_id": session(2), "manifest_hash": manifest(0xa2),
          "time": "2026-12-01T11:00:00Z", "result": #"{"query_id":"q-count","values":[40]}"#,
          "text": "query q-count: 40", "approvers": .array([]),
        ]),
      ]),
    ])
    return [
      ("2 of 3 approvers sign: approved", try signed(["legal-1", "ethics-1"])),
      ("1 of 3 signs: under-signed", try signed(["patients-1"])),
      (
        "signed, then the query altered (ρ 1/10 → 1/2): no signature counts",
        try signed(
          ["ethics-1", "legal-1"],
          signedQuery: .object([
            "id": "q-wards", "kind": "histogram", "column": "ward",
            "categories": .array(["icu", "er"]), "outside": "other", "rho": "1/2",
          ]))
      ),
      ("policy admits a ρ 1/8 count", policed(count)),
      (
        "policy refuses ρ 1/2 (max_query_cost)",
        policed(.object(["id": "q-greedy", "kind": "count", "rho": "1/2"]))
      ),
      (
        "policy refuses laplace (mechanisms)",
        policed(
          .object(["id": "q-lap", "kind": "count", "mechanism": "laplace", "epsilon": "1/4"]))
      ),
      ("two releases tied to their charges", releases),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    switch try input["case"].string() {
    case "signatures": return try Self.signatures(input)
    case "policy": return try Self.policy(input)
    case "release-log": return try Self.releaseLog(input)
    case let other: throw VectorError.invalidCase(problem: "unknown governance case '\(other)'")
    }
  }

  static func signatures(_ input: VectorValue) throws -> VectorValue {
    let study = try studyManifest(input["study"])
    guard let registry = study.registry else {
      throw VectorError.invalidCase(problem: "the study has no registry")
    }
    let purpose = try input["purpose"].string()
    let useCase = try input["use_case"].string()
    let query = try queryManifest(input["query"])
    let signedQuery = try input.optional("signed_query").map(queryManifest) ?? query
    var signing = RegisteredQuery(query: signedQuery, purpose: purpose, useCase: useCase)
    for id in try input["signers"].array() {
      let approver = try id.string()
      let pair = try pair(try input["approver_seeds"][approver].bytes())
      signing = signing.signed(by: approver, key: pair, studyID: study.id)
    }
    var registered = signing
    registered.query = query
    let v = registered.verify(against: registry, studyID: study.id)
    return .object([
      "study_hash": .hex(study.studyHash),
      "signing_record": .hex(registered.signingRecord(studyID: study.id).encoded),
      "signing_digest": .hex(registered.signingDigest(studyID: study.id)),
      "signatures": .array(
        registered.signatures.map {
          .object(["approver": .string($0.approver), "signature": .hex($0.signature)])
        }),
      "registered_file": .string(String(decoding: try registered.encoded(), as: UTF8.self)),
      "valid": .array(v.valid.map { .string($0) }), "approved": .bool(v.approved),
    ])
  }

  static func policy(_ input: VectorValue) throws -> VectorValue {
    let study = try studyManifest(input["study"])
    let query = try queryManifest(input["query"])
    let cost = try query.plan(for: study).cost
    var rule: VectorValue = .null
    do {
      try Governance.admit(study: study, query: query, registered: nil)
    } catch PolicyError.violated(let name, _) {
      rule = .string(name)
    }
    return .object([
      "policy_canonical": .hex((study.policy?.canonical ?? .absent).encoded),
      "study_hash": .hex(study.studyHash),
      "cost": .object([cost.unit: .rational(cost.amount)]),
      "admitted": .bool(rule == .null), "rule": rule,
    ])
  }

  static func releaseLog(_ input: VectorValue) throws -> VectorValue {
    let study = try studyManifest(input["study"])
    let ledgerStore = MemoryLedgerStore()
    let ledger = try BudgetLedger(store: ledgerStore, study: study)
    let logStore = MemoryLedgerStore()
    let log = try ReleaseLog(store: logStore)
    for r in try input["releases"].array() {
      guard let time = ISO8601DateFormatter().date(from: try r["time"].string()) else {
        throw VectorError.invalidCase(problem: "time must be ISO-8601")
      }
      let query = try queryManifest(r["query"])
      let charge = try ledger.charge(
        plan: try query.plan(for: study), sessionId: try r["session_id"].bytes(),
        manifestHash: try r["manifest_hash"].bytes(), time: time)
      let registered = try r.optional("purpose").map {
        RegisteredQuery(query: query, purpose: try $0.string(), useCase: try r["use_case"].string())
      }
      try log.append(
        query: query, charge: charge, parties: study.partyCount, result: try r["result"].string(),
        text: try r["text"].string(), approvers: try r["approvers"].array().map { try $0.string() },
        registered: registered, time: time)
    }
    let records = try log.all
    guard ReleaseLog.crossCheck(records, against: ledger).isEmpty else {
      throw VectorError.invalidCase(problem: "the release log does not match the ledger")
    }
    let lines = String(decoding: logStore.contents, as: UTF8.self).split(separator: "\n")
    return .object([
      "genesis": .hex(BudgetLedger.genesis(study: study)),
      "ledger": .object([
        "entries": LedgerFamily.entries(ledger, ledgerStore), "head": .hex(ledger.head),
        "spent": .rational(ledger.spent),
      ]),
      "records": .array(
        zip(records, lines).map { record, line in
          .object([
            "canonical": .hex(record.canonical.encoded), "hash": .hex(record.hash),
            "line": .string(String(line)),
          ])
        }),
    ])
  }
}
