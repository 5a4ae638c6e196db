import Foundation
import StewardModel

/// Data-subject requests that change data.
public protocol PrivacyStore: Sendable {
    /// Erases a user in one transaction: the user, the devices that belong to them (with their
    /// inventory), their and their devices' group memberships, the links of enrollment tokens
    /// to them; blanks the personal fields of audit entries about them or those devices; purges
    /// app catalog rows no device references any more; appends `audit` (made from the counts).
    /// Then makes the deleted bytes unrecoverable from the database files where the store can
    /// (SQLite: deletes zero their content, and the WAL is checkpointed and truncated).
    /// `notFound` for no such user.
    func eraseUser(tenantID: TenantID, userID: UserID, audit: @escaping @Sendable (ErasureView) -> AuditEvent) async throws -> ErasureView
    /// Users whose `erase_at` has come (deprovisioned by the directory, erased by the tenant's setting).
    func usersDueForErasure(tenantID: TenantID, at: Date, limit: Int) async throws -> [UserID]
    /// Deletes support cases closed before the date, with their messages; the count.
    func purgeClosedSupportCases(tenantID: TenantID, closedBefore: Date) async throws -> Int
    /// Apple MDM bookkeeping: answered commands answered before `answeredBefore`, and device
    /// identities issued before `unusedBefore` that never enrolled a device; the two counts.
    func purgeAppleMDM(tenantID: TenantID, answeredBefore: Date, unusedBefore: Date) async throws -> (commands: Int, enrollments: Int)
    /// Deletes app-protection records (and their sealed keys) last seen before the date; the count.
    func removeStaleAppInstances(tenantID: TenantID, before: Date) async throws -> Int
}
