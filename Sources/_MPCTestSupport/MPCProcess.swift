public import Foundation

/// Runs the built `mpc` executable, for process-level tests.
package enum MPCProcess {
  /// The output and exit status of one run.
  package struct Result: Sendable {
    /// Exit status.
    package var status: Int32
    /// Standard output as UTF-8.
    package var stdout: String
    /// Standard error as UTF-8.
    package var stderr: String
  }

  /// The `mpc` binary next to the test bundle (`.build/<config>/mpc`), or `$MPC_BINARY`.
  package static var binaryURL: URL {
    if let path = ProcessInfo.processInfo.environment["MPC_BINARY"] {
      return URL(fileURLWithPath: path)
    }
    // Tests run from .build/<triple>/<config>/; the mpc product is built there too.
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("mpc")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/mpc")
  }

  /// Runs `mpc` with `arguments` and waits for it (stdin is empty).
  package static func run(
    _ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = binaryURL
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes concurrently so neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
