public import MPCCrypto

/// One direction of an encrypted link: XChaCha20-Poly1305 with an implicit frame counter
/// (`protocols/channel.md` §2). The counter is never sent, so a replayed, dropped, reordered or
/// tampered frame fails authentication at the receiver.
public struct FrameCipher: Sendable {
  /// Largest plaintext frame accepted (refused before allocation on receive).
  public static let defaultMaximumFrame = 16 << 20

  let key: SecretBytes
  let direction: UInt8
  let peer: Int
  /// The counter of the next frame.
  public private(set) var counter: UInt64 = 0
  /// Largest plaintext length.
  public let maximumFrame: Int

  /// A cipher for one direction; `direction` is 0 for initiator → responder, 1 for the reverse.
  public init(
    key: SecretBytes, direction: UInt8, peer: Int, maximumFrame: Int = defaultMaximumFrame
  ) {
    self.key = key
    self.direction = direction
    self.peer = peer
    self.maximumFrame = maximumFrame
  }

  func nonce() -> [UInt8] {
    [direction] + (0..<8).map { UInt8(truncatingIfNeeded: counter >> (8 * UInt64($0))) }
      + [UInt8](repeating: 0, count: 15)
  }

  func associatedData(length: Int) -> [UInt8] {
    Array("swift-mpc/frame/v1".utf8) + [direction]
      + (0..<8).map { UInt8(truncatingIfNeeded: counter >> (8 * UInt64($0))) } + le32(length)
  }

  /// Encrypts the next frame: returns the ciphertext (plaintext + 16-byte tag).
  public mutating func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
    precondition(plaintext.count <= maximumFrame, "frame above the maximum")
    let out = try XChaCha20Poly1305.seal(
      plaintext, key: key, nonce: nonce(), associatedData: associatedData(length: plaintext.count))
    counter += 1
    return out
  }

  /// Checks a declared ciphertext length before anything is allocated for it.
  public func checkLength(_ ciphertextLength: Int) throws {
    let plain = ciphertextLength - XChaCha20Poly1305.tagByteCount
    guard plain <= maximumFrame else {
      throw NetworkError.frameTooLarge(peer: peer, length: plain, maximum: maximumFrame)
    }
    guard plain >= 0 else { throw NetworkError.frameRejected(peer: peer, frame: counter) }
  }

  /// Decrypts the next frame; throws if it is not exactly the next authentic frame.
  public mutating func open(_ ciphertext: [UInt8]) throws -> [UInt8] {
    try checkLength(ciphertext.count)
    do {
      let out = try XChaCha20Poly1305.open(
        ciphertext, key: key, nonce: nonce(),
        associatedData: associatedData(length: ciphertext.count - XChaCha20Poly1305.tagByteCount),
        context: "frame \(counter) from party \(peer)")
      counter += 1
      return out
    } catch is CryptoError {
      throw NetworkError.frameRejected(peer: peer, frame: counter)
    }
  }
}
