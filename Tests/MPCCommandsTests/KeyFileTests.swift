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
    try write("# comment\r\nprivate_key:  \(hex.uppercased()) \r\n", to: good)
    #expect(
      Hex.encode(try KeyFile.load(good).publicKey)
        == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    let bad = dir.appendingPathComponent("bad.key")
    try write("# a\n# b\nprivate_key: \(hex.dropLast())x\n", to: bad)
    let error = #expect(throws: CommandFailure.self) { try KeyFile.load(bad) }
    #expect(error?.description == "\(bad.path):3: private_key must be 64 hexadecimal digits")
    let short = dir.appendingPathComponent("short.key")
    try write("private_key: abcd\n", to: short)
    #expect(throws: CommandFailure.self) { try KeyFile.load(short) }
    let none = dir.appendingPathComponent("none.key")
    try write("nothing here\n", to: none)
    let missing = #expect(throws: CommandFailure.self) { try KeyFile.load(none) }
    #expect(missing?.description.contains("no private_key line") == true)
  }

  /// Writes a key-like file readable by its owner only.
  func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
  }

  @Test(arguments: [0o644, 0o640, 0o604, 0o660])
  func aKeyOthersMayReadIsRefused(mode: Int) throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("a.key")
    _ = try KeyFile.create(url)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    let error = #expect(throws: CommandFailure.self) { try KeyFile.load(url) }
    #expect(error?.status == .usage)
    #expect(
      error?.description.contains("readable by others (mode \(String(mode, radix: 8)))") == true)
    #expect(error?.description.contains("chmod 600 \(url.path)") == true)
    let signing = dir.appendingPathComponent("s.key")
    _ = try SigningKeyFile.create(signing)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: signing.path)
    #expect(throws: CommandFailure.self) { try SigningKeyFile.load(signing) }
  }

  @Test func createIsAtomicAndLeavesNoTemporaryFile() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("a.key")
    _ = try KeyFile.create(url)
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    // A second create refuses the existing name and keeps the first key byte for byte.
    let before = try Data(contentsOf: url)
    let error = #expect(throws: CommandFailure.self) { try KeyFile.create(url) }
    #expect(error?.status == .usage)
    #expect(try Data(contentsOf: url) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.key"])
  }

  @Test func aSigningKeyWithCRLFLoads() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("s.key")
    let created = try SigningKeyFile.create(url)
    let text = try String(contentsOf: url, encoding: .utf8)
    try write(text.replacingOccurrences(of: "\n", with: "\r\n"), to: url)
    #expect(try SigningKeyFile.load(url).publicKey == created.publicKey)
  }
}
