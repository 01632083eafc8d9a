package import Foundation

#if canImport(Glibc)
  import Glibc
#endif

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

  /// Starts one `mpc` per argument list at once, then waits for all (the parties of a study
  /// must run concurrently; blocking tasks on the cooperative pool would serialise them).
  package static func runAll(_ argumentLists: [[String]]) async throws -> [Result] {
    try await runAll(argumentLists, environments: argumentLists.map { _ in [:] })
  }

  /// ``runAll(_:)`` with each process's own extra environment.
  package static func runAll(_ argumentLists: [[String]], environments: [[String: String]])
    async throws -> [Result]
  {
    try await offPool {
      let started = try zip(argumentLists, environments).map {
        try start($0, environment: $1, currentDirectory: nil)
      }
      return started.map { finish($0) }
    }
  }

  /// Runs blocking work on a Dispatch thread, so waiting for a child process never occupies
  /// one of Swift concurrency's few cooperative threads (that would starve other tests' async
  /// network code into timeouts on a 2-core machine).
  static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(with: Swift.Result { try work() })
      }
    }
  }

  /// Runs `mpc` with `arguments` and waits for it (stdin is empty).
  package static func run(
    _ arguments: [String], environment: [String: String] = [:], currentDirectory: URL? = nil
  ) async throws -> Result {
    try await offPool {
      finish(try start(arguments, environment: environment, currentDirectory: currentDirectory))
    }
  }

  /// Runs another executable (a browser, python3) the same way, off the cooperative pool.
  package static func runExecutable(_ path: String, _ arguments: [String]) async throws -> Result {
    try await offPool {
      finish(
        try start(
          arguments, environment: [:], currentDirectory: nil,
          executable: URL(fileURLWithPath: path)))
    }
  }

  struct Started {
    var process: Process
    var out: Pipe
    var err: Pipe
    var errData: ErrBox
    var group: DispatchGroup
  }

  final class ErrBox: @unchecked Sendable {
    // Invariant: written once by the reader thread before `group.leave()`, read after `wait()`.
    var data = Data()
  }

  static func start(
    _ arguments: [String], environment: [String: String], currentDirectory: URL?,
    executable: URL? = nil
  ) throws -> Started {
    let process = Process()
    process.executableURL = executable ?? binaryURL
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    // Ledgers follow a per-site state directory (protocols/ledger.md §1); tests never touch
    // the runner's ~/.mpc: unless a test says otherwise, state lives next to the study file.
    if env["MPC_STATE_DIR"] == nil, environment["MPC_STATE_DIR"] == nil,
      let i = arguments.firstIndex(of: "--study"), i + 1 < arguments.count
    {
      env["MPC_STATE_DIR"] =
        URL(fileURLWithPath: arguments[i + 1]).deletingLastPathComponent()
        .appendingPathComponent("state").path
    }
    env.merge(environment) { _, new in new }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read stderr on another thread so neither pipe fills up and blocks the child.
    let box = ErrBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      box.data = readToEnd(err.fileHandleForReading)
      group.leave()
    }
    return Started(process: process, out: out, err: err, errData: box, group: group)
  }

  static func finish(_ s: Started) -> Result {
    let outData = readToEnd(s.out.fileHandleForReading)
    s.group.wait()
    s.process.waitUntilExit()
    return Result(
      status: s.process.terminationStatus,
      stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: s.errData.data, as: UTF8.self))
  }

  /// Everything `handle` yields until end of file. Foundation's `readDataToEndOfFile` traps
  /// (`try!`) when a read is interrupted by a signal (EINTR), which happens while tests send
  /// signals to child processes; this loop retries instead.
  package static func readToEnd(_ handle: FileHandle) -> Data {
    let fd = handle.fileDescriptor
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        data.append(contentsOf: buffer[0..<n])
      } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
        return data
      }
    }
  }
}
