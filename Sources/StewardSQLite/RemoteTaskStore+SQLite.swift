import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func createRemoteTasks(_ tasks: [RemoteTaskRecord], audit: AuditEvent) async throws {
        try await pool.write { db in
            for task in tasks { try Self.insert(db, task) }
            try Self.appendAudit(db, audit)
        }
    }

    public func remoteTask(tenantID: TenantID, deviceID: DeviceID, id: RemoteTaskID) async throws -> RemoteTaskRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM remote_tasks WHERE tenant_id = ? AND id = ? AND device_id = ?",
                arguments: [tenantID.rawValue, id.rawValue, deviceID.rawValue]
            ).map(Self.remoteTask)
        }
    }

    public func remoteTasks(tenantID: TenantID, deviceID: DeviceID, before: String?, limit: Int) async throws -> [RemoteTaskRecord] {
        try await readOneStatement { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM remote_tasks WHERE tenant_id = ? AND device_id = ? AND (? IS NULL OR id < ?)
                    ORDER BY id DESC LIMIT ?
                    """),
                arguments: [tenantID.rawValue, deviceID.rawValue, before, before, limit]
            ).map(Self.remoteTask)
        }
    }

    public func takePendingTasks(
        tenantID: TenantID, deviceID: DeviceID, at: Date, redeliverSentBefore: Date
    ) async throws -> [RemoteTaskRecord] {
        try await pool.write { db in
            try Self.handOutTasks(db, tenantID: tenantID, deviceID: deviceID, at: at, redeliverSentBefore: redeliverSentBefore)
        }
    }

    /// Marks the device's pending (and due-again) tasks sent, inside the caller's transaction.
    static func handOutTasks(
        _ db: Database, tenantID: TenantID, deviceID: DeviceID, at: Date, redeliverSentBefore: Date
    ) throws -> [RemoteTaskRecord] {
        let pending = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM remote_tasks WHERE tenant_id = ? AND device_id = ?
                    AND (state = 'pending' OR (state = 'sent' AND sent_at < ?)) ORDER BY id
                """,
            arguments: [tenantID.rawValue, deviceID.rawValue, redeliverSentBefore.millisecondsSince1970]
        ).map(Self.remoteTask)
        let sent = pending.map { $0.moved(to: .sent, at: at) }
        for task in sent { try Self.save(db, task) }
        return sent
    }

    public func updateRemoteTask(
        tenantID: TenantID, deviceID: DeviceID, id: RemoteTaskID,
        _ change: @escaping @Sendable (RemoteTaskRecord) throws -> (RemoteTaskRecord, AuditEvent?)?
    ) async throws -> RemoteTaskRecord {
        try await pool.write { db in
            guard let old = try Row.fetchOne(
                db, sql: "SELECT * FROM remote_tasks WHERE tenant_id = ? AND id = ? AND device_id = ?",
                arguments: [tenantID.rawValue, id.rawValue, deviceID.rawValue]
            ).map(Self.remoteTask)
            else { throw StoreError.notFound }
            guard let (new, audit) = try change(old) else { return old }
            try Self.save(db, new)
            if new.kind == .retire, new.state == .succeeded, let at = new.completedAt {
                try db.execute(
                    sql: "UPDATE devices SET retired_at = ?, secret_verifier = x'' WHERE tenant_id = ? AND id = ?",
                    arguments: [at.millisecondsSince1970, tenantID.rawValue, deviceID.rawValue])
            }
            if let audit { try Self.appendAudit(db, audit) }
            return new
        }
    }

    public func purgeTaskBundles(tenantID: TenantID, completedBefore: Date) async throws -> Int {
        try await erasingWrite { db in
            try db.execute(
                sql: "UPDATE remote_tasks SET bundle = NULL WHERE tenant_id = ? AND bundle IS NOT NULL AND completed_at < ?",
                arguments: [tenantID.rawValue, completedBefore.millisecondsSince1970])
            return db.changesCount
        }
    }

    public func expireRemoteTasks(
        tenantID: TenantID, at: Date, audit: @escaping @Sendable ([RemoteTaskRecord]) -> AuditEvent
    ) async throws -> [RemoteTaskRecord] {
        try await pool.write { db in
            let expired = try Row.fetchAll(
                db,
                sql: "SELECT * FROM remote_tasks WHERE tenant_id = ? AND state IN ('pending', 'sent') AND expires_at <= ?",
                arguments: [tenantID.rawValue, at.millisecondsSince1970]
            ).map { try Self.remoteTask($0).moved(to: .expired, at: at) }
            guard !expired.isEmpty else { return [] }
            for task in expired { try Self.save(db, task) }
            try Self.appendAudit(db, audit(expired))
            return expired
        }
    }

    /// One process: the replica that creates a task wakes its own waiters.
    public func listenForRemoteTasks(_ wake: @escaping @Sendable (TenantID, DeviceID) async -> Void) async throws {}

    private static func insert(_ db: Database, _ task: RemoteTaskRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO remote_tasks (tenant_id, id, device_id, kind, state, created_at, created_by, sent_at, acknowledged_at,
                    completed_at, expires_at, result_code, result_message, bundle)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: values(task))
    }

    private static func save(_ db: Database, _ task: RemoteTaskRecord) throws {
        try db.execute(
            sql: """
                UPDATE remote_tasks SET state = ?, sent_at = ?, acknowledged_at = ?, completed_at = ?, result_code = ?,
                    result_message = ?, bundle = ?
                WHERE tenant_id = ? AND id = ?
                """,
            arguments: [
                task.state.rawValue, task.sentAt?.millisecondsSince1970, task.acknowledgedAt?.millisecondsSince1970,
                task.completedAt?.millisecondsSince1970, task.result?.code, task.result?.message, task.bundle,
                task.tenantID.rawValue, task.id.rawValue,
            ])
    }

    private static func values(_ task: RemoteTaskRecord) -> StatementArguments {
        [
            task.tenantID.rawValue, task.id.rawValue, task.deviceID.rawValue, task.kind.rawValue, task.state.rawValue,
            task.createdAt.millisecondsSince1970, task.createdBy, task.sentAt?.millisecondsSince1970,
            task.acknowledgedAt?.millisecondsSince1970, task.completedAt?.millisecondsSince1970,
            task.expiresAt.millisecondsSince1970, task.result?.code, task.result?.message, task.bundle,
        ]
    }

    static func remoteTask(_ row: Row) throws -> RemoteTaskRecord {
        try RemoteTaskRecord(columns: SQLiteColumns(row))
    }
}
