#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a ledger's bytes live: an append-only byte log. ``BudgetLedger`` holds the logic;
/// a store only reads, appends durably and, on an explicit repair, moves a torn tail aside.
public protocol LedgerStore: AnyObject {
  /// The name used in errors (the file path).
  var name: String { get }
  /// Every byte written so far.
  func readAll() throws -> [UInt8]
  /// Up to `count` bytes from `offset` (fewer at the end, none past it).
  func read(offset: Int, count: Int) throws -> [UInt8]
  /// Appends `bytes`; on return they are durable (fsync for files).
  func append(_ bytes: [UInt8]) throws
  /// Moves the bytes from `offset` to the end into the torn-tail side store and truncates.
  func moveTail(from offset: Int) throws
}

extension LedgerStore {
  /// A slice of ``readAll()``, for stores that cannot read part of themselves.
  public func read(offset: Int, count: Int) throws -> [UInt8] {
    let all = try readAll()
    return Array(all[min(offset, all.count)..<min(all.count, offset + count)])
  }
}

/// The lines of a store read in chunks, so that reading a long log through never holds all
/// of it.
struct LedgerLines {
  /// One line: where it starts in the store, its bytes without the newline, and whether a
  /// newline ended it (only the last line may lack one).
  struct Line {
    var offset: Int
    var bytes: ArraySlice<UInt8>
    var terminated: Bool
  }

  let store: any LedgerStore
  /// Bytes read and not yet returned start at `buffer[start]`; `buffer[0]` is at `base`.
  private var buffer: [UInt8] = []
  private var start = 0
  private var base = 0
  private var atEnd = false

  init(store: any LedgerStore) { self.store = store }

  /// The next line, or nil after the last.
  mutating func next() throws -> Line? {
    var searched = start
    while true {
      if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
        defer { start = newline + 1 }
        return Line(offset: base + start, bytes: buffer[start..<newline], terminated: true)
      }
      if atEnd {
        guard start < buffer.count else { return nil }
        defer { start = buffer.count }
        return Line(offset: base + start, bytes: buffer[start...], terminated: false)
      }
      buffer.removeSubrange(..<start)
      base += start
      start = 0
      searched = buffer.count
      let more = try store.read(offset: base + buffer.count, count: 1 << 16)
      if more.isEmpty { atEnd = true } else { buffer += more }
    }
  }
}

// MARK: - In memory

/// A ledger store in memory, for tests and embedding; the same logic as the file store.
public final class MemoryLedgerStore: LedgerStore {
  /// The log bytes (tests may edit them to simulate tampering or a crash).
  public var contents: [UInt8]
  /// Tails moved aside by repairs, oldest first.
  public private(set) var tornTails: [[UInt8]] = []
  /// The name used in errors.
  public let name: String

  /// An empty (or pre-filled) store.
  public init(name: String = "memory-ledger", contents: [UInt8] = []) {
    self.name = name
    self.contents = contents
  }

  /// The bytes.
  public func readAll() throws -> [UInt8] { contents }

  /// A slice of the bytes.
  public func read(offset: Int, count: Int) throws -> [UInt8] {
    Array(contents[min(offset, contents.count)..<min(contents.count, offset + count)])
  }

  /// Appends in memory.
  public func append(_ bytes: [UInt8]) throws { contents += bytes }

  /// Moves the tail into ``tornTails``.
  public func moveTail(from offset: Int) throws {
    tornTails.append(Array(contents[offset...]))
    contents.removeSubrange(offset...)
  }
}

// MARK: - On disk

/// A ledger file opened with an exclusive `flock` for the store's lifetime, written with
/// `write` + `fsync` (and the directory fsynced when the file is created).
public final class FileLedgerStore: LedgerStore {
  /// The file path.
  public let name: String
  private let fd: Int32

