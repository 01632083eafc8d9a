import Foundation
import Testing
import _MPCTestSupport

/// n sites of one study on loopback made with the real binary (`mpc keygen`, `mpc study init`),
/// for process-level network tests.
struct SiteDirectory {
  let dir: URL
  let n: Int
  let ports: [Int]
  let study: String

  init(n: Int, label: String, addresses: [Int: String] = [:]) async throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    self.n = n
    ports = LoopbackPorts.reserve(n)
    study = dir.appendingPathComponent("study.json").path
    var keys: [String] = []
    for i in 0..<n {
      let r = try await MPCProcess.run(["keygen", "--out", Self.key(dir, i), "--json"])
      #expect(r.status == 0, "\(r.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
      keys.append(try #require(object?["public_key"] as? String))
    }
    var arguments = ["study", "init", "--id", label, "--rho", "1", "--out", study]
    for i in 0..<n {
      let address = addresses[i] ?? "127.0.0.1:\(ports[i])"
      arguments += ["--party", "Site \(i),\(address),\(keys[i])"]
    }
    let created = try await MPCProcess.run(arguments)
    #expect(created.status == 0, "\(created.stderr)")
  }

  static func key(_ dir: URL, _ i: Int) -> String {
    dir.appendingPathComponent("s\(i).key").path
  }

  func key(_ i: Int) -> String { Self.key(dir, i) }

  /// `--study … --party i --key …`.
  func site(_ i: Int) -> [String] { ["--study", study, "--party", "\(i)", "--key", key(i)] }

  /// Writes party i's CSV and returns its path.
  func data(_ i: Int, _ csv: String) throws -> String {
    let path = dir.appendingPathComponent("s\(i).csv").path
    try csv.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }
}

/// Seconds since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
  let (s, atto) = (ContinuousClock.now - start).components
  return Double(s) + Double(atto) / 1e18
}
