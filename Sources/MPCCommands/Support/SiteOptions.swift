import ArgumentParser
import Foundation
import MPCNetwork
import MPCProtocol

/// The options that name one site of a study: declared once, used by every site command
/// (`run`, `doctor`, …) through `@OptionGroup`.
struct SiteOptions: ParsableArguments {
  @Option(name: .long, help: "The study file (identical at every site).")
  var study: String

  @Option(name: .long, help: "This site's party id in the study.")
  var party: Int

  @Option(name: .long, help: "This site's private key file (from mpc keygen).")
  var key: String

  func validate() throws {
    guard party >= 0 else { throw ValidationError("--party \(party): party ids start at 0") }
  }
}

/// The network options of a site command: deadlines and where to listen.
struct NetworkArguments: ParsableArguments {
  @Option(name: .long, help: "Seconds to wait for any peer at any step.")
  var timeout: Int = 60

  @Option(name: .long, help: "Seconds to keep dialing peers that are not up yet.")
  var connectTimeout: Int = 60

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Listen on HOST:PORT instead of this site's study address (behind NAT or a port "
        + "forward: e.g. 0.0.0.0:7400). Peers still dial the study's address.",
      valueName: "host:port"))
  var listen: String?

  func validate() throws {
    guard timeout > 0 else { throw ValidationError("--timeout \(timeout): must be positive") }
    guard connectTimeout > 0 else {
      throw ValidationError("--connect-timeout \(connectTimeout): must be positive")
    }
    if let listen, !Self.isHostPort(listen) {
      throw ValidationError(
        "--listen \(listen): expected HOST:PORT (e.g. 0.0.0.0:7400 or [::]:7400)")
    }
  }

  /// The library's options for these arguments: a link's handshake waits at most --timeout,
  /// and no attempt waits past --connect-timeout (there is no deadline of the library's own).
  /// The network layer's options from these flags; `linkUp` hears each peer whose link came up.
  func networkOptions(linkUp: (@Sendable (Int) -> Void)? = nil) -> NetworkOptions {
    var options = NetworkOptions(
      connectDeadline: .seconds(connectTimeout), handshakeTimeout: .seconds(timeout),
      listenAddress: listen, softwareVersion: MPCVersion.software)
    options.linkUp = linkUp
    return options
  }

  /// `error` with the operator's next step added where one of these options is it: a site
  /// that cannot bind its study address is told about --listen.
  func explain(_ error: any Error) -> any Error {
    guard listen == nil, case NetworkError.cannotListen(let address, _) = error else {
      return error
    }
    let port = address.split(separator: ":").last.map(String.init) ?? "PORT"
    return CommandFailure(
      description: "\(error)\nfix: behind NAT or a port forward, listen on a local address: "
        + "--listen 0.0.0.0:\(port) (the other sites keep dialing \(address))")
  }

  /// Whether `text` reads `host:port` (IPv6 hosts in brackets) with a port in 1…65535.
  static func isHostPort(_ text: String) -> Bool {
    guard let colon = text.lastIndex(of: ":") else { return false }
    let host = text[..<colon]
    let port = text[text.index(after: colon)...]
    guard !host.isEmpty, !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
      let number = Int(port), (1...65535).contains(number)
    else { return false }
    if host.hasPrefix("[") { return host.hasSuffix("]") && host.count > 2 }
    return !host.contains(":")
  }
}

/// `--vector-format` of `run`: how a vector-sum input file is laid out.
enum VectorFormatArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// One integer per line.
  case text
  /// Little-endian 64-bit integers, 8 bytes each.
  case int64

  var format: VectorFormat { self == .int64 ? .int64LittleEndian : .text }
  /// The file extension the bench gives such a file.
  var fileExtension: String { self == .int64 ? "bin" : "txt" }
}
