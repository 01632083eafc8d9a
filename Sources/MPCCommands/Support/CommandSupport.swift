import ArgumentParser
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A runtime failure the user must see: printed to standard error, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
  var description: String
}

/// Shared output and error handling of the commands.
enum Console {
  /// Writes a line to standard error.
  static func error(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// Whether standard error is a terminal (progress lines are shown only then).
  static var stderrIsTerminal: Bool { isatty(2) != 0 }

  /// Pretty, key-sorted JSON of an encodable value.
  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  /// Pretty, key-sorted JSON of a JSON object built from dictionaries and arrays.
  /// A number JSON cannot hold (±∞, NaN, e.g. a δ bound of e^1000 as a Double) is written as a
  /// string ("inf"), so a result is never lost to its formatting.
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

  /// Runs `body`, turning any library error into a one-line message and exit status 1.
  static func runtime<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as CommandFailure {
      throw error
    } catch let error as ExitCode {
      throw error
    } catch let error as ValidationError {
      throw error
    } catch {
      throw CommandFailure(description: "\(what): \(error)")
    }
  }
}

extension CommandFailure {
  /// Prints the failure and exits with status 1 (used by every command's `run`).
  static func report(_ error: any Error) -> ExitCode {
    Console.error("error: \(error)")
    return ExitCode(1)
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
        throw CommandFailure(description: "\(url.path) already exists; refusing to overwrite it")
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
