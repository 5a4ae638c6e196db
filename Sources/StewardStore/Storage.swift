import Foundation
import StewardModel

/// Everything a Steward server needs from its database.
public protocol Storage:
    TenantStore, RecordStore, GroupMemberStore, AuditStore, PrivacyStore, EnrollmentStore, DeviceStore, InventoryStore,
    ReportStore, DiagnosticsStore, UsageStore, ManagedAppStore, RemoteTaskStore, JobStore, SchemaIntrospection
{
    /// Applies pending migrations; refuses a database newer than this binary.
    func migrate() async throws
    /// Migration IDs not yet applied (for `steward migrate --dry-run`).
    func pendingMigrations() async throws -> [String]
    /// One round trip to the database (`GET /ready`); throws what an outage throws.
    func ping() async throws
    /// Releases connections; the store is unusable afterwards.
    func close() async
    /// The outage `error` (thrown by this store) reports, if it is one: the database
    /// unreachable, lost mid-request, too busy or full, rather than a fault in the request or
    /// in Steward. `StoreError.outage` itself answers for itself.
    func outage(causedBy error: any Error) -> StoreOutage?
    /// The check-in writes' group commit: batches, writes, what waits and the time spent
    /// committing (`/metrics`).
    var checkInCommitLoad: GroupCommitLoad { get }
}
