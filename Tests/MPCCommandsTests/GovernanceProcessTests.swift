import Foundation
import Testing
import _MPCTestSupport

@testable import MPCProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 16 as a privacy board meets it: a three-site study with a policy and a 2-of-3 query
/// registry, run through `mpc` processes over loopback; `mpc query sign/verify/show`,
/// `mpc run --dry-run`, refusals before any charge, and `mpc audit`.
@Suite(.serialized) struct GovernanceProcessTests {
  struct Sites {
    var dir: URL
    var study: String
    var state: String
    var ports: [Int]

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func ledgerFile(_ party: Int, _ name: String) throws -> String {
      let manifest = try StudyManifest.load(contentsOf: URL(fileURLWithPath: study))
      return LedgerLocation(stateDirectory: URL(fileURLWithPath: state)).directory(for: manifest)
        .appendingPathComponent(name).path
    }

    /// Every party's ledger file bytes (nil where there is none).
    func ledgers() throws -> [Data?] {
      try (0..<3).map {
        FileManager.default.contents(atPath: try ledgerFile($0, BudgetLedger.fileName(partyId: $0)))
      }
    }

    /// Every party's release-log bytes.
    func releaseLogs() throws -> [Data?] {
      try (0..<3).map {
        FileManager.default.contents(atPath: try ledgerFile($0, ReleaseLog.fileName(partyId: $0)))
      }
    }

    func args(_ party: Int, query: String, extra: [String] = []) -> [String] {
      [
        "run", "--study", study, "--party", "\(party)", "--key", path("s\(party).key"),
        "--data", path("s\(party).csv"), "--query", query, "--timeout", "30",
        "--connect-timeout", "30", "--state-dir", state,
      ] + extra
    }

    func runAll(query: String, extra: [String] = []) async throws -> [MPCProcess.Result] {
      try await MPCProcess.runAll((0..<3).map { args($0, query: query, extra: extra) })
    }

    func mpc(_ arguments: [String]) async throws -> MPCProcess.Result {
      try await MPCProcess.run(arguments, environment: ["MPC_STATE_DIR": state])
    }

    func write(_ name: String, _ text: String) throws -> String {
      try text.write(toFile: path(name), atomically: true, encoding: .utf8)
      return path(name)
    }
  }

  static let approvers = ["ethics-1", "legal-1", "patients-1"]

