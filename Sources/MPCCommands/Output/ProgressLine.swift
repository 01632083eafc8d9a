import ArgumentParser
import Foundation
import MPCProtocol
import Synchronization

/// When `mpc run` shows its progress line on standard error (`--progress`, `--quiet`).
enum ProgressMode: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// Only when standard error is a terminal.
  case auto
  /// Always (e.g. into a log that is read with `tail -f`; also how the tests see it).
  case always
  /// Never (the same as `--quiet`).
  case never

  /// Whether the line is shown, given whether standard error is a terminal.
  func isEnabled(stderrIsTerminal: Bool) -> Bool {
    switch self {
    case .auto: stderrIsTerminal
    case .always: true
    case .never: false
    }
  }
}

/// The one-line progress of a run on standard error: who is up while connecting, admission,
/// then the chunks sent and the values opened with a rate. Each state overwrites the last
/// (`\r` and erase-line); ``done()`` clears it before anything else is printed. Counts only:
/// it never shows a value. Safe to call from any task.
final class Progress: Sendable {
  let enabled: Bool
  private let clock = ContinuousClock()
  private let state = Mutex(State())

  struct State {
    var peersUp: [Int] = []
    var peerCount = 0
    var sent = (chunks: 0, total: 0)
    var opened = (elements: 0, total: 0)
    var openingSince: ContinuousClock.Instant?
    var lastDrawn: ContinuousClock.Instant?
  }

  /// Redraws at most this often (the first and the last state of each step always).
  static let interval = Duration.milliseconds(100)

  init(enabled: Bool) { self.enabled = enabled }

  /// Shows `text` as the line.
  func say(_ text: String) {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
  }

  /// Clears the line.
  func done() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }

  /// Starts the connect step: `peers` links to bring up.
  func connecting(peers: Int) {
    state.withLock { $0.peerCount = peers }
    say("connecting to \(peers) peer(s)…")
  }

  /// A peer's link came up.
  func linkUp(_ peer: Int) {
    guard enabled else { return }
    let text = state.withLock { s -> String in
      s.peersUp.append(peer)
      let up = s.peersUp.sorted().map { "\($0)" }.joined(separator: ", ")
      return "connecting: \(s.peersUp.count) of \(s.peerCount) peer(s) up (party \(up))…"
    }
    say(text)
  }

  /// A step of the run.
  func report(_ event: RunProgress) {
    guard enabled else { return }
    let now = clock.now
    let text: String? = state.withLock { s in
      switch event {
      case .agreed: return "agreed with every peer; admitting (charging the budget)…"
      case .admitted:
        s.openingSince = now
        return "admitted and charged at every site; uploading…"
      case .sent(let chunks, let total, _): s.sent = (chunks, total)
      case .opened(let elements, let total): s.opened = (elements, total)
      }
      let last = s.opened.total > 0 && s.opened.elements == s.opened.total
      if let drawn = s.lastDrawn, now - drawn < Self.interval, !last { return nil }
      s.lastDrawn = now
      return Self.uploadLine(
        sent: s.sent, opened: s.opened, seconds: s.openingSince.map { (now - $0).seconds })
    }
    if let text { say(text) }
  }

  /// "sent 12/31 chunk(s); opened 393,216 of 1,000,000 value(s) (39%), 2.1 M values/s".
  static func uploadLine(
    sent: (chunks: Int, total: Int), opened: (elements: Int, total: Int), seconds: Double?
  ) -> String {
    var text = "sent \(sent.chunks)/\(sent.total) chunk(s)"
    guard opened.total > 0 else { return text + "…" }
    let percent = opened.elements * 100 / opened.total
    text +=
      "; opened \(grouped(opened.elements)) of \(grouped(opened.total)) value(s) (\(percent)%)"
    if let seconds, seconds > 0, opened.elements > 0 {
      text += ", " + rate(Double(opened.elements) / seconds)
    }
    return text
  }

  /// `1234567` as "1,234,567".
  static func grouped(_ n: Int) -> String {
    var digits = Array(String(n.magnitude))
    var out: [Character] = []
    while digits.count > 3 {
      out = [","] + digits.suffix(3) + out
      digits.removeLast(3)
    }
    return (n < 0 ? "-" : "") + String(digits + out)
  }

  /// A rate of values per second, shortened ("850 values/s", "2.1 M values/s").
  static func rate(_ perSecond: Double) -> String {
    switch perSecond {
    case ..<1_000: "\(Int(perSecond)) values/s"
    case ..<1_000_000: String(format: "%.1f k values/s", perSecond / 1_000)
    default: String(format: "%.1f M values/s", perSecond / 1_000_000)
    }
  }
}

extension Duration {
  /// The duration in seconds.
  fileprivate var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) / 1e18
  }
}
