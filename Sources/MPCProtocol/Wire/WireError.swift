/// Errors decoding or encoding a protocol message (`protocols/messages.md`): the byte offset
/// and what was expected there.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The input ended at `offset` where `expected` was still needed.
  case truncated(offset: Int, expected: String)
  /// The bytes at `offset` are not what `expected` says.
  case malformed(offset: Int, expected: String)
  /// A declared length at `offset` is over its limit; refused before allocating.
  case oversized(offset: Int, what: String, limit: Int, actual: Int)

  public var description: String {
    switch self {
    case .truncated(let offset, let expected):
      return "message truncated at byte \(offset): expected \(expected)"
    case .malformed(let offset, let expected):
      return "malformed message at byte \(offset): expected \(expected)"
    case .oversized(let offset, let what, let limit, let actual):
      return "message field at byte \(offset): \(what) of \(actual) exceeds the limit \(limit)"
    }
  }
}
