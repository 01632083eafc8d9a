public import Foundation
import MPCCrypto

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a site's ledger for a study cannot be opened where the identity rules say it lives
/// (`protocols/ledger.md` §1).
public enum LedgerIdentityError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The site already keeps a ledger for this study id under another study hash.
  case otherStudyVersion(studyId: String, existing: String, hash8: String)
  /// The ledger directory's identity file names another study.
  case identityMismatch(directory: String, problem: String)
  /// No ledger exists yet (reading commands never create one).
  case noLedger(studyId: String, directory: String)

  public var description: String {
    switch self {
    case .otherStudyVersion(let id, let existing, let hash8):
      return
        "this site already keeps a ledger for study id '\(id)' under another version of the "
        + "study (\(existing)); this study file hashes to \(hash8). A budget is never reset by "
        + "re-issuing a study: give a changed study a new id. To retire the old ledger on "
        + "purpose, move \(existing) out of the state directory."
    case .identityMismatch(let directory, let problem):
      return "\(directory): \(problem)"
    case .noLedger(let id, let directory):
      return "no ledger for study '\(id)' at this site yet (\(directory)): nothing was charged"
    }
  }
}

/// Where a site keeps its ledgers: a state directory (`--state-dir`, else `$MPC_STATE_DIR`,
/// else `~/.mpc`) holding `ledgers/<study id>-<first 8 hex of the study hash>/`, with an
/// identity file `study-identity.json` and one `ledger-party-<id>.jsonl` per party kept here.
/// The study file's own location and its `ledger` key play no part (`protocols/ledger.md` §1).
public struct LedgerLocation: Sendable {
  /// The state directory.
  public let stateDirectory: URL

  /// A location under `stateDirectory`.
  public init(stateDirectory: URL) { self.stateDirectory = stateDirectory }

  /// `explicit` (`--state-dir`), else `$MPC_STATE_DIR`, else `$HOME/.mpc`.
  public static func resolve(
    explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> LedgerLocation {
    if let explicit, !explicit.isEmpty {
      return LedgerLocation(stateDirectory: URL(fileURLWithPath: explicit, isDirectory: true))
    }
    if let env = environment["MPC_STATE_DIR"], !env.isEmpty {
      return LedgerLocation(stateDirectory: URL(fileURLWithPath: env, isDirectory: true))
    }
    let home =
      environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? FileManager.default.homeDirectoryForCurrentUser.path
    return LedgerLocation(
      stateDirectory: URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".mpc"))
  }

  /// `<state>/ledgers`.
  public var ledgersDirectory: URL { stateDirectory.appendingPathComponent("ledgers") }

  /// `<study id>-<hash8>`.
  public static func directoryName(for study: StudyManifest) -> String {
    "\(study.id)-\(Hex.encode(BudgetLedger.studyHash(study).prefix(4)))"
  }

  /// The study's ledger directory.
  public func directory(for study: StudyManifest) -> URL {
    ledgersDirectory.appendingPathComponent(Self.directoryName(for: study), isDirectory: true)
  }

  /// The identity file's name.
  public static let identityFileName = "study-identity.json"

  /// A ledger and whether this call created its file (the study's first query here).
  public struct Opened {
    /// The verified, locked ledger.
    public var ledger: BudgetLedger
    /// True when the party's ledger file did not exist before.
    public var created: Bool
    /// Its directory.
    public var directory: URL
  }

  /// Opens party `partyId`'s ledger for `study`, enforcing one ledger per study id at this
  /// site; creates it (and says so in ``Opened/created``) only when `create` is true.
  public func open(study: StudyManifest, partyId: Int, create: Bool) throws -> Opened {
    let directory = try checkIdentity(study: study, create: create)
    let file = directory.appendingPathComponent(BudgetLedger.fileName(partyId: partyId)).path
    let existed = FileManager.default.fileExists(atPath: file)
    if !existed && !create {
      throw LedgerIdentityError.noLedger(studyId: study.id, directory: directory.path)
    }
    let ledger = try BudgetLedger.open(directory: directory, partyId: partyId, study: study)
    return Opened(ledger: ledger, created: !existed, directory: directory)
  }

  /// The study's ledger directory after checking that no other version of the study id has
  /// one here, and that its identity file matches; created with the identity file if `create`.
  public func checkIdentity(study: StudyManifest, create: Bool) throws -> URL {
    let ours = Self.directoryName(for: study)
    let fm = FileManager.default
    let names = (try? fm.contentsOfDirectory(atPath: ledgersDirectory.path)) ?? []
    for name in names.sorted() where name != ours && Self.studyId(ofDirectory: name) == study.id {
      throw LedgerIdentityError.otherStudyVersion(
        studyId: study.id, existing: ledgersDirectory.appendingPathComponent(name).path,
        hash8: String(ours.suffix(8)))
    }
    let directory = self.directory(for: study)
    let identityPath = directory.appendingPathComponent(Self.identityFileName).path
    let expected = Self.identity(study)
    if let data = fm.contents(atPath: identityPath) {
      guard data == expected else {
        throw LedgerIdentityError.identityMismatch(
          directory: directory.path,
          problem:
            "\(Self.identityFileName) does not name this study (id '\(study.id)', hash "
            + "\(Hex.encode(BudgetLedger.studyHash(study)))); the directory was edited or its "
            + "8-hex prefix collides")
      }
      return directory
    }
    guard create else {
      throw LedgerIdentityError.noLedger(studyId: study.id, directory: directory.path)
    }
    do {
      try fm.createDirectory(
        at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw LedgerError.io(file: directory.path, operation: "create directory", errno: 0)
    }
    // Written aside and renamed, so a concurrent party of this site never reads half a file.
    let temporary = identityPath + ".\(getpid()).tmp"
    guard
      fm.createFile(atPath: temporary, contents: expected, attributes: [.posixPermissions: 0o600])
    else {
      throw LedgerError.io(file: temporary, operation: "create", errno: errno)
    }
    guard rename(temporary, identityPath) == 0 else {
      throw LedgerError.io(file: identityPath, operation: "rename", errno: errno)
    }
    try FileLedgerStore.syncDirectory(of: identityPath)
    try FileLedgerStore.syncDirectory(of: directory.path)
    return directory
  }

  /// The study id a ledger directory name belongs to (`<id>-<8 hex>`), or nil.
  static func studyId(ofDirectory name: String) -> String? {
    guard name.count > 9 else { return nil }
    let hex = name.suffix(8)
    guard name.dropLast(8).last == "-", hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase })
    else { return nil }
    return String(name.dropLast(9))
  }

  /// The identity file's bytes: the study id and full study hash, one JSON line.
  static func identity(_ study: StudyManifest) -> Data {
    let id = String(decoding: (try? JSONEncoder().encode(study.id)) ?? Data(), as: UTF8.self)
    return Data(
      "{\"study_hash\":\"\(Hex.encode(BudgetLedger.studyHash(study)))\",\"study_id\":\(id)}\n".utf8)
  }
}
