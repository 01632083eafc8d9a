public import ArgumentParser
import Foundation
import MPCVectors

/// `mpc verify-vectors [DIR]`: replays every known-answer vector file.
public struct VerifyVectorsCommand: AsyncParsableCommand {
  /// Name, help and discussion.
  public static let configuration = CommandConfiguration(
    commandName: "verify-vectors",
    abstract: "Replay the known-answer vectors (vectors/*.json) against this build.",
    discussion: """
      Prints one line per file and a total; exits 1 if any file is missing, empty, unknown or
      does not replay bit for bit. The layout of the files is protocols/vectors.md.
      """
  )

  /// The directory of the vector files.
  @Argument(help: "Directory of the vector files.")
  var directory: String = "vectors"

  /// Creates the command (ArgumentParser fills the arguments).
  public init() {}

  /// Replays the files and prints the report.
  public func run() async throws {
    let report = await VectorSuite.verify(directory: URL(fileURLWithPath: directory))
    print(report.lines.joined(separator: "\n"))
    print(report.totalLine)
    if !report.passed { throw ExitStatus.failure.code }
  }
}

/// `mpc vectors generate [DIR]` (hidden): rewrites the vector files from the generator.
public struct VectorsCommand: AsyncParsableCommand {
  /// Name and (hidden) subcommands.
  public static let configuration = CommandConfiguration(
    commandName: "vectors",
    abstract: "Maintain the known-answer vectors.",
    shouldDisplay: false,
    subcommands: [GenerateVectorsCommand.self]
  )

  /// Creates the command.
  public init() {}
}

/// `mpc vectors generate [DIR]`: writes every family's file; review the diff before committing.
public struct GenerateVectorsCommand: AsyncParsableCommand {
  /// Name and help.
  public static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Regenerate every vector file (for a new spec version; review the diff)."
  )

  /// The directory to write.
  @Argument(help: "Directory to write the vector files to.")
  var directory: String = "vectors"

  /// Creates the command (ArgumentParser fills the arguments).
  public init() {}

  /// Writes the files.
  public func run() async throws {
    try await VectorSuite.generate(into: URL(fileURLWithPath: directory))
    print("wrote \(VectorSuite.families.count) files to \(directory)")
  }
}
