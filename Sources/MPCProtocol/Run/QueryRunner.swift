import MPCBigInt
public import MPCCrypto
import MPCField
import MPCPrivacy
import MPCSharing

/// One party's run of one query: the party state machine of DESIGN §4 as the steps of
/// `protocols/query.md` over any ``PartyTransport``. It does no I/O of its own besides the
/// transport and the ledger.
///
/// ```swift
/// let result = try await QueryRunner(setup, transport: transport)
///   .run(noise: &noise, session: &session)
/// ```
public struct QueryRunner: Sendable {
  /// Domain of the session id: sid = BLAKE2b-256(domain ‖ c_0 ‖ … ‖ c_{n−1})[0..<16] over
  /// every party's 16-byte hello contribution, so no party alone can force a reused session.
  public static let sessionDomain = "swift-mpc/session/v1"
  /// Domain of the agreement transcript hash T = BLAKE2b-256(domain ‖ H ‖ c_0 ‖ … ‖ c_{n−1})
  /// (H the manifest hash), which every party sends in `transcript` and compares before it
  /// charges (`protocols/query.md` §2.4).
  public static let transcriptDomain = "swift-mpc/transcript/v1"

  /// The session id of the contributions c_0 … c_{n−1} (`protocols/query.md` §2.3).
  public static func sessionID(contributions: [[UInt8]]) throws -> [UInt8] {
    var hasher = try Blake2b(outputByteCount: 32)
    hasher.update(Array(sessionDomain.utf8))
    for c in contributions { hasher.update(c) }
    return Array(hasher.finalize().prefix(16))
  }

  /// The agreement transcript hash T of manifest hash H and the contributions (§2.4).
  public static func transcriptHash(manifestHash: [UInt8], contributions: [[UInt8]]) throws
    -> [UInt8]
  {
    var hasher = try Blake2b(outputByteCount: 32)
    hasher.update(Array(transcriptDomain.utf8))
    hasher.update(manifestHash)
    for c in contributions { hasher.update(c) }
    return hasher.finalize()
  }

  /// What this party brings to the run.
  public let setup: PartySetup
  /// What the run derives before any message (`protocols/query.md` §1).
  public let runPlan: RunPlan
  let transport: any PartyTransport
  let me: Int
  let peers: [Int]
  let codec = MessageCodec()

  /// What agreement (§2) establishes: the session id and the manifest hash charged with it.
  struct Agreement: Sendable {
    let sessionID: [UInt8]
    let manifestHash: [UInt8]
    /// The reconciliation agreement settled first, if the ledger heads differed (§2.2).
    var reconciliation: Reconciliation?
  }

  /// Checks the set-up and derives the run plan (`protocols/query.md` §1); sends nothing.
  public init(_ setup: PartySetup, transport: some PartyTransport) throws {
    try self.init(setup, transport: transport, checkingInput: true)
  }

  /// As the public init; without `checkingInput` the setup's input is not checked against the
  /// plan's dimension (an adaptive query computes each round's vector itself).
  init(_ setup: PartySetup, transport: some PartyTransport, checkingInput: Bool) throws {
    let n = transport.partyCount
    guard n == setup.study.partyCount else {
      throw RunError.invalidSetUp(
        problem: "the transport has \(n) parties, the study \(setup.study.partyCount)")
    }
    if let given = setup.runPlan {
      guard
        given.derivedFrom
          == RunPlan.Derivation(
            study: setup.study, query: setup.query, force: setup.force, timing: setup.timing)
      else {
        throw RunError.invalidSetUp(problem: "the given run plan is not this setup's")
      }
      runPlan = given
    } else {
      runPlan = try RunPlan(
        study: setup.study, query: setup.query, force: setup.force, timing: setup.timing)
    }
    guard !setup.seededNoise || setup.study.testStudy else {
      throw RunError.invalidSetUp(
        problem: "seeded noise needs a test study (\"test_study\": true); never with real data")
    }
    guard BigInt(setup.input.rows) <= RunPlan.maxRowsPerParty else {
      throw InputError.localOverflow(
        file: "local input", what: "\(setup.input.rows) rows, above the supported 2^32 per party")
    }
    guard !checkingInput || setup.input.values.count == runPlan.plan.dimension else {
      throw InputError.vectorLength(
        file: "local input", expected: runPlan.plan.dimension, actual: setup.input.values.count)
    }
    self.setup = setup
    self.transport = transport
    me = transport.partyID
    peers = (0..<n).filter { $0 != transport.partyID }
  }

  /// Runs `setup.query` as party `transport.partyID` (`QueryRunner(setup, transport:).run`).
  public static func run(
    _ setup: PartySetup, transport: some PartyTransport,
    noise: inout some RandomSource, session: inout some RandomSource
  ) async throws -> QueryResult {
    try await QueryRunner(setup, transport: transport).run(noise: &noise, session: &session)
  }

