import Foundation
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// The bench's check: the opened value is the exact sum of the inputs plus every party's noise,
/// replayed from its seed with the run's samplers (`protocols/query.md` §4).
enum BenchCheck {
  /// Elements per chunk of the runner (``PartySetup``'s default); the replay draws in the same
  /// order.
  static let chunkElements = 1 << 16

  static func verify(
    setup: BenchSetup, query: QueryManifest, seeds: [String], valuesFiles: [URL]
  ) throws -> (passed: Bool, detail: String) {
    let runPlan = try RunPlan(study: setup.study, query: query)
    let m = runPlan.plan.dimension
    var expected = [Int64](repeating: 0, count: m)
    for (i, seed) in seeds.enumerated() {
      for j in 0..<m { expected[j] += BenchSetup.inputValue(party: i, coordinate: j) }
      var prg = try ChaCha20PRG(seedHex: seed)
      var buffer = [Int64](repeating: 0, count: min(chunkElements, m))
      var start = 0
      while start < m {
        let end = min(m, start + chunkElements)
        buffer.withUnsafeMutableBufferPointer { buf in
          runPlan.fillNoise(
            UnsafeMutableBufferPointer(rebasing: buf[0..<(end - start)]), from: start, using: &prg)
        }
        for j in start..<end { expected[j] += buffer[j - start] }
        start = end
      }
    }
    for (i, url) in valuesFiles.enumerated() {
      let bytes = [UInt8](try Data(contentsOf: url))
      var j = 0
      var lineStart = 0
      for (k, byte) in bytes.enumerated() where byte == 0x0A {
        let line = bytes[lineStart..<k]
        lineStart = k + 1
        guard !line.isEmpty else { continue }
        guard j < m, let value = Self.decimal(line), value == expected[j] else {
          return (
            false,
            "party \(i), coordinate \(j): opened \(String(decoding: line, as: UTF8.self)), "
              + "expected " + (j < m ? String(expected[j]) : "no more values")
          )
        }
        j += 1
      }
      guard j == m, lineStart == bytes.count else {
        return (false, "party \(i) opened \(j) complete lines, expected \(m)")
      }
    }
    return (true, "all \(valuesFiles.count) parties opened Σx + Ση on \(m) coordinates")
  }

  /// A signed decimal without a String per line; nil if malformed or out of range.
  static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
    var rest = digits
    let negative = rest.first == 0x2D
    if negative { rest = rest.dropFirst() }
    guard !rest.isEmpty, rest.count <= 19 else { return nil }
    var magnitude: Int64 = 0
    for d in rest {
      guard (0x30...0x39).contains(d) else { return nil }
      let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
      let (next, o2) = times.addingReportingOverflow(Int64(d - 0x30))
      guard !o1, !o2 else { return nil }
      magnitude = next
    }
    return negative ? -magnitude : magnitude
  }
}