  func sites() async throws -> Sites {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-gov-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let s = Sites(
      dir: dir, study: dir.appendingPathComponent("study.json").path,
      state: dir.appendingPathComponent("state").path, ports: LoopbackPorts.reserve(3))
    func publicKey(_ r: MPCProcess.Result) throws -> String {
      let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
      return try #require(object?["public_key"] as? String, "\(r.stderr)")
    }
    var initArgs = ["study", "init", "--id", "gov-study", "--rho", "1", "--out", s.study]
    for i in 0..<3 {
      let key = try await MPCProcess.run(["keygen", "--out", s.path("s\(i).key"), "--json"])
      initArgs += ["--party", "Site \(i),127.0.0.1:\(s.ports[i]),\(try publicKey(key))"]
      let wards = ["icu", "er", "er", "gp", "icu", "er"].shuffled().prefix(4 + i)
      _ = try s.write("s\(i).csv", "ward\n" + wards.joined(separator: "\n") + "\n")
    }
    #expect(try await MPCProcess.run(initArgs).status == 0)
    var approvers: [[String: Any]] = []
    for id in Self.approvers {
      let key = try await MPCProcess.run([
        "keygen", "--signing", "--out", s.path("\(id).key"), "--json",
      ])
      approvers.append(["id": id, "public_key": try publicKey(key)])
    }
    var study = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.study)))
        as? [String: Any])
    study["policy"] = [
      "tier": "high", "max_query_cost": ["rho": "1/5"], "min_honest": 2, "round_to": 5,
      "suppress_below": 3,
    ]
    study["registry"] = ["required": true, "approvers": approvers, "threshold": 2]
    try JSONSerialization.data(withJSONObject: study).write(to: URL(fileURLWithPath: s.study))
    return s
  }

  static func histogram(_ id: String, rho: String = "1/10") -> String {
    #"{"id": "\#(id)", "kind": "histogram", "column": "ward", "categories": ["icu", "er"], "#
      + #""outside": "other", "rho": "\#(rho)"}"#
  }

  /// `bare` signed by `by`, in turn, into `out`.
  func sign(_ s: Sites, _ bare: String, by: [String], out: String) async throws {
    var input = bare
    for id in by {
      let r = try await s.mpc([
        "query", "sign", "--query", input, "--study", s.study, "--key", s.path("\(id).key"),
        "--purpose", "Ward mix for the winter report", "--use-case", "winter-report",
        "--out", out,
      ])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("signed") && r.stdout.contains(id))
      input = out
    }
  }

  /// Listeners on every party's port, counting connections: a dry run that dialled a peer
  /// would connect here, and one that opened its own listener would fail to bind.
  final class PortGuard {
    var fds: [Int32] = []

    init(ports: [Int]) throws {
      for port in ports {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
          }
        }
        try #require(bound == 0 && listen(fd, 16) == 0, "cannot listen on \(port)")
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        fds.append(fd)
      }
    }

    /// Connections that arrived (accepted and closed now).
    func connections() -> Int {
      var n = 0
      for fd in fds {
        while true {
          let c = accept(fd, nil, nil)
          if c < 0 { break }
          _ = Glibc.close(c)
          n += 1
        }
      }
      return n
    }

    func close() {
      for fd in fds { _ = Glibc.close(fd) }
      fds = []
    }

    deinit { close() }
  }

  @Test func aBoardApprovedStudyOverLoopback() async throws {
    let s = try await sites()
    defer { try? FileManager.default.removeItem(at: s.dir) }

    // Registration: one signature is not enough, two are; `show` gives hash and fingerprint.
    let bare = try s.write("wards.json", Self.histogram("wards"))
    let oneSigned = s.path("wards.1.json")
    try await sign(s, bare, by: ["ethics-1"], out: oneSigned)
    let underSigned = try await s.mpc(["query", "verify", "--query", oneSigned, "--study", s.study])
    #expect(underSigned.status == 1)
    #expect(underSigned.stdout.contains("1 of 2 required: NOT met"), "\(underSigned.stdout)")
    let approved = s.path("wards.2.json")
    try await sign(s, oneSigned, by: ["legal-1"], out: approved)
    let verified = try await s.mpc(["query", "verify", "--query", approved, "--study", s.study])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    #expect(verified.stdout.contains("signed by    ethics-1, legal-1"))
    let show = try await s.mpc(["query", "show", "--query", approved])
    let query = try QueryManifest.decode(Data(Self.histogram("wards").utf8), file: "q")
    #expect(show.status == 0)
    #expect(show.stdout.contains(query.fingerprint.hex))
    #expect(show.stdout.contains("winter-report"))

    // Dry run of the approved query at every site: no charge, no file, nothing sent.
    let guardPorts = try PortGuard(ports: s.ports)
    for party in 0..<3 {
      let dry = try await MPCProcess.run(
        s.args(party, query: approved, extra: ["--dry-run", "--json"]))
      #expect(dry.status == 0, "\(dry.stderr)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
      #expect(object["would_run"] as? Bool == true)
      #expect((object["budget"] as? [String: Any])?["remaining"] as? String == "9/10")
      #expect(object["approvers"] as? [String] == ["ethics-1", "legal-1"])
      let widths = (object["components"] as? [[String: Any]])?.compactMap {
        $0["interval_half_width"] as? Int
      }
      #expect(widths?.count == 1 && (widths?.first ?? 0) > 0)
    }
    #expect(guardPorts.connections() == 0)
    #expect(try s.ledgers().allSatisfy { $0 == nil })
    #expect(!FileManager.default.fileExists(atPath: s.state), "a dry run created state")
    // A query the policy refuses: the dry run names the rule and the largest ρ that passes.
    let greedyBare = try s.write("greedy.json", Self.histogram("greedy", rho: "1/2"))
    let greedy = s.path("greedy.2.json")
    try await sign(s, greedyBare, by: ["ethics-1", "patients-1"], out: greedy)
    let dryGreedy = try await MPCProcess.run(s.args(0, query: greedy, extra: ["--dry-run"]))
    #expect(dryGreedy.status == 1)
    #expect(dryGreedy.stdout.contains("REFUSED by policy.max_query_cost"), "\(dryGreedy.stdout)")
    #expect(dryGreedy.stdout.contains("with rho = 1/5"), "\(dryGreedy.stdout)")
    #expect(guardPorts.connections() == 0)
    #expect(try s.ledgers().allSatisfy { $0 == nil })
    guardPorts.close()

    // The approved query runs; the output rules are applied and said so; approvers logged.
    for r in try await s.runAll(query: approved, extra: ["--json"]) {
      #expect(r.status == 0, "\(r.stderr)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      #expect((object["output_rules"] as? String)?.contains("multiple of 5") == true)
      let values = (object["components"] as? [[String: Any]])?.first?["values"] as? [[String: Any]]
      for v in values ?? [] where v["suppressed"] == nil {
        #expect((v["value"] as? Int ?? 1) % 5 == 0, "\(v)")
        #expect((v["lower"] as? Int ?? 1) % 5 == 0 && (v["upper"] as? Int ?? 1) % 5 == 0)
      }
      #expect(values?.count == 3)
    }
    let log0 = try s.ledgerFile(0, ReleaseLog.fileName(partyId: 0))
    let record = try #require(
      try ReleaseLog(
        store: MemoryLedgerStore(contents: Array(Data(contentsOf: URL(fileURLWithPath: log0))))
      ).all.first)
    #expect(record.approvers == ["ethics-1", "legal-1"])
    #expect(record.useCase == "winter-report")
    let charged = try s.ledgers()
    #expect(charged.allSatisfy { $0 != nil })
    let logs = try s.releaseLogs()

    // A dry run with the ledgers in place: nothing written, nothing sent.
    let next = s.path("next.2.json")
    try await sign(
      s, try s.write("next.json", Self.histogram("next")), by: ["legal-1", "patients-1"], out: next)
    let guardAgain = try PortGuard(ports: s.ports)
    for party in 0..<3 {
      let dry = try await MPCProcess.run(s.args(party, query: next, extra: ["--dry-run"]))
      #expect(dry.status == 0, "\(dry.stderr)")
      #expect(dry.stdout.contains("remaining 4/5 of 1 (spent before: 1/10)"), "\(dry.stdout)")
      #expect(dry.stdout.contains("verdict       would run"))
    }
    #expect(guardAgain.connections() == 0)
    guardAgain.close()
    #expect(try s.ledgers() == charged)
    #expect(try s.releaseLogs() == logs)

    // Unsigned, under-signed, altered and policy-breaking queries: refused at every site,
    // naming why, before anything is charged.
    let unsigned = try s.write("unsigned.json", Self.histogram("unsigned"))
    let under = s.path("under.1.json")
    try await sign(
      s, try s.write("under.json", Self.histogram("under")), by: ["ethics-1"], out: under)
    let alteredText = try String(contentsOfFile: approved, encoding: .utf8)
      .replacingOccurrences(of: "\"wards\"", with: "\"wards-b\"")
    let altered = try s.write("altered.json", alteredText)
    let cases: [(String, String)] = [
      (unsigned, "is not registered"), (under, "1 of the 2 approvals"),
      (altered, "altered after signing"), (greedy, "policy.max_query_cost"),
    ]
    for (file, why) in cases {
      for r in try await s.runAll(query: file) {
        #expect(r.status == 64, "\(file): \(r.stderr)")
        #expect(r.stderr.contains(why), "\(file): \(r.stderr)")
      }
      #expect(try s.ledgers() == charged, "\(file) changed a ledger")
      #expect(try s.releaseLogs() == logs)
    }

    // Audit: the release is listed with its approvers, verified, exported.
    let list = try await s.mpc(["audit", "--study", s.study, "--party", "0"])
    #expect(list.status == 0, "\(list.stderr)")
    #expect(list.stdout.contains("wards") && list.stdout.contains("approved by ethics-1, legal-1"))
    let ok = try await s.mpc(["audit", "verify", "--study", s.study, "--party", "1"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let html = s.path("report.html")
    let export = try await s.mpc([
      "audit", "export", "--study", s.study, "--party", "0", "--out", html,
    ])
    #expect(export.status == 0, "\(export.stderr)")
    let page = try String(contentsOfFile: html, encoding: .utf8)
    #expect(page.contains("Ward mix for the winter report"))
    #expect(page.contains("this holds even if up to 1 site pools what they saw"))
    #expect(!page.contains("src=") && !page.contains("href=") && !page.contains("<link"))
    // Rendered by a browser: the histogram's bars and the budget line are drawn.
    if let dom = try await HeadlessChromium.dumpDOM(html) {
      #expect(dom.contains("data-charts-drawn=\"2\""), "\(dom.prefix(400))")
      #expect(dom.components(separatedBy: "<svg class=\"chart").count - 1 == 2)
      // A screenshot of the page against one of the same page without its charts: the
      // histogram's bars and whiskers and the budget line are visibly drawn in colour.
      let bare = s.path("report-no-charts.html")
      try page.replacingOccurrences(
        of: "<svg[\\s\\S]*?</svg>", with: "", options: .regularExpression
      ).write(toFile: bare, atomically: true, encoding: .utf8)
      if let charted = try await HeadlessChromium.colouredPixels(html, png: s.path("report.png")),
        let plain = try await HeadlessChromium.colouredPixels(bare, png: s.path("bare.png"))
      {
        #expect(charted >= plain + 500, "coloured pixels: \(charted) with charts, \(plain) without")
      }
    }
    let json = s.path("report.json")
    let exportJSON = try await s.mpc([
      "audit", "export", "--study", s.study, "--party", "0", "--out", json, "--format", "json",
    ])
    #expect(exportJSON.status == 0)
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
        as? [String: Any])
    #expect(
      (report["releases"] as? [[String: Any]])?.first?["approvers"] as? [String] == [
        "ethics-1", "legal-1",
      ])

    // The records are identical at every site except for times: the peers' logs match.
    let peers = (1..<3).flatMap {
      ["--peer-log", (try? s.ledgerFile($0, ReleaseLog.fileName(partyId: $0))) ?? ""]
    }
    let matched = try await s.mpc(["audit", "verify", "--study", s.study, "--party", "0"] + peers)
    #expect(matched.status == 0, "\(matched.stderr)")
    #expect(matched.stdout.contains("every record matches 2 peer log(s)"))

    // An edit that rebuilds the chain (a released value changed, hashes recomputed) still
    // differs from the other sites' logs.
    let original = try Data(contentsOf: URL(fileURLWithPath: log0))
    var forged = record
    forged.result = record.result.replacingOccurrences(
      of: "\"label\":\"icu\"", with: "\"label\":\"ICU\"")
    #expect(forged.result != record.result)
    let rebuilt = ReleaseRecord(
      sequence: forged.sequence, queryId: forged.queryId, queryHash: forged.queryHash,
      manifestHash: forged.manifestHash, sessionId: forged.sessionId, chargeHash: forged.chargeHash,
      parties: forged.parties, mechanism: forged.mechanism, honestCount: forged.honestCount,
      cost: forged.cost, result: forged.result, text: forged.text, time: forged.time,
      definition: forged.definition, approvers: forged.approvers, purpose: forged.purpose,
      useCase: forged.useCase, previousHash: forged.previousHash)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    try (try encoder.encode(rebuilt) + Data("\n".utf8)).write(to: URL(fileURLWithPath: log0))
    let rebuiltCheck = try await s.mpc(
      ["audit", "verify", "--study", s.study, "--party", "0"] + peers)
    #expect(rebuiltCheck.status == 1)
    #expect(
      rebuiltCheck.stderr.contains("differs from") && rebuiltCheck.stderr.contains("in result"),
      "\(rebuiltCheck.stderr)")
    try original.write(to: URL(fileURLWithPath: log0))

    // An edited release log: one character of a record changed.
    var text = try String(contentsOfFile: log0, encoding: .utf8)
    let range = try #require(text.range(of: "winter-report"))
    text.replaceSubrange(range, with: "summer-report")
    try text.write(toFile: log0, atomically: true, encoding: .utf8)
    let edited = try await s.mpc(["audit", "verify", "--study", s.study, "--party", "0"])
    #expect(edited.status == 1)
    #expect(edited.stderr.contains("release log") && edited.stderr.contains("hash chain"))
  }
}

