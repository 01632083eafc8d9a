public import Foundation

/// What every party checks about a query against its study's governance before anything is
/// sent or charged (DESIGN §8): the registry's approvals and the policy's standards. Used by
/// `mpc run` and by embedding developers; a refusal throws ``RegistryError`` or
/// ``PolicyError`` and costs nothing.
public enum Governance {
  /// A query file's contents: a bare query manifest, or a registered query (one with a
  /// `purpose`, `use_case` and `signatures`, written by `mpc query sign`).
  public static func decodeQuery(_ data: Data, file: String) throws -> (
    query: QueryManifest, registered: RegisteredQuery?
  ) {
    let isRegistered =
      ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["query"] is [String: Any]
    if isRegistered {
      let registered = try RegisteredQuery.decode(data, file: file)
      return (registered.query, registered)
    }
    return (try QueryManifest.decode(data, file: file), nil)
  }

  /// Checks `query` (with its registration, if any) against `study`'s registry and policy.
  /// Returns the approvers whose signatures count (empty without a registry).
  @discardableResult
  public static func admit(
    study: StudyManifest, query: QueryManifest, registered: RegisteredQuery?
  ) throws -> [String] {
    var approvers: [String] = []
    if let registry = study.registry {
      if let registered {
        approvers = try registered.requireApproval(by: registry, studyID: study.id)
      } else if registry.required {
        throw RegistryError.unregistered(queryID: query.id)
      }
    }
    if let policy = study.policy {
      try policy.check(query: query, cost: try query.plan(for: study).cost)
    }
    return approvers
  }
}
