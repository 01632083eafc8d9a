import Foundation
import Testing
import _MPCTestSupport

/// keygen, study init and budget as a site operator runs them (the real binary).
@Suite struct SiteCommandsTests {
  func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  func keygen(_ dir: URL, _ name: String) async throws -> String {
    let r = try await MPCProcess.run([
      "keygen", "--out", dir.appendingPathComponent(name).path, "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
    return try #require(object?["public_key"])
  }

  @Test func keygenWritesAPrivateFileAndRefusesToOverwrite() async throws {
    let dir = try tempDir()
    let key = try await keygen(dir, "a.key")
    #expect(key.count == 64)
    let path = dir.appendingPathComponent("a.key").path
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    let contents = try String(contentsOfFile: path, encoding: .utf8)
    #expect(contents.contains("private_key: ") && !contents.contains(key))
    let again = try await MPCProcess.run(["keygen", "--out", path])
    #expect(again.status == 64)
    #expect(again.stderr.contains("already exists"))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == contents)
    let text = try await MPCProcess.run([
      "keygen", "--out", dir.appendingPathComponent("b.key").path,
    ])
    #expect(text.stdout.contains("public key"))
  }

  @Test func studyInitWritesAValidStudyAndBudgetReadsIt() async throws {
    let dir = try tempDir()
    var keys: [String] = []
    for i in 0..<3 { keys.append(try await keygen(dir, "s\(i).key")) }
    let study = dir.appendingPathComponent("study.json").path
    var args = ["study", "init", "--id", "flu-2026", "--rho", "1/2", "--out", study]
    for i in 0..<3 { args += ["--party", "Site \(i),127.0.0.1:\(7500 + i),\(keys[i])"] }
    let r = try await MPCProcess.run(args)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("3 parties, t = 1, k = 2"))
    let object =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: study)))
      as? [String: Any]
    #expect((object?["parties"] as? [Any])?.count == 3)
    // Refuses to overwrite without --force (bad input: 64).
    #expect(try await MPCProcess.run(args).status == 64)
    #expect(try await MPCProcess.run(args + ["--force"]).status == 0)

    let budget = try await MPCProcess.run(["budget", "--study", study, "--party", "1", "--json"])
    #expect(budget.status == 0, "\(budget.stderr)")
    let b = try JSONSerialization.jsonObject(with: Data(budget.stdout.utf8)) as? [String: Any]
    #expect(b?["spent"] as? String == "0")
    #expect(b?["remaining"] as? String == "1/2")
    #expect((b?["entries"] as? [Any])?.isEmpty == true)
    let human = try await MPCProcess.run(["budget", "--study", study, "--party", "1"])
    #expect(human.stdout.contains("remaining  rho = 1/2 of 1/2"))
  }

  /// Ten sites from a CSV file (issue 17 item 1): a header, a comment, a quoted name holding a
  /// comma; the study lists them in file order. A bad line is named by file and line.
  @Test func studyInitReadsAPartiesFile() async throws {
    let dir = try tempDir()
    var csv = "name,address,public_key\n# ten hospitals\n"
    for i in 0..<10 {
      let key = try await keygen(dir, "s\(i).key")
      csv += (i == 3 ? "\"Hospital 3, North\"" : "Hospital \(i)") + ",10.0.0.\(i + 1):7400,\(key)\n"
    }
    let sites = dir.appendingPathComponent("sites.csv")
    try Data(csv.utf8).write(to: sites)
    let study = dir.appendingPathComponent("study.json").path
    let r = try await MPCProcess.run([
      "study", "init", "--id", "ten", "--parties-file", sites.path, "--colluders", "3", "--rho",
      "1",
      "--out", study,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("10 parties, t = 3, k = 7"), "\(r.stdout)")
    let object =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: study)))
      as? [String: Any]
    let parties = try #require(object?["parties"] as? [[String: Any]])
    #expect(
      parties.map { $0["name"] as? String }
        == (0..<10).map { i in i == 3 ? "Hospital 3, North" : "Hospital \(i)" })
    #expect(parties.map { $0["id"] as? Int } == Array(0..<10))
    #expect(object?["ledger"] == nil, "the ignored ledger key is no longer written")

    try Data((csv + "Hospital 10,10.0.0.11:7400\n").utf8).write(to: sites)
    let bad = try await MPCProcess.run([
      "study", "init", "--id", "ten", "--parties-file", sites.path, "--rho", "1", "--out",
      dir.appendingPathComponent("bad.json").path,
    ])
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("\(sites.path):13: expected 3 fields"), "\(bad.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.json").path))
  }

  @Test(arguments: [
    (["--party", "A,127.0.0.1:1,zz"], "public_key"),
    (["--colluders", "3"], "colluders"),
    (["--field", "100"], "field"),
  ])
  func studyInitErrorsNameTheField(extra: [String], field: String) async throws {
    let dir = try tempDir()
    var keys: [String] = []
    for i in 0..<3 { keys.append(try await keygen(dir, "s\(i).key")) }
    var args = [
      "study", "init", "--id", "s", "--epsilon", "1", "--out",
      dir.appendingPathComponent("x.json").path,
    ]
    if extra.first == "--party" {
      args +=
        ["--party", "A,127.0.0.1:1,\(keys[0])", "--party", "B,127.0.0.1:2,\(keys[1])"] + extra
    } else {
      for i in 0..<3 { args += ["--party", "S\(i),127.0.0.1:\(7600 + i),\(keys[i])"] }
      args += extra
    }
    let r = try await MPCProcess.run(args)
    #expect(r.status == 64)
    #expect(r.stderr.contains(field), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.json").path))
  }

  @Test func usageErrorsExit64() async throws {
    #expect(
      try await MPCProcess.run(["study", "init", "--id", "x", "--out", "/tmp/x.json"]).status == 64)
    // A study file that cannot be read is bad input for every command (issue 17: was 1).
    #expect(
      try await MPCProcess.run(["budget", "--study", "/nonexistent/study.json", "--party", "0"])
        .status
        == 64)
  }
}
