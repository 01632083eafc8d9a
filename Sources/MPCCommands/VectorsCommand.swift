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
      Prints one line per file and a total; exits 1 if any file is missing, empty, unknown or \
      does not replay bit for bit, 64 if the directory holds none of them. The layout of \
      the files is protocols/vectors.md.
      """
  )

  /// The directory of the vector files.
  @Argument(
    help: """
      Directory of the vector files (default: ./vectors, else the vectors/ of the checkout \
      this mpc was built in).
      """)
  var directory: String?

  /// Creates the command (ArgumentParser fills the arguments).
  public init() {}

  /// `directory`, else `./vectors`, else the `vectors/` beside the build directory of this
  /// binary (`<checkout>/.build/<config>/mpc` → `<checkout>/vectors`).
  static func locate(_ directory: String?) throws -> URL {
    func holdsVectors(_ url: URL) -> Bool {
      let names = Set((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
      return VectorSuite.families.contains { names.contains($0.name + ".json") }
    }
    if let directory {
      let url = URL(fileURLWithPath: directory)
      guard holdsVectors(url) else {
        throw CommandFailure(
          description: "\(url.path) holds none of the vector files (field.json, …); pass the "
            + "vectors/ directory of a swift-mpc checkout: mpc verify-vectors PATH/vectors",
          status: .usage)
      }
      return url
    }
    var candidates = [URL(fileURLWithPath: "vectors")]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent()
    for _ in 0..<4 {
      candidates.append(dir.appendingPathComponent("vectors"))
      dir = dir.deletingLastPathComponent()
    }
    guard let found = candidates.first(where: holdsVectors) else {
      throw CommandFailure(
        description: "no vectors/ directory here or beside this mpc; pass it: "
          + "mpc verify-vectors PATH/vectors (the vectors/ of a swift-mpc checkout)",
        status: .usage)
    }
    return found
  }

  /// Replays the files and prints the report.
  public func run() async throws {
    let url: URL
    do {
      url = try Self.locate(directory)
    } catch {
      throw CommandFailure.report(error)
    }
    let report = await VectorSuite.verify(directory: url)
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
