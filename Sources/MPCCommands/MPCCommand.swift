public import ArgumentParser
import MPCBigInt
import MPCCrypto

/// The `mpc` command: its subcommands are the operator's whole interface.
public struct MPCCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "mpc",
    abstract: "Secure aggregation with distributed, exact differential-privacy noise.",
    discussion: """
      Several organisations compute sums, counts, histograms and means over their joint data;
      nobody sees anybody's records and the only value ever opened is differentially private.

      Exit codes: 0 success, 1 runtime failure (a peer, the budget, the network),
      64 usage error (bad flags or input files).
      """,
    version: MPCVersion.description,
    subcommands: MPCCommand.allSubcommands
  )

  public init() {}
}

/// The version of the `mpc` command and of the protocol it speaks.
public enum MPCVersion {
  /// The package version.
  public static let package = "0.1.0"
  /// The version of the wire protocol and of `protocols/`.
  public static let protocolVersion = 1

  /// What `mpc --version` prints.
  public static var description: String {
    "mpc \(package) (protocol v\(protocolVersion), libsodium \(Sodium.version), GMP \(BigIntInfo.gmpVersion))"
  }
}

/// The process entry point used by the `mpc` executable.
public enum MPCMain {
  /// Parses the process arguments, runs the command and exits with its code.
  public static func main() async {
    await MPCCommand.main()
  }
}
