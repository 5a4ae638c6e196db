import Foundation

/// What migrating a database means, whatever the store: numbered, append-only steps with the
/// same IDs in both dialects (each store its own SQL); refuse a database a newer Steward wrote
/// (it holds IDs this binary does not know), else apply the known steps not yet applied, in order.
public enum MigrationPlan {
    public typealias Step = (id: String, sql: String)

    /// The steps to apply, in order; `schemaTooNew` when the database holds unknown IDs.
    public static func pending(known: [Step], applied: [String]) throws -> [Step] {
        let ids = Set(known.map(\.id))
        let unknown = applied.filter { !ids.contains($0) }
        if !unknown.isEmpty { throw StoreError.schemaTooNew(applied: unknown) }
        let done = Set(applied)
        return known.filter { !done.contains($0.id) }
    }
}
