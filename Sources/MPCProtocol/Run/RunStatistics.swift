/// How long each phase of one run took at this party and how many bytes it handed to the
/// transport per peer. Measured with `ContinuousClock`; it changes nothing in the protocol.
public struct RunStatistics: Sendable, Hashable {
  /// The phases of a run (`protocols/query.md` §2–§5), in protocol order.
  public enum Phase: String, Sendable, Hashable, CaseIterable {
    /// Bringing up every link (`protocols/channel.md` §4), before the run's first message:
    /// recorded by whoever connects (`mpc run` does), not by the runner.
    case connect
    /// Hello and ledger heads: send, receive and check (§2).
    case agreement
    /// The durable charge and the admit barrier (§3).
    case admission
    /// Drawing this party's noise share before any message (§1.2) and adding it to its
    /// values (§4 step 2).
    case noise
    /// Mapping the local values into the field and masking them (§4 steps 1 and 3).
    case masking
    /// Encoding the masked chunks and handing them to the transport (§4 step 4).
    case send
    /// Receiving, decoding and adding every peer's chunks (§4 step 5).
    case receive
    /// Building the released values and intervals (§5).
    case postProcessing = "post_processing"
  }

  /// Time spent per phase (a phase that did not run is absent).
  public var durations: [Phase: Duration] = [:]
  /// Bytes of frames given to `PartyTransport.send`, per peer id (before link framing and
  /// encryption).
  public var bytesSent: [Int: Int] = [:]

  /// Empty statistics.
  public init() {}

  /// The time spent in `phase` (zero if it did not run).
  public func duration(of phase: Phase) -> Duration { durations[phase] ?? .zero }

  /// Adds `elapsed` to `phase`.
  public mutating func add(_ elapsed: Duration, to phase: Phase) {
    durations[phase, default: .zero] += elapsed
  }

  /// Counts a frame of `bytes` sent to `peer`.
  public mutating func countSent(_ bytes: Int, to peer: Int) {
    bytesSent[peer, default: 0] += bytes
  }

  /// The total of every phase.
  public var total: Duration { durations.values.reduce(.zero, +) }

  /// The time spent in `phase`, in seconds.
  public func seconds(of phase: Phase) -> Double {
    let c = duration(of: phase).components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
  }
}
