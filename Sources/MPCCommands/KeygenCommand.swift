import ArgumentParser
import Foundation
import MPCCrypto

/// `mpc keygen`: a site's long-term key pair.
struct KeygenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keygen",
    abstract: "Create this site's long-term X25519 key pair.",
    discussion: """
      Writes the private key to --out with mode 0600 (refusing to overwrite an existing file) \
      and prints the public key. Send the public key to whoever prepares the study file; keep \
      the private key on this machine only.

      Example:
        mpc keygen --out site0.key
      """)

  @Option(name: .long, help: "Where to write the private key (must not exist).")
  var out: String

  @Flag(
    name: .long,
    help: "Make an approver's Ed25519 signing key (for `mpc query sign`) instead of a site key.")
  var signing = false

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    do {
      let url = URL(fileURLWithPath: out)
      let publicKey =
        signing
        ? Hex.encode(try SigningKeyFile.create(url).publicKey)
        : Hex.encode(try KeyFile.create(url).publicKey)
      if json {
        print(
          try OutputCoding.encode(
            KeygenOutput(
              kind: signing ? "ed25519-signing" : "x25519-site", publicKey: publicKey,
              privateKeyFile: out)),
          terminator: "")
      } else {
        print("wrote private key to \(out) (mode 0600)")
        print(
          signing
            ? "public key (put it in the study's registry.approvers):"
            : "public key (put it in the study file):")
        print("  \(publicKey)")
      }
    } catch {
      throw CommandFailure.report(error)
    }
  }
}

/// `mpc keygen --json`.
struct KeygenOutput: CommandOutput {
  static let schema = "mpc.keygen/1"

  var schema: String = Self.schema
  var kind: String
  var publicKey: String
  var privateKeyFile: String

  enum CodingKeys: String, CodingKey {
    case schema
    case kind
    case publicKey = "public_key"
    case privateKeyFile = "private_key_file"
  }
}
