import Foundation
import MPCBigInt
import MPCPrivacy
import MPCProtocol

/// JSON fixtures shared by the suites.
enum Fixtures {
  static let keys = [
    String(repeating: "a1", count: 32), String(repeating: "b2", count: 32),
    String(repeating: "c3", count: 32),
  ]

  /// A valid 3-party study as a JSON object (edit it, then serialise with ``json(_:)``).
  static func studyObject(budget: [String: Any] = ["epsilon": "1"]) -> [String: Any] {
    [
      "id": "flu-2026",
      "parties": (0..<3).map {
        [
          "id": $0, "name": "site \($0)", "address": "site\($0).example:740\($0)",
          "public_key": keys[$0],
        ] as [String: Any]
      },
      "colluders": 1,
      "field": "auto",
      "neighbour": "add-remove",
      "max_sites_per_person": 1,
      "budget": budget,
      "delta": "1e-6",
      "ledger": "ledger",
    ]
  }

  static func json(_ object: [String: Any]) -> Data {
    // Cannot throw: fixtures hold only JSON types.
    try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  }

  static func study(_ object: [String: Any] = studyObject()) throws -> StudyManifest {
    try StudyManifest.decode(json(object), file: "study.json")
  }

  static func query(_ object: [String: Any]) throws -> QueryManifest {
    try QueryManifest.decode(json(object), file: "query.json")
  }

  static var sumQuery: [String: Any] {
    [
      "id": "q-sum", "kind": "sum", "column": "age", "bounds": [0, 120], "mechanism": "laplace",
      "epsilon": "1/2",
    ]
  }

  /// One valid query of every kind and shape, by name.
  static var kinds: [String: [String: Any]] {
    [
      "count": ["id": "q", "kind": "count", "mechanism": "laplace", "epsilon": "1/4"],
      "count-where": [
        "id": "q", "kind": "count", "where": ["column": "ward", "equals": "icu"],
        "mechanism": "laplace", "epsilon": "1/4",
      ],
      "sum": sumQuery,
      "sum-negative": [
        "id": "q", "kind": "sum", "column": "x", "bounds": [-30, 10], "mechanism": "laplace",
        "epsilon": "1",
      ],
      "histogram-categories": [
        "id": "q", "kind": "histogram", "column": "ward", "categories": ["icu", "er", "gp"],
        "outside": "other", "mechanism": "laplace", "epsilon": "1",
      ],
      "histogram-edges": [
        "id": "q", "kind": "histogram", "column": "age", "bin_edges": [0, 18, "65", 120],
        "outside": "clip", "mechanism": "laplace", "epsilon": "1",
      ],
      "sum-positive": [
        "id": "q", "kind": "sum", "column": "x", "bounds": [50, 100], "mechanism": "laplace",
        "epsilon": "1",
      ],
      "sum-all-negative": [
        "id": "q", "kind": "sum", "column": "x", "bounds": [-1000, -999], "mechanism": "laplace",
        "epsilon": "1",
      ],
      "histogram-edges-other": [
        "id": "q", "kind": "histogram", "column": "age", "bin_edges": [0, 18, "65", 120],
        "outside": "other", "mechanism": "laplace", "epsilon": "1",
      ],
      "mean-positive": [
        "id": "q", "kind": "mean", "column": "age", "bounds": [50, 100],
        "mechanism": "laplace", "epsilon": "1",
      ],
      "vector-sum-positive": [
        "id": "q", "kind": "vector-sum", "length": 2, "bounds": [[50, 100], [-3, -1]],
        "mechanism": "laplace", "epsilon": "1",
      ],
      "mean": [
        "id": "q", "kind": "mean", "column": "age", "bounds": [0, 100], "split": "3/4",
        "mechanism": "laplace", "epsilon": "1",
      ],
      "vector-sum": [
        "id": "q", "kind": "vector-sum", "length": 3, "bounds": [[0, 5], [-2, 1], [0, 10]],
        "mechanism": "laplace", "epsilon": "1",
      ],
      "vector-sum-uniform": [
        "id": "q", "kind": "vector-sum", "length": 4, "bounds": [-3, 2], "mechanism": "laplace",
        "epsilon": "1",
      ],
    ]
  }
}

extension Rational {
  /// Test shorthand: an exact rational from text.
  static func of(_ text: String) -> Rational {
    // Cannot throw for the literals the tests use.
    try! Rational(parsing: text)
  }
}
