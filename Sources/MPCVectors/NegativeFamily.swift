import MPCBigInt
import MPCCrypto
import MPCField
import MPCNetwork
import MPCProtocol
import MPCSharing

/// `{"error": "<Type>.<case>", "fields": {…}, "text": "<description>"}` of a thrown error:
/// the case's associated values (offsets, peers, steps, amounts) as text, and its message.
func errorValue(_ error: any Error) -> VectorValue {
  let payload = Mirror(reflecting: error).children.first
  var fields: [String: VectorValue] = [:]
  if let payload {
    let members = Mirror(reflecting: payload.value).children
    if members.isEmpty {
      fields["value"] = .string("\(payload.value)")
    } else {
      for (i, member) in members.enumerated() {
        fields[member.label ?? "\(i)"] = .string(fieldText(member.value))
      }
    }
  }
  return .object([
    "error": .string("\(type(of: error)).\(payload?.label ?? "\(error)")"),
    "fields": .object(fields), "text": .string(String(describing: error)),
  ])
}

/// A field's text: an optional's value itself, or "none" (a peer not known yet).
private func fieldText(_ value: Any) -> String {
  let mirror = Mirror(reflecting: value)
  guard mirror.displayStyle == .optional else { return "\(value)" }
  return mirror.children.first.map { "\($0.value)" } ?? "none"
}

/// Inputs that must fail, with the failure each must produce (`protocols/vectors.md`,
/// "negative"): tampered frames and uploads, wrong sessions, an exhausted budget, a missing
/// party and malformed frames.
struct NegativeFamily: VectorFamily {
  var name: String { "negative" }
  var summary: String {
    "Inputs that must be refused, by `kind`: the expected error as {error: Type.case, text} "
      + "and, where there is one, the untampered reference output. Error texts are those of "
      + "swift-mpc; other implementations match the error class, not the wording."
  }
  var spec: String {
    "protocols/channel.md §2, protocols/sharing.md §5, protocols/ledger.md §4, "
      + "protocols/messages.md §1–§4"
  }

