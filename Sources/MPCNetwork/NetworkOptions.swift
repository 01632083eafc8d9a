/// Deadlines, limits and address overrides of the network layer.
public struct NetworkOptions: Sendable {
  /// How long ``NetworkTransport/withLinks(study:partyID:identity:options:_:)`` tries to reach every
  /// peer (dialing with retries, or waiting for it to dial) before it gives up naming the peer.
  public var connectDeadline: Duration
  /// Deadline of one link's handshake and preface, from the TCP connection on.
  public var handshakeTimeout: Duration
  /// The first pause between two dial attempts; it doubles up to ``maximumBackoff``.
  public var initialBackoff: Duration
  /// The longest pause between two dial attempts.
  public var maximumBackoff: Duration
  /// The largest plaintext frame accepted from a peer (refused before allocation).
  public var maximumFrame: Int
  /// Where to listen instead of this party's study address (`"0.0.0.0:7400"` behind NAT).
  public var listenAddress: String?
  /// Where to dial a peer instead of its study address (a tunnel, a port forward, a test proxy).
  public var dialAddresses: [Int: String]
  /// This software's version string, sent in the link preface (shown by `mpc doctor`).
  public var softwareVersion: String
  /// At most this many accepted connections may be in their handshake at once (each costs
  /// X25519 operations and a socket before it proved anything); more are closed at once.
  public var maximumPendingHandshakes: Int = 64
  /// At most this many of them from one source address.
  public var maximumPendingPerSource: Int = 8
  /// Called once for each peer whose link came up (authenticated), from a network task, while
  /// ``NetworkTransport/withLinks(study:partyID:identity:options:_:)`` connects: progress for
  /// an operator ("who is up"). It must return quickly.
  public var linkUp: (@Sendable (_ peer: Int) -> Void)?
  /// The clock of every deadline above (real time; the deadline tests move one by hand).
  package var clock: NetworkClock = .continuous

  /// Options with the defaults: 60 s to connect, 10 s per handshake, backoff 5 ms … 2 s,
  /// frames up to 16 MiB, the study addresses.
  public init(
    connectDeadline: Duration = .seconds(60), handshakeTimeout: Duration = .seconds(10),
    initialBackoff: Duration = .milliseconds(5), maximumBackoff: Duration = .seconds(2),
    maximumFrame: Int = FrameCipher.defaultMaximumFrame, listenAddress: String? = nil,
    dialAddresses: [Int: String] = [:], softwareVersion: String = "unknown"
  ) {
    self.connectDeadline = connectDeadline
    self.handshakeTimeout = handshakeTimeout
    self.initialBackoff = initialBackoff
    self.maximumBackoff = maximumBackoff
    self.maximumFrame = maximumFrame
    self.listenAddress = listenAddress
    self.dialAddresses = dialAddresses
    self.softwareVersion = softwareVersion
  }
}

/// A parsed `host:port` (IPv6 hosts in brackets: `[::1]:7400`).
struct HostPort: Sendable, Equatable {
  var host: String
  var port: Int

  init?(_ text: String) {
    var rest = Substring(text)
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { return nil }
      host = String(rest[rest.index(after: rest.startIndex)..<close])
      rest = rest[rest.index(after: close)...]
      guard rest.hasPrefix(":") else { return nil }
      rest = rest.dropFirst()
    } else {
      guard let colon = rest.lastIndex(of: ":") else { return nil }
      host = String(rest[..<colon])
      rest = rest[rest.index(after: colon)...]
    }
    guard !host.isEmpty, !rest.isEmpty, rest.allSatisfy({ ("0"..."9").contains($0) }),
      let p = Int(rest),
      (0...65535).contains(p)
    else { return nil }
    port = p
  }
}

extension Duration {
  /// The duration in seconds as a `Double`.
  var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) / 1e18
  }
}
