import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy
import MPCProtocol
import MPCSharing

/// Whole query runs (`protocols/sharing.md`, `noise.md`, `manifest.md`, `messages.md`):
/// recomputed from the primitives, then run end to end by ``QueryRunner`` over an in-memory
/// network with the same pair secrets, session contributions and noise seeds; both must agree.
struct TranscriptsFamily: VectorFamily {
  var name: String { "transcripts" }
  var summary: String {
    "A study, a query, each party's local data (CSV or vector text), the pair secrets S_ij, "
      + "each party's 16-byte session contribution and noise seed (PRG stream 0) → the local "
      + "vectors x_i, the ledger head, manifest hash, session id, field, per-party noise η_i "
      + "(and bytes consumed), mask vectors r_ij, uploads y_i, the opened signed sum and the "
      + "released values with their intervals, as a QueryRunner run reproduces them."
  }
  var spec: String {
    "protocols/sharing.md §2–§4, protocols/noise.md §3–§5, protocols/manifest.md §5, "
      + "protocols/messages.md §2, protocols/vectors.md (transcripts)"
  }

  static func csv(party i: Int, rows: Int) -> String {
    let wards = ["icu", "er", "gp", "xx"]
    var text = "age,ward\n"
    for r in 0..<rows { text += "\(20 + 7 * i + 3 * r),\(wards[(i + r) % 4])\n" }
    return text
  }

  /// Party i's rows with numeric columns for the moment statistics (regression, covariance):
  /// age = 20 + 7i + 3r, los = (3r + i) mod 15, sev = (r + 2i) mod 6.
  static func numericCSV(party i: Int, rows: Int) -> String {
    var text = "age,ward,los,sev\n"
    for r in 0..<rows {
      text += "\(20 + 7 * i + 3 * r),\(["icu", "er"][(i + r) % 2]),\((3 * r + i) % 15),"
      text += "\((r + 2 * i) % 6)\n"
    }
    return text
  }

