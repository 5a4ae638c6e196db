import Foundation
import StewardModel

/// What turning the compliant-app feature off deleted: personal devices' app inventories.
public struct AppInventoryRemoval: Sendable, Equatable {
    public var devices: Int
    public var appRows: Int

    public init(devices: Int, appRows: Int) {
        self.devices = devices
        self.appRows = appRows
    }
}

/// What a check-in's transaction did: the app inventory's outcome and the tasks handed out.
public struct CheckInWritten: Sendable {
    public var apps: AppsOutcome
    public var tasks: [RemoteTaskRecord]

    public init(apps: AppsOutcome, tasks: [RemoteTaskRecord]) {
        self.apps = apps
        self.tasks = tasks
    }
}

extension InventoryStore {
    /// The sections and app inventory alone.
    public func apply(_ update: InventoryUpdate) async throws -> AppsOutcome {
        try await checkIn(update).apps
    }
}

/// Tenants and their settings.
public protocol TenantStore: Sendable {
    /// Creates the tenant, its first admin, that admin's API token and Administrator role
    /// assignment, and the first audit entry, in one transaction.
    func createTenant(_ tenant: NewTenant) async throws
    func tenants() async throws -> [TenantRecord]
    func tenant(_ id: TenantID) async throws -> TenantRecord?
    /// Saves the settings. Turning the compliant-app feature off deletes the app inventory of
    /// the tenant's personal devices in the same transaction (collected only under the
    /// feature); `audit` is made from what was deleted.
    @discardableResult
    func updateSettings(
        _ id: TenantID, _ settings: TenantSettings, audit: @escaping @Sendable (AppInventoryRemoval) -> AuditEvent
    ) async throws -> AppInventoryRemoval
    /// Records a digest of the deployment's master key on first use; false when the database
    /// already holds a different one (a replica started with another key).
    func matchesKeyCheck(_ digest: Data) async throws -> Bool
}

/// The admin-plane resources (admins, tokens, users, groups, roles, role assignments) through
/// one set of generic statements over `StoredRecord`s. Every write is audited in its transaction.
public protocol RecordStore: Sendable {
    func record<R: StoredRecord>(_ type: R.Type, tenantID: TenantID, key: String) async throws -> R?
    /// The credential and everything authorisation needs, in one read (it runs on every admin request).
    func adminCredential(tenantID: TenantID, tokenID: String) async throws -> AdminCredential?
    /// An admin's role assignments and the custom roles they name.
    func roleAssignments(tenantID: TenantID, adminID: AdminID) async throws -> (assignments: [RoleAssignmentRecord], customRoles: [RoleRecord])
    /// Records whose columns equal `filter`, ordered by key, after the key `after`.
    func records<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, filter: [String: StoreValue], after: String?, limit: Int
    ) async throws -> [R]
    /// Inserts and replaces (by key) in one transaction with the audit entry. A unique
    /// constraint throws `conflict` with the table's name.
    func write(_ writes: [RecordWrite], audit: AuditEvent) async throws
    /// Reads the record, lets `change` make the new one and its audit event, and writes both,
    /// all in one transaction (so the audited old values are the ones replaced; a nil event
    /// only for bookkeeping that is audited otherwise, as sign-in attempts are). `notFound`
    /// when there is no such record; an error thrown by `change` writes nothing.
    @discardableResult
    func update<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, _ change: @Sendable (R) throws -> (R, AuditEvent?)
    ) async throws -> R
    /// Deletes the record and its dependent rows with the audit event made from it.
    func delete<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, dependents: [DependentRows],
        audit: @Sendable (R) -> AuditEvent
    ) async throws
}

/// What an admin request is authenticated with, read at once: the token or session, its admin,
/// and the admin's role assignments with the custom roles they name.
public struct AdminCredential: Sendable {
    public var token: AdminTokenRecord
    public var admin: AdminRecord
    public var assignments: [RoleAssignmentRecord]
    public var customRoles: [RoleRecord]

    public init(token: AdminTokenRecord, admin: AdminRecord, assignments: [RoleAssignmentRecord], customRoles: [RoleRecord]) {
        self.token = token
        self.admin = admin
        self.assignments = assignments
        self.customRoles = customRoles
    }
}

public enum RecordWrite: Sendable {
    case insert(any StoredRecord)
    case replace(any StoredRecord)
}

