import Foundation
import MPCBigInt
import MPCCrypto
import MPCProtocol

/// Writes an `mpc.run/2` document with a vector-sum's values streamed into it: the document is
/// encoded once with a placeholder per vector, then written piece by piece with the numbers
/// formatted straight into a bounded buffer (no object, no `String` per value).
enum RunDocument {
  /// The longest vector kept inline in the release log (the log keeps every released result; a
  /// longer vector's values are in the `--out` file or were printed once).
  static let releaseLogVectorLimit = 10_000

  /// A placeholder no label or id can equal (it carries a fresh random tag).
  static func placeholder(_ index: Int, tag: String) -> String {
    "\u{1}mpc-vector-\(tag)-\(index)"
  }

  /// Writes `output` to `spool` with the vectors of components `streamed` streamed in:
  /// `vectors(i, emit)` calls `emit` with component i's values chunk by chunk, in order.
  static func write(
    _ output: RunOutput, streamed: [Int], to spool: inout ByteSpool,
    vectors: (Int, (ReleasedComponent.RawValues) throws -> Void) throws -> Void
  ) throws {
    var document = output
    var random = SystemRandom()
    let tag = Hex.encode(random.bytes(count: 8))
    for i in streamed {
      document.components[i].vector = VectorValues(placeholder: placeholder(i, tag: tag))
    }
    var text = try OutputCoding.encode(document)
    for i in streamed {
      let marker = try OutputCoding.encodeFragment(placeholder(i, tag: tag))
      guard let range = text.range(of: marker) else { continue }
      spool.append(String(text[..<range.lowerBound]))
      text = String(text[range.upperBound...])
      spool.append("[")
      var count = 0
      func separate(_ spool: inout ByteSpool) {
        if count > 0 { spool.append(count % 16 == 0 ? ",\n" : ", ") }
        count += 1
      }
      try vectors(i) { chunk in
        switch chunk {
        case .small(let values):
          for v in values {
            separate(&spool)
            spool.append(v)
          }
        case .big(let values):
          for v in values {
            separate(&spool)
            spool.append(v.description)
          }
        }
      }
      spool.append("]")
    }
    spool.append(text)
  }
}

extension OutputCoding {
  /// The JSON text of one string, as ``encode(_:)`` writes it inside a document.
  static func encodeFragment(_ value: String) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