  static func transcript(
    _ name: String, n: Int, budget: [String: VectorValue], query: VectorValue, chunk: Int,
    vector: Bool = false, numeric: Bool = false, tag: UInt8
  ) -> (name: String, input: VectorValue) {
    var secrets: [VectorValue] = []
    for i in 0..<n {
      for j in (i + 1)..<n {
        secrets.append(
          .object([
            "i": .integer(i), "j": .integer(j),
            "secret": .hex((0..<32).map { UInt8(truncatingIfNeeded: $0 * 3 + i * 16 + j) &+ tag }),
          ]))
      }
    }
    let data: [VectorValue] = (0..<n).map { i in
      vector
        ? .string((0..<3).map { "\(($0 + i) % 4 - 1)" }.joined(separator: "\n") + "\n")
        : .string(numeric ? numericCSV(party: i, rows: 4 + i) : csv(party: i, rows: 4 + i))
    }
    return (
      name,
      .object([
        "study": VectorManifests.study(n: n, budget: budget), "query": query, "data": .array(data),
        "pair_secrets": .array(secrets),
        "session_contributions": .array(
          (0..<n).map { i in .hex((0..<16).map { UInt8($0 + 16 * i) &+ tag }) }),
        "noise_seeds": .array(
          (0..<n).map { i in .hex((0..<32).map { UInt8(($0 * 5 + i) & 0xff) ^ tag }) }),
        "chunk_elements": .integer(chunk),
      ])
    )
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    [
      Self.transcript(
        "n = 2, sum, laplace", n: 2, budget: ["epsilon": "2"], query: VectorManifests.sumQuery,
        chunk: 1, tag: 1),
      Self.transcript(
        "n = 3, histogram, gaussian (table)", n: 3, budget: ["rho": "1/2"],
        query: .object([
          "id": "q-ward", "kind": "histogram", "column": "ward",
          "categories": .array(["icu", "er", "gp"]), "outside": "other", "mechanism": "gaussian",
          "rho": "1/10",
        ]), chunk: 3, tag: 2),
      Self.transcript(
        "n = 3, histogram with bin edges (labels [a, b)), laplace", n: 3,
        budget: ["epsilon": "2"],
        query: .object([
          "id": "q-age", "kind": "histogram", "column": "age",
          "bin_edges": .array(["0", "30", "81/2", "50"]), "outside": "other",
          "mechanism": "laplace", "epsilon": "1",
        ]), chunk: 2, tag: 6),
      Self.transcript(
        "n = 3, vector-sum, laplace", n: 3, budget: ["epsilon": "2"],
        query: .object([
          "id": "q-vec", "kind": "vector-sum", "length": 3, "bounds": .array([-1, 2]),
          "mechanism": "laplace", "epsilon": "1",
        ]), chunk: 2, vector: true, tag: 3),
      Self.transcript(
        "n = 5, mean, laplace", n: 5, budget: ["rho": "1"],
        query: .object([
          "id": "q-mean", "kind": "mean", "column": "age", "bounds": .array([0, 100]),
          "mechanism": "laplace", "epsilon": "1",
        ]), chunk: 1, tag: 4),
      Self.transcript(
        "n = 5, count, gaussian (table)", n: 5, budget: ["rho": "1"],
        query: .object(["id": "q-count", "kind": "count", "mechanism": "gaussian", "rho": "1/50"]),
        chunk: 1, tag: 5),
      Self.transcript(
        "n = 3, crosstab ward × age (row-major cells), gaussian (table)", n: 3,
        budget: ["rho": "1/2"],
        query: .object([
          "id": "q-tab", "kind": "crosstab", "mechanism": "gaussian", "rho": "1/10",
          "columns": .array([
            .object(["column": "ward", "categories": .array(["icu", "er"])]),
            .object(["column": "age", "bin_edges": .array([0, 40, 100]), "outside": "clip"]),
          ]),
        ]), chunk: 4, tag: 7),
      Self.transcript(
        "n = 3, linear-regression los on sev (one part per moment), gaussian (table)", n: 3,
        budget: ["rho": "2"],
        query: .object([
          "id": "q-fit", "kind": "linear-regression", "column": "los", "bounds": .array([0, 20]),
          "predictors": .array([.object(["column": "sev", "bounds": .array([0, 5])])]),
          "mechanism": "gaussian", "rho": "1",
        ]), chunk: 4, numeric: true, tag: 8),
      Self.transcript(
        "n = 3, covariance of age and los (centred moments), gaussian (table)", n: 3,
        budget: ["rho": "2"],
        query: .object([
          "id": "q-cov", "kind": "covariance", "mechanism": "gaussian", "rho": "1",
          "columns": .array([
            .object(["column": "age", "bounds": .array([0, 100])]),
            .object(["column": "los", "bounds": .array([0, 20])]),
          ]),
        ]), chunk: 4, numeric: true, tag: 10),
      Self.transcript(
        "n = 3, variance of los (centred Σy, Σy², n with a split), laplace", n: 3,
        budget: ["epsilon": "2"],
        query: .object([
          "id": "q-var", "kind": "variance", "column": "los", "bounds": .array([0, 15]),
          "split": .array(["1/4", "1/2", "1/4"]), "mechanism": "laplace", "epsilon": "1",
        ]), chunk: 2, numeric: true, tag: 11),
      Self.transcript(
        "n = 3, quantile of los (one clipped histogram), gaussian (table)", n: 3,
        budget: ["rho": "1/2"],
        query: .object([
          "id": "q-median", "kind": "quantile", "column": "los",
          "bin_edges": .array([0, 5, 10, 15]), "quantiles": .array(["1/2", "9/10"]),
          "mechanism": "gaussian", "rho": "1/10",
        ]), chunk: 2, numeric: true, tag: 12),
    ]
  }

  /// The parsed inputs of a transcript.
  struct Setup {
    let study: StudyManifest
    let query: QueryManifest
    let inputs: [LocalVector]
    let secrets: [Int: [Int: SecretBytes]]
    let secretOrder: [(Int, Int, [UInt8])]
    let contributions: [[UInt8]]
    let seeds: [[UInt8]]
    let chunk: Int

