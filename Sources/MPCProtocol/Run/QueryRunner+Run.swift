import MPCBigInt
public import MPCCrypto
import MPCField
import MPCPrivacy
import MPCSharing

/// The party state machine of DESIGN §4 over any ``PartyTransport``: manifest agreement,
/// admission with a durable charge, the masked upload in chunks, the opening, abort.
/// It does no I/O of its own besides the transport and the ledger.
public enum QueryRunner {
  /// Domain of the session id: sid = BLAKE2b-256(domain ‖ c_0 ‖ … ‖ c_{n−1})[0..<16] over
  /// every party's 16-byte hello contribution, so no party alone can force a reused session.
  public static let sessionDomain = "swift-mpc/session/v1"

  /// Runs `setup.query` as party `transport.partyID`. `noise` draws this party's noise share
  /// (the CSPRNG in production); `session` draws its session contribution.
  public static func run(
    _ setup: PartySetup, transport: some PartyTransport,
    noise: inout some RandomSource, session: inout some RandomSource
  ) async throws -> QueryResult {
    let me = transport.partyID
    let n = transport.partyCount
    let peers = (0..<n).filter { $0 != me }
    let codec = MessageCodec()
    let study = setup.study
    let query = setup.query
    guard n == study.partyCount else {
      throw RunError.invalidSetUp(
        problem: "the transport has \(n) parties, the study \(study.partyCount)")
    }
    let runPlan: RunPlan
    if let given = setup.runPlan {
      guard
        given.derivedFrom
          == RunPlan.Derivation(
            study: study, query: query, force: setup.force, timing: setup.timing)
      else {
        throw RunError.invalidSetUp(problem: "the given run plan is not this setup's")
      }
      runPlan = given
    } else {
      runPlan = try RunPlan(study: study, query: query, force: setup.force, timing: setup.timing)
    }
    let clock = ContinuousClock()
    var statistics = RunStatistics()
    guard BigInt(setup.input.rows) <= RunPlan.maxRowsPerParty else {
      throw InputError.localOverflow(
        file: "local input", what: "\(setup.input.rows) rows, above the supported 2^32 per party")
    }
    guard setup.input.values.count == runPlan.plan.dimension else {
      throw InputError.vectorLength(
        file: "local input", expected: runPlan.plan.dimension, actual: setup.input.values.count)
    }

    // Sends to every peer, ignoring failures (used on the abort path).
    func broadcastAbort(_ code: ReasonCode, _ text: String) async {
      guard let frame = try? codec.encode(.abort(Reason(code: code, text: text))) else { return }
      for p in peers { try? await transport.send(frame, to: p) }
    }
    func broadcast(_ message: Message) async throws {
      let frame = try codec.encode(message)
      for p in peers {
        try await transport.send(frame, to: p)
        statistics.countSent(frame.count, to: p)
      }
    }
    func receive(_ peer: Int, _ step: RunStep) async throws -> Message {
      let frame = try await transport.receive(from: peer, timeout: setup.timeout, step: step)
      let message = try codec.decode(frame)
      if case .abort(let reason) = message {
        throw RunError.peerAborted(peer: peer, reason: "\(reason.code): \(reason.text)")
      }
      return message
    }

    // 1. Manifest agreement (hello) and ledger heads.
    var phaseStart = clock.now
    let ledgerHead = setup.ledger.head
    let manifestHash = ManifestHash.compute(study: study, query: query, ledgerHead: ledgerHead)
    let contribution = session.bytes(count: 16)
    var contributions = [[UInt8]](repeating: [], count: n)
    contributions[me] = contribution
    do {
      try await broadcast(
        .hello(
          Hello(
            studyId: study.id, partyId: UInt32(me), sessionId: contribution,
            manifestHash: manifestHash)))
      try await broadcast(.ledgerHead(LedgerHead(hash: ledgerHead, spent: setup.ledger.spent)))
      for p in peers {
        guard case .hello(let hello) = try await receive(p, .hello) else {
          throw RunError.peerMismatch(peer: p, step: .hello, problem: "expected hello")
        }
        guard hello.protocolVersion == MessageCodec.protocolVersion else {
          throw RunError.peerMismatch(
            peer: p, step: .hello,
            problem:
              "speaks protocol v\(hello.protocolVersion), this party v\(MessageCodec.protocolVersion)"
          )
        }
        guard hello.studyId == study.id, hello.partyId == UInt32(p) else {
          throw RunError.peerMismatch(
            peer: p, step: .hello,
            problem: "is party \(hello.partyId) of study \"\(hello.studyId)\"")
        }
        guard case .ledgerHead(let head) = try await receive(p, .ledgerHead) else {
          throw RunError.peerMismatch(
            peer: p, step: .ledgerHead, problem: "expected a ledger head")
        }
        guard head.hash == ledgerHead else {
          throw RunError.peerMismatch(
            peer: p, step: .ledgerHead,
            problem: "its budget ledger differs (spent \(head.spent), here \(setup.ledger.spent)); "
              + "compare `mpc budget` at both sites")
        }
        guard hello.manifestHash == manifestHash else {
          throw RunError.peerMismatch(
            peer: p, step: .hello,
            problem: "its study or query differs from this party's (manifest hash "
              + "\(Hex.encode(hello.manifestHash.prefix(8)))…, here \(Hex.encode(manifestHash.prefix(8)))…)"
          )
        }
        contributions[p] = hello.sessionId
      }
    } catch {
      await broadcastAbort(ReasonCode(for: error), String(describing: error))
      throw error
    }
    var sessionHasher = try Blake2b(outputByteCount: 32)
    sessionHasher.update(Array(sessionDomain.utf8))
    for c in contributions { sessionHasher.update(c) }
    let sessionID = Array(sessionHasher.finalize().prefix(16))
    statistics.add(clock.now - phaseStart, to: .agreement)
    phaseStart = clock.now

    // 2. Admission: a durable charge before anything masked leaves; `admit` means "charged".
    var charged = false
    do {
      do {
        try setup.ledger.admit(runPlan.plan.cost)
      } catch {
        if let frame = try? codec.encode(
          .refuse(Reason(code: .budgetExhausted, text: String(describing: error))))
        {
          for p in peers {
            try? await transport.send(frame, to: p)
            statistics.countSent(frame.count, to: p)
          }
        }
        throw error
      }
      try setup.ledger.charge(plan: runPlan.plan, sessionId: sessionID, manifestHash: manifestHash)
      charged = true
      try await broadcast(.admit)
      for p in peers {
        switch try await receive(p, .admission) {
        case .admit: continue
        case .refuse(let reason):
          throw RunError.peerAborted(peer: p, reason: "refused: \(reason.text)")
        default:
          throw RunError.peerMismatch(peer: p, step: .admission, problem: "expected admit")
        }
      }
    } catch {
      // No party uploads before every admit arrived: nothing masked has left anywhere.
      if charged { _ = try? setup.ledger.release(queryId: query.id, sessionId: sessionID) }
      await broadcastAbort(ReasonCode(for: error), String(describing: error))
      throw error
    }
    statistics.add(clock.now - phaseStart, to: .admission)

    // 3–5. Masked upload in chunks, to every peer; the opening sums everyone's uploads.
    let opened: OpenedValues
    do {
      opened = try await uploadAndOpen(
        setup: setup, runPlan: runPlan, sessionID: sessionID, transport: transport,
        peers: peers, noise: &noise, statistics: &statistics)
    } catch {
      let explained = await explainClosedLink(error, transport: transport, codec: codec)
      await broadcastAbort(ReasonCode(for: explained), String(describing: explained))
      throw explained
    }
    phaseStart = clock.now
    var result = try release(
      opened: opened, runPlan: runPlan, query: query, sessionID: sessionID, ledger: setup.ledger)
    statistics.add(clock.now - phaseStart, to: .postProcessing)
    result.statistics = statistics
    return result
  }

