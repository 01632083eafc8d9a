import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy
import MPCSharing

/// The opened vector Σ_i y_i as signed values: machine integers while every value fits,
/// big integers otherwise (only for sums wider than 63 bits).
enum OpenedValues: Sendable {
  case small([Int64])
  case big([BigInt])

  /// An empty vector with room for `capacity` values.
  init(capacity: Int) {
    var values: [Int64] = []
    values.reserveCapacity(capacity)
    self = .small(values)
  }

  /// Appends the signed values of one opened chunk, switching to big integers if one does not
  /// fit a machine word.
  mutating func append(_ chunk: ReleasedComponent.RawValues) {
    switch (self, chunk) {
    case (.small(var values), .small(let fitting)):
      self = .small([])  // release the reference so the append does not copy
      values += fitting
      self = .small(values)
    case (.small(let values), .big(let wide)):
      self = .big(values.map { BigInt(Int($0)) } + wide)
    case (.big(var values), _):
      self = .big([])
      values += (0..<chunk.count).map { chunk[$0] }
      self = .big(values)
    }
  }

  /// The signed values of one opened chunk: machine integers when they all fit.
  static func signed(_ chunk: FieldVector) -> ReleasedComponent.RawValues {
    if let fitting = chunk.signedInt64Values() { return .small(fitting) }
    return .big(chunk.signedValues)
  }

  /// The values at `range`, in the released component's representation.
  func slice(_ range: Range<Int>) -> ReleasedComponent.RawValues {
    // The whole vector (a vector-sum's only component) is shared, not copied.
    switch self {
    case .small(let values): .small(range == values.indices ? values : Array(values[range]))
    case .big(let values): .big(range == values.indices ? values : Array(values[range]))
    }
  }
}

extension QueryRunner {
  /// Chunks a stage may run ahead of the next one (memory: about 3 windows of chunks).
  static let pipelineWindow = 1