    init(_ input: VectorValue) throws {
      study = try studyManifest(input["study"])
      query = try queryManifest(input["query"])
      let q = query
      inputs = try input["data"].array().enumerated().map { i, d in
        let bytes = Array(try d.string().utf8)
        if case .vectorSum = q.kind {
          return try LocalData.loadVector(
            query: q, bytes: bytes, file: "party\(i).txt", format: .text)
        }
        return try LocalData.load(query: q, csv: bytes, file: "party\(i).csv")
      }
      var secrets: [Int: [Int: SecretBytes]] = [:]
      var order: [(Int, Int, [UInt8])] = []
      for item in try input["pair_secrets"].array() {
        let i = try item["i"].int()
        let j = try item["j"].int()
        let bytes = try item["secret"].bytes()
        secrets[i, default: [:]][j] = SecretBytes(copying: bytes)
        secrets[j, default: [:]][i] = SecretBytes(copying: bytes)
        order.append((i, j, bytes))
      }
      self.secrets = secrets
      secretOrder = order
      contributions = try input["session_contributions"].array().map { try $0.bytes() }
      seeds = try input["noise_seeds"].array().map { try $0.bytes() }
      chunk = try input["chunk_elements"].int()
      let n = study.partyCount
      guard inputs.count == n, contributions.count == n, seeds.count == n,
        order.count == n * (n - 1) / 2
      else {
        throw VectorError.invalidCase(problem: "one data file, contribution and seed per party")
      }
    }
  }

  func compute(_ input: VectorValue) async throws -> VectorValue {
    let setup = try Setup(input)
    let study = setup.study
    let query = setup.query
    let n = study.partyCount
    let runPlan = try RunPlan(study: study, query: query)
    let f = runPlan.field
    let m = runPlan.plan.dimension
    let head = BudgetLedger.genesis(study: study)
    let manifestHash = ManifestHash.compute(study: study, query: query, ledgerHead: head)
    var hasher = try Blake2b(outputByteCount: 32)
    hasher.update(Array(QueryRunner.sessionDomain.utf8))
    for c in setup.contributions { hasher.update(c) }
    let sessionID = Array(hasher.finalize().prefix(16))
    var transcriptHasher = try Blake2b(outputByteCount: 32)
    transcriptHasher.update(Array(QueryRunner.transcriptDomain.utf8))
    transcriptHasher.update(manifestHash)
    for c in setup.contributions { transcriptHasher.update(c) }
    let transcriptHash = transcriptHasher.finalize()
    guard
      try QueryRunner.transcriptHash(
        manifestHash: manifestHash, contributions: setup.contributions) == transcriptHash
    else {
      throw VectorError.invalidCase(problem: "QueryRunner's transcript hash disagrees")
    }
    let context = MaskContext(
      studyID: study.id, sessionID: sessionID, queryID: query.id, vectorName: "result",
      length: m, field: f)

    // From the primitives: noise in coordinate order, masks, uploads, opening.
    var parties: [VectorValue] = []
    var total = FieldVector(zeros: m, in: f)
    for i in 0..<n {
      var random = try CountingRandom(seed: setup.seeds[i], stream: 0)
      var noise = [Int64](repeating: 0, count: m)
      for nc in runPlan.components {
        let slice = nc.component.offset..<(nc.component.offset + nc.component.dimension)
        noise.withUnsafeMutableBufferPointer { buf in
          nc.sampler.fill(UnsafeMutableBufferPointer(rebasing: buf[slice]), using: &random)
        }
      }
      var y = FieldVector(signed: setup.inputs[i].values, in: f)
      try y.add(FieldVector(signed: noise, in: f))
      var stream = try MaskedUploadStream(
        party: i, partyCount: n, pairSecrets: setup.secrets[i] ?? [:], context: context, field: f)
      try stream.mask(&y)
      try total.add(y)
      parties.append(
        .object([
          "x": .integers(setup.inputs[i].values), "noise": .integers(noise),
          "noise_consumed": .integer(random.consumed), "upload": .hex(y.encoded()),
        ]))
    }
    let masks: [VectorValue] = try setup.secretOrder.map { i, j, secret in
      let r = try PairwiseMask.expand(
        pairSecret: SecretBytes(copying: secret), context: context, low: i, high: j, field: f)
      return .object(["i": .integer(i), "j": .integer(j), "mask": .hex(r.encoded())])
    }
    let opened = total.signedValues
    let components: [VectorValue] = runPlan.components.map { nc in
      var object: [String: VectorValue] = [
        "name": .string(nc.component.name), "offset": .integer(nc.component.offset),
        "dimension": .integer(nc.component.dimension),
      ]
      switch nc.noise.perParty {
      case .gaussian(let sigmaSquared):
        let method = (nc.sampler as? DiscreteGaussianSampler)?.method.rawValue ?? "?"
        object["law"] = .string("gaussian-\(method)")
        object["sigma_squared"] = .rational(sigmaSquared)
      case .polya(let scale, let shares):
        object["law"] = "polya"
        object["scale"] = .rational(scale)
        object["shares"] = .integer(shares)
      }
      return .object(object)
    }

    // End to end: the same run through QueryRunner.
    let results = try await Self.run(setup)
    for result in results {
      let raw = result.components.flatMap { $0.values.map(\.raw) }
      guard result.sessionID == sessionID, raw == opened else {
        throw VectorError.invalidCase(
          problem: "QueryRunner disagrees with the primitives (session id or opened sum)")
      }
    }
    let released: [VectorValue] = results[0].components.map { c in
      .object([
        "name": .string(c.name),
        "values": .array(
          c.values.map {
            .object([
              "label": .string($0.label), "raw": .decimal($0.raw), "value": .decimal($0.value),
              "lower": .decimal($0.lower), "upper": .decimal($0.upper),
            ])
          }),
      ])
    }
    return .object([
      "ledger_head": .hex(head), "manifest_hash": .hex(manifestHash),
      "session_id": .hex(sessionID), "transcript_hash": .hex(transcriptHash),
      "modulus": .decimal(f.modulus), "dimension": .integer(m),
      "components": .array(components),
      "parties": .array(parties), "masks": .array(masks), "opened": decimals(opened),
      "released": .array(released), "cost": costValue(runPlan.plan.cost),
    ])
  }

