// Per dialect on purpose: LISTEN/NOTIFY wakes the agents waiting on other replicas; SQLite has
// one server, whose creating request wakes them itself.

import Foundation
import Logging
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    /// The channel every replica listens on; the payload is `schema:tenant:device`.
    static let remoteTaskChannel = "steward_remote_tasks"

    public func createRemoteTasks(_ tasks: [RemoteTaskRecord], audit: AuditEvent) async throws {
        try await transaction { [self] connection in
            for task in tasks {
                try await connection.query(
                    """
                    INSERT INTO remote_tasks (tenant_id, id, device_id, kind, state, created_at, created_by, expires_at)
                    VALUES (\(task.tenantID.rawValue), \(task.id.rawValue), \(task.deviceID.rawValue), \(task.kind.rawValue),
                        \(task.state.rawValue), \(task.createdAt.millisecondsSince1970), \(task.createdBy), \(task.expiresAt.millisecondsSince1970))
                    """, logger: logger)
                // Delivered to the listeners when the transaction commits, never before.
                try await connection.query(
                    """
                    SELECT pg_notify(\(Self.remoteTaskChannel), current_schema() || ':' || \(task.tenantID.rawValue) || ':' || \(task.deviceID.rawValue))
                    """, logger: logger)
            }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func remoteTask(tenantID: TenantID, deviceID: DeviceID, id: RemoteTaskID) async throws -> RemoteTaskRecord? {
        try await rows(
            """
            SELECT * FROM remote_tasks WHERE tenant_id = \(tenantID.rawValue) AND id = \(id.rawValue) AND device_id = \(deviceID.rawValue)
            """
        ).first.map(Self.remoteTask)
    }

    public func remoteTasks(tenantID: TenantID, deviceID: DeviceID, before: String?, limit: Int) async throws -> [RemoteTaskRecord] {
        try await rows(
            """
            SELECT * FROM remote_tasks WHERE tenant_id = \(tenantID.rawValue) AND device_id = \(deviceID.rawValue)
                AND (\(before)::text IS NULL OR id < \(before)) ORDER BY id DESC LIMIT \(Int64(limit))
            """
        ).map(Self.remoteTask)
    }

    public func takePendingTasks(
        tenantID: TenantID, deviceID: DeviceID, at: Date, redeliverSentBefore: Date
    ) async throws -> [RemoteTaskRecord] {
        try await transaction { [self] connection in
            try await Self.handOutTasks(
                connection, tenantID: tenantID, deviceID: deviceID, at: at, redeliverSentBefore: redeliverSentBefore, logger: logger)
        }
    }

    /// Marks the device's pending (and due-again) tasks sent, inside the caller's transaction.
    static func handOutTasks(
        _ connection: PostgresConnection, tenantID: TenantID, deviceID: DeviceID, at: Date, redeliverSentBefore: Date, logger: Logger
    ) async throws -> [RemoteTaskRecord] {
        try await connection.query(
            """
            UPDATE remote_tasks SET state = 'sent', sent_at = \(at.millisecondsSince1970)
            WHERE tenant_id = \(tenantID.rawValue) AND device_id = \(deviceID.rawValue)
                AND (state = 'pending' OR (state = 'sent' AND sent_at < \(redeliverSentBefore.millisecondsSince1970)))
            RETURNING *
            """, logger: logger
        ).collect().map { try Self.remoteTask($0.makeRandomAccess()) }.sorted { $0.id.rawValue < $1.id.rawValue }
    }

    public func updateRemoteTask(
        tenantID: TenantID, deviceID: DeviceID, id: RemoteTaskID,
        _ change: @escaping @Sendable (RemoteTaskRecord) throws -> (RemoteTaskRecord, AuditEvent?)?
    ) async throws -> RemoteTaskRecord {
        try await transaction { [self] connection in
            guard let old = try await connection.query(
                """
                SELECT * FROM remote_tasks WHERE tenant_id = \(tenantID.rawValue) AND id = \(id.rawValue)
                    AND device_id = \(deviceID.rawValue) FOR UPDATE
                """, logger: logger
            ).collect().first.map({ try Self.remoteTask($0.makeRandomAccess()) })
            else { throw StoreError.notFound }
            guard let (new, audit) = try change(old) else { return old }
            try await Self.save(connection, new, logger: logger)
            if new.kind == .retire, new.state == .succeeded, let at = new.completedAt {
                try await connection.query(
                    """
                    UPDATE devices SET retired_at = \(at.millisecondsSince1970), secret_verifier = ''::bytea
                    WHERE tenant_id = \(tenantID.rawValue) AND id = \(deviceID.rawValue)
                    """, logger: logger)
            }
            if let audit { try await Self.appendAudit(connection, audit, logger: logger) }
            return new
        }
    }

    public func purgeTaskBundles(tenantID: TenantID, completedBefore: Date) async throws -> Int {
        try await rows(
            """
            UPDATE remote_tasks SET bundle = NULL
            WHERE tenant_id = \(tenantID.rawValue) AND bundle IS NOT NULL AND completed_at < \(completedBefore.millisecondsSince1970)
            RETURNING id
            """
        ).count
    }

    public func expireRemoteTasks(
        tenantID: TenantID, at: Date, audit: @escaping @Sendable ([RemoteTaskRecord]) -> AuditEvent
    ) async throws -> [RemoteTaskRecord] {
        try await transaction { [self] connection in
            let expired = try await connection.query(
                """
                UPDATE remote_tasks SET state = 'expired', completed_at = \(at.millisecondsSince1970)
                WHERE tenant_id = \(tenantID.rawValue) AND state IN ('pending', 'sent') AND expires_at <= \(at.millisecondsSince1970)
                RETURNING *
                """, logger: logger
            ).collect().map { try Self.remoteTask($0.makeRandomAccess()) }
            if !expired.isEmpty { try await Self.appendAudit(connection, audit(expired), logger: logger) }
            return expired
        }
    }

    /// Holds one pooled connection in LISTEN and wakes the waiters of every task created on any replica.
    public func listenForRemoteTasks(_ wake: @escaping @Sendable (TenantID, DeviceID) async -> Void) async throws {
        try await client.withConnection { connection in
            let schema = try await connection.query("SELECT current_schema()", logger: logger).collect().first?.decode(String.self) ?? ""
            try await connection.listen(on: Self.remoteTaskChannel) { notifications in
                for try await notification in notifications {
                    let parts = notification.payload.split(separator: ":").map(String.init)
                    guard parts.count == 3, parts[0] == schema else { continue }
                    await wake(TenantID(rawValue: parts[1]), DeviceID(rawValue: parts[2]))
                }
            }
        }
    }

    private static func save(_ connection: PostgresConnection, _ task: RemoteTaskRecord, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE remote_tasks SET state = \(task.state.rawValue), sent_at = \(task.sentAt?.millisecondsSince1970),
                acknowledged_at = \(task.acknowledgedAt?.millisecondsSince1970), completed_at = \(task.completedAt?.millisecondsSince1970),
                result_code = \(task.result?.code), result_message = \(task.result?.message), bundle = \(task.bundle)
            WHERE tenant_id = \(task.tenantID.rawValue) AND id = \(task.id.rawValue)
            """, logger: logger)
    }

    static func remoteTask(_ row: PostgresRandomAccessRow) throws -> RemoteTaskRecord {
        try RemoteTaskRecord(columns: PostgresColumns(row))
    }
}
