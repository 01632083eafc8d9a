import ArgumentParser
import Foundation
import Logging

/// `--log-level` and `--log-file` of `mpc run` and `mpc doctor`: structured lines, one per event,
/// to the file (appended) or to standard error. Without either option nothing is logged (an
/// error reaches the operator once, as the command's `error:` message); `--log-file` alone logs
/// at `warning` and above to the file; `--log-level` alone logs to standard error. A line names the study, party, query, session
/// and step it belongs to; it never carries a key, mask, share, noise value or data value (only
/// identifiers, counts of rows, sizes, durations and the released result's identifiers).
struct LogOptions: ParsableArguments {
  /// The levels an operator chooses from (swift-log's, less `notice` and `critical`).
  enum Level: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, warning, error

    var logger: Logger.Level {
      switch self {
      case .trace: .trace
      case .debug: .debug
      case .info: .info
      case .warning: .warning
      case .error: .error
      }
    }
  }

  @Option(
    name: .customLong("log-level"),
    help: ArgumentHelp(
      "Log events at this level and above: trace, debug, info, warning or error (default: no "
        + "log; warning with --log-file).", valueName: "LEVEL"))
  var logLevel: Level?

  @Option(
    name: .customLong("log-file"),
    help: ArgumentHelp(
      "Append the log to FILE (default: standard error).", valueName: "FILE"))
  var logFile: String?

  /// The level events are logged at, or nil when neither option was given (no log at all).
  var effectiveLevel: Level? { logLevel ?? (logFile == nil ? nil : .warning) }

  /// The logger of `command`, writing to ``logFile`` or standard error, or discarding every
  /// event when neither `--log-level` nor `--log-file` was given.
  func logger(command: String) throws -> Logger {
    guard let level = effectiveLevel else {
      return Logger(label: "mpc.\(command)") { _ in SwiftLogNoOpLogHandler() }
    }
    let sink: LogSink
    if let logFile {
      sink = try LogSink(path: logFile)
    } else {
      sink = LogSink(handle: .standardError)
    }
    var logger = Logger(label: "mpc.\(command)") { _ in StructuredLogHandler(sink: sink) }
    logger.logLevel = level.logger
    return logger
  }
}

/// Where log lines go: a file opened for appending, or standard error; one line per write.
final class LogSink: @unchecked Sendable {
  private let handle: FileHandle
  private let lock = NSLock()

  init(handle: FileHandle) { self.handle = handle }

  init(path: String) throws {
    if !FileManager.default.fileExists(atPath: path) {
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw CommandFailure(
          description: "--log-file \(path): cannot create it (does its directory exist and "
            + "may this user write there?)", status: .usage)
      }
    }
    guard let handle = FileHandle(forWritingAtPath: path) else {
      throw CommandFailure(
        description: "--log-file \(path): cannot open it for writing", status: .usage)
    }
    handle.seekToEndOfFile()
    self.handle = handle
  }

  func write(_ line: String) {
    lock.lock()
    defer { lock.unlock() }
    handle.write(Data((line + "\n").utf8))
  }
}

/// One line per event: `time level step=… study=… party=… query=… session=… msg="…" key=…`,
/// the five context keys first (those set), then the other metadata sorted by key.
struct StructuredLogHandler: LogHandler {
  let sink: LogSink
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .warning

  /// The keys every line leads with, in this order.
  static let contextKeys = ["study", "party", "query", "session", "step"]

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    sink.write(
      Self.line(
        time: Date(), level: event.level, message: event.message.description,
        metadata: metadata.merging(event.metadata ?? [:]) { _, new in new }))
  }

  /// The text of one event (exposed for tests).
  static func line(
    time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata
  ) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var fields = [formatter.string(from: time), level.rawValue]
    for key in contextKeys {
      if let value = metadata[key] { fields.append("\(key)=\(quoted(value.description))") }
    }
    fields.append("msg=\(quoted(message))")
    for key in metadata.keys.sorted() where !contextKeys.contains(key) {
      fields.append("\(key)=\(quoted(metadata[key]!.description))")
    }
    return fields.joined(separator: " ")
  }

  /// `text` as is when it is one word, else in double quotes with `"`, `\` and newlines escaped.
  static func quoted(_ text: String) -> String {
    let plain =
      !text.isEmpty
      && !text.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline || $0 == "\\" }
    if plain { return text }
    let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
      .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    return "\"\(escaped)\""
  }
}
