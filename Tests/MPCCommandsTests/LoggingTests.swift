import Foundation
import Logging
import Testing
import _MPCTestSupport

@testable import MPCCommands

/// `--log-level` and `--log-file`: structured lines, and no secret or data value in them.
@Suite(.serialized) struct LoggingTests {
  @Test func aLineLeadsWithItsContextThenTheRestSorted() {
    let line = StructuredLogHandler.line(
      time: Date(timeIntervalSince1970: 0), level: .info, message: "links up; running",
      metadata: [
        "zeta": "1", "step": "run", "party": "2", "study": "s", "query": "q", "alpha": "a b",
        "session": "ab",
      ])
    #expect(
      line
        == #"1970-01-01T00:00:00.000Z info study=s party=2 query=q session=ab step=run "#
        + #"msg="links up; running" alpha="a b" zeta=1"#)
    #expect(StructuredLogHandler.quoted("say \"x\"\n") == #""say \"x\"\n""#)
  }

  @Test func aRunAtDebugLevelLogsItsStepsButNoSecretOrDataValue() async throws {
    let sites = try await ResultOutputTests.Sites()
    // Values that appear nowhere else: 7 digits each, and their totals.
    var values: [[Int]] = []
    for i in 0..<3 {
      let v = (0..<5).map { 1_000_003 + 7_919 * ($0 + 5 * i) * 5 }
      values.append(v)
      let csv = "x\n" + v.map(String.init).joined(separator: "\n") + "\n"
      try csv.write(toFile: sites.path("s\(i).csv"), atomically: true, encoding: .utf8)
    }
    let query =
      #"{"id": "total", "kind": "sum", "column": "x", "bounds": [0, 2000000], "mechanism": "laplace", "epsilon": "2"}"#
    let args = (0..<3).map {
      sites.run(
        $0, data: sites.path("s\($0).csv"), query: query,
        ["--log-level", "debug", "--log-file", sites.path("log\($0).txt")])
    }
    let results = try await MPCProcess.runAll(args)
    for (i, r) in results.enumerated() { #expect(r.status == 0, "party \(i): \(r.stderr)") }
    var secrets: [String] = []
    for i in 0..<3 {
      let keyFile = try String(contentsOfFile: sites.path("s\(i).key"), encoding: .utf8)
      let hex = try #require(keyFile.split(separator: "\n").last { $0.hasPrefix("private_key:") })
      secrets.append(
        String(hex.dropFirst("private_key:".count)).trimmingCharacters(in: .whitespaces))
      secrets += values[i].map(String.init)
      secrets.append(String(values[i].reduce(0, +)))
    }
    secrets.append(String(values.joined().reduce(0, +)))
    for i in 0..<3 {
      let log = try String(contentsOfFile: sites.path("log\(i).txt"), encoding: .utf8)
      let lines = log.split(separator: "\n").map(String.init)
      #expect(lines.count >= 6, "\(log)")
      for line in lines {
        #expect(line.contains("study=out-test party=\(i) "), "\(line)")
      }
      for step in ["load", "data", "ledger", "connect", "run", "release"] {
        #expect(lines.contains { $0.contains("step=\(step) ") }, "step \(step): \(log)")
      }
      #expect(lines.contains { $0.contains("query=total session=") && $0.contains("step=release") })
      #expect(!lines.contains { $0.contains(" trace ") })
      for secret in secrets {
        #expect(!log.lowercased().contains(secret.lowercased()), "party \(i) logged \(secret)")
      }
      // The log went to the file, not to standard error.
      #expect(!results[i].stderr.contains("step="))
    }
    // The default level (warning) logs nothing of a run that went well.
    let quiet = try await MPCProcess.run(
      sites.run(0, data: sites.path("s0.csv"), query: query, []))
    #expect(quiet.status == 0 && !quiet.stderr.contains("step="), "\(quiet.stderr)")
  }

  /// Without `--log-level` or `--log-file` a failing `mpc run` or `mpc doctor` writes its error
  /// once, as the `error:` message, and no log line beside it.
  @Test func aFailureWithoutLogOptionsPrintsItsErrorOnce() async throws {
    let sites = try await ResultOutputTests.Sites()
    try "x\n1\n".write(toFile: sites.path("one.csv"), atomically: true, encoding: .utf8)
    let query =
      #"{"id": "total", "kind": "sum", "column": "x", "bounds": [0, 10], "mechanism": "laplace", "epsilon": "1"}"#
    // Party 0 alone: its peers never come up.
    let run = try await MPCProcess.run(
      sites.run(0, data: sites.path("one.csv"), query: query, ["--connect-timeout", "1"]))
    let doctor = try await MPCProcess.run([
      "doctor", "--study", sites.study, "--party", "0", "--key", sites.path("s0.key"),
      "--connect-timeout", "1", "--timeout", "1",
    ])
    #expect(run.status != 0, "\(run.stderr)")
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("error:") }.count == 1, "\(run.stderr)")
    #expect(!run.stderr.contains("step=") && !run.stderr.contains(" error msg="), "\(run.stderr)")
    // The error's text (what follows `error: `) appears once in all of standard error.
    let error = try #require(lines.first { $0.hasPrefix("error:") })
    let text = String(error.dropFirst("error: ".count).prefix(40))
    #expect(run.stderr.components(separatedBy: text).count == 2, "\(run.stderr)")
    // Doctor's report (standard output) names each missing peer once; no log line beside it.
    #expect(doctor.status == 1, "\(doctor.stderr)")
    #expect(doctor.stdout.components(separatedBy: "FAIL party 1 ").count == 2, "\(doctor.stdout)")
    #expect(!doctor.stderr.contains("step="), "\(doctor.stderr)")
    // With an explicit level the log line comes back on standard error.
    let logged = try await MPCProcess.run([
      "doctor", "--study", sites.study, "--party", "0", "--key", sites.path("s0.key"),
      "--connect-timeout", "1", "--timeout", "1", "--log-level", "warning",
    ])
    #expect(logged.stderr.contains("step=doctor"), "\(logged.stderr)")
  }

  @Test func doctorLogsEachPeerAndABadLogFileIsAUsageError() async throws {
    let sites = try await ResultOutputTests.Sites()
    let doctor = try await MPCProcess.run([
      "doctor", "--study", sites.study, "--party", "0", "--key", sites.path("s0.key"),
      "--connect-timeout", "1", "--timeout", "1", "--log-level", "info",
    ])
    #expect(doctor.status != 0)
    #expect(doctor.stderr.contains("step=doctor msg=\"checking peers\""), "\(doctor.stderr)")
    #expect(doctor.stderr.contains("peer=1"), "\(doctor.stderr)")
    let bad = try await MPCProcess.run([
      "doctor", "--study", sites.study, "--party", "0", "--key", sites.path("s0.key"),
      "--log-file", sites.path("no/such/dir/log.txt"),
    ])
    #expect(bad.status == 64, "\(bad.stderr)")
    #expect(bad.stderr.contains("--log-file"), "\(bad.stderr)")
  }
}
