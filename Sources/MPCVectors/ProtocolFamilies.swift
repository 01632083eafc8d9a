import Foundation
import MPCBigInt
import MPCCrypto
import MPCPrivacy
import MPCProtocol

// MARK: - Shared helpers

/// Study and query objects used by several families.
enum VectorManifests {
  static func keys(_ n: Int) -> [String] {
    (0..<n).map { Hex.encode([UInt8](repeating: UInt8(0xa1 + 0x11 * $0), count: 32)) }
  }

  static func study(
    n: Int = 3, colluders: Int = 1, budget: [String: VectorValue] = ["rho": "1/2"],
    field: String = "auto", extra: [String: VectorValue] = [:]
  ) -> VectorValue {
    var object: [String: VectorValue] = [
      "id": "flu-2026",
      "parties": .array(
        (0..<n).map { i in
          .object([
            "id": .integer(i), "name": .string("site \(i)"),
            "address": .string("site\(i).example:\(7400 + i)"), "public_key": .string(keys(n)[i]),
          ])
        }),
      "colluders": .integer(colluders), "field": .string(field), "neighbour": "add-remove",
      "budget": .object(budget), "delta": "1e-6", "ledger": "ledger",
    ]
    for (k, v) in extra { object[k] = v }
    return .object(object)
  }

  static let sumQuery: VectorValue = .object([
    "id": "q-sum", "kind": "sum", "column": "age", "bounds": .array([0, 120]),
    "mechanism": "laplace", "epsilon": "1/2",
  ])
}

func studyManifest(_ value: VectorValue) throws -> StudyManifest {
  try StudyManifest.decode(Data(value.jsonText.utf8), file: "study.json")
}

func queryManifest(_ value: VectorValue) throws -> QueryManifest {
  try QueryManifest.decode(Data(value.jsonText.utf8), file: "query.json")
}

// MARK: - manifest-hash

/// Canonical encodings of study and query and the manifest hash (`protocols/manifest.md` §4–§5).
struct ManifestHashFamily: VectorFamily {
  var name: String { "manifest-hash" }
  var summary: String {
    "Study JSON + query JSON + 32-byte ledger head → the canonical encodings of the study "
      + "record, the query record and the hashed record {study, query, ledger_head}, and the "
      + "manifest hash BLAKE2b-256(LE32(21) ‖ \"swift-mpc/manifest/v1\" ‖ encoding)."
  }
  var spec: String { "protocols/manifest.md §4–§5" }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let head = VectorValue.hex([UInt8](repeating: 0x5a, count: 32))
    func c(_ name: String, study: VectorValue = VectorManifests.study(), _ query: VectorValue)
      -> (name: String, input: VectorValue)
    {
      (name, .object(["study": study, "query": query, "ledger_head": head]))
    }
    return [
      c("sum, laplace, ρ budget", VectorManifests.sumQuery),
      c(
        "count with where, ε budget, m61 given as a prime",
        study: VectorManifests.study(
          budget: ["epsilon": "2"], field: "2305843009213693951",
          extra: ["max_sites_per_person": 2, "neighbour": "replace-one"]),
        .object([
          "id": "q-count", "kind": "count", "where": .object(["column": "ward", "equals": "icu"]),
          "mechanism": "laplace", "epsilon": "0.25",
        ])),
      c(
        "histogram with bin edges, gaussian ε query",
        .object([
          "id": "q-hist", "kind": "histogram", "column": "age",
          "bin_edges": .array([0, 18, "65", "120"]), "outside": "other", "mechanism": "gaussian",
          "epsilon": "1",
        ])),
      c(
        "histogram with categories, default mechanism, max_bad_rows",
        .object([
          "id": "q-ward", "kind": "histogram", "column": "ward",
          "categories": .array(["icu", "er", "gp"]), "outside": "other", "rho": "1/10",
          "max_bad_rows": 3,
        ])),
      c(
        "mean with split 3/4",
        .object([
          "id": "q-mean", "kind": "mean", "column": "age", "bounds": .array([-5, 100]),
          "split": "0.75", "mechanism": "laplace", "epsilon": "1",
        ])),
      c(
        "vector-sum with per-coordinate bounds, explicit prime field",
        study: VectorManifests.study(n: 2, field: "340282366920938463463374607431768211507"),
        .object([
          "id": "q-vec", "kind": "vector-sum", "length": 3,
          "bounds": .array([.array([0, 5]), .array([-2, 1]), .array([0, 10])]),
          "mechanism": "laplace", "epsilon": "1",
        ])),
      c(
        "vector-sum with identical per-coordinate bounds (written as one pair)",
        .object([
          "id": "q-vec", "kind": "vector-sum", "length": 2,
          "bounds": .array([.array([-3, 2]), .array([-3, 2])]), "mechanism": "laplace",
          "epsilon": "1",
        ])),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let study = try studyManifest(input["study"])
    let query = try queryManifest(input["query"])
    let head = try input["ledger_head"].bytes()
    let record = ManifestHash.canonical(study: study, query: query, ledgerHead: head)
    return .object([
      "study_canonical": .hex(study.canonical.encoded),
      "query_canonical": .hex(query.canonical.encoded), "canonical": .hex(record.encoded),
      "hash": .hex(ManifestHash.compute(study: study, query: query, ledgerHead: head)),
    ])
  }
}