  func cases() throws -> [(name: String, input: VectorValue)] {
    let key = VectorValue.hex((0..<32).map { UInt8($0) &* 3 })
    let otherKey = VectorValue.hex((0..<32).map { UInt8($0) &* 5 })
    let upload = try MessageCodec().encode(
      .maskedUpload(
        MaskedUploadChunk(
          queryId: "q-sum", chunkIndex: 0, chunkCount: 1, elementWidth: 8, elementCount: 2,
          elements: [1, 2, 3, 4, 5, 6, 7, 0, 9, 8, 7, 6, 5, 4, 3, 0])))
    func frame(_ name: String, _ fields: [String: VectorValue]) -> (
      name: String, input: VectorValue
    ) {
      var object = fields
      object["kind"] = "tampered-frame"
      return (name, .object(object))
    }
    func malformed(_ name: String, _ hex: String) -> (name: String, input: VectorValue) {
      (name, .object(["kind": "malformed-frame", "frame": .string(hex)]))
    }
    let hello =
      "4d5001013b000000" + "0100" + "0100000073" + "02000000"
      + String(repeating: "11", count: 16) + String(repeating: "22", count: 32)
    return [
      frame(
        "tampered upload: one ciphertext bit flipped",
        [
          "key": key, "direction": 0, "peer": 1, "plaintext": .hex(upload), "open_key": key,
          "open_direction": 0, "flip_offset": 20, "flip_mask": 1,
        ]),
      frame(
        "tampered frame: tag byte changed",
        [
          "key": key, "direction": 1, "peer": 2, "plaintext": "4d5001030000000000",
          "open_key": key, "open_direction": 1, "flip_offset": 24, "flip_mask": 128,
        ]),
      frame(
        "frame of the other direction",
        [
          "key": key, "direction": 0, "peer": 1, "plaintext": "4d5001030000000000",
          "open_key": key, "open_direction": 1, "flip_offset": 0, "flip_mask": 0,
        ]),
      frame(
        "wrong session: frame opened with another session's link key",
        [
          "key": key, "direction": 0, "peer": 1, "plaintext": .hex(upload), "open_key": otherKey,
          "open_direction": 0, "flip_offset": 0, "flip_mask": 0,
        ]),
      (
        "wrong session: party 1 masks under another session id",
        .object([
          "kind": "wrong-session-masks", "modulus": .decimal(VectorPrimes.m61),
          "protocol_version": 1, "study_id": "flu-2026", "query_id": "q-sum",
          "vector_name": "result", "length": 4,
          "session_id": .hex([UInt8](repeating: 0x01, count: 16)),
          "wrong_session_id": .hex([UInt8](repeating: 0x02, count: 16)), "wrong_party": 1,
          "pair_secrets": .array(
            [(0, 1), (0, 2), (1, 2)].map { i, j in
              .object([
                "i": .integer(i), "j": .integer(j),
                "secret": .hex([UInt8](repeating: UInt8(16 * i + j), count: 32)),
              ])
            }),
          "x": .array([
            .integers([1, 2, 3, 4]), .integers([10, 20, 30, 40]), .integers([0, 0, 0, 5]),
          ]),
        ])
      ),
      (
        "budget exhausted on the third charge",
        .object([
          "kind": "budget-exhausted",
          "study": VectorManifests.study(budget: ["epsilon": "5/4"]),
          "operations": .array(
            [1, 2, 3].map { s in
              LedgerFamily.charge(
                VectorManifests.sumQuery, session: UInt8(s), at: "2026-11-23T21:40:24Z")
            }),
        ])
      ),
      (
        "missing party 2: the others time out naming it",
        TranscriptsFamily.transcript(
          "", n: 3, budget: ["epsilon": "2"], query: VectorManifests.sumQuery, chunk: 1, tag: 9
        ).input.merging(["kind": "missing-party", "absent": 2, "timeout_ms": 1000])
      ),
      (
        // k = 1 and Δ2² = 2^30: σ² = Δ2²/(2ρ) = 2^27 + 1 exactly, one above the table limit.
        "share σ² = 2^27 + 1, one above the table limit: refused before any message",
        .object([
          "kind": "share-over-table-limit",
          "study": VectorManifests.study(n: 2, colluders: 1, budget: ["rho": "8"]),
          "query": .object([
            "id": "q-wide", "kind": "sum", "column": "age", "bounds": .array([0, 32768]),
            "mechanism": "gaussian", "rho": "536870912/134217729",
          ]),
        ])
      ),
      malformed("bad magic", "4d51" + hello.dropFirst(4)),
      malformed("unsupported frame version", "4d5002" + hello.dropFirst(6)),
      malformed("unknown message type 127", "4d50017f0000000000"),
      malformed("truncated header", "4d500101"),
      malformed("truncated body", String(hello.dropLast(2))),
      malformed("oversized body length", "4d500105ffffffff"),
      malformed("body longer than the message (admit with one byte)", "4d5001030100000000"),
      malformed("trailing byte after the frame", hello + "00"),
      malformed(
        "invalid UTF-8 in a reason text", "4d50010608000000" + "0300" + "02000000" + "c328"),
      malformed(
        "chunk index not below chunk count",
        "4d50010513000000" + "01000000" + "71" + "02000000" + "02000000" + "0800" + "00000000"),
      malformed(
        "element bytes differ from width × count",
        "4d50010514000000" + "01000000" + "71" + "00000000" + "01000000" + "0800" + "01000000"
          + "00"),
      malformed(
        "ledger head with a non-rational spent",
        "4d50010225000000" + String(repeating: "00", count: 32) + "01000000" + "78"),
    ]
  }

