import Foundation
import StewardModel

/// Tenants, their settings and their admins' API tokens.
public protocol TenantStore: Sendable {
    /// Creates the tenant, its first admin and that admin's API token in one transaction.
    func createTenant(_ tenant: NewTenant) async throws
    func tenants() async throws -> [TenantRecord]
    func tenant(_ id: TenantID) async throws -> TenantRecord?
    func updateSettings(_ id: TenantID, compliantAppFeature: Bool) async throws
    func adminToken(tenantID: TenantID, id: CredentialID) async throws -> AdminTokenRecord?
}

/// Enrollment tokens and the enrollment of devices.
public protocol EnrollmentStore: Sendable {
    func createEnrollmentToken(_ token: EnrollmentTokenRecord) async throws
    func enrollmentTokens(tenantID: TenantID) async throws -> [EnrollmentTokenRecord]
    func enrollmentToken(tenantID: TenantID, id: CredentialID) async throws -> EnrollmentTokenRecord?
    /// Deletes the tenant's tokens that expired or were revoked before `endedBefore`; returns how many.
    func purgeEnrollmentTokens(tenantID: TenantID, endedBefore: Date) async throws -> Int
    /// Sets `revoked_at`; throws `notFound` when the tenant has no such token.
    func revokeEnrollmentToken(tenantID: TenantID, id: CredentialID, at: Date) async throws
    /// In one transaction: re-checks the token with `accept`, counts one use, and creates the
    /// device — or, when the tenant already has a device with the same platform identifier,
    /// gives that device the new secret and ownership and forgets its acknowledged hashes.
    /// Returns the device's ID.
    func enroll(
        _ device: NewDevice, tokenID: CredentialID, accept: @Sendable (EnrollmentTokenRecord) -> Bool
    ) async throws -> DeviceID
}

/// Devices as admins see and change them.
public protocol DeviceStore: Sendable {
    func checkInState(tenantID: TenantID, deviceID: DeviceID) async throws -> DeviceCheckInState?
    func device(tenantID: TenantID, id: DeviceID) async throws -> DeviceView?
    func devices(tenantID: TenantID, query: DeviceQuery) async throws -> [DeviceView]
    /// Changes ownership. To personal: deletes the app inventory and the full phone number in
    /// the same transaction. Throws `notFound` for a device not in the tenant.
    func setOwnership(tenantID: TenantID, id: DeviceID, ownership: Ownership) async throws
    /// Removes the device and everything collected from it.
    func deleteDevice(tenantID: TenantID, id: DeviceID) async throws
}

/// What check-ins write.
public protocol InventoryStore: Sendable {
    /// Applies one check-in in one transaction. The app inventory gate is checked again inside
    /// it, so an ownership change racing a check-in can never leave apps on a personal device.
    func apply(_ update: InventoryUpdate) async throws -> AppsOutcome
    /// Records last check-in times of many devices in one transaction.
    func recordLastSeen(_ batch: [LastSeen]) async throws
    /// Apps ordered by app ID, after the given app ID.
    func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord]
}

/// The tenant's counts, maintained by the database as devices change.
public protocol ReportStore: Sendable {
    func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts
}

/// Work that runs once per deployment, whatever the number of replicas.
public protocol JobStore: Sendable {
    /// Runs `body` while this process holds the deployment's job lease, and returns its result;
    /// returns nil at once when another replica holds the lease. `body` calls `stillHeld`
    /// between runs: it throws once the lease is lost (the holding connection died).
    func withJobLease<T: Sendable>(
        _ body: @Sendable (_ stillHeld: @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T?
    func recordJobRun(_ run: JobRun) async throws
    func jobRuns() async throws -> [JobRun]
}

/// The live schema, for the tests that hold both stores to the catalog and to tenant-first keys.
public protocol SchemaIntrospection: Sendable {
    /// Columns of every table.
    func schemaColumns() async throws -> [String: Set<String>]
    /// Primary key columns of every table, in order.
    func primaryKeys() async throws -> [String: [String]]
    /// Columns of every secondary index, in order, by index name.
    func indexes() async throws -> [String: [String]]
    /// Bytes the deployment's data takes on disk (tables, indexes, and SQLite's WAL).
    func databaseBytes() async throws -> Int64
}

/// Everything a Steward server needs from its database.
public protocol Storage: TenantStore, EnrollmentStore, DeviceStore, InventoryStore, ReportStore, JobStore, SchemaIntrospection {
    /// Applies pending migrations; refuses a database newer than this binary.
    func migrate() async throws
    /// Migration IDs not yet applied (for `steward migrate --dry-run`).
    func pendingMigrations() async throws -> [String]
    /// Releases connections; the store is unusable afterwards.
    func close() async
}
