import ArgumentParser
import Foundation
import MPCBigInt
import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// The format of `mpc run --out FILE` (`--format`).
enum ResultFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// One line per released value: `component,label,value,raw,lower,upper`.
  case csv
  /// The whole `mpc.run/2` document, values included.
  case json
  /// The released values alone, 8 bytes each, little-endian two's complement, in order.
  case int64
}

// MARK: - Appending bytes and integers

/// A byte buffer that is flushed to a file handle whenever it passes ``flushBytes``: the
/// streaming writers' only buffer, so memory stays bounded whatever the vector length.
struct ByteSpool {
  static let flushBytes = 1 << 18
  /// Where the bytes go; nil keeps them all in ``bytes`` (a small document in memory).
  let handle: FileHandle?
  var bytes: [UInt8] = []

  init(_ handle: FileHandle?) {
    self.handle = handle
    if handle != nil { bytes.reserveCapacity(Self.flushBytes + 64) }
  }

  mutating func append(_ text: String) {
    bytes.append(contentsOf: text.utf8)
    if bytes.count >= Self.flushBytes { flush() }
  }

  /// Appends the decimal digits of `v`, without a `String` per value.
  mutating func append(_ v: Int64) {
    if v < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = v.magnitude
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var count = 0
      repeat {
        digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
        count += 1
      } while magnitude > 0
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
    }
    if bytes.count >= Self.flushBytes { flush() }
  }

  mutating func appendRaw(_ v: Int64) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    if bytes.count >= Self.flushBytes { flush() }
  }

  mutating func flush() {
    guard !bytes.isEmpty, let handle else { return }
    handle.write(Data(bytes))
    bytes.removeAll(keepingCapacity: true)
  }
}

// MARK: - --out FILE

/// `--out FILE`: the released values, written to `FILE.partial` while they are opened and
/// renamed to FILE only when the run succeeded, so FILE is never half-written.
///
/// A vector-sum streams: the runner hands every opened chunk to ``sink`` and keeps nothing
/// (memory bounded by the chunks in flight). Other kinds (a few values) are written from the
/// result at the end. In `json` format the streamed values are spooled as int64 to a second
/// partial file and copied into the document at the end.
final class ResultFile: @unchecked Sendable {
  // Invariant: the mutable state is read and written under `lock` (the sink runs on the
  // runner's opening task, `finish`/`abandon` on the command's), except `halfWidth`, set once
  // before the run starts.
  let url: URL
  let format: ResultFormat
  let partial: URL
  /// The spool of streamed values in `json` format.
  let spool: URL?
  fileprivate var output: ByteSpool?
  private var spooled: ByteSpool?
  private var streamedCount = 0
  fileprivate let lock = NSLock()
  fileprivate var finished = false

