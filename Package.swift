// swift-tools-version: 6.1
// swift-mpc: secure aggregation with distributed, exact differential-privacy noise.

import Foundation
import PackageDescription

/// One settings array for every target (STYLE: Swift 6 mode plus these upcoming features).
let settings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let argumentParser = Target.Dependency.product(
  name: "ArgumentParser", package: "swift-argument-parser")

let fuzzDependencies: [Target.Dependency] = [
  "MPCCrypto", "MPCProtocol", "MPCNetwork",
  .product(name: "NIOCore", package: "swift-nio"),
  .product(name: "NIOEmbedded", package: "swift-nio"),
]

var package = Package(
  name: "swift-mpc",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "mpc", targets: ["mpc"]),
    .library(name: "MPCBigInt", targets: ["MPCBigInt"]),
    .library(name: "MPCCrypto", targets: ["MPCCrypto"]),
    .library(name: "MPCField", targets: ["MPCField"]),
    .library(name: "MPCSharing", targets: ["MPCSharing"]),
    .library(name: "MPCPrivacy", targets: ["MPCPrivacy"]),
    .library(name: "MPCProtocol", targets: ["MPCProtocol"]),
    .library(name: "MPCNetwork", targets: ["MPCNetwork"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
  ],
  targets: [
    // MARK: - C libraries
    .systemLibrary(
      name: "CGMP", pkgConfig: "gmp",
      providers: [.apt(["libgmp-dev"]), .brew(["gmp"])]),
    .systemLibrary(
      name: "CSodium", pkgConfig: "libsodium",
      providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]),

    // MARK: - Libraries (DESIGN §2)
    .target(name: "MPCBigInt", dependencies: ["CGMP"], swiftSettings: settings),
    .target(name: "MPCCrypto", dependencies: ["CSodium"], swiftSettings: settings),
    .target(
      name: "MPCField", dependencies: ["MPCBigInt", "MPCCrypto"], swiftSettings: settings),
    .target(
      name: "MPCSharing", dependencies: ["MPCBigInt", "MPCCrypto", "MPCField"],
      swiftSettings: settings),
    .target(
      name: "MPCPrivacy", dependencies: ["MPCBigInt", "MPCCrypto"], swiftSettings: settings),
    .target(
      name: "MPCProtocol",
      dependencies: ["MPCBigInt", "MPCCrypto", "MPCField", "MPCSharing", "MPCPrivacy"],
      swiftSettings: settings),
    .target(
      name: "MPCNetwork",
      dependencies: [
        "MPCCrypto", "MPCProtocol",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: settings),
    .target(
      name: "MPCVectors",
      dependencies: [
        "MPCBigInt", "MPCCrypto", "MPCField", "MPCSharing", "MPCPrivacy", "MPCProtocol",
        "MPCNetwork",
      ],
      swiftSettings: settings),
    .target(
      name: "MPCCommands",
      dependencies: [
        "MPCBigInt", "MPCCrypto", "MPCField", "MPCPrivacy", "MPCProtocol", "MPCNetwork",
        "MPCVectors", argumentParser, .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: settings),
    .executableTarget(name: "mpc", dependencies: ["MPCCommands"], swiftSettings: settings),
    // Fuzz harnesses of every decoder of untrusted bytes (`make fuzz`; `mpc-fuzz` replays).
    .executableTarget(
      name: "mpc-fuzz", dependencies: fuzzDependencies, path: "Sources/MPCFuzz",
      swiftSettings: settings),

    // MARK: - Test support and tests
    .target(
      name: "_MPCTestSupport", dependencies: ["MPCBigInt", "MPCCrypto", "MPCField"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCBigIntTests", dependencies: ["MPCBigInt", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCCryptoTests", dependencies: ["MPCCrypto", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCFieldTests", dependencies: ["MPCField", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCSharingTests", dependencies: ["MPCSharing", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCPrivacyTests", dependencies: ["MPCPrivacy", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCNetworkTests",
      dependencies: [
        "MPCNetwork", "MPCProtocol", "MPCBigInt", "_MPCTestSupport",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: settings),
    .testTarget(
      name: "MPCProtocolTests",
      dependencies: ["MPCProtocol", "MPCPrivacy", "MPCField", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCVectorsTests", dependencies: ["MPCVectors", "_MPCTestSupport"],
      swiftSettings: settings),
    .testTarget(
      name: "MPCCommandsTests",
      dependencies: [
        "MPCCommands", "MPCBigInt", "MPCCrypto", "_MPCTestSupport",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: settings),
  ]
)

// MARK: - Benchmarks (opt-in: MPC_BENCHMARKS=1 swift package benchmark)
// Kept behind an environment variable so default builds and CI never resolve ordo-one/benchmark.
if ProcessInfo.processInfo.environment["MPC_BENCHMARKS"] != nil {
  package.dependencies.append(
    .package(
      url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0",
      traits: ["MallocInterposer"]))
  package.targets.append(
    .executableTarget(
      name: "MPCBenchmarks",
      dependencies: [
        "MPCBigInt", "MPCCrypto", "MPCField",
        .product(name: "Benchmark", package: "package-benchmark"),
      ],
      path: "Sources/Benchmarks/MPCBenchmarks",
      swiftSettings: settings,
      plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]))
}
