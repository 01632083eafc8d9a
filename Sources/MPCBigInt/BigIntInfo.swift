internal import CGMP

/// Facts about the linked GMP library.
public enum BigIntInfo {
  /// GMP's version string, e.g. "6.2.1".
  public static var gmpVersion: String {
    String(cString: __gmp_version)
  }
}
