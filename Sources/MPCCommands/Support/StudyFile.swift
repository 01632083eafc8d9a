import Foundation

/// A study file as `mpc study init`, `mpc demo` and `mpc bench` write it
/// (`protocols/manifest.md`); every site then loads it with `StudyManifest.load`.
struct StudyFile: Encodable {
  /// One party: id, display name, study address and pinned public key (hex).
  struct Party: Encodable {
    var id: Int
    var name: String
    var address: String
    var publicKey: String

    enum CodingKeys: String, CodingKey {
      case id, name, address
      case publicKey = "public_key"
    }
  }

  var id: String
  var parties: [Party]
  var colluders = 1
  var field = "auto"
  var neighbour = "add-remove"
  var maxSitesPerPerson = 1
  /// `{"rho": "1"}` (zCDP) or `{"epsilon": "1"}` (pure ε), exact rationals as text.
  var budget: [String: String]
  var delta = "1e-6"
  /// Ignored by every site (ledgers live in the state directory); nil leaves the key out.
  var ledger: String? = nil
  /// `true` only for `mpc bench`'s study (seeded noise allowed); left out otherwise.
  var testStudy: Bool?

  enum CodingKeys: String, CodingKey {
    case id, parties, colluders, field, neighbour, budget, delta, ledger
    case maxSitesPerPerson = "max_sites_per_person"
    case testStudy = "test_study"
  }

  /// The file's bytes: pretty, key-sorted JSON with a trailing newline.
  func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self) + Data([10])
  }
}
