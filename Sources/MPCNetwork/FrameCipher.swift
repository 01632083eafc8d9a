public import MPCCrypto
package import NIOCore

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

  /// Encrypts the next frame straight into its wire form `LE32(ciphertext length) ‖
  /// ciphertext`: one buffer, no intermediate copy.
  package mutating func sealFrame(_ plaintext: [UInt8]) throws -> ByteBuffer {
    precondition(plaintext.count <= maximumFrame, "frame above the maximum")
    let length = plaintext.count + XChaCha20Poly1305.tagByteCount
    var buffer = ByteBufferAllocator().buffer(capacity: 4 + length)
    buffer.writeInteger(UInt32(length), endianness: .little)
    let nonce = nonce()
    let associatedData = associatedData(length: plaintext.count)
    try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
      try plaintext.withUnsafeBytes {
        try XChaCha20Poly1305.seal(
          $0, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<length]), key: key,
          nonce: nonce, associatedData: associatedData)
      }
      return length
    }
    counter += 1
    return buffer
  }

  /// Decrypts the next frame from the readable bytes of `ciphertext` (no copy of them).
  package mutating func open(_ ciphertext: ByteBuffer) throws -> [UInt8] {
    try ciphertext.withUnsafeReadableBytes { try open(bytes: $0) }
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
    try ciphertext.withUnsafeBytes { try open(bytes: $0) }
  }

  private mutating func open(bytes ciphertext: UnsafeRawBufferPointer) throws -> [UInt8] {
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
