import Foundation
import MPCBigInt
import MPCField
import MPCPrivacy
import MPCProtocol
import Testing

@Suite struct ManifestTests {
  // MARK: - Parsing

  @Test func parsesValidStudy() throws {
    let study = try Fixtures.study()
    #expect(study.id == "flu-2026")
    #expect(study.partyCount == 3 && study.colluders == 1 && study.honestCount == 2)
    #expect(study.parties[1].publicKey == [UInt8](repeating: 0xb2, count: 32))
    #expect(study.field == .auto)
    #expect(study.budget == .pure(epsilon: 1))
    #expect(study.delta == Rational(1, 1_000_000))
    // The `ledger` key of earlier study files is read and ignored (ledgers live in the
    // state directory); a study without it is valid and hashes the same.
    #expect(study.ledger == "ledger")
    var object = Fixtures.studyObject()
    object["ledger"] = nil
    let without = try Fixtures.study(object)
    #expect(without.ledger == nil)
    #expect(without.studyHash == study.studyHash)
  }

  @Test func defaultsApply() throws {
    var object = Fixtures.studyObject()
    object["max_sites_per_person"] = nil
    #expect(try Fixtures.study(object).maxSitesPerPerson == 1)
    let query = try Fixtures.query(["id": "q", "kind": "count", "epsilon": "1"])
    #expect(query.mechanism == .gaussian && query.maxBadRows == 0)
    let mean = try Fixtures.query([
      "id": "q", "kind": "mean", "column": "a", "bounds": [0, 1], "rho": "1",
    ])
    #expect(
      mean.kind
        == .mean(column: "a", bounds: ClipBounds(lower: 0, upper: 1), sumShare: Rational(1, 2)))
  }

  @Test func studyRoundTripsThroughJSON() throws {
    let study = try Fixtures.study()
    let again = try StudyManifest.decode(try JSONEncoder().encode(study), file: "again")
    #expect(again == study)
    for (_, object) in Fixtures.kinds {
      let query = try Fixtures.query(object)
      #expect(try QueryManifest.decode(try JSONEncoder().encode(query), file: "q") == query)
    }
  }

  /// Every study validation failure: (edit, expected field path, text the problem contains).
  static let studyErrors: [(String, String, String)] = [
    ("id", "id", "letters, digits"),
    ("no-parties", "parties", "at least 2"),
    ("party-order", "parties[1].id", "expected 1"),
    ("party-name", "parties[0].name", "empty"),
    ("address", "parties[2].address", "host:port"),
    ("port", "parties[2].address", "port"),
    ("key-short", "parties[1].public_key", "64 hexadecimal"),
    ("key-dup", "parties[1].public_key", "same public key as party 0"),
    ("t-zero", "colluders", "1 ≤ t ≤ n − 1"),
    ("t-n", "colluders", "1 ≤ t ≤ n − 1"),
    ("field-composite", "field", "not prime"),
    ("field-name", "field", "m62"),
    ("neighbour", "neighbour", "one of 'add-remove', 'replace-one'"),
    ("sites", "max_sites_per_person", "between 1 and"),
    ("budget-both", "budget", "exactly one"),
    ("budget-zero", "budget.epsilon", "positive"),
    ("budget-float", "budget.epsilon", "exact number"),
    ("delta", "delta", "0 < δ < 1"),
    ("rho-no-delta", "delta", "required"),
    ("unknown", "max_site_per_person", "unknown field"),
    ("missing", "colluders", "missing required field"),
    ("type", "colluders", "wrong type"),
  ]

  @Test(arguments: studyErrors)
  func studyValidationNamesField(edit: String, field: String, contains: String) throws {
    var o = Fixtures.studyObject()
    var parties = o["parties"] as! [[String: Any]]
    switch edit {
    case "id": o["id"] = "flu 2026"
    case "no-parties": parties = [parties[0]]
    case "party-order": parties[1]["id"] = 2
    case "party-name": parties[0]["name"] = ""
    case "address": parties[2]["address"] = "site2.example"
    case "port": parties[2]["address"] = "site2.example:70000"
    case "key-short": parties[1]["public_key"] = "abcd"
    case "key-dup": parties[1]["public_key"] = Fixtures.keys[0]
    case "t-zero": o["colluders"] = 0
    case "t-n": o["colluders"] = 3
    case "field-composite": o["field"] = "1000000000000000000000"
    case "field-name": o["field"] = "m62"
    case "neighbour": o["neighbour"] = "add-or-remove"
    case "sites": o["max_sites_per_person"] = 4
    case "budget-both": o["budget"] = ["epsilon": "1", "rho": "1"]
    case "budget-zero": o["budget"] = ["epsilon": "0"]
    case "budget-float": o["budget"] = ["epsilon": 0.5]
    case "delta": o["delta"] = "1"
    case "rho-no-delta":
      o["budget"] = ["rho": "1/2"]
      o["delta"] = nil
    case "unknown": o["max_site_per_person"] = 2
    case "missing": o["colluders"] = nil
    case "type": o["colluders"] = "one"
    default: Issue.record("unknown edit \(edit)")
    }
    o["parties"] = parties
    do {
      _ = try Fixtures.study(o)
      Issue.record("\(edit) was accepted")
    } catch let error as ManifestError {
      guard case .invalidManifest(let file, let got, let problem) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(file == "study.json")
      #expect(got == field, "\(edit): \(error)")
      #expect(problem.contains(contains), "\(edit): \(error)")
      #expect(error.description.contains("study.json") && error.description.contains(field))
    }
  }

  static let queryErrors: [(String, String, String)] = [
    (#"{"id": "q", "kind": "median", "epsilon": "1"}"#, "kind", "unknown kind"),
    (#"{"id": "q", "kind": "count"}"#, "epsilon", "exactly one"),
    (#"{"id": "q", "kind": "count", "epsilon": "1", "rho": "1"}"#, "epsilon", "exactly one"),
    (#"{"id": "q", "kind": "count", "epsilon": "-1"}"#, "epsilon", "positive"),
    (#"{"id": "q", "kind": "count", "epsilon": 0.5}"#, "epsilon", "exact number"),
    (#"{"id": "q", "kind": "count", "epsilon": "1", "bounds": [0, 1]}"#, "bounds", "unknown field"),
    (
      #"{"id": "q", "kind": "sum", "column": "a", "bounds": [5, 5], "epsilon": "1"}"#, "bounds",
      "L < U"
    ),
    (
      #"{"id": "q", "kind": "sum", "column": "a", "bounds": [0], "epsilon": "1"}"#, "bounds", "pair"
    ),
    (
      #"{"id": "q", "kind": "sum", "column": "a", "bounds": [0, 1.5], "epsilon": "1"}"#,
      "bounds[1]", "integer"
    ),
    (
      #"{"id": "q", "kind": "sum", "column": "", "bounds": [0, 1], "epsilon": "1"}"#, "column",
      "name a column"
    ),
    (#"{"id": "q", "kind": "sum", "bounds": [0, 1], "epsilon": "1"}"#, "column", "missing"),
    (
      #"{"id": "q", "kind": "histogram", "column": "a", "categories": ["x", "x"], "outside": "other", "epsilon": "1"}"#,
      "categories[1]", "duplicate"
    ),
    (
      #"{"id": "q", "kind": "histogram", "column": "a", "bin_edges": [0, 5, 5], "outside": "other", "epsilon": "1"}"#,
      "bin_edges[2]", "increasing"
    ),
    (
      #"{"id": "q", "kind": "histogram", "column": "a", "outside": "other", "epsilon": "1"}"#,
      "categories", "exactly one"
    ),
    (
      #"{"id": "q", "kind": "histogram", "column": "a", "categories": ["x"], "outside": "drop", "epsilon": "1"}"#,
      "outside", "one of 'other', 'clip'"
    ),
    (
      #"{"id": "q", "kind": "histogram", "column": "a", "bin_edges": [0, 1], "outside": "refuse", "epsilon": "1"}"#,
      "outside", "without any privacy charge; use 'other'"
    ),
    (
      #"{"id": "q", "kind": "histogram", "column": "a", "categories": ["x"], "outside": "clip", "epsilon": "1"}"#,
      "outside", "'clip' needs numeric bin_edges"
    ),
    (
      #"{"id": "q", "kind": "mean", "column": "a", "bounds": [0, 1], "split": "1", "epsilon": "1"}"#,
      "split", "(0, 1)"
    ),
    (
      #"{"id": "q", "kind": "vector-sum", "length": 0, "bounds": [0, 1], "epsilon": "1"}"#,
      "length", "between 1"
    ),
    (
      #"{"id": "q", "kind": "vector-sum", "length": 3, "bounds": [[0, 1], [0, 1]], "epsilon": "1"}"#,
      "bounds", "expected 3 per-coordinate"
    ),
    (
      #"{"id": "q", "kind": "vector-sum", "length": 2, "bounds": [0, 1], "epsilon": "1", "max_bad_rows": 1}"#,
      "max_bad_rows", "unknown field"
    ),
    (#"{"id": "q", "kind": "count", "epsilon": "1", "mechanism": "laplace"}"#, "", ""),
    (#"{"id": "q", "kind": "count", "rho": "1", "mechanism": "laplace"}"#, "rho", "laplace"),
    (
      #"{"id": "q", "kind": "count", "epsilon": "1", "mechanism": "exponential"}"#, "mechanism",
      "one of 'gaussian', 'laplace'"
    ),
    (
      #"{"id": "q", "kind": "count", "epsilon": "1", "max_bad_rows": -1}"#, "max_bad_rows",
      "negative"
    ),
    (#"{"id": "../q", "kind": "count", "epsilon": "1"}"#, "id", "letters"),
  ]

  @Test(arguments: queryErrors)
  func queryValidationNamesField(json: String, field: String, contains: String) throws {
    let data = Data(json.utf8)
    if field.isEmpty {
      _ = try QueryManifest.decode(data, file: "query.json")  // the control case is valid
      return
    }
    do {
      _ = try QueryManifest.decode(data, file: "query.json")
      Issue.record("accepted \(json)")
    } catch let error as ManifestError {
      guard case .invalidManifest("query.json", let got, let problem) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(got == field, "\(error)")
      #expect(problem.contains(contains), "\(error)")
    }
  }

  @Test func programmaticInitValidates() throws {
    #expect(
      throws: ManifestError.invalidManifest(
        file: "<query>", field: "bounds", problem: "bounds [L, U] need L < U, found [3, 1]")
    ) {
      try QueryManifest(
        id: "q", kind: .sum(column: "a", bounds: ClipBounds(lower: 3, upper: 1)),
        privacy: .zcdp(rho: 1))
    }
    let study = try Fixtures.study()
    #expect(throws: ManifestError.self) {
      try StudyManifest(
        id: study.id, parties: study.parties, colluders: 3, neighbour: .addRemove,
        budget: study.budget, ledger: "l")
    }
  }

  @Test func unreadableFileIsNamed() {
    let url = URL(fileURLWithPath: "/nonexistent/study.json")
    do {
      _ = try StudyManifest.load(contentsOf: url)
      Issue.record("loaded a missing file")
    } catch let error as ManifestError {
      guard case .unreadableFile(let file, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(file == url.path)
    } catch {
      Issue.record("unexpected \(error)")
    }
    #expect(throws: ManifestError.self) { try StudyManifest.decode(Data("{".utf8), file: "x") }
  }

  // MARK: - Canonical hash

  @Test func hashIgnoresKeyOrderWhitespaceAndSpelling() throws {
    let study = try Fixtures.study()
    let query = try Fixtures.query(Fixtures.sumQuery)
    let head = [UInt8](repeating: 7, count: 32)
    let reference = ManifestHash.compute(study: study, query: query, ledgerHead: head)
    #expect(reference.count == 32)

    // Same meaning, different text: pretty-printed with keys in another order, rationals and
    // defaults spelt differently, hex in upper case, the field as a decimal prime of m61.
    let text = """
      {
        "ledger": "somewhere/else",
        "budget": { "epsilon": "2/2" },
        "neighbour": "add-remove", "delta": "0.000001",
        "field": "auto",
        "colluders": 1,
        "parties": [
          {"public_key": "\(Fixtures.keys[0].uppercased())", "address": "site0.example:7400",
           "name": "site 0", "id": 0},
          {"name": "site 1", "id": 1, "address": "site1.example:7401",
           "public_key": "\(Fixtures.keys[1])"},
          {"id": 2, "name": "site 2", "address": "site2.example:7402",
           "public_key": "\(Fixtures.keys[2])"}
        ],
        "id": "flu-2026"
      }
      """
    let respelt = try StudyManifest.decode(Data(text.utf8), file: "s2")
    let query2 = try QueryManifest.decode(
      Data(
        #"{"epsilon":"0.5","bounds":["0","120"],"column":"age","mechanism":"laplace","kind":"sum","id":"q-sum","max_bad_rows":0}"#
          .utf8), file: "q2")
    #expect(ManifestHash.compute(study: respelt, query: query2, ledgerHead: head) == reference)

    var m61 = Fixtures.studyObject()
    m61["field"] = "m61"
    var decimal = Fixtures.studyObject()
    decimal["field"] = NamedField.m61.modulus.description
    #expect(
      ManifestHash.compute(study: try Fixtures.study(m61), query: query, ledgerHead: head)
        == ManifestHash.compute(study: try Fixtures.study(decimal), query: query, ledgerHead: head))
  }

  @Test func hashChangesWithAnySemanticChange() throws {
    let study = try Fixtures.study()
    let query = try Fixtures.query(Fixtures.sumQuery)
    let head = [UInt8](repeating: 7, count: 32)
    let reference = ManifestHash.compute(study: study, query: query, ledgerHead: head)
    var variants: [(String, [UInt8])] = []

    var q = Fixtures.sumQuery
    q["bounds"] = [0, 121]
    variants.append(
      (
        "one bound",
        ManifestHash.compute(study: study, query: try Fixtures.query(q), ledgerHead: head)
      ))
    q = Fixtures.sumQuery
    q["epsilon"] = "1/3"
    variants.append(
      (
        "epsilon",
        ManifestHash.compute(study: study, query: try Fixtures.query(q), ledgerHead: head)
      ))
    q = Fixtures.sumQuery
    q["max_bad_rows"] = 1
    variants.append(
      (
        "bad rows",
        ManifestHash.compute(study: study, query: try Fixtures.query(q), ledgerHead: head)
      ))
    variants.append(
      (
        "ledger head",
        ManifestHash.compute(
          study: study, query: query, ledgerHead: [UInt8](repeating: 8, count: 32))
      ))
    for (key, value) in [
      ("colluders", 2 as Any), ("neighbour", "replace-one"), ("max_sites_per_person", 2),
      ("field", "m89"), ("delta", "1e-7"), ("budget", ["epsilon": "2"]), ("id", "flu-2027"),
    ] {
      var s = Fixtures.studyObject()
      s[key] = value
      variants.append(
        (key, ManifestHash.compute(study: try Fixtures.study(s), query: query, ledgerHead: head)))
    }
    var s = Fixtures.studyObject()
    var parties = s["parties"] as! [[String: Any]]
    parties[2]["public_key"] = String(repeating: "d4", count: 32)
    s["parties"] = parties
    variants.append(
      ("key", ManifestHash.compute(study: try Fixtures.study(s), query: query, ledgerHead: head)))

    for (name, hash) in variants { #expect(hash != reference, "\(name) did not change the hash") }
    #expect(Set(variants.map(\.1)).count == variants.count)
  }

  @Test func canonicalEncodingKnownBytes() {
    // Pins the byte layout of protocols/manifest.md.
    let value = CanonicalValue.record([
      "b": .list([.integer(-5), .rational(Rational(3, 6))]), "a": .bytes([0xff]),
      "c": .absent, "d": .bool(true), "e": .string("é"),
    ])
    let expected: [UInt8] =
      [0x07, 5, 0, 0, 0]
      + [1, 0, 0, 0, 0x61, 0x05, 1, 0, 0, 0, 0xff]
      + [
        1, 0, 0, 0, 0x62, 0x06, 2, 0, 0, 0, 0x02, 2, 0, 0, 0, 0x2d, 0x35, 0x03, 3, 0, 0, 0, 0x31,
        0x2f, 0x32,
      ]
      + [1, 0, 0, 0, 0x63, 0x00]
      + [1, 0, 0, 0, 0x64, 0x01, 0x01]
      + [1, 0, 0, 0, 0x65, 0x04, 2, 0, 0, 0, 0xc3, 0xa9]
    #expect(value.encoded == expected)
  }
  /// Duplicate keys are refused before decoding, naming the key, its path and both lines: the
  /// parties (Foundation, first value) and an auditor (jq, last value) must read one value.
  @Test func duplicateKeysAreRefused() throws {
    var text = String(decoding: Fixtures.json(Fixtures.studyObject()), as: UTF8.self)
    text = text.replacingOccurrences(
      of: #""colluders":1,"#, with: "\"colluders\":1,\n\"colluders\":2,")
    #expect(text.contains(#""colluders":2"#))
    #expect(
      throws: ManifestError.invalidManifest(
        file: "study.json", field: "colluders",
        problem: DuplicateProblem.text("colluders", line: 2, first: 1))
    ) { try StudyManifest.decode(Data(text.utf8), file: "study.json") }
    // Nested, and spelt with an escape: still the same key.
    let nested = text.replacingOccurrences(of: "\n\"colluders\":2,", with: "")
      .replacingOccurrences(
        of: #""name":"site 1""#, with: "\"name\":\"site 1\",\n\"n\\u0061me\":\"x\"")
    #expect(
      throws: ManifestError.invalidManifest(
        file: "study.json", field: "parties[1].name",
        problem: DuplicateProblem.text("name", line: 2, first: 1))
    ) { try StudyManifest.decode(Data(nested.utf8), file: "study.json") }
    let query = "{\"id\": \"q\", \"kind\": \"count\",\n \"rho\": \"1/10\",\n \"rho\": \"1\"}"
    #expect(
      throws: ManifestError.invalidManifest(
        file: "query.json", field: "rho", problem: DuplicateProblem.text("rho", line: 3, first: 2))
    ) { try QueryManifest.decode(Data(query.utf8), file: "query.json") }
    // Equal keys in different objects, and a key's text as a value, are fine.
    _ = try QueryManifest.decode(
      Data(
        #"{"id": "id", "kind": "count", "where": {"column": "kind", "equals": "id"}, "rho": "1"}"#
          .utf8),
      file: "query.json")
  }

  enum DuplicateProblem {
    static func text(_ key: String, line: Int, first: Int) -> String {
      "duplicate key '\(key)' on line \(line) (first on line \(first)); JSON readers disagree "
        + "on which value wins (Foundation takes the first, Python, jq and JavaScript the last), "
        + "so the file is refused: keep one"
    }
  }
}
