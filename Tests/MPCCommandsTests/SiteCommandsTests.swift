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
