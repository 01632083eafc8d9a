import MPCBigInt
import MPCField

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
