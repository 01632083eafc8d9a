import MPCCrypto

/// A fingerprint of a study or query file for people to compare over the phone
/// (`mpc study show`, `mpc study verify`): the hash's first 16 bytes as hex in groups of four,
/// and its first 8 bytes as eight words from a fixed list of 256 (one word per byte).
public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
  /// The full 32-byte hash it is taken from.
  public let hash: [UInt8]

  /// The fingerprint of `hash` (at least 16 bytes).
  public init(hash: [UInt8]) {
    precondition(hash.count >= 16, "a fingerprint needs at least 16 bytes of hash")
    self.hash = hash
  }

  /// `1a2b 3c4d 5e6f 7081 92a3 b4c5 d6e7 f809`.
  public var hex: String {
    let digits = Hex.encode(Array(hash.prefix(16)))
    return stride(from: 0, to: digits.count, by: 4).map { start in
      let a = digits.index(digits.startIndex, offsetBy: start)
      return String(digits[a..<digits.index(a, offsetBy: 4)])
    }.joined(separator: " ")
  }

  /// Eight words for the first eight bytes, e.g. `maple otter ...`.
  public var words: [String] { hash.prefix(8).map { Self.wordList[Int($0)] } }

  public var description: String { "\(hex) (\(words.joined(separator: " ")))" }

  /// Whether `text` names this fingerprint: the hex (any case, spaces and dashes ignored;
  /// at least its first 8 hex digits, at most the full hash) or the eight words.
  public func matches(_ text: String) -> Bool {
    let lowered = text.lowercased()
    let parts = lowered.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "," })
    if parts.count == 8, parts.allSatisfy({ Self.wordList.contains(String($0)) }) {
      return parts.map(String.init) == words
    }
    let digits = parts.joined()
    guard digits.count >= 8, digits.count <= 64, digits.allSatisfy(\.isHexDigit) else {
      return false
    }
    return Hex.encode(hash).hasPrefix(digits)
  }

  /// 256 short, distinct, common words in sorted order; word i stands for byte i.
  public static let wordList: [String] = [
    "acid", "acorn", "actor", "adult", "agent", "alarm", "album", "alley", "amber", "angle",
    "ankle", "apple", "apron", "arena", "army", "arrow", "atlas", "attic", "audio", "autumn",
    "award", "bacon", "badge", "bagel", "baker", "bamboo", "banjo", "barn", "basil", "basket",
    "beach", "beard", "beaver", "bench", "berry", "bison", "blade", "board", "bonus", "book",
    "bottle", "bounce", "bowl", "brain", "branch", "bread", "brick", "bridge", "broom", "brush",
    "bubble", "bucket", "bundle", "butter", "button", "cabin", "cactus", "camel", "camera",
    "candle", "canoe", "canyon", "carbon", "carpet", "carrot", "castle", "cattle", "cedar",
    "cello", "chalk", "cherry", "chess", "circle", "citrus", "clock", "cloud", "clover", "cobalt",
    "cocoa", "comet", "copper", "coral", "cotton", "cougar", "cradle", "crane", "crater",
    "crayon", "cube", "dagger", "daisy", "dancer", "delta", "denim", "desert", "dinner", "domino",
    "donkey", "dragon", "drum", "eagle", "easel", "echo", "elbow", "ember", "engine", "fabric",
    "falcon", "fence", "fern", "ferry", "fiddle", "figure", "flute", "forest", "fossil", "fox",
    "galaxy", "garden", "garlic", "gecko", "ginger", "globe", "goose", "grape", "gravel",
    "guitar", "hammer", "harbor", "harp", "hazel", "helmet", "heron", "hockey", "honey", "hornet",
    "igloo", "island", "ivory", "jacket", "jaguar", "jelly", "jigsaw", "jungle", "kayak",
    "kettle", "kiwi", "koala", "ladder", "lagoon", "lemon", "lentil", "letter", "lilac", "linen",
    "lizard", "locket", "lotus", "magnet", "mango", "maple", "marble", "meadow", "melon",
    "mirror", "mitten", "monkey", "mosaic", "muffin", "nectar", "needle", "noodle", "nutmeg",
    "oasis", "ocean", "olive", "onion", "orbit", "orchid", "otter", "owl", "paddle", "panda",
    "paper", "parrot", "pasta", "peach", "pebble", "pencil", "pepper", "piano", "pickle",
    "pillow", "pilot", "pine", "planet", "plum", "pocket", "pony", "poppy", "potato", "prism",
    "puzzle", "quartz", "quill", "rabbit", "radar", "radish", "raven", "ribbon", "river", "robin",
    "rocket", "saddle", "salmon", "sandal", "satin", "scarf", "seal", "shadow", "shell", "silver",
    "sketch", "sled", "spider", "sponge", "spoon", "squid", "stamp", "statue", "stone", "sugar",
    "summit", "sunset", "swan", "table", "tiger", "timber", "tomato", "tulip", "tunnel", "turtle",
    "valley", "velvet", "violin", "wagon", "walnut", "walrus", "whale", "willow", "window",
    "winter", "wizard", "yogurt", "zebra", "zipper",
  ]
}

extension StudyManifest {
  /// The study hash: BLAKE2b-256 over `swift-mpc/study/v1` and the canonical study record
  /// (`protocols/manifest.md` §4). The link preface carries it and the ledger genesis binds it.
  public var studyHash: [UInt8] { canonical.hash(domain: "swift-mpc/study/v1") }

  /// The study's fingerprint, to compare between sites.
  public var fingerprint: Fingerprint { Fingerprint(hash: studyHash) }
}

extension QueryManifest {
  /// The query hash: BLAKE2b-256 over `swift-mpc/query/v1` and the canonical query record.
  public var queryHash: [UInt8] { canonical.hash(domain: "swift-mpc/query/v1") }

  /// The query's fingerprint, to compare between sites.
  public var fingerprint: Fingerprint { Fingerprint(hash: queryHash) }
}