  /// Checks that `path` can be written (not a directory, in a writable directory), before
  /// anything is read, created or charged.
  static func check(path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      throw CommandFailure(
        description: "--out \(path) is a directory; give a file name", status: .usage)
    }
    let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard FileManager.default.isWritableFile(atPath: parent) else {
      throw CommandFailure(
        description: "--out \(path): the directory \(parent) does not exist or is not writable",
        status: .usage)
    }
  }

  /// Creates `FILE.partial` (and the spool); a usage error if it cannot, before anything runs.
  init(path: String, format: ResultFormat) throws {
    try Self.check(path: path)
    url = URL(fileURLWithPath: path)
    self.format = format
    partial = URL(fileURLWithPath: path + ".partial")
    spool = format == .json ? URL(fileURLWithPath: path + ".values.partial") : nil
    output = ByteSpool(try Self.create(partial, for: path))
    if let spool { spooled = ByteSpool(try Self.create(spool, for: path)) }
  }

  private static func create(_ url: URL, for path: String) throws -> FileHandle {
    guard FileManager.default.createFile(atPath: url.path, contents: nil),
      let handle = try? FileHandle(forWritingTo: url)
    else {
      throw CommandFailure(
        description: "--out \(path): cannot create \(url.path) (check the directory exists "
          + "and is writable)", status: .usage)
    }
    return handle
  }

  /// The runner's sink for a streamed vector-sum component `name` (no post-processing).
  func sink(component name: String) -> OpenedChunkSink {
    { [self] start, values in
      lock.lock()
      defer { lock.unlock() }
      if start == 0, format == .csv { output?.append("component,label,value,raw,lower,upper\n") }
      guard case .small(let small) = values else {
        // Only csv is allowed for bounds this wide (checked before the run): decimal text.
        guard format == .csv else {
          throw CommandFailure(
            description: "--out: an opened value at coordinate \(start) needs more than 64 bits")
        }
        for k in 0..<values.count {
          let v = values[k]
          output?.append("\(name),\(start + k),\(v),\(v),\(v - BigInt(Int(halfWidth))),")
          output?.append("\(v + BigInt(Int(halfWidth)))\n")
        }
        streamedCount += values.count
        return
      }
      switch format {
      case .int64: for v in small { output?.appendRaw(v) }
      case .json: for v in small { spooled?.appendRaw(v) }
      case .csv:
        for (k, v) in small.enumerated() {
          output?.append(name)
          output?.append(",")
          output?.append(Int64(start + k))
          output?.append(",")
          output?.append(v)
          output?.append(",")
          output?.append(v)
          output?.append(",")
          output?.append(v &- halfWidth)
          output?.append(",")
          output?.append(v &+ halfWidth)
          output?.append("\n")
        }
      }
      if firstValues.count < ResultFormatter.shownRows {
        firstValues += small.prefix(ResultFormatter.shownRows - firstValues.count)
      }
      streamedCount += small.count
    }
  }

  /// The first values streamed (for the table's first rows).
  var head: [Int64] { lock.withLock { firstValues } }
  private var firstValues: [Int64] = []

  /// The interval half-width of the streamed component (set before the run).
  var halfWidth: Int64 = 0

  /// Finishes FILE from the result and renames it into place; `document` writes the JSON
  /// document (values read back from the spool).
  func finish(
    _ result: QueryResult, document: (inout ByteSpool, ResultFile) throws -> Void
  ) throws {
    lock.lock()
    defer { lock.unlock() }
    guard var out = output else { return }
    switch format {
    case .int64:
      for c in result.components where !(streamedCount > 0 && c.labels == nil) {
        for i in 0..<c.raw.count {
          let v = c.value(at: i).value
          guard let small = Int(exactly: v).map(Int64.init) else {
            throw CommandFailure(
              description: "--format int64: \(c.name) value \(i) needs more than 64 bits; use "
                + "--format csv or json")
          }
          out.appendRaw(small)
        }
      }
    case .csv:
      if streamedCount == 0 { out.append("component,label,value,raw,lower,upper\n") }
      for c in result.components where !(streamedCount > 0 && c.labels == nil) {
        for i in 0..<c.raw.count {
          let v = c.value(at: i)
          out.append("\(Self.csvField(c.name)),\(Self.csvField(v.label)),\(v.value),\(v.raw),")
          out.append("\(v.lower),\(v.upper)\n")
        }
      }
    case .json:
      spooled?.flush()
      try spooled?.handle?.close()
      spooled = nil
      try document(&out, self)
    }
    out.flush()
    try out.handle?.synchronize()
    try out.handle?.close()
    output = nil
    if let spool { try? FileManager.default.removeItem(at: spool) }
    // rename(2): atomic, and replaces an older FILE.
    guard rename(partial.path, url.path) == 0 else {
      throw CommandFailure(
        description: "--out: cannot rename \(partial.path) to \(url.path): "
          + String(cString: strerror(errno)))
    }
    finished = true
  }

  /// Reads the spooled values back in chunks, calling `body` per chunk.
  func readSpool(_ body: ([Int64]) throws -> Void) throws {
    guard let spool else { return }
    let handle = try FileHandle(forReadingFrom: spool)
    defer { try? handle.close() }
    while let data = try handle.read(upToCount: 1 << 16), !data.isEmpty {
      let values = data.withUnsafeBytes { raw in
        (0..<(data.count / 8)).map {
          Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))
        }
      }
      try body(values)
    }
  }

  /// Removes the partial files (the run failed: nothing half-written is left); nothing once
  /// ``finish(_:document:)`` put FILE in place.
  func abandon() {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    try? output?.handle?.close()
    try? spooled?.handle?.close()
    output = nil
    spooled = nil
    try? FileManager.default.removeItem(at: partial)
    if let spool { try? FileManager.default.removeItem(at: spool) }
  }

  /// `--out` of a replayed release (ledger.md §6): the stored document written in the layout a
  /// run writes (`json`: the document `json`; `csv` and `int64`: its values). A vector longer
  /// than the release log keeps inline has its values only in the first run's output: a usage
  /// error naming it, before FILE is touched.
  static func writeStored(
    _ document: RunOutput, json: String, path: String, format: ResultFormat
  ) throws {
    if format != .json,
      let long = document.components.first(where: {
        $0.values.isEmpty && $0.length > 0 && ($0.vector?.values.count ?? 0) != $0.length
      })
    {
      throw CommandFailure(
        description: "--out \(path): query \(document.queryID) released \(long.length) values "
          + "of \(long.name); the release log keeps a vector of at most "
          + "\(RunDocument.releaseLogVectorLimit) values, so they are only in the first run's "
          + "output\(long.valuesFile.map { " (\($0))" } ?? ""); --format json writes the stored "
          + "document", status: .usage)
    }
    let file = try ResultFile(path: path, format: format)
    do {
      try file.lock.withLock {
        guard var out = file.output else { return }
        switch format {
        case .json:
          out.append(json)
          out.append("\n")
        case .csv:
          out.append("component,label,value,raw,lower,upper\n")
          for c in document.components {
            for v in c.values {
              out.append("\(csvField(c.name)),\(csvField(v.label)),\(v.value),\(v.raw),")
              out.append("\(v.lower),\(v.upper)\n")
            }
            for (i, v) in (c.vector?.values ?? []).enumerated() {
              let (lower, upper) = (
                v.value - BigInt(Int(c.intervalHalfWidth)),
                v.value + BigInt(Int(c.intervalHalfWidth))
              )
              out.append("\(csvField(c.name)),\(i),\(v),\(v),\(lower),\(upper)\n")
            }
          }
        case .int64:
          for c in document.components {
            for v in c.values.map(\.value) + (c.vector?.values ?? []) {
              guard let small = Int(exactly: v.value).map(Int64.init) else {
                throw CommandFailure(
                  description: "--format int64: \(c.name) value \(v) needs more than 64 bits; "
                    + "use --format csv or json", status: .usage)
              }
              out.appendRaw(small)
            }
          }
        }
        out.flush()
        try out.handle?.synchronize()
        try out.handle?.close()
        file.output = nil
        guard rename(file.partial.path, file.url.path) == 0 else {
          throw CommandFailure(
            description: "--out: cannot rename \(file.partial.path) to \(file.url.path): "
              + String(cString: strerror(errno)))
        }
        file.finished = true
      }
    } catch {
      file.abandon()
      throw error
    }
  }

  /// A CSV field, quoted when it holds a comma, quote or line break.
  static func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return text
    }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
