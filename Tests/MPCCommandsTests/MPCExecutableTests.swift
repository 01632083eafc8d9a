import Testing
import _MPCTestSupport

@Suite struct MPCExecutableTests {
  @Test func versionPrintsPackageProtocolAndLibraries() async throws {
    let result = try await MPCProcess.run(["--version"])
    #expect(result.status == 0)
    #expect(result.stdout.hasPrefix("mpc 0.1.0 (protocol v1, libsodium 1.0."))
    #expect(result.stdout.contains("GMP 6."))
  }

  @Test func helpDescribesTheTool() async throws {
    let result = try await MPCProcess.run(["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("differential-privacy"))
    #expect(result.stdout.contains("Exit codes"))
  }

  @Test func unknownFlagIsAUsageError() async throws {
    let result = try await MPCProcess.run(["--no-such-flag"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("--no-such-flag"))
  }
}
