import MPCBigInt
import MPCProtocol
import Testing

extension ReadmeExampleTests {
  /// Every party released the same count, near the true one, and was charged 1/20 of 1.
  static func check(_ results: [QueryResult], trueCount: Int) {
    #expect(results.count == 3)
    let count = results[0].components[0].values[0]
    #expect(results.allSatisfy { $0.components[0].values[0] == count })
    #expect(count.lower <= BigInt(trueCount) + (count.upper - count.value) * 2)
    #expect(results.allSatisfy { $0.remaining == Rational(19, 20) })
  }
}