/// Static membership of groups.
public protocol GroupMemberStore: Sendable {
    /// `conflict` when already a member.
    func addMember(tenantID: TenantID, groupID: GroupID, memberID: String, at: Date, audit: AuditEvent) async throws
    /// `notFound` when not a member.
    func removeMember(tenantID: TenantID, groupID: GroupID, memberID: String, audit: AuditEvent) async throws
    func members(tenantID: TenantID, groupID: GroupID, after: String?, limit: Int) async throws -> [(id: String, addedAt: Date)]
    func memberCounts(tenantID: TenantID, groupIDs: [GroupID]) async throws -> [GroupID: Int]
    /// The groups a user or device is a member of.
    func groupIDs(tenantID: TenantID, memberID: String) async throws -> [GroupID]
}

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
}

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
        tenantID: TenantID, before: Date, anchor: @Sendable (_ sequence: Int64, _ chainHash: Data) -> AuditAnchor,
        audit: @Sendable (Int) -> AuditEvent
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

/// Pseudonymized diagnostics: the tenants' pseudonym keys, the links from pseudonyms to devices
/// and users, the events (which hold pseudonyms only) and their daily roll-ups.
public protocol DiagnosticsStore: Sendable {
    /// The tenant's current pseudonym key; nil before its first.
    func pseudonymKey(tenantID: TenantID) async throws -> PseudonymKeyRecord?
    /// Stores the tenant's first key unless another request stored one first.
    func createFirstPseudonymKey(_ key: PseudonymKeyRecord) async throws
    /// Adds the next key version, destroys the sealed bytes of the older ones (their pseudonyms
    /// stay resolvable through the links, never recomputable) and appends the audit event.
    func rotatePseudonymKey(tenantID: TenantID, sealedKey: Data, at: Date, audit: @Sendable (Int) -> AuditEvent) async throws -> PseudonymKeyRecord
    /// In one transaction: finds or makes (with `pseudonymizer` and a fresh salt) the pseudonyms
    /// of the device and of its user, stores the events under them, and adds the events to the
    /// day's roll-ups. `notFound` for no such device.
    func recordDiagnostics(
        tenantID: TenantID, deviceID: DeviceID, events: [(id: String, event: DiagnosticEvent)], pseudonymizer: Pseudonymizer,
        at: Date
    ) async throws
    func diagnostics(tenantID: TenantID, query: DiagnosticsQuery) async throws -> [DiagnosticEventView]
    /// Roll-ups from the day `from` (`YYYY-MM-DD`) on, oldest first.
    func diagnosticsDays(tenantID: TenantID, from: String) async throws -> [DiagnosticsDay]
    /// Every pseudonym (all key versions) of these devices and users.
    func pseudonyms(tenantID: TenantID, subjectIDs: [String]) async throws -> [String]
    /// The device or user a pseudonym stands for; when there is one, the audit event made from
    /// it is appended in the same transaction.
    func reidentify(tenantID: TenantID, pseudonym: String, audit: @Sendable (PseudonymSubject) -> AuditEvent) async throws -> PseudonymSubject?
    /// Deletes the tenant's raw events older than `before` (their roll-ups stay) and the links of
    /// pseudonyms whose device or user no longer exists. Returns both counts.
    func purgeDiagnostics(tenantID: TenantID, before: Date) async throws -> (events: Int, links: Int)
}

/// Managed apps: what each device is asked to manage, and the install states agents report.
/// Counts per app and state (devices, and users with one or more devices in the state) are
/// kept by the database as states change.
public protocol ManagedAppStore: Sendable {
    /// The apps assigned to the device, through its device groups and its user's user groups.
    func managedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [ManagedAppInstruction]
    /// Replaces the device's reported states with `reports` (apps not in it lose their state);
    /// reports of apps the tenant does not have are ignored. Returns how many were stored.
    @discardableResult
    func replaceAppStates(tenantID: TenantID, deviceID: DeviceID, _ reports: [AppStateReport], at: Date) async throws -> Int
    /// The device's reported managed apps, by app ID.
    func deviceManagedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [DeviceManagedAppView]
    func installSummary(tenantID: TenantID, appID: ManagedAppID) async throws -> AppInstallSummary
    /// Device states of an app, ordered by device ID, after `after`.
    func appDeviceStatuses(
        tenantID: TenantID, appID: ManagedAppID, state: AppInstallState?, after: String?, limit: Int
    ) async throws -> [AppDeviceStatusView]
    /// Users with devices that reported the app, ordered by user ID, after `after`.
    func appUserStatuses(tenantID: TenantID, appID: ManagedAppID, after: String?, limit: Int) async throws -> [AppUserStatusView]
}

