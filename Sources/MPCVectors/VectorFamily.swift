public import Foundation

/// Why a vector file or one of its cases could not be replayed. Cases name the file and case,
/// never secret material (vector files hold only public test data anyway).
public enum VectorError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A family's file is not in the directory.
  case missingFile(family: String, directory: String)
  /// A `.json` file that names no known family.
  case unknownFamily(file: String)
  /// A file whose `cases` array is empty.
  case noCases(file: String)
  /// A file whose header (`family`, `version`, `description`, `spec`, `cases`) is wrong.
  case malformedFile(file: String, problem: String)
  /// A case's input could not be read.
  case invalidCase(problem: String)
  /// A case whose recomputed expectation differs from the file, at `path`.
  case mismatch(file: String, caseName: String, path: String)
  /// A case that failed while being recomputed.
  case caseFailed(file: String, caseName: String, problem: String)

  /// A one-line message naming the file and case.
  public var description: String {
    switch self {
    case .missingFile(let family, let directory):
      return "\(directory): missing \(family).json"
    case .unknownFamily(let file):
      return "\(file): not a known vector family"
    case .noCases(let file):
      return "\(file): no cases"
    case .malformedFile(let file, let problem):
      return "\(file): \(problem)"
    case .invalidCase(let problem):
      return "invalid case: \(problem)"
    case .mismatch(let file, let caseName, let path):
      return "\(file): case '\(caseName)': mismatch at \(path)"
    case .caseFailed(let file, let caseName, let problem):
      return "\(file): case '\(caseName)': \(problem)"
    }
  }
}

/// One family of known-answer vectors: the case inputs the generator writes, and the one
/// function that turns an input into its expected output. Generation writes
/// `compute(input)` next to each input; replay recomputes it from the file's input and
/// compares it with the file's `expected` as ``mismatch(actual:expected:input:)`` says:
/// exactly, except for the binary64 ε (a stated tolerance), error wording and ledger JSON text.
public protocol VectorFamily: Sendable {
  /// The family name, which is also the file name without `.json`.
  var name: String { get }
  /// What the family covers (written to the file).
  var summary: String { get }
  /// The protocols/ document and section that define it.
  var spec: String { get }
  /// The generator's cases: a name and an input each.
  func cases() throws -> [(name: String, input: VectorValue)]
  /// The expected output of `input`.
  func compute(_ input: VectorValue) async throws -> VectorValue
  /// The first path at which a recomputed `actual` fails to match the file's `expected`, or
  /// nil: what a replayer compares for this family (`protocols/README.md`, "What a replayer
  /// compares"). The default compares every member exactly; families with binary64 values,
  /// implementation wording or a SHOULD-level text form override it.
  func mismatch(actual: VectorValue, expected: VectorValue, input: VectorValue) throws -> String?
}

/// The spec version the vectors belong to.
public let vectorSpecVersion: Int64 = 1

extension VectorFamily {
  public func mismatch(actual: VectorValue, expected: VectorValue, input: VectorValue) throws
    -> String?
  {
    actual.firstDifference(from: expected)
  }

  /// The file name, `<name>.json`.
  public var fileName: String { "\(name).json" }

  /// Generates the whole file.
  public func generate() async throws -> VectorValue {
    var list: [VectorValue] = []
    for c in try cases() {
      let expected: VectorValue
      do {
        expected = try await compute(c.input)
      } catch {
        throw VectorError.caseFailed(
          file: fileName, caseName: c.name, problem: String(describing: error))
      }
      list.append(.object(["name": .string(c.name), "input": c.input, "expected": expected]))
    }
    return .object([
      "family": .string(name), "version": .int(vectorSpecVersion),
      "description": .string(summary), "spec": .string(spec), "cases": .array(list),
    ])
  }

  /// Replays a parsed file; returns the number of cases, throws on the first failure.
  public func verify(_ file: VectorValue) async throws -> Int {
    func header(_ key: String) throws -> VectorValue {
      guard let value = file.optional(key) else {
        throw VectorError.malformedFile(file: fileName, problem: "missing '\(key)'")
      }
      return value
    }
    guard try header("family") == .string(name) else {
      throw VectorError.malformedFile(file: fileName, problem: "'family' is not \"\(name)\"")
    }
    guard try header("version") == .int(vectorSpecVersion) else {
      throw VectorError.malformedFile(
        file: fileName, problem: "'version' is not \(vectorSpecVersion)")
    }
    for key in ["description", "spec"] {
      guard case .string(let text) = try header(key), !text.isEmpty else {
        throw VectorError.malformedFile(
          file: fileName, problem: "'\(key)' must be a non-empty string")
      }
    }
    guard case .array(let list) = try header("cases") else {
      throw VectorError.malformedFile(file: fileName, problem: "'cases' must be an array")
    }
    guard !list.isEmpty else { throw VectorError.noCases(file: fileName) }
    for (index, item) in list.enumerated() {
      let caseName = (try? item["name"].string()) ?? "#\(index)"
      let input: VectorValue
      let expected: VectorValue
      do {
        input = try item["input"]
        expected = try item["expected"]
      } catch {
        throw VectorError.caseFailed(
          file: fileName, caseName: caseName, problem: String(describing: error))
      }
      let actual: VectorValue
      do {
        actual = try await compute(input)
      } catch {
        throw VectorError.caseFailed(
          file: fileName, caseName: caseName, problem: String(describing: error))
      }
      let difference: String?
      do {
        difference = try mismatch(actual: actual, expected: expected, input: input)
      } catch {
        throw VectorError.caseFailed(
          file: fileName, caseName: caseName, problem: String(describing: error))
      }
      if let path = difference {
        throw VectorError.mismatch(file: fileName, caseName: caseName, path: path)
      }
    }
    return list.count
  }
}

