/// One CSV record: the physical line where it starts, and its fields or what is wrong with it.
public struct CSVRecord: Sendable, Hashable {
  /// The 1-based physical line where the record starts.
  public var line: Int
  /// The unquoted fields (only the columns asked for are filled; others are empty).
  public var fields: [String]
  /// Why the record is malformed, or nil.
  public var problem: String?
}

/// An RFC 4180 CSV reader over bytes: fields separated by commas, records by LF or CRLF,
/// quoted fields may hold commas, line breaks and `""` (one quote). A UTF-8 byte-order mark is
/// skipped; empty lines are skipped and counted. Malformed records are returned with a
/// problem and the reader resynchronises at the next line break.
public struct CSVParser: Sendable {
  private let bytes: [UInt8]
  private var position: Int
  private var line = 1
  /// Only these column indices are turned into strings (nil: all).
  public var wanted: Set<Int>?
  /// Blank lines skipped so far.
  public private(set) var blankLines = 0

  /// A reader over `bytes`.
  public init(bytes: [UInt8]) {
    self.bytes = bytes
    position = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
  }

  private static let comma = UInt8(ascii: ",")
  private static let quote = UInt8(ascii: "\"")
  private static let cr = UInt8(ascii: "\r")
  private static let lf = UInt8(ascii: "\n")

  /// The next record, or nil at the end.
  public mutating func next() -> CSVRecord? {
    while position < bytes.count, atLineBreak() {
      blankLines += 1
      consumeLineBreak()
    }
    guard position < bytes.count else { return nil }
    let start = line
    var fields: [String] = []
    var problem: String?
    fieldLoop: while true {
      let index = fields.count
      let keep = wanted?.contains(index) ?? true
      if position < bytes.count, bytes[position] == Self.quote {
        position += 1
        var buffer: [UInt8] = []
        var closed = false
        while position < bytes.count {
          let c = bytes[position]
          if c == Self.quote {
            if position + 1 < bytes.count, bytes[position + 1] == Self.quote {
              buffer.append(Self.quote)
              position += 2
              continue
            }
            position += 1
            closed = true
            break
          }
          if c == Self.lf { line += 1 }
          buffer.append(c)
          position += 1
        }
        guard closed else {
          problem = "quoted field not closed before the end of the file"
          break fieldLoop
        }
        fields.append(keep ? String(decoding: buffer, as: UTF8.self) : "")
        if position < bytes.count, bytes[position] != Self.comma, !atLineBreak() {
          problem = "text after a closing quote"
          skipToLineEnd()
          break fieldLoop
        }
      } else {
        let fieldStart = position
        var sawQuote = false
        while position < bytes.count, bytes[position] != Self.comma, !atLineBreak() {
          if bytes[position] == Self.quote { sawQuote = true }
          position += 1
        }
        if sawQuote {
          problem = "a quote inside an unquoted field"
          skipToLineEnd()
          break fieldLoop
        }
        fields.append(
          keep ? String(decoding: bytes[fieldStart..<position], as: UTF8.self) : "")
      }
      if position < bytes.count, bytes[position] == Self.comma {
        position += 1
        continue
      }
      if position < bytes.count { consumeLineBreak() }
      break
    }
    return CSVRecord(line: start, fields: fields, problem: problem)
  }

  private func atLineBreak() -> Bool {
    let c = bytes[position]
    return c == Self.lf
      || (c == Self.cr && position + 1 < bytes.count && bytes[position + 1] == Self.lf)
  }

  private mutating func consumeLineBreak() {
    position += bytes[position] == Self.cr ? 2 : 1
    line += 1
  }

  private mutating func skipToLineEnd() {
    while position < bytes.count, !atLineBreak() { position += 1 }
    if position < bytes.count { consumeLineBreak() }
  }
}
