public import MPCBigInt
public import MPCCrypto
import MPCField
public import MPCPrivacy

/// One round of an adaptive query as every party derives it: its dimension (at most its plan
/// component's) and this party's local vector for it.
public struct AdaptiveRound: Sendable {
  /// The number of coordinates of the round's vector.
  public var dimension: Int
  /// This party's local vector x_i for the round (``dimension`` values).
  public var values: [Int64]

  /// A round of `values.count` coordinates.
  public init(values: [Int64]) {
    dimension = values.count
    self.values = values
  }
}

/// One released round of an adaptive query: its index, its opened values and its noise.
public struct AdaptiveRelease: Sendable {
  /// 0-based round index.
  public var round: Int
  /// The opened values Σ_i (x_i + η_i) of the round, as signed integers.
  public var raw: [BigInt]
  /// The round's noise calibration.
  public var noise: NoisePlan
  /// The round's sensitivity.
  public var sensitivity: Sensitivity
  /// What the round's part of the charge was (its share of the query's cost).
  public var cost: PrivacyCost
}

/// What an adaptive run returns: every round released, with the agreement's session.
public struct AdaptiveResult: Sendable {
  /// The session id all rounds ran in.
  public var sessionID: [UInt8]
  /// The released rounds, in order.
  public var rounds: [AdaptiveRelease]
  /// The cost charged once, up front, for all rounds.
  public var cost: PrivacyCost
  /// Budget spent after the charge.
  public var spent: Rational
  /// Budget remaining after the charge.
  public var remaining: Rational
  /// Timings and bytes (agreement, admission, and the rounds' noise, masking, send, receive).
  public var statistics: RunStatistics
  /// Wall time of each round's upload and opening.
  public var roundTimes: [Duration]
}

/// The layout of an adaptive query: round r's vector from the rounds released before it.
/// It must be a deterministic function of the manifests and `released` (every party derives
/// the same layout, `protocols/query.md` §6).
public typealias AdaptiveLayout =
  @Sendable (_ round: Int, _ released: [AdaptiveRelease]) throws -> AdaptiveRound

/// A query of several rounds over one set of links and one admission (`protocols/query.md`
/// §6, DESIGN §10): agreement and admission as for any query, the whole cost (every round's
/// plan component) charged once and durably before any masked byte leaves; then, per round
/// r, the round's layout derived from the released rounds, its masked upload under the vector
/// name `round-r` and its opening. Each party's noise for every round is drawn before the
/// first message (for a round whose dimension is known only later, as many values as its
/// plan component's largest dimension). An abort in any round keeps the charge; the rounds
/// released before it have been passed to `onRelease`.
public struct AdaptiveQueryRunner: Sendable {
  let base: QueryRunner
  let layout: AdaptiveLayout

  /// Checks the set-up; the query's plan components are its rounds, in order.
  public init(_ setup: PartySetup, transport: some PartyTransport, layout: @escaping AdaptiveLayout)
    throws
  {
    base = try QueryRunner(setup, transport: transport, checkingInput: false)
    self.layout = layout
  }

  /// The carrier plan: one component per round.
  public var runPlan: RunPlan { base.runPlan }

  /// Runs every round; `onRelease` sees each round as soon as it is opened (e.g. to append
  /// it to the release log) and may throw to abort the rest (the charge stays).
  public func run(
    noise: inout some RandomSource, session: inout some RandomSource,
    onRelease: @Sendable (AdaptiveRelease) throws -> Void = { _ in }
  ) async throws -> AdaptiveResult {
    var statistics = RunStatistics()
    let carrier = base.runPlan
    // §1.2: every round's noise share before the first message.
    var shares = carrier.components.map { nc -> [Int64] in
      var values = [Int64](repeating: 0, count: nc.component.dimension)
      values.withUnsafeMutableBufferPointer { nc.sampler.fill($0, using: &noise) }
      return values
    }
    defer {
      for r in shares.indices {
        shares[r].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
      }
    }
    let agreement: QueryRunner.Agreement
    do {
      agreement = try await base.agree(session: &session, statistics: &statistics)
      try await base.admit(agreement, statistics: &statistics)
      // Before the first round's first masked value leaves: the charge stands from here on
      // (ledger.md §4), also for a process killed later.
      try base.setup.ledger.recordUpload(
        queryId: base.setup.query.id, sessionId: agreement.sessionID)
    } catch {
      throw await QueryRunner.explainClosedLink(
        error, transport: base.transport, codec: base.codec, peers: base.peers)
    }
    // After the admission barrier the charge stands whatever happens.
    var released: [AdaptiveRelease] = []
    var roundTimes: [Duration] = []
    let clock = ContinuousClock()
    for r in carrier.components.indices {
      let start = clock.now
      do {
        let round = try layout(r, released)
        let bound = carrier.components[r].component.dimension
        guard round.dimension >= 1, round.dimension <= bound, round.values.count == round.dimension
        else {
          throw RunError.invalidSetUp(
            problem: "round \(r + 1)'s layout has \(round.values.count) values for dimension "
              + "\(round.dimension); its plan allows 1 to \(bound)")
        }
        let plan = RunPlan(round: r, dimension: round.dimension, of: carrier)
        var setup = base.setup
        setup.input.values = round.values
        setup.openedSink = nil
        setup.keepsOpenedValues = true
        let share = NoiseShare(
          values: Array(shares[r].prefix(round.dimension)), derivedFrom: carrier.derivedFrom)
        let opened = try await QueryRunner.uploadAndOpen(
          setup: setup, runPlan: plan, sessionID: agreement.sessionID,
          transport: base.transport, peers: base.peers, share: share, statistics: &statistics,
          vectorName: "round-\(r + 1)", uploadID: "\(setup.query.id)/round-\(r + 1)")
        try QueryRunner.checkPlausible(opened, runPlan: plan)
        let raw: [BigInt]
        switch opened {
        case .small(let v): raw = v.map { BigInt(Int($0)) }
        case .big(let v): raw = v
        }
        let nc = plan.components[0]
        let release = AdaptiveRelease(
          round: r, raw: raw, noise: nc.noise, sensitivity: nc.component.sensitivity,
          cost: nc.component.cost)
        try onRelease(release)
        released.append(release)
        roundTimes.append(clock.now - start)
      } catch {
        let explained = await QueryRunner.explainClosedLink(
          error, transport: base.transport, codec: base.codec, peers: base.peers)
        await base.broadcastAbort(for: explained)
        throw explained
      }
    }
    let ledger = base.setup.ledger
    return AdaptiveResult(
      sessionID: agreement.sessionID, rounds: released, cost: carrier.plan.cost,
      spent: ledger.spent, remaining: ledger.remaining, statistics: statistics,
      roundTimes: roundTimes)
  }
}