// MARK: - The whole set

/// Every family, in the order `mpc verify-vectors` reports them, and directory-level
/// generation and replay.
public enum VectorSuite {
  /// All families.
  public static let families: [any VectorFamily] =
    [
      FieldFamily(), PRGFamily(), FieldSamplingFamily(), KDFFamily(), MasksFamily(),
      SharingFamily(),
    ] + NoiseFamily.all + [
      CalibrationFamily(), AccountingFamily(), FieldAutoFamily(), ManifestHashFamily(),
      MessagesFamily(), LedgerFamily(), ChannelFamily(), PrefaceFamily(), TranscriptsFamily(),
      NegativeFamily(), GovernanceFamily(),
    ] + [SynthFamily()]

  /// The family named `name`.
  public static func family(named name: String) -> (any VectorFamily)? {
    families.first { $0.name == name }
  }

  /// Writes every family's file into `directory` (created if missing).
  public static func generate(into directory: URL) async throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for family in families {
      let text = try await family.generate().jsonText
      try Data(text.utf8).write(to: directory.appendingPathComponent(family.fileName))
    }
  }

  /// Reads and parses one family's file; throws if it is missing.
  public static func load(_ family: any VectorFamily, from directory: URL) throws -> VectorValue {
    let url = directory.appendingPathComponent(family.fileName)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VectorError.missingFile(family: family.name, directory: directory.path)
    }
    do {
      return try VectorValue(json: try Data(contentsOf: url))
    } catch {
      throw VectorError.malformedFile(file: family.fileName, problem: String(describing: error))
    }
  }

  /// `.json` files in `directory` that name no family.
  public static func unknownFiles(in directory: URL) throws -> [String] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    let known = Set(families.map(\.fileName))
    return names.filter { $0.hasSuffix(".json") && !known.contains($0) }.sorted()
  }
}

// MARK: - Replaying a directory

/// The outcome of replaying a directory: one line per file, a total line, and whether all
/// passed. `mpc verify-vectors` prints it; the test suite checks it.
public struct VectorReport: Sendable {
  /// `ok  field.json  42 cases` or `FAIL  field.json  <reason>`, in family order, then one
  /// `FAIL` line per unknown file.
  public var lines: [String] = []
  /// Files replayed without a failure.
  public var passedFiles = 0
  /// Cases replayed in passing files.
  public var cases = 0
  /// Failures (missing, unknown, empty or mismatching files).
  public var failures: [VectorError] = []

  /// Whether every family file is present, known, non-empty and replays.
  public var passed: Bool { failures.isEmpty }

  /// `12 files, 480 cases: all passed` or `… 2 failed`.
  public var totalLine: String {
    let summary = passed ? "all passed" : "\(failures.count) failed"
    return "\(passedFiles) files, \(cases) cases: \(summary)"
  }
}

extension VectorSuite {
  /// Replays every family's file in `directory` and flags unknown `.json` files.
  public static func verify(directory: URL) async -> VectorReport {
    var report = VectorReport()
    for family in families {
      do {
        let count = try await family.verify(try load(family, from: directory))
        report.lines.append("ok  \(family.fileName)  \(count) cases")
        report.passedFiles += 1
        report.cases += count
      } catch {
        let failure =
          error as? VectorError
          ?? .caseFailed(file: family.fileName, caseName: "?", problem: "\(error)")
        report.lines.append("FAIL  \(family.fileName)  \(failure)")
        report.failures.append(failure)
      }
    }
    do {
      for file in try unknownFiles(in: directory) {
        report.lines.append("FAIL  \(file)  not a known vector family")
        report.failures.append(.unknownFamily(file: file))
      }
    } catch {
      let failure = VectorError.malformedFile(file: directory.path, problem: "\(error)")
      report.lines.append("FAIL  \(directory.path)  cannot list the directory")
      report.failures.append(failure)
    }
    return report
  }
}
