/// Text a peer supplied (an abort or refusal reason, a software version) made safe to print on
/// an operator's terminal: control characters (C0, DEL, C1) and bidirectional-override
/// characters are shown escaped (`\x1B`, `\u{202E}`), so a peer cannot move the cursor, clear
/// lines or reorder what the operator reads (`protocols/channel.md` §6).
public enum PeerText {
  /// `text` with every control or bidirectional-control character escaped.
  public static func printable(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      let v = scalar.value
      let isControl = v < 0x20 || (0x7F...0x9F).contains(v)
      let isBidi =
        (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        || v == 0x200E || v == 0x200F || v == 0x061C
      if isControl {
        out += "\\x" + hex(v, width: 2)
      } else if isBidi {
        out += "\\u{" + hex(v, width: 4) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  private static func hex(_ v: UInt32, width: Int) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
}
