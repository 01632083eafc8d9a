import Foundation
import MPCCrypto

/// A party's long-term X25519 key file (`mpc keygen`): mode 0600, one hex line. Loading refuses
/// a file that others may read or that another user owns (``KeyFilePermissions``); LF or CRLF.
///
///     # swift-mpc X25519 private key: keep it secret, never copy it to another site
///     private_key: <64 hex digits>
enum KeyFile {
  static let header =
    "# swift-mpc X25519 private key: keep it secret, never copy it to another site"

  /// Writes a new key pair to `url` (refusing an existing file) and returns it.
  static func create(_ url: URL) throws -> X25519.KeyPair {
    var random = SystemRandom()
    let pair = X25519.KeyPair.generate(using: &random)
    try SafeFile.createKey(url, prefix: header + "\nprivate_key: ", secret: pair.privateKey)
    return pair
  }

  /// Reads a key file; errors name the file and line.
  static func load(_ url: URL) throws -> X25519.KeyPair {
    var data = try KeyFilePermissions.read(url, what: "key file")
    // The file holds the private key: scan its bytes in place (no String copies), decode the
    // hex straight into zeroizing storage, and wipe the read buffer on every path.
    defer { data.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
    let key = "private_key:".utf8
    let result: Result<SecretBytes, CommandFailure>? = data.withUnsafeBytes { bytes in
      var lineStart = 0
      var lineNumber = 1
      while lineStart <= bytes.count {
        var lineEnd = lineStart
        while lineEnd < bytes.count && bytes[lineEnd] != 10 { lineEnd += 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
        if line.starts(with: key) {
          var lo = key.count
          var hi = line.count
          func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 }
          while lo < hi && isSpace(line[lo]) { lo += 1 }
          while hi > lo && isSpace(line[hi - 1]) { hi -= 1 }
          let digits = UnsafeRawBufferPointer(rebasing: line[lo..<hi])
          guard digits.count == 64, let secret = try? SecretBytes(hexDigits: digits) else {
            return .failure(
              CommandFailure(
                description: "\(url.path):\(lineNumber): private_key must be 64 hexadecimal digits",
                status: .usage))
          }
          return .success(secret)
        }
        lineStart = lineEnd + 1
        lineNumber += 1
      }
      return nil
    }
    switch result {
    case .success(let secret): return try X25519.KeyPair(privateKey: secret)
    case .failure(let failure): throw failure
    case nil:
      throw CommandFailure(
        description: "\(url.path): no private_key line; is this a key made by `mpc keygen`?",
        status: .usage)
    }
  }
}

/// An approver's Ed25519 signing key file (`mpc keygen --signing`): mode 0600, one hex line.
///
///     # swift-mpc Ed25519 signing key of a query approver: keep it secret
///     signing_seed: <64 hex digits>
enum SigningKeyFile {
  static let header = "# swift-mpc Ed25519 signing key of a query approver: keep it secret"
  static let field = "signing_seed:"

  /// Writes a new signing key to `url` (refusing an existing file) and returns it.
  static func create(_ url: URL) throws -> Ed25519.KeyPair {
    var random = SystemRandom()
    let pair = Ed25519.KeyPair.generate(using: &random)
    try SafeFile.createKey(url, prefix: header + "\n" + field + " ", secret: pair.seed)
    return pair
  }

  /// Reads a signing key file; errors name the file and line.
  static func load(_ url: URL) throws -> Ed25519.KeyPair {
    var data = try KeyFilePermissions.read(url, what: "signing key file")
    defer { data.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
    // `isNewline`, not "\n": in a Swift string "\r\n" is one character, so a CRLF file split
    // on "\n" would be one long line.
    let lines = String(decoding: data, as: UTF8.self).split(
      omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    for (index, line) in lines.enumerated() where line.hasPrefix(field) {
      let hex = line.dropFirst(field.count).trimmingCharacters(in: .whitespacesAndNewlines)
      guard let bytes = try? Hex.decode(hex), bytes.count == 32 else {
        throw CommandFailure(
          description: "\(url.path):\(index + 1): signing_seed must be 64 hexadecimal digits",
          status: .usage)
      }
      return try Ed25519.KeyPair(seed: SecretBytes(copying: bytes))
    }
    let site = lines.contains { $0.hasPrefix("private_key:") }
    throw CommandFailure(
      description: site
        ? "\(url.path) is a site key (X25519), not a signing key; make one with "
          + "`mpc keygen --signing --out FILE`"
        : "\(url.path): no signing_seed line; is this a key made by `mpc keygen --signing`?",
      status: .usage)
  }
}

extension SafeFile {
  /// Writes a key file, mode 0600: `prefix`, then `secret` as hex and a newline. The hex digits
  /// go straight from the key's storage into one buffer that is wiped on every path.
  static func createKey(_ url: URL, prefix: String, secret: SecretBytes) throws {
    let head = Array(prefix.utf8)
    var text: [UInt8] = []
    text.reserveCapacity(head.count + 2 * secret.count + 1)
    defer { text.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
    text += head
    secret.appendHex(to: &text)
    text.append(10)
    try create(url, bytes: text, mode: 0o600)
  }
}
