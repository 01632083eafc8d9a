import Foundation
import MPCBigInt
import MPCPrivacy
import MPCProtocol
import Testing

@Suite struct CSVParserTests {
  static func records(_ text: String) -> [CSVRecord] {
    var parser = CSVParser(bytes: Array(text.utf8))
    var out: [CSVRecord] = []
    while let r = parser.next() { out.append(r) }
    return out
  }

  @Test func quotingEdgeCases() {
    let text =
      "\u{FEFF}name,note,n\r\n" + "\"Smith, J\",\"said \"\"hi\"\"\",1\r\n"
      + "plain,\"two\nlines\",2\n" + "empty,,\n" + "\"\",\"\",3"
    let r = Self.records(text)
    #expect(
      r.map(\.fields) == [
        ["name", "note", "n"], ["Smith, J", "said \"hi\"", "1"], ["plain", "two\nlines", "2"],
        ["empty", "", ""], ["", "", "3"],
      ])
    #expect(r.map(\.line) == [1, 2, 3, 5, 6])
    #expect(r.allSatisfy { $0.problem == nil })
  }

  @Test func malformedRecordsResynchronise() {
    let text = "a,b\n\"open,1\nx\"y,2\n\"ok\"junk,3\nfine,4\n\n\nlast,5\n"
    let r = Self.records(text)
    // The open quote swallows up to the next quote: `open,1\nx` then `y` after the quote.
    #expect(r[1].line == 2 && r[1].problem == "text after a closing quote")
    #expect(r[2].line == 4 && r[2].problem == "text after a closing quote")
    #expect(r[3].fields == ["fine", "4"] && r[3].line == 5)
    #expect(r[4].fields == ["last", "5"] && r[4].line == 8)
    let unterminated = Self.records("a\n\"never closed\n1\n")
    #expect(unterminated[1].problem == "quoted field not closed before the end of the file")
    #expect(Self.records("a\nb\"c\n")[1].problem == "a quote inside an unquoted field")
    var parser = CSVParser(bytes: Array("a\n\n\r\nb\n".utf8))
    while parser.next() != nil {}
    #expect(parser.blankLines == 2)
  }
}

@Suite struct LocalDataTests {
  static let csv = """
    id,ward,age,weight
    1,icu,34,70
    2,er,130,80
    3,"icu",-5,65.0
    4,gp,2.5e1,1e2
    5,"other, ward",18,
    """

  static func load(
    _ name: String, _ text: String = csv, edit: (inout [String: Any]) -> Void = { _ in }
  ) throws -> LocalVector {
    var object = try #require(Fixtures.kinds[name])
    edit(&object)
    return try LocalData.load(
      query: try Fixtures.query(object), csv: Array(text.utf8), file: "site.csv")
  }

  @Test func countAndFilter() throws {
    #expect(try Self.load("count").values == [5])
    #expect(try Self.load("count-where").values == [2])
  }

  @Test func sumClipsExactly() throws {
    let sum = try Self.load("sum")  // age in [0, 120]: 34 + 120 + 0 + 25 + 18
    #expect(sum.values == [197] && sum.clippedCount == 2 && sum.rows == 5)
    let mean = try Self.load("mean")  // age in [0, 100]
    #expect(mean.values == [177, 5])
  }