  /// Runs the query: agree, admit, upload and open, release. `noise` draws this party's noise
  /// share (the CSPRNG in production); `session` draws its session contribution.
  public func run(
    noise: inout some RandomSource, session: inout some RandomSource
  ) async throws -> QueryResult {
    var statistics = RunStatistics()
    let share = try drawNoiseShare(noise: &noise, statistics: &statistics)
    defer { share.zeroize() }
    let opened: OpenedValues
    let agreement: Agreement
    do {
      agreement = try await agree(session: &session, statistics: &statistics)
      setup.progress?(.agreed)
      try await admit(agreement, statistics: &statistics)
      setup.progress?(.admitted)
      opened = try await uploadAndOpen(agreement, share: share, statistics: &statistics)
    } catch {
      // A link that closed under this party is usually a peer stopping because another one
      // aborted: name the abort that started it, when one is queued, not the closed link.
      throw await Self.explainClosedLink(
        error, transport: transport, codec: codec, peers: peers)
    }
    return try release(opened, agreement, statistics: &statistics)
  }

  // MARK: - §1.2 Noise before any message

  /// `protocols/query.md` §1.2: this party's whole noise share, drawn before the run's first
  /// message (or the one the caller drew, ``PartySetup/noiseShare``, if it is this plan's).
  func drawNoiseShare(
    noise: inout some RandomSource, statistics: inout RunStatistics
  ) throws -> NoiseShare {
    if let given = setup.noiseShare {
      guard given.derivedFrom == runPlan.derivedFrom else {
        throw RunError.invalidSetUp(problem: "the given noise share is not this run plan's")
      }
      return given
    }
    let clock = ContinuousClock()
    let start = clock.now
    let share = NoiseShare(runPlan, using: &noise)
    statistics.add(clock.now - start, to: .noise)
    return share
  }

  // MARK: - §2 Agreement

  /// `protocols/query.md` §2: broadcasts `hello` and `ledgerHead`, checks every peer's (protocol
  /// version, study, party id, ledger head, manifest hash), derives the session id from all
  /// contributions and checks that every peer saw the same contributions (`transcript`), so a
  /// party that sent different contributions to different peers cannot split the session.
  /// Ledger heads that differ are first reconciled (§2.2: ledgers exchanged, the conservative
  /// plan of `protocols/ledger.md` §5 appended at every party) and the round repeated once.
  /// Nothing is charged; a failure aborts.
  func agree(
    session: inout some RandomSource, statistics: inout RunStatistics
  ) async throws -> Agreement {
    let clock = ContinuousClock()
    let start = clock.now
    do {
      var round = try await agreementRound(session: &session, statistics: &statistics)
      var reconciliation: Reconciliation?
      if case .ledgersDiffer(let peer, _) = round {
        reconciliation = try await reconcileLedgers(differingPeer: peer, statistics: &statistics)
        round = try await agreementRound(session: &session, statistics: &statistics)
      }
      switch round {
      case .agreed(var agreement):
        agreement.reconciliation = reconciliation
        statistics.add(clock.now - start, to: .agreement)
        return agreement
      case .ledgersDiffer(let peer, let spent):
        throw RunError.peerMismatch(
          peer: peer, step: .ledgerHead,
          problem: "its budget ledger differs (spent \(spent), here \(setup.ledger.spent)) even "
            + "after automatic reconciliation; compare `mpc budget` at both sites and run "
            + "`mpc budget reconcile`")
      }
    } catch {
      await broadcastAbort(for: error)
      throw error
    }
  }

  /// One round of §2.1–§2.4; stops before the transcript check when some ledger head differs
  /// (every party sees every head, so all of them stop there alike).
  enum AgreementRound {
    case agreed(Agreement)
    /// The first peer whose ledger head differs from this party's, and its spent total.
    case ledgersDiffer(peer: Int, spent: Rational)
  }