  func compute(_ input: VectorValue) async throws -> VectorValue {
    switch try input["kind"].string() {
    case "tampered-frame":
      let plaintext = try input["plaintext"].bytes()
      var sealer = FrameCipher(
        key: SecretBytes(copying: try input["key"].bytes()),
        direction: UInt8(try input["direction"].int()), peer: try input["peer"].int())
      var sealed = try sealer.seal(plaintext)
      let original = sealed
      let offset = try input["flip_offset"].int()
      guard sealed.indices.contains(offset) else {
        throw VectorError.invalidCase(problem: "flip offset outside the ciphertext")
      }
      sealed[offset] ^= UInt8(try input["flip_mask"].int())
      var opener = FrameCipher(
        key: SecretBytes(copying: try input["open_key"].bytes()),
        direction: UInt8(try input["open_direction"].int()), peer: try input["peer"].int())
      var result = try expectFailure { _ = try opener.open(sealed) }
      result["ciphertext"] = .hex(original)
      return .object(result)
    case "wrong-session-masks":
      return try wrongSession(input)
    case "budget-exhausted":
      let (study, ledger, _) = try LedgerFamily.ledger(input)
      var result: [String: VectorValue] = [:]
      var charged = 0
      do {
        for op in try input["operations"].array() {
          try LedgerFamily.apply(op, study: study, ledger: ledger)
          charged += 1
        }
      } catch let error as LedgerError {
        guard case .budgetExhausted(let spent, let total, let cost) = error else { throw error }
        result = try errorValue(error).object()
        result["spent"] = .rational(spent)
        result["total"] = .rational(total)
        result["cost"] = .rational(cost)
      }
      guard !result.isEmpty else { throw VectorError.invalidCase(problem: "no charge was refused") }
      result["charged"] = .integer(charged)
      result["head"] = .hex(ledger.head)
      return .object(result)
    case "missing-party":
      let setup = try TranscriptsFamily.Setup(input)
      let absent = try input["absent"].int()
      let outcomes = try await TranscriptsFamily.runOutcomes(
        setup, absent: [absent], timeout: .milliseconds(try input["timeout_ms"].int()))
      return .array(
        try outcomes.map { outcome in
          switch outcome {
          case .success: throw VectorError.invalidCase(problem: "a party succeeded")
          case .failure(let error): return errorValue(error)
          }
        })
    case "share-over-table-limit":
      // What a run does first (query.md §1): plan and calibrate; the table refuses σ² > 2^27.
      let study = try studyManifest(input["study"])
      let query = try queryManifest(input["query"])
      return .object(try expectFailure { _ = try RunPlan(study: study, query: query) })
    case "malformed-frame":
      let frame = try input["frame"].bytes()
      return .object(try expectFailure { _ = try MessageCodec().decode(frame) })
    case let other:
      throw VectorError.invalidCase(problem: "unknown negative kind '\(other)'")
    }
  }

  /// The error `body` throws; throws itself if `body` succeeds.
  private func expectFailure(_ body: () throws -> Void) throws -> [String: VectorValue] {
    do {
      try body()
    } catch {
      return try errorValue(error).object()
    }
    throw VectorError.invalidCase(problem: "the input was accepted")
  }

  private func wrongSession(_ input: VectorValue) throws -> VectorValue {
    let f = try field(input)
    let length = try input["length"].int()
    let wrongParty = try input["wrong_party"].int()
    func context(_ session: [UInt8]) throws -> MaskContext {
      MaskContext(
        protocolVersion: UInt32(try input["protocol_version"].int()),
        studyID: try input["study_id"].string(), sessionID: session,
        queryID: try input["query_id"].string(), vectorName: try input["vector_name"].string(),
        length: length, field: f)
    }
    let right = try context(try input["session_id"].bytes())
    let wrong = try context(try input["wrong_session_id"].bytes())
    var secrets: [Int: [Int: SecretBytes]] = [:]
    for item in try input["pair_secrets"].array() {
      let i = try item["i"].int()
      let j = try item["j"].int()
      let s = SecretBytes(copying: try item["secret"].bytes())
      secrets[i, default: [:]][j] = s
      secrets[j, default: [:]][i] = s
    }
    let xs = try input["x"].array()
    var total = FieldVector(zeros: length, in: f)
    var truth = FieldVector(zeros: length, in: f)
    for (i, x) in xs.enumerated() {
      var y = FieldVector(try bigInts(x), in: f)
      try truth.add(y)
      var stream = try MaskedUploadStream(
        party: i, partyCount: xs.count, pairSecrets: secrets[i] ?? [:],
        context: i == wrongParty ? wrong : right, field: f)
      try stream.mask(&y)
      try total.add(y)
    }
    guard total.signedValues != truth.signedValues else {
      throw VectorError.invalidCase(problem: "the masks cancelled despite the wrong session")
    }
    return .object([
      "error": "mask-mismatch", "opened": decimals(total.signedValues),
      "true_sum": decimals(truth.signedValues),
    ])
  }
}

extension VectorValue {
  fileprivate func merging(_ members: [String: VectorValue]) -> VectorValue {
    guard case .object(var object) = self else { return self }
    for (k, v) in members { object[k] = v }
    return .object(object)
  }
}