/// Remote tasks and their lives. Creating a task wakes the agents waiting for it, on every
/// replica (PostgreSQL: NOTIFY in the creating transaction).
public protocol RemoteTaskStore: Sendable {
    /// Stores the tasks and the audit event in one transaction.
    func createRemoteTasks(_ tasks: [RemoteTaskRecord], audit: AuditEvent) async throws
    func remoteTask(tenantID: TenantID, deviceID: DeviceID, id: RemoteTaskID) async throws -> RemoteTaskRecord?
    /// The device's tasks, newest first, before the task ID `before`.
    func remoteTasks(tenantID: TenantID, deviceID: DeviceID, before: String?, limit: Int) async throws -> [RemoteTaskRecord]
    /// Deletes the collect-diagnostics bundles of tasks that ended before `completedBefore` (the
    /// tasks stay, without their bundle). Returns how many.
    func purgeTaskBundles(tenantID: TenantID, completedBefore: Date) async throws -> Int
    /// The device's pending tasks, and those sent before `redeliverSentBefore` and still not
    /// acknowledged (the answer that carried them may have been lost), now marked sent at `at`,
    /// oldest first: delivery is at least once.
    func takePendingTasks(tenantID: TenantID, deviceID: DeviceID, at: Date, redeliverSentBefore: Date) async throws -> [RemoteTaskRecord]
    /// Reads the task, lets `change` make the next record and its audit event (nil: leave it;
    /// no event: an unaudited step such as an acknowledgement),
    /// and writes both in one transaction. When the next state is a succeeded `retire`, the
    /// device is retired in the same transaction: its secret no longer checks in. `notFound`
    /// for no such task.
    func updateRemoteTask(
        tenantID: TenantID, deviceID: DeviceID, id: RemoteTaskID,
        _ change: @Sendable (RemoteTaskRecord) throws -> (RemoteTaskRecord, AuditEvent?)?
    ) async throws -> RemoteTaskRecord
    /// Pending and sent tasks past their expiry become expired; returns them.
    func expireRemoteTasks(tenantID: TenantID, at: Date, audit: @Sendable ([RemoteTaskRecord]) -> AuditEvent) async throws -> [RemoteTaskRecord]
    /// Calls `wake` with each device that got a task from any replica, until cancelled. Returns
    /// at once where there is one process (SQLite): the creator wakes its own waiters.
    func listenForRemoteTasks(_ wake: @escaping @Sendable (TenantID, DeviceID) async -> Void) async throws
}

/// Which admin features are used, per tenant and day: counted in memory and flushed in
/// batches; read back only across tenants, with small cells suppressed.
public protocol UsageStore: Sendable {
    func recordFeatureUsage(_ uses: [FeatureUse]) async throws
    /// Per day and feature from `from` on: how many tenants used it and how often, unsuppressed.
    func featureUsage(from: String) async throws -> [FeatureUsageCell]
}