  /// Runs every party of `setup` concurrently over an in-memory network.
  static func run(_ setup: Setup, absent: Set<Int> = [], timeout: Duration = .seconds(30))
    async throws -> [QueryResult]
  {
    let outcomes = try await runOutcomes(setup, absent: absent, timeout: timeout)
    return try outcomes.map { try $0.get() }
  }

  /// Runs the parties not in `absent`; returns each one's result or error, by party id order.
  static func runOutcomes(_ setup: Setup, absent: Set<Int>, timeout: Duration) async throws
    -> [Result<QueryResult, any Error>]
  {
    let n = setup.study.partyCount
    // The in-memory network draws, for each pair i < j in order, the 32-byte secret and a
    // 16-byte link id (unused by the runner; zeros here).
    var pairBytes: [UInt8] = []
    for (_, _, secret) in setup.secretOrder {
      pairBytes += secret + [UInt8](repeating: 0, count: 16)
    }
    var source = FixedBytesSource(pairBytes)
    let network = InMemoryNetwork(partyCount: n, using: &source)
    try source.checkFullyConsumed("pair secrets")
    let present = (0..<n).filter { !absent.contains($0) }
    var setups: [Int: PartySetup] = [:]
    for i in present {
      let ledger = try BudgetLedger(store: MemoryLedgerStore(), study: setup.study)
      setups[i] = PartySetup(
        study: setup.study, query: setup.query, input: setup.inputs[i], ledger: ledger,
        timeout: timeout, chunkElements: setup.chunk)
    }
    let seeds = setup.seeds
    let contributions = setup.contributions
    return await withTaskGroup(of: (Int, Result<QueryResult, any Error>).self) { group in
      for i in present {
        let party = setups[i]!
        let endpoint = network.endpoint(i)
        group.addTask {
          do {
            var noise = try ChaCha20PRG(seed: SecretBytes(copying: seeds[i]), streamID: 0)
            var session = FixedBytesSource(contributions[i])
            let r = try await QueryRunner.run(
              party, transport: endpoint, noise: &noise, session: &session)
            return (i, .success(r))
          } catch {
            return (i, .failure(error))
          }
        }
      }
      var out: [Int: Result<QueryResult, any Error>] = [:]
      for await (i, r) in group { out[i] = r }
      return present.map { out[$0]! }
    }
  }
}
