// Per dialect on purpose: secure erasure. PostgreSQL vacuums the tables after the erasure's
// transaction; SQLite zeroes deleted bytes and truncates the WAL.

import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func usersDueForErasure(tenantID: TenantID, at: Date, limit: Int) async throws -> [UserID] {
        try await rows(
            """
            SELECT id FROM users WHERE tenant_id = \(tenantID.rawValue) AND erase_at <= \(at.millisecondsSince1970)
            ORDER BY erase_at LIMIT \(Int64(limit))
            """
        ).map { UserID(rawValue: try $0.value("id")) }
    }

    public func eraseUser(
        tenantID: TenantID, userID: UserID, audit: @escaping @Sendable (ErasureView) -> AuditEvent
    ) async throws -> ErasureView {
        let (tenant, user) = (tenantID.rawValue, userID.rawValue)
        let result = try await transaction { [self] connection -> ErasureView in
            let found = try await connection.query(
                "SELECT 1 FROM users WHERE tenant_id = \(tenant) AND id = \(user) FOR UPDATE", logger: logger
            ).collect()
            if found.isEmpty { throw StoreError.notFound }
            var devices: [String] = []
            for try await id in try await connection.query(
                "SELECT id FROM devices WHERE tenant_id = \(tenant) AND user_id = \(user) FOR UPDATE", logger: logger
            ).decode(String.self) {
                devices.append(id)
            }
            let subjects = [user] + devices
            let blanked = try await connection.query(
                """
                UPDATE audit_entries SET personal = NULL
                WHERE tenant_id = \(tenant) AND personal IS NOT NULL AND target_id = ANY(\(subjects)) RETURNING sequence
                """, logger: logger
            ).collect().count
            // Cut the pseudonym links (their salts go with them): the diagnostics stay, anonymous.
            try await connection.query(
                """
                UPDATE diagnostic_events SET
                    device_pseudonym = CASE WHEN device_pseudonym = ANY(l.pseudonyms) THEN NULL ELSE device_pseudonym END,
                    user_pseudonym = CASE WHEN user_pseudonym = ANY(l.pseudonyms) THEN NULL ELSE user_pseudonym END
                FROM (SELECT array_agg(pseudonym) AS pseudonyms FROM pseudonyms
                      WHERE tenant_id = \(tenant) AND subject_id = ANY(\(subjects))) l
                WHERE tenant_id = \(tenant) AND (device_pseudonym = ANY(l.pseudonyms) OR user_pseudonym = ANY(l.pseudonyms))
                """, logger: logger)
            let unlinked = try await connection.query(
                "DELETE FROM pseudonyms WHERE tenant_id = \(tenant) AND subject_id = ANY(\(subjects)) RETURNING pseudonym",
                logger: logger
            ).collect().count
            try await connection.query(
                "DELETE FROM group_members WHERE tenant_id = \(tenant) AND member_id = ANY(\(subjects))", logger: logger)
            let softwareBefore = try await Self.softwareCount(connection, tenant: tenant, logger: logger)
            try await connection.query("DELETE FROM devices WHERE tenant_id = \(tenant) AND user_id = \(user)", logger: logger)
            try await connection.query(
                "UPDATE enrollment_tokens SET user_id = NULL WHERE tenant_id = \(tenant) AND user_id = \(user)", logger: logger)
            try await connection.query("DELETE FROM users WHERE tenant_id = \(tenant) AND id = \(user)", logger: logger)
            // App catalog rows no device holds any more went with the devices (trigger).
            let purged = softwareBefore - (try await Self.softwareCount(connection, tenant: tenant, logger: logger))
            let result = ErasureView(devicesDeleted: devices.count, auditEntriesBlanked: blanked, appCatalogRowsPurged: purged, pseudonymsUnlinked: unlinked)
            try await Self.appendAudit(connection, audit(result), logger: logger)
            return result
        }
        // Dead row versions hold the erased values until vacuumed; do it now rather than whenever
        // autovacuum gets there. (WAL segments and backups keep them until they are recycled.)
        for table in ["users", "devices", "device_software", "software", "group_members", "audit_entries", "enrollment_tokens", "pseudonyms", "diagnostic_events"] {
            _ = try await rows(PostgresQuery(unsafeSQL: "VACUUM \(table)"))
        }
        return result
    }

    static func softwareCount(_ connection: PostgresConnection, tenant: String, logger: Logger) async throws -> Int {
        Int(try await connection.query("SELECT count(*) FROM software WHERE tenant_id = \(tenant)", logger: logger)
            .collect().first?.decode(Int64.self) ?? 0)
    }
}
