import Foundation
import MPCCrypto
import Testing

@testable import MPCCommands

/// The demo's data comes from a seeded generator; its bytes are pinned.
@Suite struct DemoDataTests {
  /// BLAKE2b-256 of the ten site CSVs, concatenated in site order. A change to the generator
  /// (or to the PRNG) changes it: regenerate on purpose only, and say so.
  static let pinnedDigest = "4f7fbfc8da16fd73a2d251800a9a759e133e8c8cbd8cc3c74bba430bcf9b88bc"

  @Test func generatedCSVsHaveThePinnedDigest() throws {
    var hasher = try Blake2b(outputByteCount: 32)
    for site in DemoData.sites { hasher.update(Array(site.utf8)) }
    #expect(Hex.encode(hasher.finalize()) == Self.pinnedDigest)
  }

  @Test func everySiteHasItsPatientsAndEveryCategory() {
    #expect(DemoData.sites.count == DemoData.siteNames.count)
    #expect(Set(DemoData.sites).count == DemoData.sites.count)
    let wards: Set<String> = ["icu", "medical", "surgical", "outpatient"]
    for site in DemoData.sites {
      let lines = site.split(separator: "\n").map(String.init)
      #expect(lines.first == DemoData.header)
      #expect(lines.count == DemoData.patientsPerSite + 1)
      var seen: Set<String> = []
      for line in lines.dropFirst() {
        let f = line.split(separator: ",").map(String.init)
        #expect(f.count == 5)
        #expect((0...99).contains(Int(f[0]) ?? -1) && ["F", "M"].contains(f[1]))
        #expect((0...60).contains(Int(f[3]) ?? -1) && wards.contains(f[4]))
        seen.insert(f[2])
      }
      #expect(seen == Set(DemoData.diagnoses.map(\.code)))
    }
  }

  @Test func splitMixMatchesItsReferenceOutput() {
    // splitmix64 seeded with 0: the reference implementation's first outputs.
    var random = SplitMix64(seed: 0)
    #expect(random.next() == 0xE220_A839_7B1D_CDAF)
    #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
  }
}