  @Test func nonIntegersAndEmptyValuesAreBadRowsWithLines() throws {
    do {
      _ = try Self.load("sum") { $0["column"] = "weight" }
      Issue.record("accepted an empty value")
    } catch let error as InputError {
      #expect(
        error
          == .tooManyBadRows(
            file: "site.csv", count: 1, limit: 0, first: [BadRow(line: 6, problem: "empty value")]))
    }
    let tolerated = try Self.load("sum") {
      $0["column"] = "weight"
      $0["max_bad_rows"] = 1
    }
    // 70 + 80 + 65.0 + 1e2, all within [0, 120].
    #expect(
      tolerated.values == [315] && tolerated.badRowCount == 1
        && tolerated.badRows == [BadRow(line: 6, problem: "empty value")])
    let text = "age\n1\n2.5\nabc\n\"4\n5\"\n6,7\n"
    do {
      _ = try Self.load("sum", text) { $0["max_bad_rows"] = 2 }
      Issue.record("accepted 4 bad rows")
    } catch let error as InputError {
      #expect(
        error
          == .tooManyBadRows(
            file: "site.csv", count: 4, limit: 2,
            first: [
              BadRow(line: 3, problem: "not an integer"), BadRow(line: 4, problem: "not a number"),
              BadRow(line: 5, problem: "not a number"),
              BadRow(line: 7, problem: "2 fields where the header has 1"),
            ]))
      #expect(!error.description.contains("abc"), "errors never echo data values")
    }
  }

  @Test func histograms() throws {
    let wards = try Self.load("histogram-categories")
    #expect(wards.values == [2, 1, 1, 1])  // icu, er, gp, other
    let ages = try Self.load("histogram-edges", "age\n0\n17.5\n18\n64\n65\n120\n")
    #expect(ages.values == [2, 2, 2])  // [0,18) [18,65) [65,120]
    do {
      _ = try Self.load("histogram-edges", "age\n5\n121\n")
      Issue.record("accepted a value outside the bins under refuse")
    } catch let error as InputError {
      #expect(error == .valueOutsideBins(file: "site.csv", line: 3))
    }
    let other = try Self.load("histogram-edges", "age\n-1\n5\n121\n") { $0["outside"] = "other" }
    #expect(other.values == [1, 0, 0, 2])
  }

  @Test func missingAndDuplicateColumns() throws {
    do {
      _ = try Self.load("sum") { $0["column"] = "height" }
      Issue.record("found a missing column")
    } catch let error as InputError {
      #expect(
        error
          == .missingColumn(
            file: "site.csv", column: "height", available: ["id", "ward", "age", "weight"]))
      #expect(error.description.contains("'weight'"))
    }
    #expect(
      throws: InputError.invalidHeader(file: "site.csv", problem: "column 'age' appears 2 times")
    ) {
      try Self.load("sum", "age,age\n1,2\n")
    }
    #expect(throws: InputError.invalidHeader(file: "site.csv", problem: "the file is empty")) {
      try Self.load("sum", "")
    }
  }

  @Test func overflowIsAnErrorNotAWrap() throws {
    let big = Int64.max / 2 + 1
    let text = "x\n\(big)\n\(big)\n"
    #expect(
      throws: InputError.localOverflow(file: "site.csv", what: "the local total of element 0")
    ) {
      try Self.load("sum", text) {
        $0["column"] = "x"
        $0["bounds"] = [0, Int64.max]
      }
    }
  }

  // MARK: - vector-sum

  static func vectorQuery() throws -> QueryManifest {
    try Fixtures.query(try #require(Fixtures.kinds["vector-sum"]))  // bounds [0,5] [-2,1] [0,10]
  }

  @Test func vectorText() throws {
    let v = try LocalData.loadVector(
      query: try Self.vectorQuery(), bytes: Array("7\r\n-1\n 3 \n".utf8), file: "v.txt",
      format: .text)
    #expect(v.values == [5, -1, 3] && v.clippedCount == 1)
    #expect(throws: InputError.vectorLength(file: "v.txt", expected: 3, actual: 2)) {
      try LocalData.loadVector(
        query: try Self.vectorQuery(), bytes: Array("1\n2\n".utf8), file: "v.txt", format: .text)
    }
    #expect(
      throws: InputError.tooManyBadRows(
        file: "v.txt", count: 1, limit: 0, first: [BadRow(line: 2, problem: "not a number")])
    ) {
      try LocalData.loadVector(
        query: try Self.vectorQuery(), bytes: Array("1\nx\n2\n".utf8), file: "v.txt", format: .text)
    }
  }

  @Test func vectorBinary() throws {
    var bytes: [UInt8] = []
    for value: Int64 in [3, -9, 11] {
      withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
    let v = try LocalData.loadVector(
      query: try Self.vectorQuery(), bytes: bytes, file: "v.bin", format: .int64LittleEndian)
    #expect(v.values == [3, -2, 10] && v.clippedCount == 2)
    #expect(throws: InputError.vectorLength(file: "v.bin", expected: 3, actual: 2)) {
      try LocalData.loadVector(
        query: try Self.vectorQuery(), bytes: Array(bytes[0..<16]), file: "v.bin",
        format: .int64LittleEndian)
    }
    #expect(throws: InputError.self) {
      try LocalData.loadVector(
        query: try Self.vectorQuery(), bytes: Array(bytes[0..<20]), file: "v.bin",
        format: .int64LittleEndian)
    }
  }

  @Test func loadsFromFiles() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-\(UUID().uuidString).csv")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(Self.csv.utf8).write(to: url)
    let query = try Fixtures.query(try #require(Fixtures.kinds["count"]))
    #expect(try LocalData.load(query: query, csv: url).values == [5])
    #expect(throws: InputError.self) {
      try LocalData.load(query: query, csv: url.appendingPathExtension("missing"))
    }
  }
}
