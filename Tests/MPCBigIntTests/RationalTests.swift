import Foundation
import MPCBigInt
import Testing

@Suite struct RationalTests {
  @Test(arguments: [
    ("7/3", "7/3"), ("14/6", "7/3"), ("-4/2", "-2"), ("4/-6", "-2/3"), ("0.25", "1/4"),
    ("1e-6", "1/1000000"), ("-1.5e3", "-1500"), (".5", "1/2"), ("2.", "2"), ("0.1", "1/10"),
    ("3", "3"), ("+2.50E-1", "1/4"), ("9/4", "9/4"), ("1E2", "100"), ("0", "0"),
  ])
  func parsesExactly(text: String, canonical: String) throws {
    #expect(try Rational(parsing: text).description == canonical)
  }

  @Test(arguments: ["", "abc", "1/", "/2", "1.2.3", "1e", "1e+", "0x10", "1/0", "- 1", "1e5x"])
  func rejectsMalformed(text: String) {
    #expect(throws: BigIntError.self) { try Rational(parsing: text) }
  }

  @Test func errorNamesPosition() {
    do {
      _ = try Rational(parsing: "0.2x5")
      Issue.record("accepted 0.2x5")
    } catch let error as BigIntError {
      #expect(error.description.contains("character 4"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func arithmetic() throws {
    let a = try Rational(parsing: "1/3")
    let b = try Rational(parsing: "1/6")
    #expect(a + b == Rational(1, 2))
    #expect(a - b == Rational(1, 6))
    #expect(a * b == Rational(1, 18))
    #expect(a / b == 2)
    #expect(try (a / b).reciprocal() == Rational(1, 2))
    #expect(-a < b)
    #expect(Rational(7, 2).floor == 3 && Rational(7, 2).ceiling == 4)
    #expect(Rational(-7, 2).floor == -4 && Rational(-7, 2).ceiling == -3)
    #expect(try Rational(2, 3).power(-2) == Rational(9, 4))
    #expect(throws: BigIntError.divisionByZero) { try Rational(0).reciprocal() }
    #expect(throws: BigIntError.divisionByZero) { try Rational(1).dividing(by: 0) }
    #expect(Double(Rational(1, 4)) == 0.25)
    #expect(Rational(6, 4).numerator == 3 && Rational(6, 4).denominator == 2)
  }

  @Test func codableAsString() throws {
    let json = try JSONEncoder().encode([Rational(-9, 4)])
    #expect(String(decoding: json, as: UTF8.self) == #"["-9\/4"]"#)
    #expect(try JSONDecoder().decode([Rational].self, from: json) == [Rational(-9, 4)])
  }
}
