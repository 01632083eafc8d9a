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

  /// Valid but unusual files load exactly (issue 18 item 8): a byte order mark, CRLF line
  /// ends, quoted fields holding commas, quotes and newlines, `-0`, `+7`, a quoted number and a
  /// 200,000-byte field on one line.
  @Test func unusualButValidFilesLoadExactly() throws {
    let long = String(repeating: "x", count: 200_000)
    let text =
      "\u{FEFF}id,ward,age,weight\r\n" + "1,\"icu, north\",-0,1\r\n"
      + "2,\"said \"\"hi\"\"\nthen left\",+7,2\r\n" + "3,\(long),\"40\",3\r\n" + "4,er,12,4"
    let sum = try Self.load("sum", text)  // age in [0, 120]: 0 + 7 + 40 + 12
    #expect(sum.values == [59] && sum.rows == 4 && sum.badRowCount == 0, "\(sum.badRows)")
    #expect(try Self.load("count", text).values == [4])
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

  /// Bad rows contribute 0 and are counted, whatever `max_bad_rows` says: no row decides whether
  /// the load (and so the release) happens (`protocols/query.md`, "Data-dependent decisions").
  @Test func nonIntegersAndEmptyValuesAreBadRowsWithLines() throws {
    for limit in [0, 1] {
      let loaded = try Self.load("sum") {
        $0["column"] = "weight"
        $0["max_bad_rows"] = limit
      }
      // 70 + 80 + 65.0 + 1e2, all within [0, 120]; the empty value on line 6 adds 0.
      #expect(
        loaded.values == [315] && loaded.badRowCount == 1 && loaded.rows == 4
          && loaded.badRows == [BadRow(line: 6, problem: "empty value")])
      #expect(loaded.exceedsExpectedBadRows(of: try Self.query("sum", limit)) == (limit == 0))
    }
    let mean = try Self.load("mean") { $0["column"] = "weight" }
    #expect(mean.values == [315, 4], "a bad row adds 0 to the sum and to the count")
    let text = "age\n1\n2.5\nabc\n\"4\n5\"\n6,7\n"
    let four = try Self.load("sum", text) { $0["max_bad_rows"] = 2 }
    #expect(four.values == [1] && four.badRowCount == 4)
    #expect(
      four.badRows == [
        BadRow(line: 3, problem: "not an integer"), BadRow(line: 4, problem: "not a number"),
        BadRow(line: 5, problem: "not a number"),
        BadRow(line: 7, problem: "2 fields where the header has 1"),
      ])
    #expect(!four.badRows.map(\.problem).joined().contains("abc"), "never echo data values")
  }

  static func query(_ name: String, _ maxBadRows: Int) throws -> QueryManifest {
    var object = try #require(Fixtures.kinds[name])
    object["max_bad_rows"] = maxBadRows
    return try Fixtures.query(object)
  }

  @Test func histograms() throws {
    let wards = try Self.load("histogram-categories")
    #expect(wards.values == [2, 1, 1, 1])  // icu, er, gp, other
    let ages = try Self.load("histogram-edges", "age\n0\n17.5\n18\n64\n65\n120\n")
    #expect(ages.values == [2, 2, 2])  // [0,18) [18,65) [65,120]
    // `clip`: below e₀ into the first bin, above e_b into the last; an empty value adds 0.
    let clipped = try Self.load("histogram-edges", "age\n-1\n5\n121\n\n \nx\n")
    #expect(clipped.values == [2, 0, 1] && clipped.clippedCount == 2)
    #expect(clipped.badRows.map(\.line) == [6, 7] && clipped.blankLines == 1)
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

  /// A local total beyond Int64 is clamped (exactly, after the whole file), never wrapped and
  /// never a reason to stop: whether it overflows depends on the rows.
  @Test func overflowSaturatesNotWraps() throws {
    let big = Int64.max / 2 + 1
    func sum(_ values: [Int64], bounds: [Int64] = [Int64.min, Int64.max]) throws -> LocalVector {
      try Self.load("sum", "x\n" + values.map { "\($0)\n" }.joined()) {
        $0["column"] = "x"
        $0["bounds"] = bounds
      }
    }
    let high = try sum([big, big])
    #expect(high.values == [Int64.max] && high.saturatedCount == 1)
    let low = try sum([Int64.min, -1])
    #expect(low.values == [Int64.min] && low.saturatedCount == 1)
    // Out of range on the way, back in range at the end: the exact total, not saturated.
    let back = try sum([big, big, -big])
    #expect(back.values == [big] && back.saturatedCount == 0)
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
    let bad = try LocalData.loadVector(
      query: try Self.vectorQuery(), bytes: Array("1\nx\n\n".utf8), file: "v.txt", format: .text)
    #expect(bad.values == [1, 0, 0] && bad.badRowCount == 2)
    #expect(
      bad.badRows == [
        BadRow(line: 2, problem: "not a number"), BadRow(line: 3, problem: "empty value"),
      ])
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
