import Foundation

#if FUZZING
  /// libFuzzer's entry (built by `make fuzz` with `-sanitize=fuzzer,address -D FUZZING`):
  /// the target comes from `MPC_FUZZ_TARGET`.
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    fuzzTarget.run(bytes)
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// SwiftPM links an executable's entry as `<module>_main`; here it hands over to libFuzzer.
  @_cdecl("mpc_fuzz_main")
  func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  ) -> CInt {
    var count = argc
    var arguments = argv
    _ = fuzzTarget  // refuse a missing MPC_FUZZ_TARGET before fuzzing starts
    return withUnsafeMutablePointer(to: &arguments) { pointer in
      pointer.withMemoryRebound(
        to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?.self, capacity: 1
      ) { runDriver(&count, $0, { data, size in fuzzOne(data, size) }) }
    }
  }

  let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["MPC_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
      FileHandle.standardError.write(Data("set MPC_FUZZ_TARGET to one of: \(names)\n".utf8))
      exit(2)
    }
    return target
  }()
#else
  /// Without libFuzzer: `mpc-fuzz TARGET FILE_OR_DIRECTORY...` runs every input through the
  /// target once (a regression replay of a corpus; a crash is a failure of the replay).
  @main
  struct Replay {
    static func main() {
      let arguments = Array(CommandLine.arguments.dropFirst())
      if arguments.first == "seeds" {
        guard arguments.count == 3 else {
          FileHandle.standardError.write(Data("usage: mpc-fuzz seeds VECTORS_DIR OUT_DIR\n".utf8))
          exit(64)
        }
        do {
          let counts = try Seeds.write(vectors: arguments[1], to: arguments[2])
          for target in FuzzTarget.allCases {
            print("\(target.rawValue): \(counts[target] ?? 0) seeds in \(arguments[2])/\(target)")
          }
        } catch {
          FileHandle.standardError.write(Data("mpc-fuzz: seeds: \(error)\n".utf8))
          exit(1)
        }
        return
      }
      guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        FileHandle.standardError.write(
          Data("usage: mpc-fuzz \(names) FILE_OR_DIRECTORY... | mpc-fuzz seeds VECTORS OUT\n".utf8))
        exit(64)
      }
      var count = 0
      let manager = FileManager.default
      for path in arguments.dropFirst() {
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
          FileHandle.standardError.write(Data("mpc-fuzz: \(path): no such file\n".utf8))
          exit(66)
        }
        let files =
          isDirectory.boolValue
          ? ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted().map {
            path + "/" + $0
          } : [path]
        for file in files {
          guard let data = manager.contents(atPath: file) else { continue }
          target.run(Array(data))
          count += 1
        }
      }
      print("\(name): \(count) inputs replayed, no failure")
    }
  }
#endif