  /// Steps 3–5 of `protocols/query.md` as a pipeline of three stages over chunks, so drawing
  /// noise and masks overlaps the network: this task computes y_i chunk by chunk
  /// (x_i + η_i + masks); a sender encodes each chunk once and hands it to every peer; an
  /// opener adds every peer's chunk c to this party's own chunk c and keeps only the opened
  /// signed values. The stages hand chunks over through bounded windows; any failure stops
  /// all three.
  static func uploadAndOpen(
    setup: PartySetup, runPlan: RunPlan, sessionID: [UInt8], transport: some PartyTransport,
    peers: [Int], noise: inout some RandomSource, statistics: inout RunStatistics
  ) async throws -> OpenedValues {
    let field = runPlan.field
    let m = runPlan.plan.dimension
    var secrets: [Int: SecretBytes] = [:]
    for p in peers { secrets[p] = try transport.pairSecret(with: p) }
    let context = MaskContext(
      studyID: setup.study.id, sessionID: sessionID, queryID: setup.query.id,
      vectorName: "result", length: m, field: field)
    var stream = try MaskedUploadStream(
      party: transport.partyID, partyCount: transport.partyCount, pairSecrets: secrets,
      context: context, field: field)
    let chunk = max(1, setup.chunkElements)
    let layout = ChunkLayout(
      queryID: setup.query.id, length: m, chunk: chunk, field: field, timeout: setup.timeout)
    let toSender = Mailbox<FieldVector>(capacity: pipelineWindow)
    let toOpener = Mailbox<FieldVector>(capacity: pipelineWindow)

    return try await withThrowingTaskGroup(of: StageResult.self) { group in
      group.addTask {
        do {
          return .sent(
            try await sendChunks(
              layout: layout, transport: transport, peers: peers, from: toSender,
              to: toOpener))
        } catch {
          toSender.fail(error)
          toOpener.fail(error)
          throw error
        }
      }
      group.addTask {
        do {
          return .opened(
            try await openChunks(
              layout: layout, transport: transport, peers: peers, from: toOpener,
              sink: setup.openedSink, keep: setup.keepsOpenedValues))
        } catch {
          toSender.fail(error)
          toOpener.fail(error)
          throw error
        }
      }
      // Stage 1 (this task, which owns the noise source): y_i chunk by chunk.
      let clock = ContinuousClock()
      var noiseBuffer = [Int64](repeating: 0, count: min(chunk, m))
      defer { noiseBuffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
      do {
        for c in 0..<layout.chunkCount {
          let range = layout.range(c)
          var phaseStart = clock.now
          // η_i for this chunk, drawn in coordinate order per component, plus x_i.
          let exact = noiseBuffer.withUnsafeMutableBufferPointer { buffer in
            let part = UnsafeMutableBufferPointer(rebasing: buffer[0..<range.count])
            runPlan.fillNoise(part, from: range.lowerBound, using: &noise)
            return setup.input.values.withUnsafeBufferPointer { all in
              let x = UnsafeBufferPointer(rebasing: all[range])
              var overflow = false
              for k in 0..<part.count {
                let (sum, o) = part[k].addingReportingOverflow(x[k])
                part[k] = sum
                overflow = overflow || o
              }
              // Wrapping addition is undone exactly: the buffer holds η_i again.
              if overflow { for k in 0..<part.count { part[k] &-= x[k] } }
              return !overflow
            }
          }
          var y = FieldVector(signed: noiseBuffer[0..<range.count], in: field)
          if !exact {
            // |x + η| above 2^63 somewhere: add x_i in the field instead (extreme bounds only).
            try y.add(FieldVector(signed: setup.input.values[range], in: field))
          }
          statistics.add(clock.now - phaseStart, to: .noise)
          phaseStart = clock.now
          try stream.mask(&y)
          statistics.add(clock.now - phaseStart, to: .masking)
          try await toSender.put(y)
        }
      } catch {
        toSender.fail(error)
        toOpener.fail(error)
        group.cancelAll()
        throw error
      }
      var opened: OpenedValues?
      while let result = try await group.next() {
        switch result {
        case .sent(let sent):
          statistics.add(sent.sending, to: .send)
          for (peer, bytes) in sent.bytes { statistics.countSent(bytes, to: peer) }
        case .opened(let result):
          statistics.add(result.receiving, to: .receive)
          opened = result.values
        }
      }
      // Cannot be nil: the opener returned without throwing.
      return opened!
    }
  }

  /// What the stages return.
  enum StageResult: Sendable {
    case sent(SentChunks)
    case opened(OpenedChunks)
  }

  struct SentChunks: Sendable {
    var sending: Duration = .zero
    var bytes: [Int: Int] = [:]
  }

  struct OpenedChunks: Sendable {
    var values: OpenedValues
    var receiving: Duration = .zero
  }

  /// The chunking every party derives alike from the query.
  struct ChunkLayout: Sendable {
    let queryID: String
    let length: Int
    let chunk: Int
    let field: any PrimeField
    let timeout: Duration

    var chunkCount: Int { (length + chunk - 1) / chunk }

    func range(_ c: Int) -> Range<Int> { (c * chunk)..<min(length, (c + 1) * chunk) }
  }

  /// Stage 2: encodes each chunk once, sends it to every peer in order, passes it on.
  static func sendChunks(
    layout: ChunkLayout, transport: some PartyTransport, peers: [Int],
    from input: Mailbox<FieldVector>, to output: Mailbox<FieldVector>
  ) async throws -> SentChunks {
    let clock = ContinuousClock()
    let codec = MessageCodec()
    var sent = SentChunks()
    for c in 0..<layout.chunkCount {
      let y = try await input.take()
      let start = clock.now
      let frame = try codec.encodeUpload(
        queryId: layout.queryID, chunkIndex: UInt32(c), chunkCount: UInt32(layout.chunkCount),
        elements: y)
      try await output.put(y)
      for p in peers {
        try await transport.send(frame, to: p)
        sent.bytes[p, default: 0] += frame.count
      }
      sent.sending += clock.now - start
    }
    return sent
  }

  /// Stage 3: adds every peer's chunk c to this party's chunk c and keeps the signed values.
  static func openChunks(
    layout: ChunkLayout, transport: some PartyTransport, peers: [Int],
    from input: Mailbox<FieldVector>, sink: OpenedChunkSink? = nil, keep: Bool = true
  ) async throws -> OpenedChunks {
    let clock = ContinuousClock()
    let codec = MessageCodec()
    var result = OpenedChunks(values: OpenedValues(capacity: keep ? layout.length : 0))
    for c in 0..<layout.chunkCount {
      var total = try await input.take()
      let start = clock.now
      let expected = layout.range(c).count
      for p in peers {
        let step = RunStep.upload(chunk: c)
        let frame = try await transport.receive(from: p, timeout: layout.timeout, step: step)
        guard let upload = try codec.decodeUpload(frame) else {
          // Not an upload: an abort (or a protocol error) from the peer.
          if case .abort(let reason) = try codec.decode(frame) {
            throw RunError.peerAborted(peer: p, reason: "\(reason.code): \(reason.text)")
          }
          throw RunError.peerMismatch(
            peer: p, step: .upload(chunk: nil), problem: "expected an upload chunk")
        }
        guard upload.queryId == layout.queryID, upload.chunkIndex == UInt32(c),
          upload.chunkCount == UInt32(layout.chunkCount),
          upload.elementCount == UInt32(expected),
          Int(upload.elementWidth) == layout.field.elementByteCount
        else {
          throw RunError.peerMismatch(
            peer: p, step: .upload(chunk: nil),
            problem: "chunk \(upload.chunkIndex)/\(upload.chunkCount) of \(upload.elementCount) "
              + "elements does not match chunk \(c)/\(layout.chunkCount) of \(expected)")
        }
        do {
          try frame.withUnsafeBytes {
            try total.addEncoded(UnsafeRawBufferPointer(rebasing: $0[upload.elementRange]))
          }
        } catch {
          throw RunError.peerMismatch(
            peer: p, step: .upload(chunk: c), problem: String(describing: error))
        }
      }
      let signed = OpenedValues.signed(total)
      try sink?(layout.range(c).lowerBound, signed)
      if keep { result.values.append(signed) }
      result.receiving += clock.now - start
    }
    return result
  }
}
