import Foundation
import MPCBigInt
import Testing

@testable import MPCCommands

/// The one output layer: versioned `Codable` documents, integers as JSON integers, exit codes
/// in one enum that README's table matches.
@Suite struct OutputTests {
  @Test func integersAreJSONIntegersAndBigOnesStrings() throws {
    let small = JSONInteger(-284)
    let big = JSONInteger(try BigInt(parsing: "170141183460469231731687303715884105727"))
    let data = try JSONEncoder().encode([small, big])
    #expect(
      String(decoding: data, as: UTF8.self) == #"[-284,"170141183460469231731687303715884105727"]"#)
    #expect(try JSONDecoder().decode([JSONInteger].self, from: data) == [small, big])
  }

  @Test func everyDocumentCarriesItsSchemaAndOtherSchemasAreRefused() throws {
    let convert = ConvertOutput(rho: "1/50", delta: "1/1000000", epsilon: 0.9)
    let text = try OutputCoding.encode(convert)
    #expect(text.contains(#""schema" : "mpc.privacy.convert/1""#))
    #expect(try OutputCoding.decode(ConvertOutput.self, from: Data(text.utf8)).rho == "1/50")
    #expect(throws: CommandFailure.self) {
      try OutputCoding.decode(KeygenOutput.self, from: Data(text.utf8))
    }
    // A non-finite estimate is written as a string, not lost.
    let infinite = ConvertOutput(rho: "100000", delta: "1/1000000", epsilon: .infinity)
    let encoded = try OutputCoding.encode(infinite)
    #expect(encoded.contains(#""epsilon" : "inf""#))
    #expect(
      try OutputCoding.decode(ConvertOutput.self, from: Data(encoded.utf8)).epsilon.isInfinite)
  }

  @Test func schemasAreDistinct() {
    let schemas = [
      RunOutput.schema, DemoOutput.schema, BenchOutput.schema, DoctorOutput.schema,
      KeygenOutput.schema, PlanOutput.schema, ConvertOutput.schema,
    ]
    #expect(Set(schemas).count == schemas.count)
    // `mpc.<name>/<version>`, the version a positive integer (mpc.run is at 2).
    #expect(
      schemas.allSatisfy {
        $0.hasPrefix("mpc.") && ($0.split(separator: "/").last.flatMap { Int($0) } ?? 0) >= 1
      })
  }

  /// README's exit-code table lists exactly the statuses of ``ExitStatus``, with their meaning.
  @Test func readmeExitCodeTableMatchesTheEnum() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    var rows: [Int32: String] = [:]
    for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count >= 2, cells[0].hasPrefix("`"), cells[0].hasSuffix("`"),
        let code = Int32(cells[0].dropFirst().dropLast())
      else { continue }
      rows[code] = cells[1]
    }
    #expect(Set(rows.keys) == Set(ExitStatus.allCases.map(\.rawValue)))
    for status in ExitStatus.allCases {
      #expect(rows[status.rawValue] == status.summary, "README row for \(status.rawValue)")
    }
  }

  @Test func listenTakesHostAndPort() {
    for good in ["0.0.0.0:7400", "127.0.0.1:1", "[::]:7400", "site.example:65535"] {
      #expect(NetworkArguments.isHostPort(good), "\(good)")
    }
    for bad in ["7400", "0.0.0.0", ":7400", "host:0", "host:70000", "::1:7400", "[]:1", "h:7a"] {
      #expect(!NetworkArguments.isHostPort(bad), "\(bad)")
    }
  }
}
