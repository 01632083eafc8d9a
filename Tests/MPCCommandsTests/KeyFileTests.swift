import Foundation
import MPCCrypto
import Testing

@testable import MPCCommands

/// The key file reader decodes the hex straight into zeroizing storage; its errors name the
/// file and line.
@Suite struct KeyFileTests {
  func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "keyfile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func createThenLoadRoundTrips() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("a.key")
    let created = try KeyFile.create(url)
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.hasPrefix(KeyFile.header + "\nprivate_key: "))
    #expect(text.hasSuffix("\n") && text.count == KeyFile.header.count + 14 + 64 + 1)
    let loaded = try KeyFile.load(url)
    #expect(loaded.privateKey.constantTimeEquals(created.privateKey))
    #expect(loaded.publicKey == created.publicKey)
  }

  @Test func loadAcceptsSurroundingSpaceAndReportsBadLines() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let hex = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    let good = dir.appendingPathComponent("good.key")
    try Data("# comment\nprivate_key:  \(hex.uppercased()) \r\n".utf8).write(to: good)
    #expect(
      Hex.encode(try KeyFile.load(good).publicKey)
        == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    let bad = dir.appendingPathComponent("bad.key")
    try Data("# a\n# b\nprivate_key: \(hex.dropLast())x\n".utf8).write(to: bad)
    let error = #expect(throws: CommandFailure.self) { try KeyFile.load(bad) }
    #expect(error?.description == "\(bad.path):3: private_key must be 64 hexadecimal digits")
    let short = dir.appendingPathComponent("short.key")
    try Data("private_key: abcd\n".utf8).write(to: short)
    #expect(throws: CommandFailure.self) { try KeyFile.load(short) }
    let none = dir.appendingPathComponent("none.key")
    try Data("nothing here\n".utf8).write(to: none)
    let missing = #expect(throws: CommandFailure.self) { try KeyFile.load(none) }
    #expect(missing?.description.contains("no private_key line") == true)
  }
}
