import Foundation
import StewardModel

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
        _ change: @escaping @Sendable (RemoteTaskRecord) throws -> (RemoteTaskRecord, AuditEvent?)?
    ) async throws -> RemoteTaskRecord
    /// Pending and sent tasks past their expiry become expired; returns them.
    func expireRemoteTasks(tenantID: TenantID, at: Date, audit: @escaping @Sendable ([RemoteTaskRecord]) -> AuditEvent) async throws -> [RemoteTaskRecord]
    /// Calls `wake` with each device that got a task from any replica, until cancelled. Returns
    /// at once where there is one process (SQLite): the creator wakes its own waiters.
    func listenForRemoteTasks(_ wake: @escaping @Sendable (TenantID, DeviceID) async -> Void) async throws
}
