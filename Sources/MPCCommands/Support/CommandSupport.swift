import ArgumentParser
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A failure the user must see: printed to standard error as one message, then the process
/// exits with `status` (``ExitStatus/failure`` unless the input was at fault).
struct CommandFailure: Error, CustomStringConvertible {
  var description: String
  var status: ExitStatus = .failure
}

/// Shared output and error handling of the commands.
enum Console {
  /// Writes a line to standard error.
  static func error(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// Whether standard error is a terminal (progress lines are shown only then).
  static var stderrIsTerminal: Bool { isatty(2) != 0 }

  /// Pretty, key-sorted JSON of a JSON object built from dictionaries and arrays.
  /// Only `mpc budget` (owned with the ledger) still builds its JSON this way; every other
  /// command writes a ``CommandOutput`` through ``OutputCoding``.
  /// A number JSON cannot hold (±∞, NaN) is written as a string ("inf").
  static func json(object: Any) throws -> String {
    let data = try JSONSerialization.data(
      withJSONObject: jsonSafe(object),
      options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  static func jsonSafe(_ value: Any) -> Any {
    switch value {
    case let x as Double where !x.isFinite: return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")
    case let dictionary as [String: Any]: return dictionary.mapValues(jsonSafe)
    case let array as [Any]: return array.map(jsonSafe)
    default: return value
    }
  }
}

extension CommandFailure {
  /// Prints `error` as one `error:` line and returns the exit code to throw: the failure's own
  /// status, ``ExitStatus/usage`` for a validation error, else ``ExitStatus/failure``.
  static func report(_ error: any Error) -> ExitCode {
    Console.error("error: \(error)")
    switch error {
    case let failure as CommandFailure: return failure.status.code
    case is ValidationError: return ExitStatus.usage.code
    default: return ExitStatus.failure.code
    }
  }

  /// Prints `error` and returns the usage exit code (bad input, nothing sent or charged).
  static func usage(_ error: any Error) -> ExitCode {
    Console.error("error: \(error)")
    return ExitStatus.usage.code
  }
}

/// Files written atomically and durably, never overwriting unless asked.
enum SafeFile {
  /// Creates `url` with `mode` and writes `bytes`; refuses an existing file unless `overwrite`.
  static func create(_ url: URL, bytes: [UInt8], mode: mode_t, overwrite: Bool = false) throws {
    var flags = O_WRONLY | O_CREAT | O_CLOEXEC
    flags |= overwrite ? O_TRUNC : O_EXCL
    let fd = open(url.path, flags, mode)
    guard fd >= 0 else {
      let code = errno
      if code == EEXIST {
        throw CommandFailure(
          description: "\(url.path) already exists; refusing to overwrite it", status: .usage)
      }
      throw CommandFailure(
        description: "cannot create \(url.path): \(String(cString: strerror(code)))")
    }
    defer { close(fd) }
    _ = fchmod(fd, mode)
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      guard n > 0 else {
        throw CommandFailure(
          description: "cannot write \(url.path): \(String(cString: strerror(errno)))")
      }
      written += n
    }
    guard fsync(fd) == 0 else {
      throw CommandFailure(
        description: "cannot sync \(url.path): \(String(cString: strerror(errno)))")
    }
  }
}
