import MPCBigInt
import MPCField
public import MPCPrivacy

// MARK: - Canonical forms of the manifests

extension StudyManifest {
  /// The canonical value of the study (`protocols/manifest.md`). Defaults are materialised,
  /// rationals reduced, public keys as bytes, a prime equal to a named field written as its
  /// name; the local `ledger` path is left out (it is not part of the agreement).
  public var canonical: CanonicalValue {
    let fieldValue: CanonicalValue
    switch field {
    case .auto:
      fieldValue = .string("auto")
    case .named(let named):
      fieldValue = .string(named.rawValue)
    case .prime(let p):
      if let named = NamedField.allCases.first(where: { $0.modulus == p }) {
        fieldValue = .string(named.rawValue)
      } else {
        fieldValue = .integer(p)
      }
    }
    var record: [String: CanonicalValue] = [
      "id": .string(id),
      "parties": .list(
        parties.map {
          .record([
            "id": .int($0.id), "name": .string($0.name), "address": .string($0.address),
            "public_key": .bytes($0.publicKey),
          ])
        }),
      "colluders": .int(colluders),
      "field": fieldValue,
      "neighbour": .string(neighbour.rawValue),
      "max_sites_per_person": .int(maxSitesPerPerson),
      "budget": budget.canonical,
      "delta": delta.map { .rational($0) } ?? .absent,
    ]
    // Governance keys are left out when absent (not tagged absent), so a study without them
    // hashes as it did before they existed (`protocols/manifest.md` §4).
    if let policy { record["policy"] = policy.canonical }
    if let registry { record["registry"] = registry.canonical }
    if let noise { record["noise"] = noise.canonical }
    // Likewise `test_study` only when true: a test study never hashes like a real one.
    if testStudy { record["test_study"] = .bool(true) }
    return .record(record)
  }
}

extension PrivacyCost {
  /// `{epsilon: r}` or `{rho: r}`.
  public var canonical: CanonicalValue { .record([unit: .rational(amount)]) }
}

extension QueryManifest {
  /// The canonical value of the query (`protocols/manifest.md`): every field of its kind, with
  /// defaults (mechanism, split, max_bad_rows) materialised.
  public var canonical: CanonicalValue {
    func pair(_ b: ClipBounds) -> CanonicalValue { .list([.int(b.lower), .int(b.upper)]) }
    var fields: [String: CanonicalValue] = [
      "id": .string(id),
      "kind": .string(kind.name),
      "mechanism": .string(mechanism.rawValue),
      "privacy": privacy.canonical,
      "max_bad_rows": .int(maxBadRows),
    ]
    switch kind {
    case .count(let filter):
      fields["where"] =
        filter.map { .record(["column": .string($0.column), "equals": .string($0.equals)]) }
        ?? .absent
    case .sum(let column, let bounds):
      fields["column"] = .string(column)
      fields["bounds"] = pair(bounds)
    case .mean(let column, let bounds, let share):
      fields["column"] = .string(column)
      fields["bounds"] = pair(bounds)
      fields["split"] = .rational(share)
    case .histogram(let column, let bins, let outside):
      fields["column"] = .string(column)
      switch bins {
      case .categories(let names): fields["categories"] = .list(names.map { .string($0) })
      case .edges(let edges): fields["bin_edges"] = .list(edges.map { .rational($0) })
      }
      fields["outside"] = .string(outside.rawValue)
    case .statistic(.variance(let column, let bounds, let split)):
      fields["column"] = .string(column)
      fields["bounds"] = pair(bounds)
      fields["split"] = .list(split.map { .rational($0) })
    case .synth(let synth):
      fields["columns"] = .list(
        synth.columns.map { axis in
          var a: [String: CanonicalValue] = [
            "column": .string(axis.column), "outside": .string(axis.outside.rawValue),
          ]
          switch axis.bins {
          case .categories(let names): a["categories"] = .list(names.map { .string($0) })
          case .edges(let edges): a["bin_edges"] = .list(edges.map { .rational($0) })
          }
          return .record(a)
        })
      fields["split"] = .list(synth.split.map { .rational($0) })
    case .statistic(.crosstab(let axes)):
      fields["columns"] = .list(
        axes.map { axis in
          var a: [String: CanonicalValue] = [
            "column": .string(axis.column), "outside": .string(axis.outside.rawValue),
          ]
          switch axis.bins {
          case .categories(let names): a["categories"] = .list(names.map { .string($0) })
          case .edges(let edges): a["bin_edges"] = .list(edges.map { .rational($0) })
          }
          return .record(a)
        })
    case .statistic(.regression(let y, let x, let intercept, let ridge)):
      fields["column"] = .string(y.column)
      fields["bounds"] = pair(y.bounds)
      fields["predictors"] = .list(
        x.map { .record(["column": .string($0.column), "bounds": pair($0.bounds)]) })
      fields["intercept"] = .bool(intercept)
      fields["ridge"] = ridge.map { .rational($0) } ?? .absent
    case .statistic(.covariance(let columns)):
      fields["columns"] = .list(
        columns.map { .record(["column": .string($0.column), "bounds": pair($0.bounds)]) })
    case .statistic(.quantile(let column, let edges, let quantiles)):
      fields["column"] = .string(column)
      fields["bin_edges"] = .list(edges.map { .rational($0) })
      fields["quantiles"] = .list(quantiles.map { .rational($0) })
    case .vectorSum(let length, let bounds):
      fields["length"] = .int(length)
      switch bounds {
      // Uniform bounds are written as one pair; a per-coordinate list of identical pairs is
      // a different spelling of the same query and is normalised to it.
      case .uniform(let b):
        fields["bounds"] = pair(b)
      case .perCoordinate(let list):
        if let first = list.first, list.allSatisfy({ $0 == first }) {
          fields["bounds"] = pair(first)
        } else {
          fields["bounds"] = .list(list.map(pair))
        }
      }
    }
    return .record(fields)
  }
}

// MARK: - The manifest hash

/// The manifest hash every party compares before anything else (DESIGN §4.1):
/// BLAKE2b-256 over the domain `swift-mpc/manifest/v1` and the canonical record
/// `{study, query, ledger_head}`.
public enum ManifestHash {
  /// The domain string of the hash; changes with the spec version.
  public static let domain = "swift-mpc/manifest/v1"

  /// The exact canonical value that is hashed (exposed for vectors and the spec).
  public static func canonical(
    study: StudyManifest, query: QueryManifest, ledgerHead: [UInt8]
  ) -> CanonicalValue {
    .record(["study": study.canonical, "query": query.canonical, "ledger_head": .bytes(ledgerHead)])
  }

  /// The 32-byte manifest hash.
  public static func compute(study: StudyManifest, query: QueryManifest, ledgerHead: [UInt8])
    -> [UInt8]
  {
    canonical(study: study, query: query, ledgerHead: ledgerHead).hash(domain: domain)
  }
}
