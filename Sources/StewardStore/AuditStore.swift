import Foundation
import StewardModel

/// The tenant's audit log: appended inside the transactions of the changes (see `AuditEvent`),
/// or on its own for events that change nothing else; never updated, and deleted only behind a
/// sealed retention anchor.
public protocol AuditStore: Sendable {
    func append(_ event: AuditEvent) async throws
    func auditEntries(tenantID: TenantID, query: AuditQuery) async throws -> [AuditRecord]
    /// The newest retention anchor: where the tenant's chain starts after a purge.
    func auditAnchor(tenantID: TenantID) async throws -> AuditAnchor?
    /// Purges entries older than `before` — never the newest — in one transaction: stores the
    /// anchor `anchor` makes from the last purged entry's sequence and hash (the database refuses
    /// deletes not behind an anchor), deletes, and appends the audit event made from the count.
    /// Returns how many were purged.
    func purgeAuditEntries(
        tenantID: TenantID, before: Date, anchor: @escaping @Sendable (_ sequence: Int64, _ chainHash: Data) -> AuditAnchor,
        audit: @escaping @Sendable (Int) -> AuditEvent
    ) async throws -> Int
}

extension AuditStore {
    /// Walks the tenant's whole chain from its anchor (or the start), a page at a time.
    public func verifyAuditChain(tenantID: TenantID, chain: AuditChain) async throws -> AuditVerification {
        var walk = chain.walk(tenantID: tenantID, anchor: try await auditAnchor(tenantID: tenantID))
        var query = AuditQuery(limit: 1000)
        while walk.firstBroken == nil {
            let entries = try await auditEntries(tenantID: tenantID, query: query)
            for entry in entries where !walk.next(entry) { break }
            guard entries.count == query.limit, let last = entries.last else { break }
            query.afterSequence = last.sequence
        }
        return walk.verification
    }
}
