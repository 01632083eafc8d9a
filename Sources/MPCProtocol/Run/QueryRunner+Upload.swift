import MPCBigInt
import MPCCrypto
import MPCField
import MPCPrivacy
import MPCSharing

extension QueryRunner {
  /// y_i = x_i + η_i on the coordinates `range` in `field` (`protocols/query.md` §4 steps
  /// 1–2): this is where the party's noise share (drawn before the run's first message,
  /// ``NoiseShare``) is added to its clipped local values.
  static func addNoiseShare(
    _ share: NoiseShare, to values: [Int64], range: Range<Int>, field: any PrimeField
  ) throws -> FieldVector {
    var sum = [Int64](repeating: 0, count: range.count)
    defer { sum.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
    let exact = sum.withUnsafeMutableBufferPointer { out in
      share.withValues { eta in
        values.withUnsafeBufferPointer { x in
          var overflow = false
          for k in 0..<out.count {
            let (s, o) = eta[range.lowerBound + k].addingReportingOverflow(x[range.lowerBound + k])
            out[k] = s
            overflow = overflow || o
          }
          return !overflow
        }
      }
    }
    if exact { return FieldVector(signed: sum[...], in: field) }
    // |x + η| above 2^63 somewhere: add x_i in the field instead (extreme bounds only).
    var y = share.withValues { FieldVector(signed: $0[range], in: field) }
    try y.add(FieldVector(signed: values[range], in: field))
    return y
  }

  /// Chunks a stage may run ahead of the next one (memory: about 3 windows of chunks).
  static let pipelineWindow = 1

  /// `protocols/query.md` §4 (steps 1–5) as a pipeline of three stages over chunks, so drawing
  /// masks overlaps the network: this task computes y_i chunk by chunk
  /// (x_i + η_i + masks); a sender encodes each chunk once and hands it to every peer; an
  /// opener adds every peer's chunk c to this party's own chunk c and keeps only the opened
  /// signed values. The stages hand chunks over through bounded windows; any failure stops
  /// all three.
  static func uploadAndOpen(
    setup: PartySetup, runPlan: RunPlan, sessionID: [UInt8], transport: some PartyTransport,
    peers: [Int], share: NoiseShare, statistics: inout RunStatistics,
    vectorName: String = "result", uploadID: String? = nil
  ) async throws -> OpenedValues {
    let field = runPlan.field
    let m = runPlan.plan.dimension
    var secrets: [Int: SecretBytes] = [:]
    for p in peers { secrets[p] = try transport.pairSecret(with: p) }
    let context = MaskContext(
      studyID: setup.study.id, sessionID: sessionID, queryID: setup.query.id,
      vectorName: vectorName, length: m, field: field)
    var stream = try MaskedUploadStream(
      party: transport.partyID, partyCount: transport.partyCount, pairSecrets: secrets,
      context: context, field: field)
    let chunk = max(1, setup.chunkElements)
    let layout = ChunkLayout(
      queryID: uploadID ?? setup.query.id, length: m, chunk: chunk, field: field,
      timeout: setup.timeout)
    let toSender = Mailbox<FieldVector>(capacity: pipelineWindow)
    let toOpener = Mailbox<FieldVector>(capacity: pipelineWindow)
    // A streamed chunk is checked for plausibility (query.md §5.1) before the sink sees it.
    var sink: OpenedChunkSink?
    if let userSink = setup.openedSink {
      sink = { @Sendable (start: Int, values: ReleasedComponent.RawValues) throws in
        try QueryRunner.checkPlausible(values, start: start, runPlan: runPlan)
        try userSink(start, values)
      }
    }
    let keep = setup.keepsOpenedValues
    let chunkSink = sink

    return try await withThrowingTaskGroup(of: StageResult.self) { group in
      group.addTask {
        do {
          return .sent(
            try await sendChunks(
              layout: layout, transport: transport, peers: peers, from: toSender,
              to: toOpener, progress: setup.progress))
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
              sink: chunkSink, keep: keep, progress: setup.progress))
        } catch {
          toSender.fail(error)
          toOpener.fail(error)
          throw error
        }
      }
      // Stage 1 (this task): y_i chunk by chunk.
      let clock = ContinuousClock()
      do {
        for c in 0..<layout.chunkCount {
          let range = layout.range(c)
          var phaseStart = clock.now
          var y = try addNoiseShare(
            share, to: setup.input.values, range: range, field: field)
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
    from input: Mailbox<FieldVector>, to output: Mailbox<FieldVector>,
    progress: RunProgressHandler? = nil
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
      progress?(
        .sent(chunks: c + 1, total: layout.chunkCount, elements: layout.range(c).upperBound))
    }
    return sent
  }

  /// Stage 3: adds every peer's chunk c to this party's chunk c and keeps the signed values.
  static func openChunks(
    layout: ChunkLayout, transport: some PartyTransport, peers: [Int],
    from input: Mailbox<FieldVector>, sink: OpenedChunkSink? = nil, keep: Bool = true,
    progress: RunProgressHandler? = nil
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
            throw RunError.peerAborted(
              peer: p, reason: "\(reason.code): \(PeerText.printable(reason.text))")
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
      progress?(.opened(elements: layout.range(c).upperBound, total: layout.length))
    }
    return result
  }
}