// MARK: - messages

/// Protocol messages and their frames (`protocols/messages.md`).
struct MessagesFamily: VectorFamily {
  var name: String { "messages" }
  var summary: String {
    "Each message (type and fields) → its frame bytes \"MP\" ‖ 01 ‖ type ‖ LE32(body length) ‖ "
      + "body; decoding the frame gives the message back."
  }
  var spec: String { "protocols/messages.md §1–§3" }

  static func message(_ value: VectorValue) throws -> Message {
    switch try value["type"].string() {
    case "hello":
      return .hello(
        Hello(
          protocolVersion: UInt16(try value["protocol_version"].int()),
          studyId: try value["study_id"].string(), partyId: UInt32(try value["party_id"].int()),
          sessionId: try value["session_id"].bytes(),
          manifestHash: try value["manifest_hash"].bytes()))
    case "ledger-head":
      return .ledgerHead(
        LedgerHead(hash: try value["hash"].bytes(), spent: try value["spent"].rational()))
    case "admit":
      return .admit
    case "refuse", "abort":
      let reason = Reason(
        code: ReasonCode(rawValue: UInt16(try value["code"].int())),
        text: try value["text"].string())
      return try value["type"].string() == "refuse" ? .refuse(reason) : .abort(reason)
    case "masked-upload":
      return .maskedUpload(
        MaskedUploadChunk(
          queryId: try value["query_id"].string(),
          chunkIndex: UInt32(try value["chunk_index"].int()),
          chunkCount: UInt32(try value["chunk_count"].int()),
          elementWidth: UInt16(try value["element_width"].int()),
          elementCount: UInt32(try value["element_count"].int()),
          elements: try value["elements"].bytes()))
    case "transcript":
      return .transcript(try value["hash"].bytes())
    case "ledger-entries":
      return .ledgerEntries(Array(try value["contents"].string().utf8))
    case let other:
      throw VectorError.invalidCase(problem: "unknown message type '\(other)'")
    }
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    func c(_ name: String, _ fields: [String: VectorValue]) -> (name: String, input: VectorValue) {
      (name, .object(["message": .object(fields)]))
    }
    return [
      c(
        "hello (messages.md §2 example)",
        [
          "type": "hello", "protocol_version": 1, "study_id": "s", "party_id": 2,
          "session_id": .hex([UInt8](repeating: 0x11, count: 16)),
          "manifest_hash": .hex([UInt8](repeating: 0x22, count: 32)),
        ]),
      c(
        "hello with a UTF-8 study id",
        [
          "type": "hello", "protocol_version": 1, "study_id": "grippe-été", "party_id": 0,
          "session_id": .hex((0..<16).map { UInt8($0) }),
          "manifest_hash": .hex((0..<32).map { UInt8(255 - $0) }),
        ]),
      c(
        "ledger head, spent 3/4",
        ["type": "ledger-head", "hash": .hex([UInt8](repeating: 0x33, count: 32)), "spent": "3/4"]),
      c(
        "ledger head, spent 0",
        ["type": "ledger-head", "hash": .hex([UInt8](repeating: 0x00, count: 32)), "spent": "0"]),
      c("admit", ["type": "admit"]),
      c(
        "refuse, budget-exhausted",
        [
          "type": "refuse", "code": 3,
          "text": "budget exhausted: spent 1/2 + cost 1/2 exceeds the total 3/4 (remaining 1/4)",
        ]),
      c("abort, unknown code 77", ["type": "abort", "code": 77, "text": ""]),
      c(
        "masked upload chunk, m61, 3 elements",
        [
          "type": "masked-upload", "query_id": "q-sum", "chunk_index": 1, "chunk_count": 3,
          "element_width": 8, "element_count": 3,
          "elements": .hex(
            [UInt8](repeating: 0, count: 8) + [1, 0, 0, 0, 0, 0, 0, 0]
              + [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]),
        ]),
      c(
        "transcript (query.md §2.4)",
        ["type": "transcript", "hash": .hex((0..<32).map { UInt8($0 * 7 & 0xff) })]),
      c(
        "ledger entries (query.md §2.2), one JSON line",
        [
          "type": "ledger-entries",
          "contents": .string(#"{"cost":{"rho":"1/10"},"kind":"charge","seq":1}"# + "\n"),
        ]),
      c("ledger entries, an empty ledger", ["type": "ledger-entries", "contents": ""]),
      c(
        "masked upload, empty chunk",
        [
          "type": "masked-upload", "query_id": "q", "chunk_index": 0, "chunk_count": 1,
          "element_width": 16, "element_count": 0, "elements": "",
        ]),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    let message = try Self.message(input["message"])
    let codec = MessageCodec()
    let frame = try codec.encode(message)
    guard try codec.decode(frame) == message else {
      throw VectorError.invalidCase(problem: "the frame does not decode to the message")
    }
    return .object(["frame": .hex(frame), "body_length": .integer(frame.count - 8)])
  }
}

// MARK: - ledger

/// Ledger entries and their hash chain (`protocols/ledger.md` §1–§2, §4).
struct LedgerFamily: VectorFamily {
  var name: String { "ledger" }
  var summary: String {
    "A study and a sequence of charges (query JSON, session id, manifest hash, time) and "
      + "releases → the genesis hash, each entry's canonical encoding, hash and JSON line, "
      + "the head and the spent total; or several parties' forked ledgers → each one after the "
      + "same reconcile entry."
  }
  var spec: String { "protocols/ledger.md §1, §2, §4, §5" }

  static func ledger(_ input: VectorValue) throws -> (
    StudyManifest, BudgetLedger, MemoryLedgerStore
  ) {
    let study = try studyManifest(input["study"])
    let store = MemoryLedgerStore()
    let ledger = try BudgetLedger(store: store, study: study)
    return (study, ledger, store)
  }

  static func apply(
    _ op: VectorValue, study: StudyManifest, ledger: BudgetLedger
  ) throws {
    let session = try op["session_id"].bytes()
    guard let time = ISO8601DateFormatter().date(from: try op["time"].string()) else {
      throw VectorError.invalidCase(problem: "time must be ISO-8601")
    }
    switch try op["op"].string() {
    case "charge":
      let plan = try queryManifest(op["query"]).plan(for: study)
      try ledger.charge(
        plan: plan, sessionId: session, manifestHash: try op["manifest_hash"].bytes(), time: time)
    case "release":
      try ledger.release(queryId: try op["query_id"].string(), sessionId: session, time: time)
    case "upload":
      try ledger.recordUpload(queryId: try op["query_id"].string(), sessionId: session, time: time)
    case let other:
      throw VectorError.invalidCase(problem: "unknown ledger operation '\(other)'")
    }
  }

  static func charge(_ query: VectorValue, session: UInt8, at time: String) -> VectorValue {
    .object([
      "op": "charge", "query": query, "session_id": .hex([UInt8](repeating: session, count: 16)),
      "manifest_hash": .hex([UInt8](repeating: session &+ 0x80, count: 32)),
      "time": .string(time),
    ])
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let mean: VectorValue = .object([
      "id": "q-mean", "kind": "mean", "column": "age", "bounds": .array([0, 100]),
      "split": "3/4", "mechanism": "laplace", "epsilon": "1",
    ])
    let gaussian: VectorValue = .object([
      "id": "q-count", "kind": "count", "mechanism": "gaussian", "rho": "1/8",
    ])
    return [
      (
        "empty ledger, ε budget",
        .object([
          "study": VectorManifests.study(budget: ["epsilon": "3"]), "operations": .array([]),
        ])
      ),
      (
        "fork [charge] / [charge, release] / [] reconciled: the charge stands for all",
        .object([
          "study": VectorManifests.study(),
          "parties": .array([
            .array([Self.charge(VectorManifests.sumQuery, session: 1, at: "2026-11-23T21:40:24Z")]),
            .array([
              Self.charge(VectorManifests.sumQuery, session: 1, at: "2026-11-23T21:40:25Z"),
              .object([
                "op": "release", "query_id": "q-sum",
                "session_id": .hex([UInt8](repeating: 1, count: 16)),
                "time": "2026-11-23T21:40:26Z",
              ]),
            ]),
            .array([]),
          ]),
          "reconcile_time": "2026-11-23T22:00:00Z",
        ])
      ),
      (
        "charge, charge, release under a ρ budget",
        .object([
          "study": VectorManifests.study(),
          "operations": .array([
            Self.charge(VectorManifests.sumQuery, session: 1, at: "2026-11-23T21:40:24Z"),
            Self.charge(mean, session: 2, at: "2026-11-23T21:41:00Z"),
            .object([
              "op": "release", "query_id": "q-mean",
              "session_id": .hex([UInt8](repeating: 2, count: 16)),
              "time": "2026-11-23T21:41:05Z",
            ]),
            Self.charge(gaussian, session: 3, at: "2026-11-23T21:42:00Z"),
          ]),
        ])
      ),
      (
        "charge, upload (the charge stands), charge released (no upload)",
        .object([
          "study": VectorManifests.study(),
          "operations": .array([
            Self.charge(VectorManifests.sumQuery, session: 4, at: "2026-11-23T21:50:00Z"),
            .object([
              "op": "upload", "query_id": "q-sum",
              "session_id": .hex([UInt8](repeating: 4, count: 16)),
              "time": "2026-11-23T21:50:01Z",
            ]),
            Self.charge(mean, session: 5, at: "2026-11-23T21:51:00Z"),
            .object([
              "op": "release", "query_id": "q-mean",
              "session_id": .hex([UInt8](repeating: 5, count: 16)),
              "time": "2026-11-23T21:51:05Z",
            ]),
          ]),
        ])
      ),
    ]
  }

  func compute(_ input: VectorValue) throws -> VectorValue {
    if case .object(let members) = input, let parties = members["parties"] {
      return try Self.reconciled(input, parties: try parties.array())
    }
    let (study, ledger, store) = try Self.ledger(input)
    let genesis = BudgetLedger.genesis(study: study)
    for op in try input["operations"].array() { try Self.apply(op, study: study, ledger: ledger) }
    return .object([
      "genesis": .hex(genesis), "study_hash": .hex(BudgetLedger.studyHash(study)),
      "entries": Self.entries(ledger, store), "head": .hex(ledger.head),
      "spent": .rational(ledger.spent),
    ])
  }

  static func entries(_ ledger: BudgetLedger, _ store: MemoryLedgerStore) -> VectorValue {
    let lines = String(decoding: store.contents, as: UTF8.self).split(separator: "\n")
    return .array(
      zip(ledger.entries, lines).map { entry, line in
        .object([
          "canonical": .hex(entry.canonical.encoded), "hash": .hex(entry.hash),
          "line": .string(String(line)),
        ])
      })
  }

  /// Several parties' ledgers, then the reconciliation of `protocols/ledger.md` §5 at each.
  static func reconciled(_ input: VectorValue, parties: [VectorValue]) throws -> VectorValue {
    let study = try studyManifest(input["study"])
    var ledgers: [(BudgetLedger, MemoryLedgerStore)] = []
    for operations in parties {
      let store = MemoryLedgerStore()
      let ledger = try BudgetLedger(store: store, study: study)
      for op in try operations.array() { try apply(op, study: study, ledger: ledger) }
      ledgers.append((ledger, store))
    }
    guard let plan = try LedgerReconciler.plan(ledgers.map(\.0)) else {
      throw VectorError.invalidCase(problem: "the ledgers agree: nothing to reconcile")
    }
    guard let time = ISO8601DateFormatter().date(from: try input["reconcile_time"].string())
    else { throw VectorError.invalidCase(problem: "reconcile_time must be ISO-8601") }
    for (ledger, _) in ledgers { try ledger.reconcile(plan, time: time) }
    return .object([
      "genesis": .hex(BudgetLedger.genesis(study: study)),
      "parties": .array(
        ledgers.map { ledger, store in
          .object([
            "entries": entries(ledger, store), "head": .hex(ledger.head),
            "spent": .rational(ledger.spent),
          ])
        }),
    ])
  }
}