extension GovernanceProcessTests {
  @Test func signingRefusesWhatWouldVoidOrForgeAnApproval() async throws {
    let s = try await sites()
    defer { try? FileManager.default.removeItem(at: s.dir) }
    let bare = try s.write("q.json", Self.histogram("q"))
    // A bare query needs a purpose and use case.
    let noPurpose = try await s.mpc([
      "query", "sign", "--query", bare, "--study", s.study, "--key", s.path("ethics-1.key"),
      "--out", s.path("q.1.json"),
    ])
    #expect(noPurpose.status == 64 && noPurpose.stderr.contains("give --purpose and --use-case"))
    // A site key, or a signing key the registry does not pin, signs nothing.
    _ = try await MPCProcess.run(["keygen", "--signing", "--out", s.path("stranger.key")])
    for key in ["stranger.key", "s0.key"] {
      let r = try await s.mpc([
        "query", "sign", "--query", bare, "--study", s.study, "--key", s.path(key),
        "--purpose", "p", "--use-case", "u", "--out", s.path("q.\(key).json"),
      ])
      #expect(r.status == 64, "\(key): \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: s.path("q.\(key).json")))
    }
    // Changing the purpose of a signed query would void its signatures: refused.
    try await sign(s, bare, by: ["ethics-1"], out: s.path("q.1.json"))
    let changed = try await s.mpc([
      "query", "sign", "--query", s.path("q.1.json"), "--study", s.study, "--key",
      s.path("legal-1.key"), "--purpose", "something else", "--out", s.path("q.2.json"),
    ])
    #expect(changed.status == 64 && changed.stderr.contains("would void the existing signatures"))
    // An existing output file is never overwritten (other than the input itself).
    let clobber = try await s.mpc([
      "query", "sign", "--query", s.path("q.1.json"), "--study", s.study, "--key",
      s.path("legal-1.key"), "--out", bare,
    ])
    #expect(clobber.status == 64 && clobber.stderr.contains("already exists"))
    // A bare query against a registry: not admitted, exit 1; JSON names the refusal.
    let verify = try await s.mpc(["query", "verify", "--query", bare, "--study", s.study, "--json"])
    #expect(verify.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
    #expect(object?["admitted"] as? Bool == false)
    #expect((object?["refusal"] as? String)?.contains("not registered") == true)
  }
}

