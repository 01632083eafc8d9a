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
  mutating func append(_ chunk: FieldVector) {
    switch self {
    case .small(var values):
      self = .small([])  // release the reference so the append does not copy
      if let fitting = chunk.signedInt64Values() {
        values += fitting
        self = .small(values)
      } else {
        self = .big(values.map { BigInt(Int($0)) } + chunk.signedValues)
      }
    case .big(var values):
      self = .big([])
      values += chunk.signedValues
      self = .big(values)
    }
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
