// Synthetic demo data: 10 fictional hospital sites, 120 fictional patients each, generated on
// the fly by a seeded, deterministic generator (integer arithmetic on splitmix64; no floating
// point, no system randomness), so every build produces the same bytes
// (`DemoDataTests` pins their digest). No real person is in it.
// Columns: age, sex, diagnosis (ICD-10 category), length_of_stay (days), ward.

enum DemoData {
  /// Display names of the fictional sites.
  static let siteNames: [String] = [
    "St Mary's Hospital",
    "Riverside Medical Centre",
    "Northgate Clinic",
    "Lakeside General",
    "Hillcrest Hospital",
    "Eastbrook Infirmary",
    "Westfield Health",
    "Southport Hospital",
    "Meadowvale Clinic",
    "Harbour View Hospital",
  ]

  /// Patients per site.
  static let patientsPerSite = 120

  /// The header row of every site's CSV.
  static let header = "age,sex,diagnosis,length_of_stay,ward"

  /// The diagnoses the demo draws from, as (ICD-10 category, typical age, share of women in
  /// percent, wards with their weights, typical stay in days).
  static let diagnoses: [(code: String, age: Int, women: Int, wards: [(String, Int)], stay: Int)] =
    [
      ("J09", 45, 55, [("outpatient", 5), ("medical", 4), ("icu", 1)], 2),
      ("I21", 66, 40, [("medical", 4), ("icu", 3), ("surgical", 3)], 7),
      ("E11", 58, 50, [("outpatient", 7), ("medical", 3)], 2),
      ("C50", 57, 98, [("medical", 6), ("surgical", 3), ("outpatient", 1)], 3),
      ("F32", 38, 65, [("outpatient", 6), ("medical", 4)], 2),
      ("S72", 74, 68, [("surgical", 6), ("medical", 3), ("icu", 1)], 9),
    ]

  /// One CSV file per site (header row, RFC 4180, one line per patient, trailing newline).
  static let sites: [String] = siteNames.indices.map { site(at: $0) }

  /// Site `index`'s CSV: its own seed, and a site-specific mix of diagnoses.
  static func site(at index: Int) -> String {
    var random = SplitMix64(seed: 0x6D70_632D_6465_6D6F &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    // Each site sees every diagnosis, with weights 2…5 that differ from site to site.
    let weights = diagnoses.indices.map { _ in 2 + random.below(4) }
    var lines = [header]
    lines.reserveCapacity(patientsPerSite + 1)
    for _ in 0..<patientsPerSite {
      let d = diagnoses[random.pick(weights: weights)]
      // Age: the diagnosis's typical age, ± a sum of three uniform steps (a bell shape).
      let spread = random.below(13) + random.below(13) + random.below(13) - 18
      let age = min(99, max(0, d.age + 2 * spread))
      let sex = random.below(100) < d.women ? "F" : "M"
      let ward = d.wards[random.pick(weights: d.wards.map(\.1))].0
      // Stay: geometric around the typical stay, longer in intensive care, at most 60 days.
      var stay = random.below(d.stay + 1)
      while stay < 60, random.below(ward == "icu" ? 5 : 4) != 0 { stay += random.below(3) }
      lines.append("\(age),\(sex),\(d.code),\(ward == "outpatient" ? 0 : stay),\(ward)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Steele, Lea and Flood's splitmix64: a tiny, fixed PRNG (not cryptographic; demo data only).
struct SplitMix64 {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in 0..<bound (bound ≥ 1), unbiased by rejection.
  mutating func below(_ bound: Int) -> Int {
    precondition(bound >= 1)
    let b = UInt64(bound)
    let limit = UInt64.max - UInt64.max % b
    while true {
      let x = next()
      if x < limit { return Int(x % b) }
    }
  }

  /// An index drawn with probability proportional to `weights` (positive integers).
  mutating func pick(weights: [Int]) -> Int {
    var r = below(weights.reduce(0, +))
    for (i, w) in weights.enumerated() {
      if r < w { return i }
      r -= w
    }
    return weights.count - 1
  }
}
