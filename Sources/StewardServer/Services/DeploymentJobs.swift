import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore

/// Work that must run once per deployment however many replicas serve it: the retention rules
/// of the data catalog. The replica holding the store's job lease runs every job
/// each interval; the others wait and take over when the holder dies. On SQLite the one process
/// always holds it.
public struct DeploymentJobs: Service {
    /// Enrollment, SCIM and admin tokens and console sessions, 30 days after they ended.
    public static let purgeEndedEnrollmentTokens = "purge-ended-tokens"
    public static let removeStaleDevices = "remove-stale-devices"
    public static let purgeDiagnostics = "purge-raw-diagnostics"
    public static let purgeAuditEntries = "purge-expired-audit-entries"
    public static let expireRemoteTasks = "expire-remote-tasks"
    public static let purgeDiagnosticsBundles = "purge-diagnostics-bundles"
    public static let eraseDeprovisionedUsers = "erase-deprovisioned-users"
    public static let purgeClosedSupportCases = "purge-closed-support-cases"
    public static let removeStaleAppInstances = "remove-stale-app-instances"
    public static let closeTenants = "close-tenants"
    public static let purgeAppleMDM = "purge-apple-mdm"
    public static let wakeAppleDevices = "wake-apple-devices"
    /// Answered MDM commands are kept this long (their outcome stays on their remote task), and
    /// device identities served in a profile that never enrolled a device.
    public static let appleMDMRetention: TimeInterval = 7 * 86_400
    /// Collect-diagnostics bundles (identified: the agent's state) are kept this long after their task ended.
    public static let diagnosticsBundleRetention: TimeInterval = 30 * 86_400
    /// Raw diagnostics are kept this long; their daily roll-ups stay.
    public static let rawDiagnosticsRetention: TimeInterval = 30 * 86_400
    /// Enrollment tokens that expired or were revoked are kept this long, then purged.
    public static let endedTokenRetention: TimeInterval = 30 * 86_400

    public typealias Store = JobStore & EnrollmentStore & TenantStore & DeviceStore & DiagnosticsStore & AuditStore & RemoteTaskStore
        & PrivacyStore & RecordStore
    let store: any Store
    let auditor: Auditor
    let interval: Duration
    let replicaID: String
    let clock: Clock
    let logger: Logger
    /// Apple devices whose inventory is older than this are woken (they poll only when pushed).
    public var appleInventorySeconds = 900
    public var applePush: ApplePushSender?

