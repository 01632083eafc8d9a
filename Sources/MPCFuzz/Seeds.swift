import Foundation
import MPCCrypto
import MPCNetwork

/// `mpc-fuzz seeds VECTORS_DIR OUT_DIR`: a seed corpus per target, from the known-answer
/// vectors (frames, manifests, ledger lines, link wire bytes) plus valid handshake messages
/// for the harness's fixed keys and a few CSV and vector files with the unusual-but-valid forms
/// (BOM, CRLF, quoted commas and newlines, `-0`).
enum Seeds {
  static func write(vectors: String, to out: String) throws -> [FuzzTarget: Int] {
    var seeds: [FuzzTarget: [[UInt8]]] = [:]
    func cases(_ family: String) throws -> [[String: Any]] {
      let data = try Data(contentsOf: URL(fileURLWithPath: vectors + "/" + family + ".json"))
      let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
      return object?["cases"] as? [[String: Any]] ?? []
    }
    func hex(_ value: Any?) -> [UInt8]? { (value as? String).flatMap { try? Hex.decode($0) } }
    func json(_ value: Any?) -> [UInt8]? {
      guard let value, JSONSerialization.isValidJSONObject(value) else { return nil }
      return (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]))
        .map { Array($0) }
    }

    for c in try cases("messages") {
      if let frame = hex((c["expected"] as? [String: Any])?["frame"]) {
        seeds[.codec, default: []].append(frame)
      }
    }
    for c in try cases("manifest-hash") {
      let input = c["input"] as? [String: Any]
      if let study = json(input?["study"]) { seeds[.study, default: []].append(study) }
      if let query = json(input?["query"]) { seeds[.query, default: []].append(query) }
    }
    for c in try cases("ledger") {
      let entries = (c["expected"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []
      let lines = entries.compactMap { $0["line"] as? String }
      seeds[.ledger, default: []].append(Array(lines.map { $0 + "\n" }.joined().utf8))
    }
    // Registered (signed) query files and release-log lines of the governance family.
    for c in try cases("governance") {
      let expected = c["expected"] as? [String: Any]
      if let file = expected?["registered_file"] as? String {
        seeds[.query, default: []].append(Array(file.utf8))
      }
      let records = expected?["records"] as? [[String: Any]] ?? []
      let lines = records.compactMap { $0["line"] as? String }
      if !lines.isEmpty {
        seeds[.ledger, default: []].append(Array(lines.map { $0 + "\n" }.joined().utf8))
      }
    }
    for c in try cases("channel") {
      guard let e = c["expected"] as? [String: Any] else { continue }
      let toResponder = (e["wire_initiator_to_responder"] as? [String] ?? []).compactMap(hex)
      let toInitiator = (e["wire_responder_to_initiator"] as? [String] ?? []).compactMap(hex)
      if let m1 = hex(e["message1"]), let m3 = hex(e["message3"]) {
        seeds[.frames, default: []].append(m1 + m3 + toResponder.joined())
      }
      if let m2 = hex(e["message2"]) {
        seeds[.frames, default: []].append(m2 + toInitiator.joined())
      }
    }
    // Valid messages for the harness's own keys, so mutations start past the digests.
    var random = FuzzRandom(seed: [1, 2, 3])
    let initiator = LinkHandshake.Initiator(
      context: FuzzTarget.context, identity: FuzzTarget.keys.initiator, using: &random)
    seeds[.handshake, default: []].append(initiator.message1)
    if let responder = try? LinkHandshake.Responder(
      context: FuzzTarget.context, identity: FuzzTarget.keys.responder,
      message1: initiator.message1, using: &random)
    {
      seeds[.handshake, default: []].append(responder.message2)
      if let (message3, _) = try? initiator.finish(message2: responder.message2) {
        seeds[.handshake, default: []].append(message3)
      }
    }
    seeds[.csv] = [
      "ward,age\nicu,34\nmedical,70\nsurgical,5\n", "\u{FEFF}ward,age\r\nicu,-0\r\nICU,17\r\n",
      "age,ward\n\"1,2\",\"med\nical\"\n,\n999999999999999999999,icu\n", "ward\n",
    ].map { Array($0.utf8) }
    seeds[.vector] = [Array("1\n-2\n3\n4\n".utf8), Array("1\r\n2\r\n".utf8)]
    seeds[.vector, default: []].append(
      [1, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])

    var counts: [FuzzTarget: Int] = [:]
    for target in FuzzTarget.allCases {
      let directory = out + "/" + target.rawValue
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      for (i, seed) in (seeds[target] ?? []).enumerated() {
        try Data(seed).write(to: URL(fileURLWithPath: directory + "/seed-\(i)"))
      }
      counts[target] = seeds[target]?.count ?? 0
    }
    return counts
  }
}
