public import MPCPrivacy

/// What one party brings to a run: the agreed manifests, its local vector and its ledger.
public struct PartySetup: Sendable {
  /// The study (identical at every party).
  public var study: StudyManifest
  /// The query (identical at every party).
  public var query: QueryManifest
  /// This party's clipped local vector x_i (``LocalData``).
  public var input: LocalVector
  /// This party's budget ledger.
  public var ledger: BudgetLedger
  /// Deadline of every wait for a peer.
  public var timeout: Duration
  /// Elements per upload chunk (memory per chunk, not per vector).
  public var chunkElements: Int
  /// Accept a Gaussian share σ below 1.2 (KLS21's bound is then loose).
  public var force: Bool
  /// The Gaussian sampler's timing mode when the study does not record one (its `noise`
  /// key, ``StudyNoise``, decides otherwise); Laplace is always exact.
  public var timing: DiscreteGaussianSampler.Timing
  /// The run plan, if the caller derived it already (e.g. while connecting: building a large
  /// σ's noise table takes a few milliseconds); it must come from `RunPlan(study:query:force:
  /// timing:)` with this setup's values, which the run checks.
  public var runPlan: RunPlan?
  /// This party's noise share, if the caller drew it already (best before connecting, so no
  /// peer can time it); it must be drawn for this setup's run plan, which the run checks.
  /// Without it the run draws the share before its first message.
  public var noiseShare: NoiseShare?
  /// Called with every opened chunk, in order, as soon as it is opened and found plausible
  /// (`protocols/query.md` §5.1): its first coordinate and its signed values (e.g. to stream a
  /// long vector to a file). An error it throws aborts the run (after the charge). Called from
  /// one task at a time.
  public var openedSink: OpenedChunkSink?
  /// Whether the result keeps the opened values. With `false` (and a sink) memory stays bounded
  /// by the chunks in flight; every component's ``ReleasedComponent/raw`` is then empty and its
  /// values are only those the sink saw.
  public var keepsOpenedValues = true
  /// Called as the run passes its steps (agreed, admitted, each chunk sent and opened), from
  /// the run's tasks (the sender's and the opener's may call at the same time): progress for
  /// an operator. It must return quickly; it
  /// sees counts only, never a value.
  public var progress: RunProgressHandler?
  /// Whether this party's noise comes from a seed (tests and `mpc bench` only): announced in
  /// the hello, and refused by peers unless the study is a test study. The runner does not check
  /// the noise source itself: the caller that seeds it must set this.
  public var seededNoise = false

  /// Elements per upload chunk unless a setup says otherwise: 32,768, i.e. 512 KiB frames in a
  /// 16-byte field. Measured (Sources/Benchmarks/BENCHMARKS.md) faster than 64 Ki elements, and
  /// with less memory in flight; 16 Ki elements costs more per chunk than it saves.
  public static let defaultChunkElements = 1 << 15

  /// A setup with the default deadline (60 s) and chunk size (``defaultChunkElements``).
  public init(
    study: StudyManifest, query: QueryManifest, input: LocalVector, ledger: BudgetLedger,
    timeout: Duration = .seconds(60), chunkElements: Int = defaultChunkElements,
    force: Bool = false,
    timing: DiscreteGaussianSampler.Timing = .variable
  ) {
    self.study = study
    self.query = query
    self.input = input
    self.ledger = ledger
    self.timeout = timeout
    self.chunkElements = chunkElements
    self.force = force
    self.timing = timing
  }
}

/// Receives one opened chunk: the index of its first coordinate and its signed values.
public typealias OpenedChunkSink =
  @Sendable (_ start: Int, _ values: ReleasedComponent.RawValues)
  throws -> Void

/// A step of a run as ``PartySetup/progress`` reports it: counts only, never a value.
public enum RunProgress: Sendable, Equatable {
  /// Every party holds the same study, query, ledger head and session (query.md §2).
  case agreed
  /// Every party charged the query and admitted the run (query.md §3).
  case admitted
  /// `chunks` of `total` masked chunks handed to every peer's link (query.md §4).
  case sent(chunks: Int, total: Int, elements: Int)
  /// `elements` of `total` coordinates opened (query.md §5).
  case opened(elements: Int, total: Int)
}

/// Receives ``RunProgress`` events.
public typealias RunProgressHandler = @Sendable (RunProgress) -> Void
