import Foundation
import MPCCrypto

/// A party's long-term X25519 key file (`mpc keygen`): mode 0600, one hex line.
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
    var text = Array((header + "\nprivate_key: ").utf8)
    text += Array(Hex.encode(pair.privateKey.exposedBytes()).utf8) + [10]
    defer { text.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
    try SafeFile.create(url, bytes: text, mode: 0o600)
    return pair
  }

  /// Reads a key file; errors name the file and line.
  static func load(_ url: URL) throws -> X25519.KeyPair {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw CommandFailure(
        description: "cannot read key file \(url.path): \(error.localizedDescription)")
    }
    let lines = String(decoding: data, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    for (index, line) in lines.enumerated() where line.hasPrefix("private_key:") {
      let hex = line.dropFirst("private_key:".count).trimmingCharacters(in: .whitespaces)
      guard let bytes = try? Hex.decode(hex), bytes.count == 32 else {
        throw CommandFailure(
          description: "\(url.path):\(index + 1): private_key must be 64 hexadecimal digits")
      }
      return try X25519.KeyPair(privateKey: SecretBytes(copying: bytes))
    }
    throw CommandFailure(
      description: "\(url.path): no private_key line; is this a key made by `mpc keygen`?")
  }
}
