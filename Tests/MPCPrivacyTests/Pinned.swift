/// Outputs for the seed 000102…1f (stream 0), computed independently by
/// `python3 protocols/noise_reference.py 000102…1f <sampler> <parameters> 12`.
enum Pinned {
  /// DLap(3/2).
  static let laplace: [Int64] = [0, 0, -1, -4, 0, 2, 0, 2, 0, 1, -3, -1]
  /// N_Z(0, 9/4), exact (CKS20).
  static let gaussianExact: [Int64] = [1, 1, 2, 1, 2, 3, -1, 0, -1, -1, 1, 0]
  /// N_Z(0, 9/4), table.
  static let gaussianTable: [Int64] = [-1, 0, 0, -2, -2, -1, -1, 1, -1, 2, 0, -2]
  /// Pólya share, scale 10, k = 3.
  static let polya: [Int64] = [4, -1, 0, 2, 5, 0, -17, -10, 0, -2, -7, -11]
  /// NB(1/2, e^−1).
  static let negativeBinomial: [Int64] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
}
