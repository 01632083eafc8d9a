import Foundation
import Testing
import _MPCTestSupport

/// `mpc doctor` as the operators run it: every site's doctor at once, as separate processes.
@Suite(.serialized) struct DoctorProcessTests {
  @Test(arguments: [3, 5, 10])
  func everySiteAtOnceIsOKAtEverySite(n: Int) async throws {
    let sites = try await SiteDirectory(n: n, label: "doctor-\(n)")
    let results = try await MPCProcess.runAll(
      (0..<n).map { ["doctor"] + sites.site($0) + ["--connect-timeout", "60"] })
    let fingerprint = try await MPCProcess.run(["study", "show", "--study", sites.study])
    for (i, r) in results.enumerated() {
      #expect(r.status == 0, "party \(i): \(r.stdout)\(r.stderr)")
      let lines = r.stdout.split(separator: "\n")
      let ok = lines.filter { $0.hasPrefix("ok ") }
      #expect(ok.count == n - 1, "party \(i): \(r.stdout)")
      // Every peer once, by id.
      for peer in 0..<n where peer != i {
        #expect(ok.filter { $0.contains("party \(peer) ") }.count == 1, "party \(i): \(r.stdout)")
      }
      // The study's fingerprint as `mpc study show` prints it, once.
      let shown = try #require(lines.first { $0.hasPrefix("study ") })
      let hex = try #require(shown.split(separator: "fingerprint ").last)
      #expect(fingerprint.stdout.contains(String(hex)), "\(shown) / \(fingerprint.stdout)")
      #expect(lines.filter { $0.contains(String(hex)) }.count == 1)
      #expect(!r.stdout.contains("mpc mpc"), "\(r.stdout)")
      #expect(r.stderr.isEmpty, "party \(i): \(r.stderr)")
    }
  }
}