  /// A send that failed on a closed link says less than the peer did: its abort, if it sent
  /// one before closing, is still queued behind its upload chunks. Returns that abort as the
  /// error when it is there, the original error otherwise.
  static func explainClosedLink(
    _ error: any Error, transport: some PartyTransport, codec: MessageCodec
  ) async -> any Error {
    guard case TransportError.closed(let peer, _) = error else { return error }
    while let frame = try? await transport.receive(
      from: peer, timeout: .seconds(1), step: .abortReason)
    {
      if case .abort(let reason)? = try? codec.decode(frame) {
        return RunError.peerAborted(peer: peer, reason: "\(reason.code): \(reason.text)")
      }
    }
    return error
  }

  // MARK: - Post-processing

  static func release(
    opened: OpenedValues, runPlan: RunPlan, query: QueryManifest, sessionID: [UInt8],
    ledger: BudgetLedger
  ) throws -> QueryResult {
    var components: [ReleasedComponent] = []
    for nc in runPlan.components {
      let range = nc.component.offset..<(nc.component.offset + nc.component.dimension)
      let clampAtZero: Bool
      switch query.kind {
      case .count, .histogram: clampAtZero = true
      case .mean: clampAtZero = nc.component.name == "count"
      case .sum, .vectorSum: clampAtZero = false
      case .statistic(let s): clampAtZero = s.isCount(nc.component.name)
      }
      let labels: [String]?
      switch query.kind {
      case .histogram, .count, .sum, .mean, .statistic:
        labels = (0..<nc.component.dimension).map {
          label(query: query, component: nc.component.name, index: $0)
        }
      case .vectorSum: labels = nil
      }
      components.append(
        ReleasedComponent(
          name: nc.component.name,
          raw: opened.slice(range),
          halfWidth: BigInt(Int(nc.noise.intervalHalfWidth)), clampAtZero: clampAtZero,
          labels: labels, noise: nc.noise, sensitivity: nc.component.sensitivity))
    }
    var mean: ReleasedMean?
    if case .mean(_, let bounds, _) = query.kind,
      let s = components.first(where: { $0.name == "sum" })?.value(at: 0),
      let c = components.first(where: { $0.name == "count" })?.value(at: 0)
    {
      let lo = Rational(BigInt(bounds.lower))
      let hi = Rational(BigInt(bounds.upper))
      func clamp(_ x: Rational) -> Rational { min(max(x, lo), hi) }
      var result = ReleasedMean(value: nil, lower: nil, upper: nil)
      if c.raw > 0 {
        result.value = clamp(try Rational(s.raw, c.raw))
      }
      // Both intervals hold with ≥ 1 − β/2 each, so this one with ≥ 1 − β.
      let cLow = c.lower
      if cLow > 0 {
        let sLow = s.lower
        let sHigh = s.upper
        let cHigh = c.upper
        let candidates = [
          try Rational(sLow, cLow), try Rational(sLow, cHigh), try Rational(sHigh, cLow),
          try Rational(sHigh, cHigh),
        ]
        result.lower = clamp(candidates.min()!)
        result.upper = clamp(candidates.max()!)
      }
      mean = result
    }
    return QueryResult(
      queryID: query.id, sessionID: sessionID, field: runPlan.field.description,
      mechanism: runPlan.plan.mechanism, components: components, mean: mean,
      cost: runPlan.plan.cost, spent: ledger.spent, remaining: ledger.remaining)
  }

  static func label(query: QueryManifest, component: String, index: Int) -> String {
    switch query.kind {
    case .histogram(_, let bins, _):
      switch bins {
      case .categories(let names): return index < names.count ? names[index] : "other"
      case .edges(let edges):
        return index < edges.count - 1 ? "[\(edges[index]), \(edges[index + 1]))" : "other"
      }
    case .vectorSum: return "\(index)"
    case .count: return "count"
    case .sum: return "sum"
    case .mean: return component
    case .statistic(let s): return s.label(component: component, index: index)
    }
  }

}
