import Foundation
import MPCCrypto
import MPCPrivacy
import MPCProtocol

/// The bench's check: the opened value is the exact sum of the inputs plus every party's noise,
/// replayed from its seed with the run's samplers (`protocols/query.md` §4).
enum BenchCheck {
  /// Elements per chunk of the runner (``PartySetup``'s default); the replay draws in the same
  /// order.
  static let chunkElements = PartySetup.defaultChunkElements

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
      let bytes = try Data(contentsOf: url)
      guard bytes.count == 8 * m else {
        return (false, "party \(i) opened \(bytes.count / 8) values, expected \(m)")
      }
      let mismatch = bytes.withUnsafeBytes { raw -> Int? in
        for j in 0..<m {
          let value = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * j, as: Int64.self))
          if value != expected[j] { return j }
        }
        return nil
      }
      if let j = mismatch {
        let opened = bytes.withUnsafeBytes {
          Int64(littleEndian: $0.loadUnaligned(fromByteOffset: 8 * j, as: Int64.self))
        }
        return (false, "party \(i), coordinate \(j): opened \(opened), expected \(expected[j])")
      }
    }
    return (true, "all \(valuesFiles.count) parties opened Σx + Ση on \(m) coordinates")
  }
}
