import MPCCrypto
import MPCProtocol

/// What a link is opened for: a query run or a `doctor` check.
package enum LinkMode: UInt8, Sendable {
  case run = 1
  case doctor = 2

  var command: String { self == .run ? "mpc run" : "mpc doctor" }
}

/// The first encrypted frame in each direction (`protocols/channel.md` §3):
/// `"MPCP" ‖ 01 ‖ mode ‖ study hash (32) ‖ LE16(len) ‖ software version (UTF-8, ≤ 255 bytes)`.
package struct LinkPreface: Sendable, Equatable {
  static let magic: [UInt8] = Array("MPCP".utf8)
  static let version: UInt8 = 1
  static let maximumVersionLength = 255

  var mode: LinkMode
  var studyHash: [UInt8]
  var softwareVersion: String

  /// The study hash: BLAKE2b-256 over the domain `swift-mpc/study/v1` and the study's canonical
  /// value (`protocols/manifest.md`).
  static func studyHash(_ study: StudyManifest) -> [UInt8] {
    study.canonical.hash(domain: "swift-mpc/study/v1")
  }

  package init(mode: LinkMode, studyHash: [UInt8], softwareVersion: String) {
    self.mode = mode
    self.studyHash = studyHash
    // Truncated at a character boundary to the wire limit.
    var version = softwareVersion
    while version.utf8.count > Self.maximumVersionLength { version.removeLast() }
    self.softwareVersion = version
  }

  package func encoded() -> [UInt8] {
    let text = Array(softwareVersion.utf8)
    return Self.magic + [Self.version, mode.rawValue] + studyHash
      + [UInt8(text.count & 0xff), UInt8(text.count >> 8)] + text
  }

  package init(decoding bytes: [UInt8], peer: Int) throws {
    func reject(_ reason: String) -> NetworkError {
      .prefaceRejected(peer: peer, reason: "malformed link preface: \(reason)")
    }
    guard bytes.count >= 40, Array(bytes[0..<4]) == Self.magic else {
      throw reject("not a swift-mpc preface")
    }
    guard bytes[4] == Self.version else {
      throw reject("preface version \(bytes[4]), this mpc speaks \(Self.version)")
    }
    guard let mode = LinkMode(rawValue: bytes[5]) else { throw reject("unknown mode \(bytes[5])") }
    let length = Int(bytes[38]) | Int(bytes[39]) << 8
    guard length <= Self.maximumVersionLength, bytes.count == 40 + length else {
      throw reject("length \(bytes.count) does not match its version string of \(length) bytes")
    }
    self.mode = mode
    studyHash = Array(bytes[6..<38])
    // A peer's text: escaped before it can reach a terminal (channel.md §6).
    softwareVersion = PeerText.printable(String(decoding: bytes[40...], as: UTF8.self))
  }
}
