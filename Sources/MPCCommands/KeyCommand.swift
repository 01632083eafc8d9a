import ArgumentParser
import Foundation
import MPCCrypto

/// `mpc key`: key files.
struct KeyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "key", abstract: "Read key files made by mpc keygen.",
    subcommands: [KeyShowCommand.self])
}

/// `mpc key show`: the public key of a site key or a signing key, to send to whoever prepares
/// the study file.
struct KeyShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Print the public key of a key file (site or signing key).")

  @Option(name: .long, help: "The key file.")
  var key: String

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    do {
      let url = URL(fileURLWithPath: key)
      // Which kind of key: looked up in the bytes (no String copy of a secret), then wiped.
      var bytes = try KeyFilePermissions.read(url, what: "key file")
      let signing = bytes.range(of: Data(SigningKeyFile.field.utf8)) != nil
      bytes.withUnsafeMutableBytes { SecretBytes.wipe($0) }
      let publicKey =
        signing
        ? Hex.encode(try SigningKeyFile.load(url).publicKey)
        : Hex.encode(try KeyFile.load(url).publicKey)
      let kind = signing ? "ed25519-signing" : "x25519-site"
      if json {
        print(
          try OutputCoding.encode(
            KeyShowOutput(kind: kind, publicKey: publicKey, file: key)), terminator: "")
      } else {
        print("\(signing ? "signing key (approver)" : "site key"): \(key)")
        print("public key: \(publicKey)")
      }
    } catch {
      throw CommandFailure.report(error)
    }
  }
}

/// `mpc key show --json`.
struct KeyShowOutput: CommandOutput {
  static let schema = "mpc.key.show/1"

  var schema: String = Self.schema
  var kind: String
  var publicKey: String
  var file: String

  enum CodingKeys: String, CodingKey {
    case schema
    case kind
    case publicKey = "public_key"
    case file
  }
}