  func agreementRound(
    session: inout some RandomSource, statistics: inout RunStatistics
  ) async throws -> AgreementRound {
    let study = setup.study
    let ledgerHead = setup.ledger.head
    let manifestHash = ManifestHash.compute(
      study: study, query: setup.query, ledgerHead: ledgerHead)
    let contribution = session.bytes(count: 16)
    var contributions = [[UInt8]](repeating: [], count: transport.partyCount)
    contributions[me] = contribution
    try await broadcast(
      .hello(
        Hello(
          studyId: study.id, partyId: UInt32(me), sessionId: contribution,
          manifestHash: manifestHash, seededNoise: setup.seededNoise)), statistics: &statistics)
    try await broadcast(
      .ledgerHead(LedgerHead(hash: ledgerHead, spent: setup.ledger.spent)),
      statistics: &statistics)
    var differing: (peer: Int, spent: Rational)?
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
        // Its manifest hash covers its own head: not comparable until reconciled.
        if differing == nil { differing = (p, head.spent) }
        continue
      }
      guard hello.manifestHash == manifestHash else {
        throw RunError.peerMismatch(
          peer: p, step: .hello,
          problem: "its study or query differs from this party's (manifest hash "
            + "\(Hex.encode(hello.manifestHash.prefix(8)))…, here \(Hex.encode(manifestHash.prefix(8)))…)"
        )
      }
      guard !hello.seededNoise || study.testStudy else {
        throw RunError.peerMismatch(
          peer: p, step: .hello,
          problem: "announces seeded (predictable) noise, and the study is not a test study; "
            + "seeded noise is for `mpc bench` and tests only")
      }
      contributions[p] = hello.sessionId
    }
    if let differing { return .ledgersDiffer(peer: differing.peer, spent: differing.spent) }
    let transcript = try Self.transcriptHash(
      manifestHash: manifestHash, contributions: contributions)
    try await broadcast(.transcript(transcript), statistics: &statistics)
    for p in peers {
      guard case .transcript(let theirs) = try await receive(p, .transcript) else {
        throw RunError.peerMismatch(
          peer: p, step: .transcript, problem: "expected its agreement transcript")
      }
      guard theirs == transcript else {
        throw RunError.peerMismatch(
          peer: p, step: .transcript,
          problem: "it saw other hello contributions than this party (transcript "
            + "\(Hex.encode(theirs.prefix(8)))…, here \(Hex.encode(transcript.prefix(8)))…): "
            + "some party sent different contributions to different peers, so the parties "
            + "would not share one session; nothing was charged")
      }
    }
    return .agreed(
      Agreement(
        sessionID: try Self.sessionID(contributions: contributions), manifestHash: manifestHash))
  }

  /// `protocols/query.md` §2.2: every party sends its ledger file (`ledgerEntries`) and
  /// appends the reconciliation of `protocols/ledger.md` §5 planned from all of them (the same
  /// at every party); a fork that is not only charges and releases of aborted sessions is
  /// refused, naming `mpc budget reconcile`.
  /// Returns the reconciliation planned (nil if there was nothing to settle).
  func reconcileLedgers(differingPeer: Int, statistics: inout RunStatistics) async throws
    -> Reconciliation?
  {
    try await broadcast(.ledgerEntries(try setup.ledger.contents()), statistics: &statistics)
    var ledgers = [setup.ledger]
    for p in peers {
      guard case .ledgerEntries(let contents) = try await receive(p, .ledgerReconcile) else {
        throw RunError.peerMismatch(
          peer: p, step: .ledgerReconcile, problem: "expected its ledger file")
      }
      do {
        ledgers.append(
          try BudgetLedger(
            store: MemoryLedgerStore(name: "party \(p)'s ledger", contents: contents),
            study: setup.study))
      } catch {
        throw RunError.peerMismatch(
          peer: p, step: .ledgerReconcile, problem: "its ledger file does not open here: \(error)")
      }
    }
    do {
      guard let plan = try LedgerReconciler.plan(ledgers) else { return nil }
      if setup.ledger.entries.last?.reconciliation != plan {
        try setup.ledger.reconcile(plan)
      }
      return plan
    } catch let refusal as ReconcileRefusal {
      throw RunError.peerMismatch(
        peer: differingPeer, step: .ledgerReconcile,
        problem: "\(refusal); settle it with `mpc budget reconcile` at every site")
    }
  }

  // MARK: - §3 Admission

  /// `protocols/query.md` §3: the admission barrier. Charges the ledger durably, then
  /// broadcasts `admit` (which therefore means "charged") and waits for every peer's; a
  /// budget that does not suffice is refused without a charge. Any failure before the barrier
  /// is passed releases this party's charge (§3.3): no masked value has left anyone yet.
  func admit(_ agreement: Agreement, statistics: inout RunStatistics) async throws {
    let clock = ContinuousClock()
    let start = clock.now
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
      try setup.ledger.charge(
        plan: runPlan.plan, sessionId: agreement.sessionID, manifestHash: agreement.manifestHash)
      charged = true
      try await broadcast(.admit, statistics: &statistics)
      for p in peers {
        switch try await receive(p, .admission) {
        case .admit: continue
        case .refuse(let reason):
          throw RunError.peerAborted(peer: p, reason: "refused: \(PeerText.printable(reason.text))")
        default:
          throw RunError.peerMismatch(peer: p, step: .admission, problem: "expected admit")
        }
      }
    } catch {
      // No party uploads before every admit arrived: nothing masked has left anywhere.
      if charged {
        _ = try? setup.ledger.release(queryId: setup.query.id, sessionId: agreement.sessionID)
      }
      await broadcastAbort(for: error)
      throw error
    }
    statistics.add(clock.now - start, to: .admission)
  }

  // MARK: - §4 Masked upload and opening

  /// `protocols/query.md` §4: adds this party's noise share
  /// (``addNoiseShare(_:to:range:field:)``), masks, uploads in chunks and opens Σ_i y_i. After
  /// the barrier the charge stands whatever happens (§3.4), recorded by the ledger's `upload`
  /// entry before the first masked value leaves; a failure aborts.
  func uploadAndOpen(
    _ agreement: Agreement, share: NoiseShare, statistics: inout RunStatistics
  ) async throws -> OpenedValues {
    do {
      try setup.ledger.recordUpload(queryId: setup.query.id, sessionId: agreement.sessionID)
      return try await Self.uploadAndOpen(
        setup: setup, runPlan: runPlan, sessionID: agreement.sessionID, transport: transport,
        peers: peers, share: share, statistics: &statistics)
    } catch {
      let explained = await Self.explainClosedLink(error, transport: transport, codec: codec)
      await broadcastAbort(for: explained)
      throw explained
    }
  }

  // MARK: - §5 Release

  /// `protocols/query.md` §5: post-processing of the opened values (no further privacy cost),
  /// after the plausibility check of §5.1 (a value outside its component's range is refused).
  func release(
    _ opened: OpenedValues, _ agreement: Agreement, statistics: inout RunStatistics
  ) throws -> QueryResult {
    let clock = ContinuousClock()
    let start = clock.now
    // (Streamed chunks were checked one by one before the sink saw them.)
    if setup.keepsOpenedValues { try Self.checkPlausible(opened, runPlan: runPlan) }
    var result = try Self.release(
      opened: opened, runPlan: runPlan, setup: setup, sessionID: agreement.sessionID)
    statistics.add(clock.now - start, to: .postProcessing)
    result.statistics = statistics
    result.reconciliation = agreement.reconciliation
    return result
  }

  // MARK: - Messages

  /// Broadcasts `message` to every peer in id order.
  func broadcast(_ message: Message, statistics: inout RunStatistics) async throws {
    let frame = try codec.encode(message)
    for p in peers {
      try await transport.send(frame, to: p)
      statistics.countSent(frame.count, to: p)
    }
  }

  /// Sends `abort` with `error`'s reason to every peer, ignoring failures (the abort path).
  func broadcastAbort(for error: any Error) async {
    let reason = Reason(code: ReasonCode(for: error), text: String(describing: error))
    guard let frame = try? codec.encode(.abort(reason)) else { return }
    for p in peers { try? await transport.send(frame, to: p) }
  }

  /// The next message from `peer`; an `abort` from it is thrown as ``RunError/peerAborted``.
  func receive(_ peer: Int, _ step: RunStep) async throws -> Message {
    let frame = try await transport.receive(from: peer, timeout: setup.timeout, step: step)
    let message = try codec.decode(frame)
    if case .abort(let reason) = message {
      throw RunError.peerAborted(
        peer: peer, reason: "\(reason.code): \(PeerText.printable(reason.text))")
    }
    return message
  }

  /// A send that failed on a closed link says less than the peer did: its abort, if it sent
  /// one before closing, is still queued behind its upload chunks. Returns that abort as the
  /// error when it is there, the original error otherwise.
  ///
  /// With `peers`, the other peers' queued frames are read too (the closed link's peer first):
  /// a peer that closed because a third one aborted leaves that third one's abort queued here.
  /// Only what is already queued, or arrives within a short grace, is read.
  static func explainClosedLink(
    _ error: any Error, transport: some PartyTransport, codec: MessageCodec, peers: [Int] = []
  ) async -> any Error {
    guard case TransportError.closed(let closed, _) = error else { return error }
    var fallback: (any Error)?
    for peer in [closed] + peers.filter({ $0 != closed }) {
      while let frame = try? await transport.receive(
        from: peer, timeout: .milliseconds(peer == closed ? 1000 : 300), step: .abortReason)
      {
        guard case .abort(let reason)? = try? codec.decode(frame) else { continue }
        let named = RunError.peerAborted(
          peer: peer, reason: "\(reason.code): \(PeerText.printable(reason.text))")
        // An originating abort (a peer's data, files, operator, …) is the cause. One that only
        // passes on a stop (peer-aborted, possibly this party's own) or a lost link (timeout)
        // is a consequence: the closed peer's still says why it closed, if nothing better is
        // queued; another peer's says less than the closed link itself.
        if reason.code != .peerAborted && reason.code != .timeout { return named }
        if peer == closed { fallback = named }
        break
      }
    }
    return fallback ?? error
  }

}
