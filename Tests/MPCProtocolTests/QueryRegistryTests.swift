import Foundation
import MPCCrypto
import MPCProtocol
import Testing
import _MPCTestSupport

/// The query registry: m-of-n Ed25519 approvals over the canonical query, its purpose and
/// use case, bound to the study id.
struct QueryRegistryTests {
  static func keys() -> [Ed25519.KeyPair] {
    var random = SeededRandom.make("registry-approvers")
    return (0..<3).map { _ in Ed25519.KeyPair.generate(using: &random) }
  }

  static func registry(threshold: Int = 2) -> QueryRegistry {
    QueryRegistry(
      required: true,
      approvers: zip(["ethics-1", "legal-1", "patients-1"], keys()).map {
        QueryRegistry.Approver(id: $0, publicKey: $1.publicKey)
      }, threshold: threshold)
  }

  static func query(_ json: String = #"{"id": "wards-1", "kind": "count", "rho": "1/10"}"#) throws
    -> QueryManifest
  {
    try QueryManifest.decode(Data(json.utf8), file: "q.json")
  }

  static func registered() throws -> RegisteredQuery {
    RegisteredQuery(
      query: try query(), purpose: "ICU capacity planning", useCase: "UC-7")
  }

  @Test func twoOfThreeApproveOneDoesNot() throws {
    let k = Self.keys()
    let one = try Self.registered().signed(by: "legal-1", key: k[1], studyID: "flu-2026")
    #expect(one.verify(against: Self.registry(), studyID: "flu-2026").valid == ["legal-1"])
    #expect(throws: RegistryError.self) {
      try one.requireApproval(by: Self.registry(), studyID: "flu-2026")
    }
    let two = one.signed(by: "ethics-1", key: k[0], studyID: "flu-2026")
    // The registry's order, whatever the order of signing.
    #expect(
      try two.requireApproval(by: Self.registry(), studyID: "flu-2026") == ["ethics-1", "legal-1"])
  }

  @Test func anAlteredQueryPurposeOrStudyFailsEverySignature() throws {
    let k = Self.keys()
    let signed = try Self.registered()
      .signed(by: "ethics-1", key: k[0], studyID: "flu-2026")
      .signed(by: "legal-1", key: k[1], studyID: "flu-2026")
    var altered = signed
    altered.query = try Self.query(#"{"id": "wards-1", "kind": "count", "rho": "1/2"}"#)
    #expect(altered.verify(against: Self.registry(), studyID: "flu-2026").valid.isEmpty)
    var purpose = signed
    purpose.purpose = "marketing"
    #expect(purpose.verify(against: Self.registry(), studyID: "flu-2026").valid.isEmpty)
    #expect(signed.verify(against: Self.registry(), studyID: "other-study").valid.isEmpty)
    let v = altered.verify(against: Self.registry(), studyID: "flu-2026")
    #expect(v.rejected.count == 2 && v.rejected.allSatisfy { $0.problem.contains("altered") })
  }

  @Test func aSignatureCountsOnlyForItsOwnApprover() throws {
    let k = Self.keys()
    // legal-1's key used under ethics-1's name, an unknown approver, and one approver twice.
    var forged = try Self.registered().signed(by: "legal-1", key: k[1], studyID: "flu-2026")
    forged.signatures.append(
      .init(approver: "ethics-1", signature: forged.signatures[0].signature))
    forged.signatures.append(
      .init(approver: "mallory", signature: forged.signatures[0].signature))
    forged.signatures.append(forged.signatures[0])
    let v = forged.verify(against: Self.registry(), studyID: "flu-2026")
    #expect(v.valid == ["legal-1"])
    #expect(!v.approved)
    #expect(Set(v.rejected.map(\.approver)) == ["ethics-1", "mallory", "legal-1"])
  }

  @Test func theFileRoundTripsAndItsErrorsNameTheField() throws {
    let k = Self.keys()
    let signed = try Self.registered().signed(by: "ethics-1", key: k[0], studyID: "flu-2026")
    let data = try signed.encoded()
    #expect(try RegisteredQuery.decode(data, file: "r.json") == signed)

    func problem(_ json: String) -> String {
      do {
        _ = try RegisteredQuery.decode(Data(json.utf8), file: "r.json")
        return "accepted"
      } catch {
        return "\(error)"
      }
    }
    #expect(
      problem(
        #"{"query": {"id": "q", "kind": "count", "rho": "0"}, "purpose": "p", "use_case": "u"}"#
      )
      .contains("'query.rho'"))
    #expect(
      problem(
        #"{"query": {"id": "q", "kind": "count", "rho": "1"}, "purpose": "p", "use_case": "u", "signatures": [{"approver": "a", "signature": "00"}]}"#
      ).contains("signatures[0].signature"))
    #expect(
      problem(
        #"{"query": {"id": "q", "kind": "count", "rho": "1"}, "purpose": " ", "use_case": "u"}"#
      )
      .contains("'purpose'"))
  }

  @Test func theDigestIsPinned() throws {
    // Any change to the signed bytes invalidates every approval in the field: pin them.
    let digest = try Self.registered().signingDigest(studyID: "flu-2026")
    #expect(digest.count == 32)
    #expect(digest == (try Self.registered()).signingDigest(studyID: "flu-2026"))
    #expect(Hex.encode(digest) == Self.pinnedDigest)
  }

  static let pinnedDigest = "bff19b9db3d404c31529106a898800063c737f6553abfd7fe0482df54390d9bf"
}