/// Headless Chromium for report tests (`chromium --headless --dump-dom`).
enum HeadlessChromium {
  static func binary() -> String? {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
      for dir in ["/usr/bin", "/usr/local/bin", "/snap/bin"] {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
      }
    }
    return nil
  }

  /// Screenshots `file` (800 × 1600) into `png` and counts its coloured pixels (channels
  /// spread by more than 60: chart ink, not text or grey rules), decoding the PNG with python3
  /// (zlib); nil with a printed note when Chromium or python3 is missing.
  static func colouredPixels(_ file: String, png: String) async throws -> Int? {
    guard let chromium = binary() else { return nil }
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-chromium-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: profile) }
    let shot = try await MPCProcess.runExecutable(
      chromium,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
        "--user-data-dir=\(profile.path)", "--window-size=800,1600",
        "--virtual-time-budget=5000", "--screenshot=\(png)",
        URL(fileURLWithPath: file).absoluteString,
      ])
    #expect(shot.status == 0, "chromium --screenshot exited \(shot.status)")
    guard FileManager.default.fileExists(atPath: "/usr/bin/python3") else {
      print("note: python3 is not installed; the screenshot of the report was not measured")
      return nil
    }
    let count = try await MPCProcess.runExecutable(
      "/usr/bin/python3", ["-c", pngInk, png])
    #expect(count.status == 0, "\(count.stderr)")
    return Int(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// Prints the number of coloured pixels of an 8-bit RGB(A) PNG (argv[1]).
  static let pngInk = """
    import sys, zlib, struct
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
    pos, idat = 8, b''
    while pos < len(data):
        n, = struct.unpack('>I', data[pos:pos + 4]); kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]; pos += 12 + n
        if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT': idat += body
    assert depth == 8 and ctype in (2, 6), 'PNG type %d/%d' % (ctype, depth)
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, i, coloured = bytearray(stride), 0, 0
    for _ in range(h):
        f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            if max(line[x:x + 3]) - min(line[x:x + 3]) > 60: coloured += 1
        prev = line
    print(coloured)
    """

  /// The DOM of `file` after its scripts ran, or nil (with a printed note) when Chromium is
  /// not installed on this machine (`apt-get install chromium`).
  static func dumpDOM(_ file: String) async throws -> String? {
    guard let chromium = binary() else {
      print(
        "note: Chromium is not installed (apt-get install chromium); the browser check of the report was not run"
      )
      return nil
    }
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mpc-chromium-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: profile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: chromium)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000", "--dump-dom",
      URL(fileURLWithPath: file).absoluteString,
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = MPCProcess.readToEnd(out.fileHandleForReading)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "chromium exited \(process.terminationStatus)")
    return String(decoding: data, as: UTF8.self)
  }
}