  /// Opens (creating with mode 0600 if needed) and locks `path`; throws
  /// ``LedgerError/busy(file:)`` when another process holds the lock.
  public init(path: String) throws {
    name = path
    let existed = access(path, F_OK) == 0
    let descriptor = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw LedgerError.io(file: path, operation: "open", errno: errno)
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let code = errno
      close(descriptor)
      if code == EWOULDBLOCK { throw LedgerError.busy(file: path) }
      throw LedgerError.io(file: path, operation: "flock", errno: code)
    }
    fd = descriptor
    if !existed {
      try Self.sync(fd, path)
      try Self.syncDirectory(of: path)
    }
  }

  deinit {
    close(fd)  // also releases the flock
  }

  /// The whole file.
  public func readAll() throws -> [UInt8] {
    var out: [UInt8] = []
    while true {
      let chunk = try read(offset: out.count, count: 1 << 16)
      if chunk.isEmpty { return out }
      out += chunk
    }
  }

  /// Up to `count` bytes from `offset` (`pread`, so appends are not disturbed).
  public func read(offset: Int, count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: max(count, 0))
    var done = 0
    while done < out.count {
      let n = out.withUnsafeMutableBytes {
        pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done))
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw LedgerError.io(file: name, operation: "read", errno: errno)
      }
      if n == 0 { break }
      done += n
    }
    out.removeSubrange(done...)
    return out
  }

  /// `write` until every byte is out, then `fsync`.
  public func append(_ bytes: [UInt8]) throws {
    if let hook = Self.faultHook, let torn = hook.tear(name, bytes) {
      try Self.writeAll(fd, Array(bytes.prefix(torn)), name)
      try Self.sync(fd, name)
      hook.torn()
    }
    try Self.writeAll(fd, bytes, name)
    try Self.sync(fd, name)
    Self.faultHook?.durable(name, bytes)
  }

  /// Test-only fault injection: the `mpc` of a debug build sets it from `MPC_TEST_KILL_AT`
  /// (the process-level kill tests); nil otherwise, and never set in a release build.
  /// Set once at start-up, before any ledger is opened.
  nonisolated(unsafe) package static var faultHook: LedgerFaultHook?

  /// Appends the tail to `<file>.torn` (fsynced), then truncates and fsyncs the ledger.
  public func moveTail(from offset: Int) throws {
    let all = try readAll()
    let tornPath = name + ".torn"
    let side = open(tornPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard side >= 0 else {
      throw LedgerError.io(file: tornPath, operation: "open", errno: errno)
    }
    defer { close(side) }
    try Self.writeAll(side, Array(all[offset...]), tornPath)
    try Self.sync(side, tornPath)
    guard ftruncate(fd, off_t(offset)) == 0 else {
      throw LedgerError.io(file: name, operation: "ftruncate", errno: errno)
    }
    try Self.sync(fd, name)
    try Self.syncDirectory(of: name)
  }

  /// Creates `path` (mode 0600, refusing an existing file) with `bytes`, fsynced with its
  /// directory.
  static func writeNew(path: String, bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw LedgerError.io(file: path, operation: "create", errno: errno) }
    defer { close(fd) }
    try writeAll(fd, bytes, path)
    try sync(fd, path)
    try syncDirectory(of: path)
  }

  private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ name: String) throws {
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
      if n < 0 {
        if errno == EINTR { continue }
        throw LedgerError.io(file: name, operation: "write", errno: errno)
      }
      done += n
    }
  }

  private static func sync(_ fd: Int32, _ name: String) throws {
    guard fsync(fd) == 0 else {
      throw LedgerError.io(file: name, operation: "fsync", errno: errno)
    }
  }

  /// fsyncs the directory containing `path`, so a newly created entry in it is durable.
  static func syncDirectory(of path: String) throws {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[..<$0]) } ?? "."
    let dir = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dir >= 0 else {
      throw LedgerError.io(file: directory, operation: "open directory", errno: errno)
    }
    defer { close(dir) }
    guard fsync(dir) == 0 else {
      throw LedgerError.io(file: directory, operation: "fsync directory", errno: errno)
    }
  }
}

/// Where a test may stop a process in a ledger or release-log append (``FileLedgerStore/faultHook``).
package struct LedgerFaultHook: Sendable {
  /// Before an append of `bytes` to the file: how many of them to write (and fsync) as a torn
  /// write before ``torn`` runs, or nil for none.
  package var tear: @Sendable (_ file: String, _ bytes: [UInt8]) -> Int?
  /// After the torn part is durable (the test's hook kills the process here).
  package var torn: @Sendable () -> Void
  /// After the whole append is durable.
  package var durable: @Sendable (_ file: String, _ bytes: [UInt8]) -> Void

  package init(
    tear: @escaping @Sendable (String, [UInt8]) -> Int?, torn: @escaping @Sendable () -> Void,
    durable: @escaping @Sendable (String, [UInt8]) -> Void
  ) {
    self.tear = tear
    self.torn = torn
    self.durable = durable
  }
}
