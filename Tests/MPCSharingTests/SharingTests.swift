import MPCBigInt
import MPCCrypto
import MPCField
import MPCSharing
import Testing
import _MPCTestSupport

func context(length: Int, field: any PrimeField, session: UInt8 = 1, vector: String = "result")
  -> MaskContext
{
  MaskContext(
    studyID: "study-A", sessionID: [UInt8](repeating: session, count: 16), queryID: "q1",
    vectorName: vector, length: length, field: field)
}

/// Pair secrets for n parties from a seeded stream, indexed [i][j] (symmetric).
func pairSecrets(_ n: Int, label: String) -> [[Int: SecretBytes]] {
  var random = SeededRandom.make(label)
  var table = [[Int: SecretBytes]](repeating: [:], count: n)
  for i in 0..<n {
    for j in (i + 1)..<max(n, i + 1) {
      let s = SecretBytes(randomCount: 32, using: &random)
      table[i][j] = s
      table[j][i] = s
    }
  }
  return table
}

@Suite struct AdditiveSharingTests {
  @Test(arguments: [2, 3, 5, 10])
  func splitAndReconstruct(n: Int) throws {
    for named in [NamedField.m61, .m127] {
      let field = named.field
      var random = SeededRandom.make("split-\(n)")
      let secret = FieldVector(signed: [0, 1, -1, 1_000_000, -42], in: field)
      let shares = try AdditiveSharing.split(secret, parties: n, using: &random)
      #expect(shares.count == n)
      #expect(try AdditiveSharing.reconstruct(shares).limbs == secret.limbs)
      // Dropping any share gives something else (with overwhelming probability).
      #expect(try AdditiveSharing.reconstruct(Array(shares.dropLast())).limbs != secret.limbs)
    }
  }

  @Test func errors() throws {
    var random = SeededRandom.make("errors")
    let v = FieldVector(zeros: 2, in: NamedField.m61.field)
    #expect(throws: SharingError.self) { try AdditiveSharing.split(v, parties: 1, using: &random) }
    #expect(throws: SharingError.self) { try AdditiveSharing.reconstruct([]) }
    #expect(throws: SharingError.self) {
      try AdditiveSharing.reconstruct([v, FieldVector(zeros: 3, in: NamedField.m61.field)])
    }
  }
}

@Suite struct MaskTests {
  /// Σ_i y_i = Σ_i (x_i + η_i): the masks cancel for every n, in chunks of any size.
  @Test(arguments: [2, 3, 5, 10])
  func masksCancel(n: Int) throws {
    let field = NamedField.m127.field
    let m = 1_000
    let ctx = context(length: m, field: field)
    let secrets = pairSecrets(n, label: "cancel-\(n)")
    var total = FieldVector(zeros: m, in: field)
    var expected = FieldVector(zeros: m, in: field)
    for i in 0..<n {
      let x = FieldVector(signed: (0..<m).map { Int64($0 * (i + 1)) - 500 }, in: field)
      try expected.add(x)
      var stream = try MaskedUploadStream(
        party: i, partyCount: n, pairSecrets: secrets[i], context: ctx, field: field)
      // Odd chunk sizes: 1, 333, 666.
      var upload = FieldVector(zeros: 0, in: field)
      var start = 0
      for size in [1, 333, 666] {
        var chunk = FieldVector(
          signed: (start..<(start + size)).map { Int64($0 * (i + 1)) - 500 }, in: field)
        try stream.mask(&chunk)
        upload = try FieldVector(limbs: upload.limbs + chunk.limbs, in: field)
        start += size
      }
      #expect(stream.isComplete)
      #expect(upload.limbs != x.limbs)
      try total.add(upload)
    }
    #expect(total.limbs == expected.limbs)
  }

  /// r_ij is the same at both ends and differs with every context field.
  @Test func maskDerivationIsBoundToItsContext() throws {
    let field = NamedField.m61.field
    let secret = SecretBytes(copying: [UInt8](repeating: 9, count: 32))
    let base = try PairwiseMask.expand(
      pairSecret: secret, context: context(length: 8, field: field), low: 0, high: 1, field: field)
    let variants: [MaskContext] = [
      context(length: 8, field: field, session: 2),
      context(length: 8, field: field, vector: "count"),
      context(length: 8, field: NamedField.m89.field),
      MaskContext(
        studyID: "study-B", sessionID: [UInt8](repeating: 1, count: 16), queryID: "q1",
        vectorName: "result", length: 8, field: field),
      MaskContext(
        studyID: "study-A", sessionID: [UInt8](repeating: 1, count: 16), queryID: "q2",
        vectorName: "result", length: 8, field: field),
    ]
    for v in variants {
      let other = try PairwiseMask.expand(
        pairSecret: secret, context: v, low: 0, high: 1, field: field)
      #expect(other.limbs != base.limbs)
    }
    let otherPair = try PairwiseMask.expand(
      pairSecret: secret, context: context(length: 8, field: field), low: 0, high: 2, field: field)
    #expect(otherPair.limbs != base.limbs)
  }

  /// One upload y_i is uniform on a small field even when x_i is constant (χ², p = 11).
  @Test func singleUploadIsUniform() throws {
    let field = try makePrimeField(modulus: 11)
    let m = 22_000
    let ctx = context(length: m, field: field)
    let secrets = pairSecrets(3, label: "uniform-upload")
    var stream = try MaskedUploadStream(
      party: 1, partyCount: 3, pairSecrets: secrets[1], context: ctx, field: field)
    var y = FieldVector(signed: [Int64](repeating: 7, count: m), in: field)
    try stream.mask(&y)
    var counts = [Int](repeating: 0, count: 11)
    for v in y.limbs { counts[Int(v)] += 1 }
    let expected = Double(m) / 11
    let chi2 = counts.reduce(0.0) {
      $0 + (Double($1) - expected) * (Double($1) - expected) / expected
    }
    // 10 degrees of freedom: the 0.999 quantile is 29.59.
    #expect(chi2 < 29.59)
  }

  @Test func streamErrors() throws {
    let field = NamedField.m61.field
    let ctx = context(length: 4, field: field)
    let secrets = pairSecrets(3, label: "errors")
    #expect(throws: SharingError.missingPairSecret(party: 0, peer: 2)) {
      try MaskedUploadStream(
        party: 0, partyCount: 3, pairSecrets: [1: secrets[0][1]!], context: ctx, field: field)
    }
    #expect(throws: SharingError.invalidParty(id: 3, partyCount: 3)) {
      try MaskedUploadStream(
        party: 3, partyCount: 3, pairSecrets: secrets[0], context: ctx, field: field)
    }
    var stream = try MaskedUploadStream(
      party: 0, partyCount: 3, pairSecrets: secrets[0], context: ctx, field: field)
    var chunk = FieldVector(zeros: 5, in: field)
    #expect(throws: SharingError.chunkOverrun(requested: 5, remaining: 4)) {
      try stream.mask(&chunk)
    }
    #expect(throws: SharingError.self) {
      try PairwiseMask.key(pairSecret: SecretBytes(copying: [1, 2]), context: ctx, low: 0, high: 1)
    }
  }
}
