import ArgumentParser
import Foundation
import MPCCrypto
import MPCProtocol

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
    // A study or query file that cannot be read or is invalid is bad input wherever it shows.
    case is ManifestError: return ExitStatus.usage.code
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
///
/// The bytes go to a fresh temporary file in the same directory (mode `mode` from the first
/// byte), which is synced and then linked to its name (`link(2)` refuses an existing name, so
/// "refuse to overwrite" holds even against a concurrent writer) or renamed over it when
/// `overwrite`; the directory is synced last. A crash leaves either no file or the whole file,
/// never a truncated key.
enum SafeFile {
  /// Creates `url` with `mode` and writes `bytes`; refuses an existing file unless `overwrite`.
  static func create(_ url: URL, bytes: [UInt8], mode: mode_t, overwrite: Bool = false) throws {
    let directory = url.deletingLastPathComponent().path
    if !overwrite && FileManager.default.fileExists(atPath: url.path) {
      throw exists(url)
    }
    var template = Array(
      (directory + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
      throw CommandFailure(description: "cannot create \(url.path): \(errorText(errno))")
    }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    let temporary = String(
      decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var linked = false
    defer { if !linked { unlink(temporary) } }
    do {
      defer { close(fd) }
      guard fchmod(fd, mode) == 0 else {
        throw CommandFailure(description: "cannot set the mode of \(url.path): \(errorText(errno))")
      }
      var written = 0
      while written < bytes.count {
        let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else {
          throw CommandFailure(description: "cannot write \(url.path): \(errorText(errno))")
        }
        written += n
      }
      guard fsync(fd) == 0 else {
        throw CommandFailure(description: "cannot sync \(url.path): \(errorText(errno))")
      }
    }
    if overwrite {
      guard rename(temporary, url.path) == 0 else {
        throw CommandFailure(description: "cannot write \(url.path): \(errorText(errno))")
      }
      linked = true
    } else {
      guard link(temporary, url.path) == 0 else {
        if errno == EEXIST { throw exists(url) }
        throw CommandFailure(description: "cannot create \(url.path): \(errorText(errno))")
      }
    }
    syncDirectory(directory)
  }

  private static func exists(_ url: URL) -> CommandFailure {
    CommandFailure(
      description: "\(url.path) already exists; refusing to overwrite it", status: .usage)
  }

  static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

  /// Makes a new or renamed entry of `directory` durable (best effort: not every file system
  /// allows a directory to be opened for syncing).
  static func syncDirectory(_ directory: String) {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
  }
}

/// Private key files are refused when anyone but their owner may read or write them, as ssh
/// does: the check runs on the open descriptor, so it is about the very file that is read.
enum KeyFilePermissions {
  /// Throws when `fd` (the key file `path`) is not owned by this user or is group/other
  /// accessible.
  static func check(_ fd: Int32, path: String) throws {
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw CommandFailure(
        description: "cannot read key file \(path): \(SafeFile.errorText(errno))", status: .usage)
    }
    if info.st_uid != geteuid() {
      throw CommandFailure(
        description: "key file \(path) belongs to another user (uid \(info.st_uid)); a private "
          + "key must be owned by the user who runs mpc", status: .usage)
    }
    let mode = info.st_mode & 0o777
    if mode & 0o077 != 0 {
      throw CommandFailure(
        description: "key file \(path) is readable by others (mode "
          + String(mode, radix: 8) + "); run `chmod 600 \(path)`", status: .usage)
    }
  }

  /// Reads the whole key file at `url` after checking its owner and mode.
  static func read(_ url: URL, what: String) throws -> Data {
    let fd = open(url.path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw CommandFailure(
        description: "cannot read \(what) \(url.path): \(SafeFile.errorText(errno))", status: .usage
      )
    }
    defer { close(fd) }
    try check(fd, path: url.path)
    // Reserved once at the largest size accepted, so appending never moves (and leaves behind)
    // a copy of the key; the caller wipes `data`, this function wipes `chunk`.
    var data = Data(capacity: 1 << 16)
    var chunk = [UInt8](repeating: 0, count: 4096)
    defer { chunk.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        throw CommandFailure(
          description: "cannot read \(what) \(url.path): \(SafeFile.errorText(errno))",
          status: .usage)
      }
      if n == 0 { break }
      guard data.count + n <= 1 << 16 else {
        throw CommandFailure(
          description: "\(url.path) is too large to be a key file", status: .usage)
      }
      data.append(contentsOf: chunk[0..<n])
    }
    return data
  }
}
