import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore

/// Work that must run once per deployment however many replicas serve it (retention and
/// roll-ups join it in later issues). The replica holding the store's job lease runs every job
/// each interval; the others wait and take over when the holder dies. On SQLite the one process
/// always holds it.
public struct DeploymentJobs: Service {
    public static let purgeEndedEnrollmentTokens = "purge-ended-enrollment-tokens"
    public static let removeStaleDevices = "remove-stale-devices"
    /// Enrollment tokens that expired or were revoked are kept this long, then purged.
    public static let endedTokenRetention: TimeInterval = 30 * 86_400

    let store: any JobStore & EnrollmentStore & TenantStore & DeviceStore
    let auditor: Auditor
    let interval: Duration
    let replicaID: String
    let clock: Clock
    let logger: Logger

    public init(
        store: any JobStore & EnrollmentStore & TenantStore & DeviceStore, auditor: Auditor, interval: Duration,
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

    /// One pass of every job, each recorded with the replica that ran it.
    public func runJobs() async throws {
        let cutoff = clock.now().addingTimeInterval(-Self.endedTokenRetention)
        var purged = 0
        for tenant in try await store.tenants() {
            purged += try await store.purgeEnrollmentTokens(tenantID: tenant.id, endedBefore: cutoff)
        }
        try await store.recordJobRun(JobRun(
            job: Self.purgeEndedEnrollmentTokens, holder: replicaID, ranAt: clock.now(), result: "purged \(purged)"))

        // Devices that stopped checking in: removed after the tenant's staleDeviceDays, with
        // everything collected from them; each tenant's removal is one audit entry.
        var removed = 0
        for tenant in try await store.tenants() {
            let days = tenant.settings.staleDeviceDays
            removed += try await store.removeStaleDevices(
                tenantID: tenant.id, before: clock.now().addingTimeInterval(-TimeInterval(days) * 86_400)
            ) { [auditor] count in
                auditor.systemEvent(
                    tenantID: tenant.id, activity: "Device", operation: .delete, targetID: nil,
                    changes: [
                        ModifiedProperty(name: "devicesRemoved", oldValue: nil, newValue: String(count)),
                        ModifiedProperty(name: "reason", oldValue: nil, newValue: "no check-in for \(days) days"),
                    ])
            }
        }
        try await store.recordJobRun(JobRun(
            job: Self.removeStaleDevices, holder: replicaID, ranAt: clock.now(), result: "removed \(removed)"))
    }
}