    public init(
        store: any Store, auditor: Auditor, interval: Duration,
        replicaID: String, clock: Clock, logger: Logger
    ) {
        self.store = store
        self.auditor = auditor
        self.interval = interval
        self.replicaID = replicaID
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await store.withJobLease { stillHeld in
                    logger.notice("this replica runs the deployment's jobs", metadata: ["component": "jobs", "replica": "\(replicaID)"])
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        try await runJobs()
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                        try await stillHeld()
                    }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning("deployment jobs interrupted; retrying", metadata: ["component": "jobs", "error": "\(type(of: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Wakes the tenant's enrolled Apple devices whose inventory is due, a few pushes at a time.
    private func wakeDue(_ tenantID: TenantID, _ applePush: ApplePushSender) async throws -> Int {
        let due = clock.now().addingTimeInterval(-TimeInterval(appleInventorySeconds))
        var woken = 0
        var after: String?
        while true {
            let page = try await store.records(AppleMDMEnrollmentRecord.self, tenantID: tenantID, filter: [:], after: after, limit: 500)
            let devices = page.filter {
                $0.authenticatedAt != nil && $0.checkedOutAt == nil && $0.pushTokenRefusedAt == nil && $0.sealedPushToken != nil
                    && ($0.lastInventoryAt.map { $0 < due } ?? false)
            }.compactMap(\.deviceID)
            for start in stride(from: 0, to: devices.count, by: 16) {
                let batch = devices[start..<min(start + 16, devices.count)]
                woken += await withTaskGroup(of: Int.self) { group in
                    for device in batch {
                        group.addTask { await applePush.wake(tenantID: tenantID, deviceID: device) == .delivered ? 1 : 0 }
                    }
                    return await group.reduce(0, +)
                }
            }
            guard page.count == 500, let last = page.last else { return woken }
            after = last.id
        }
    }

    /// One pass of every job, each recorded with the replica that ran it.
    public func runJobs() async throws {
        // Tenants closed 180 days ago: every row they own goes, audit log included (logged by
        // the job's record only: the tenant's own log goes with it).
        var closed = 0
        for tenant in try await store.tenantsDueForClosure(at: clock.now()) {
            let rows = try await store.closeTenant(tenant)
            closed += 1
            logger.notice("tenant closed", metadata: ["component": "jobs", "rowsDeleted": "\(rows)"])
        }
        try await record(Self.closeTenants, "closed \(closed)")
        let tenants = try await store.tenants()
        /// Runs `body` for every tenant and records the job with the summed counts.
        func job(_ name: String, _ result: ([Int]) -> String, _ body: (TenantRecord) async throws -> [Int]) async throws {
            var sums: [Int] = []
            for tenant in tenants {
                let counts = try await body(tenant)
                sums = sums.isEmpty ? counts : zip(sums, counts).map(+)
            }
            try await record(name, result(sums.isEmpty ? [0, 0] : sums))
        }
        func ago(days: Int) -> Date { clock.now().addingTimeInterval(-TimeInterval(days) * 86_400) }

        try await job(Self.purgeEndedEnrollmentTokens, { "purged \($0[0])" }) { tenant in
            [try await store.purgeEnrollmentTokens(tenantID: tenant.id, endedBefore: clock.now().addingTimeInterval(-Self.endedTokenRetention))]
        }

        // Devices that stopped checking in: removed after the tenant's staleDeviceDays, with
        // everything collected from them; each tenant's removal is one audit entry.
        try await job(Self.removeStaleDevices, { "removed \($0[0])" }) { tenant in
            let days = tenant.settings.staleDeviceDays
            return [try await store.removeStaleDevices(tenantID: tenant.id, before: ago(days: days)) { [auditor] count in
                auditor.systemEvent(
                    tenantID: tenant.id, activity: "Device", operation: .delete, targetID: nil,
                    changes: [
                        ModifiedProperty(name: "devicesRemoved", oldValue: nil, newValue: String(count)),
                        ModifiedProperty(name: "reason", oldValue: nil, newValue: "no check-in for \(days) days"),
                    ])
            }]
        }

        // Raw diagnostics older than 30 days (the roll-ups were made as they arrived), and the
        // links of pseudonyms whose device or user is gone.
        try await job(Self.purgeDiagnostics, { "purged \($0[0]) events, \($0[1]) pseudonym links" }) { tenant in
            let purged = try await store.purgeDiagnostics(
                tenantID: tenant.id, before: clock.now().addingTimeInterval(-Self.rawDiagnosticsRetention))
            return [purged.events, purged.links]
        }

        // Collect-diagnostics bundles are for support, not for keeping: 30 days after their task ended.
        try await job(Self.purgeDiagnosticsBundles, { "purged \($0[0])" }) { tenant in
            [try await store.purgeTaskBundles(
                tenantID: tenant.id, completedBefore: clock.now().addingTimeInterval(-Self.diagnosticsBundleRetention))]
        }

        // Audit entries past the tenant's retention, behind a sealed anchor so the rest of the
        // chain still verifies; each purge is itself an audit entry.
        try await job(Self.purgeAuditEntries, { "purged \($0[0])" }) { tenant in
            let days = tenant.settings.auditRetentionDays
            return [try await store.purgeAuditEntries(
                tenantID: tenant.id, before: ago(days: days),
                anchor: { [auditor, clock] sequence, hash in
                    auditor.chain.anchor(tenantID: tenant.id, sequence: sequence, chainHash: hash, at: clock.now())
                },
                audit: { [auditor] count in
                    auditor.systemEvent(
                        tenantID: tenant.id, activity: "AuditLog", operation: .delete, targetID: nil,
                        changes: [
                            ModifiedProperty(name: "entriesPurged", oldValue: nil, newValue: String(count)),
                            ModifiedProperty(name: "reason", oldValue: nil, newValue: "older than \(days) days"),
                        ])
                })]
        }

        // Users the directory deprovisioned, erased when the tenant's setting says (each erasure
        // audited like an admin's, with its counts).
        try await job(Self.eraseDeprovisionedUsers, { "erased \($0[0])" }) { tenant in
            var erased = 0
            for user in try await store.usersDueForErasure(tenantID: tenant.id, at: clock.now(), limit: 1_000) {
                do {
                    _ = try await store.eraseUser(tenantID: tenant.id, userID: user) { [auditor] result in
                        auditor.systemEvent(
                            tenantID: tenant.id, activity: "PrivacyErasure", operation: .delete, targetType: "User",
                            targetID: user.rawValue,
                            changes: [
                                ModifiedProperty(name: "devicesDeleted", oldValue: nil, newValue: String(result.devicesDeleted)),
                                ModifiedProperty(name: "auditEntriesBlanked", oldValue: nil, newValue: String(result.auditEntriesBlanked)),
                                ModifiedProperty(name: "reason", oldValue: nil, newValue: "deprovisioned by the directory"),
                            ])
                    }
                    erased += 1
                } catch StoreError.notFound {
                    continue
                }
            }
            return [erased]
        }

        // App-protection records whose app stopped checking in, by the tenant's staleDeviceDays.
        try await job(Self.removeStaleAppInstances, { "removed \($0[0])" }) { tenant in
            [try await store.removeStaleAppInstances(tenantID: tenant.id, before: ago(days: tenant.settings.staleDeviceDays))]
        }

        // Apple MDM: answered commands after a week (their tasks keep the outcome), and identities
        // served in profiles that never enrolled a device.
        try await job(Self.purgeAppleMDM, { "purged \($0[0]) commands, \($0[1]) unused enrollments" }) { tenant in
            let before = clock.now().addingTimeInterval(-Self.appleMDMRetention)
            let purged = try await store.purgeAppleMDM(tenantID: tenant.id, answeredBefore: before, unusedBefore: before)
            return [purged.commands, purged.enrollments]
        }

        // Apple devices fetch commands only when woken: those due for inventory are pushed, so
        // their next poll asks for it (and the poll is their check-in).
        if let applePush {
            try await job(Self.wakeAppleDevices, { "woke \($0[0])" }) { tenant in
                [try await wakeDue(tenant.id, applePush)]
            }
        }

        // Support cases a year after they closed, messages and attachments with them.
        try await job(Self.purgeClosedSupportCases, { "purged \($0[0])" }) { tenant in
            [try await store.purgeClosedSupportCases(tenantID: tenant.id, closedBefore: ago(days: SupportCases.retentionDays))]
        }

        // Remote tasks that waited past their expiry for their device; audited per tenant.
        try await job(Self.expireRemoteTasks, { "expired \($0[0])" }) { tenant in
            [try await store.expireRemoteTasks(tenantID: tenant.id, at: clock.now()) { [auditor] tasks in
                auditor.systemEvent(
                    tenantID: tenant.id, activity: "RemoteTask", operation: .action, targetID: nil,
                    changes: [
                        ModifiedProperty(name: "expired", oldValue: nil, newValue: String(tasks.count)),
                        ModifiedProperty(name: "taskIds", oldValue: nil, newValue: tasks.map(\.id.rawValue).joined(separator: ",")),
                    ])
            }.count]
        }
    }

    private func record(_ job: String, _ result: String) async throws {
        ServiceMetrics.jobRuns(job).increment()
        try await store.recordJobRun(JobRun(job: job, holder: replicaID, ranAt: clock.now(), result: result))
    }
}