/// Enrollment tokens and the enrollment of devices.
public protocol EnrollmentStore: Sendable {
    func createEnrollmentToken(_ token: EnrollmentTokenRecord, audit: AuditEvent) async throws
    func enrollmentTokens(tenantID: TenantID) async throws -> [EnrollmentTokenRecord]
    func enrollmentToken(tenantID: TenantID, id: CredentialID) async throws -> EnrollmentTokenRecord?
    /// Deletes the tenant's tokens that expired or were revoked before `endedBefore`; returns how many.
    func purgeEnrollmentTokens(tenantID: TenantID, endedBefore: Date) async throws -> Int
    /// Registers serial numbers and IMEIs as corporate; returns how many were new.
    func addCorporateIdentifiers(
        tenantID: TenantID, _ identifiers: [(kind: CorporateIdentifierView.Kind, value: String)], at: Date, audit: AuditEvent
    ) async throws -> Int
    func corporateIdentifiers(tenantID: TenantID, after: String?, limit: Int) async throws -> [CorporateIdentifierView]
    /// `notFound` when not registered.
    func removeCorporateIdentifier(tenantID: TenantID, kind: CorporateIdentifierView.Kind, value: String, audit: AuditEvent) async throws
    /// Sets `revoked_at`; throws `notFound` when the tenant has no such token.
    func revokeEnrollmentToken(tenantID: TenantID, id: CredentialID, at: Date, audit: AuditEvent) async throws
    /// In one transaction: re-checks the token with `accept`, counts one use, and creates the
    /// device. A device whose serial number or IMEI the tenant registered as corporate is
    /// corporate. When the tenant already has a device with the same platform identifier,
    /// `reEnrollment` decides: nil refuses (`alreadyEnrolled`, nothing written); an audit event
    /// re-enrolls that device — new secret, acknowledged hashes forgotten, its ownership and
    /// user kept (a retired device takes the token's) — and is appended. Returns the device's
    /// ID and ownership.
    func enroll(
        _ device: NewDevice, tokenID: CredentialID, accept: @Sendable (EnrollmentTokenRecord) -> Bool,
        reEnrollment: @Sendable (EnrolledMachine) -> AuditEvent?
    ) async throws -> (id: DeviceID, ownership: Ownership)
}

/// Devices as admins see and change them.
public protocol DeviceStore: Sendable {
    func checkInState(tenantID: TenantID, deviceID: DeviceID) async throws -> DeviceCheckInState?
    func device(tenantID: TenantID, id: DeviceID) async throws -> DeviceView?
    func devices(tenantID: TenantID, query: DeviceQuery) async throws -> [DeviceView]
    /// Changes ownership and/or the user the device belongs to (`.some(nil)`: nobody). To
    /// personal: deletes the app inventory and the full phone number in the same transaction.
    /// Throws `notFound` for a device not in the tenant.
    /// `reEnrollmentUntil` lets the machine enroll again without its secret until then.
    func updateDevice(
        tenantID: TenantID, id: DeviceID, ownership: Ownership?, userID: UserID??, reEnrollmentUntil: Date?, audit: AuditEvent
    ) async throws
    /// Removes the device, its group memberships and everything collected from it.
    func deleteDevice(tenantID: TenantID, id: DeviceID, audit: AuditEvent) async throws
    /// Removes the tenant's devices that have not checked in (or, never having checked in, not
    /// enrolled) since `before`, with everything collected from them and their group
    /// memberships, and — when there were any — the audit entry `audit` makes from their number,
    /// in one transaction. Returns how many.
    func removeStaleDevices(tenantID: TenantID, before: Date, audit: @escaping @Sendable (Int) -> AuditEvent) async throws -> Int
    /// Whether the device is a member of one of the groups (a scoped role's reach).
    func deviceIsMember(tenantID: TenantID, id: DeviceID, ofAnyOf groups: [GroupID]) async throws -> Bool
}

/// What check-ins write.
public protocol InventoryStore: Sendable {
    /// Writes one check-in in one transaction: the changed sections, the app inventory, the
    /// managed-app states and the tasks handed out commit together or not at all. The app
    /// inventory gate is checked again inside it, so an ownership change racing a check-in can
    /// never leave apps on a personal device.
    func checkIn(_ update: InventoryUpdate) async throws -> CheckInWritten
    /// Records last check-in times of many devices in one transaction.
    func recordLastSeen(_ batch: [LastSeen]) async throws
    /// Apps ordered by app ID, after the given app ID.
    func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord]
}

/// The tenant's counts, maintained by the database as devices change.
public protocol ReportStore: Sendable {
    func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts
    /// Device and user counts.
    func summary(tenantID: TenantID) async throws -> ReportSummary
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
public protocol Storage:
    TenantStore, RecordStore, GroupMemberStore, AuditStore, PrivacyStore, EnrollmentStore, DeviceStore, InventoryStore,
    ReportStore, DiagnosticsStore, UsageStore, ManagedAppStore, RemoteTaskStore, JobStore, SchemaIntrospection
{
    /// Applies pending migrations; refuses a database newer than this binary.
    func migrate() async throws
    /// Migration IDs not yet applied (for `steward migrate --dry-run`).
    func pendingMigrations() async throws -> [String]
    /// Releases connections; the store is unusable afterwards.
    func close() async
}
