import Foundation
import MPCBigInt
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// The terminal bar chart of histogram-like results in `mpc run`'s human output.
@Suite struct BarChartTests {
  static let rows: [BarChart.Row] = [
    .init(label: "icu", value: 11, lower: 4, upper: 18),
    .init(label: "er", value: 0, lower: 0, upper: 6),
    .init(label: "gp", value: 20, lower: 13, upper: 27),
    .init(label: "other", value: 3, lower: 0, upper: 10),
  ]

  @Test func aFixedResultIsDrawnExactly() {
    // 50 columns: 2 + label 5 + " │" + 38 cells + " " + value 2; scale 0 … 27.
    let lines = BarChart.render(Self.rows, width: 50)
    #expect(
      lines == [
        "  bar to the DP value, 95% interval ▓ below it, ░ above it; scale 0 … 27",
        "  icu   │██████▓▓▓▓▓▓▓▓▓░░░░░░░░░░              11",
        "  er    │░░░░░░░░                                0",
        "  gp    │██████████████████▓▓▓▓▓▓▓▓▓▓░░░░░░░░░░ 20",
        "  other │▓▓▓▓░░░░░░░░░░                          3",
      ])
    for line in lines.dropFirst() { #expect(line.count == 50) }
  }

  @Test func everyRowFitsTheTerminalWidth() {
    for width in [40, 60, 80, 132, 200] {
      for line in BarChart.render(Self.rows, width: width).dropFirst() {
        #expect(line.count == width, "\(width): \(line)")
      }
    }
    // Narrower than a label and ten cells: ten cells still.
    let narrow = BarChart.render(Self.rows, width: 5)
    #expect(narrow.dropFirst().allSatisfy { $0.count == 2 + 5 + 2 + 10 + 1 + 2 })
  }

  @Test func suppressedNegativeAndLongLabels() {
    let rows: [BarChart.Row] = [
      .init(label: "a label far longer than twenty-four", value: -2, lower: -10, upper: 6),
      .init(label: "b", value: 0, lower: 0, upper: 0, suppressed: true),
      .init(label: "c", value: 10, lower: 2, upper: 18),
    ]
    let lines = BarChart.render(rows, width: 60)
    #expect(lines.first?.hasSuffix("scale -10 … 18") == true)
    #expect(lines[1].hasPrefix("  a label far longer than… │"))
    // Suppressed: no bar, said so.
    #expect(lines[2].hasSuffix("suppressed"))
    #expect(!lines[2].contains("█") && !lines[2].contains("░"))
    // -10 … 18 in 60 - 2 - 24 - 2 - 1 - 10 = 21 cells: -2 is cell round(8/28·21) = 6.
    #expect(lines[1].contains("│▓▓▓▓▓▓░░░░░░ "))
    for line in lines.dropFirst() { #expect(line.count == 60) }
  }

  @Test func onlyHistogramLikeComponentsAreCharted() {
    #expect(BarChart.render(Array(Self.rows.prefix(1)), width: 80).isEmpty)
    let many = (0..<61).map { BarChart.Row(label: "\($0)", value: 1, lower: 0, upper: 2) }
    #expect(BarChart.render(many, width: 80).isEmpty)
    #expect(BarChart.render(Array(many.prefix(60)), width: 80).count == 61)
    let allSuppressed = Self.rows.map {
      BarChart.Row(label: $0.label, value: 0, lower: 0, upper: 0, suppressed: true)
    }
    #expect(BarChart.render(allSuppressed, width: 80).isEmpty)
  }

  @Test func widthIsColumnsOrEighty() {
    #expect(BarChart.terminalWidth([:]) == 80)
    #expect(BarChart.terminalWidth(["COLUMNS": "132"]) == 132)
    #expect(BarChart.terminalWidth(["COLUMNS": "wide"]) == 80)
    #expect(BarChart.terminalWidth(["COLUMNS": "0"]) == 80)
  }

  @Test func aStoredResultIsChartedLikeARun() throws {
    let json = """
      {"components": [{"name": "histogram", "values": [
        {"label": "icu", "value": 11, "raw": 11, "lower": 4, "upper": 18},
        {"label": "er", "value": 0, "raw": -3, "lower": 0, "upper": 6},
        {"label": "gp", "value": 20, "raw": 20, "lower": 13, "upper": 27},
        {"label": "other", "value": 3, "raw": 3, "lower": 0, "upper": 10}]},
        {"name": "count", "values": [{"label": "count", "value": 5, "raw": 5, "lower": 0,
        "upper": 9}]}], "query_id": "q"}
      """
    let text = BarChart.text(storedResult: json, width: 50)
    #expect(
      text == "\n"
        + BarChart.render(Self.rows, title: "histogram", width: 50).joined(separator: "\n"))
    #expect(BarChart.text(storedResult: "not json", width: 50) == "")
  }
}

/// The chart in the output of three `mpc run` processes and of a replayed result.
@Suite(.serialized) struct BarChartProcessTests {
  @Test func aHistogramRunAndItsReplayPrintTheChart() async throws {
    let sites = try await ResultOutputTests.Sites()
    let wards = ["icu", "er", "gp"]
    for i in 0..<3 {
      var csv = "ward\n"
      for r in 0..<(30 + i) { csv += "\(wards[(r + i) % 3])\n" }
      try csv.write(toFile: sites.path("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    let query =
      #"{"id": "wards", "kind": "histogram", "column": "ward", "categories": ["icu", "er", "gp"], "outside": "other", "rho": "1/10"}"#
    let args = (0..<3).map { sites.run($0, data: sites.path("s\($0).csv"), query: query, []) }
    let results = try await MPCProcess.runAll(
      args, environments: args.map { _ in ["COLUMNS": "60"] })
    for r in results {
      #expect(r.status == 0, "\(r.stderr)")
      let lines = r.stdout.split(separator: "\n").map(String.init)
      let bars = lines.filter { $0.contains(" │") }
      #expect(bars.count == 4, "\(r.stdout)")
      #expect(bars.map { $0.split(separator: " ").first.map(String.init) } == wards + ["other"])
      for line in bars { #expect(line.count == 60, "\(line)") }
      // No colour or other escape sequence in a pipe.
      #expect(!r.stdout.contains("\u{1B}"))
    }
    // The same picture from the release log, at another width.
    let replay = try await MPCProcess.run(args[0], environment: ["COLUMNS": "100"])
    #expect(replay.status == 0, "\(replay.stderr)")
    let bars = replay.stdout.split(separator: "\n").filter { $0.contains(" │") }
    #expect(bars.count == 4 && bars.allSatisfy { $0.count == 100 }, "\(replay.stdout)")
  }
}
