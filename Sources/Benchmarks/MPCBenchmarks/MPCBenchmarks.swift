// Micro-benchmarks of the foundation (issue 3). Run with:
//   MPC_BENCHMARKS=1 swift package --allow-writing-to-package-directory benchmark --target MPCBenchmarks
// `mallocCountTotal` is counted by the malloc interposer: a vector kernel that allocated per
// element would show ~10^6 mallocs per iteration instead of 0.

import Benchmark
import MPCBigInt
import MPCCrypto
import MPCField

let elementCount = 1_000_000

func configuration() -> Benchmark.Configuration {
  Benchmark.Configuration(
    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
    scalingFactor: .one,
    maxDuration: .seconds(3),
    maxIterations: 50
  )
}

func prg(_ label: UInt64) -> ChaCha20PRG {
  // Cannot throw: 32-byte key.
  try! ChaCha20PRG(seed: SecretBytes(copying: [UInt8](repeating: 7, count: 32)), streamID: label)
}

func vectorAddBenchmark(_ named: NamedField) {
  let field = named.field
  var prgA = prg(1)
  var prgB = prg(2)
  let b = FieldVector(uniformCount: elementCount, in: field, using: &prgB)
  Benchmark("field add 10^6 \(named.rawValue)", configuration: configuration()) { benchmark in
    var a = FieldVector(uniformCount: elementCount, in: field, using: &prgA)
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      try a.add(b)
    }
    benchmark.stopMeasurement()
    blackHole(a)
  }
}

func prgExpansionBenchmark(_ named: NamedField) {
  let field = named.field
  Benchmark("PRG → 10^6 uniform \(named.rawValue)", configuration: configuration()) { benchmark in
    var random = prg(3)
    var v = FieldVector(zeros: elementCount, in: field)
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
      v.withUnsafeMutableLimbs { field.kernels.fillUniform($0, using: &random) }
    }
    benchmark.stopMeasurement()
    blackHole(v)
  }
}

let benchmarks: @Sendable () -> Void = {
  vectorAddBenchmark(.m61)
  vectorAddBenchmark(.m127)
  prgExpansionBenchmark(.m61)
  prgExpansionBenchmark(.m127)

  Benchmark("ChaCha20 keystream 16 MiB", configuration: configuration()) { benchmark in
    var random = prg(4)
    var buffer = [UInt8](repeating: 0, count: 16 << 20)
    for _ in benchmark.scaledIterations {
      buffer.withUnsafeMutableBytes { random.fill($0) }
    }
    blackHole(buffer)
  }

  let decimal = ((BigInt(1) << 521) - 1).description
  Benchmark("BigInt parse 521-bit decimal ×1000", configuration: configuration()) { benchmark in
    for _ in benchmark.scaledIterations {
      for _ in 0..<1000 { blackHole(try BigInt(parsing: decimal)) }
    }
  }
  let value = (BigInt(1) << 521) - 1
  Benchmark("BigInt format 521-bit decimal ×1000", configuration: configuration()) { benchmark in
    for _ in benchmark.scaledIterations {
      for _ in 0..<1000 { blackHole(value.description) }
    }
  }
}
