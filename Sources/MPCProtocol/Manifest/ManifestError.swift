/// Errors reading a study or query manifest: the file and the JSON path of the field.
public enum ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A study or query manifest is invalid: `field` is the JSON path (`parties[1].public_key`).
  case invalidManifest(file: String, field: String, problem: String)
  /// A file could not be read at all.
  case unreadableFile(file: String, problem: String)
  /// A file is not JSON: the 1-based line and column where it stops being JSON.
  case invalidJSON(file: String, line: Int, column: Int, problem: String)

  public var description: String {
    switch self {
    case .invalidManifest(let file, let field, let problem):
      return "\(file): field \(field.isEmpty ? "(top level)" : "'\(field)'"): \(problem)"
    case .unreadableFile(let file, let problem):
      return "\(file): cannot read: \(problem)"
    case .invalidJSON(let file, let line, let column, let problem):
      return "\(file):\(line):\(column): not valid JSON: \(problem)"
    }
  }
}
