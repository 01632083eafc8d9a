public import ArgumentParser
import MPCBigInt
import MPCCrypto

/// The `mpc` command: its subcommands are the operator's whole interface.
public struct MPCCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "mpc",
    abstract: "Secure aggregation with distributed, exact differential-privacy noise.",
    discussion: """
      Several organisations compute sums, counts, histograms and means over their joint data; \
      nobody sees anybody's records and the only value ever opened is differentially private.

      Exit codes: \(ExitStatus.allCases.map { "\($0.rawValue) \($0.summary)" }.joined(separator: "; ")).
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

  /// What `mpc --version` prints: "mpc 0.1.0 (protocol v1, libsodium …, GMP …)".
  public static var description: String { "mpc \(software)" }

  /// The version without the program name, as sent to peers in the link preface (the doctor
  /// prints it as "mpc \(software)"): "0.1.0 (protocol v1, libsodium …, GMP …)".
  public static var software: String {
    "\(package) (protocol v\(protocolVersion), libsodium \(Sodium.version), GMP \(BigIntInfo.gmpVersion))"
  }
}

/// The process entry point used by the `mpc` executable.
public enum MPCMain {
  /// Parses the process arguments, runs the command and exits with its code.
  public static func main() async {
    await MPCCommand.main()
  }
}
