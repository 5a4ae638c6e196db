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

    public func purgeClosedSupportCases(tenantID: TenantID, closedBefore: Date) async throws -> Int {
        try await rows(
            """
            DELETE FROM support_cases WHERE tenant_id = \(tenantID.rawValue) AND status = 'closed'
                AND closed_at < \(closedBefore.millisecondsSince1970) RETURNING id
            """
        ).count
    }

    public func purgeAppleMDM(tenantID: TenantID, answeredBefore: Date, unusedBefore: Date) async throws -> (commands: Int, enrollments: Int) {
        let commands = try await rows(
            """
            DELETE FROM apple_mdm_commands WHERE tenant_id = \(tenantID.rawValue) AND state IN ('acknowledged', 'error', 'formatError')
                AND answered_at < \(answeredBefore.millisecondsSince1970) RETURNING id
            """
        ).count
        let enrollments = try await rows(
            """
            DELETE FROM apple_mdm_enrollments WHERE tenant_id = \(tenantID.rawValue) AND device_id IS NULL
                AND issued_at < \(unusedBefore.millisecondsSince1970) RETURNING id
            """
        ).count
        return (commands, enrollments)
    }

    public func removeStaleAppInstances(tenantID: TenantID, before: Date) async throws -> Int {
        try await rows(
            """
            DELETE FROM app_protection_instances WHERE tenant_id = \(tenantID.rawValue)
                AND coalesce(last_check_in_at, enrolled_at) < \(before.millisecondsSince1970) RETURNING id
            """
        ).count
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
            // Support cases about them, or with them as the contact (by either address).
            var cases: [String] = []
            for try await id in try await connection.query(
                """
                SELECT c.id FROM support_cases c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = \(user)
                WHERE c.tenant_id = \(tenant) AND (c.user_id = u.id OR lower(c.contact_email) IN (lower(u.upn), lower(coalesce(u.email, u.upn))))
                FOR UPDATE OF c
                """, logger: logger
            ).decode(String.self) {
                cases.append(id)
            }
            var instances: [String] = []
            for try await id in try await connection.query(
                "SELECT id FROM app_protection_instances WHERE tenant_id = \(tenant) AND user_id = \(user) FOR UPDATE", logger: logger
            ).decode(String.self) {
                instances.append(id)
            }
            let subjects = [user] + devices + cases + instances
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
            try await connection.query("DELETE FROM support_cases WHERE tenant_id = \(tenant) AND id = ANY(\(cases))", logger: logger)
            try await connection.query(
                "DELETE FROM app_protection_instances WHERE tenant_id = \(tenant) AND user_id = \(user)", logger: logger)
            try await connection.query("DELETE FROM users WHERE tenant_id = \(tenant) AND id = \(user)", logger: logger)
            // App catalog rows no device holds any more went with the devices (trigger).
            let purged = softwareBefore - (try await Self.softwareCount(connection, tenant: tenant, logger: logger))
            let result = ErasureView(
                devicesDeleted: devices.count, auditEntriesBlanked: blanked, appCatalogRowsPurged: purged, pseudonymsUnlinked: unlinked,
                supportCasesDeleted: cases.count, appInstancesDeleted: instances.count)
            try await Self.appendAudit(connection, audit(result), logger: logger)
            return result
        }
        // Dead row versions hold the erased values until vacuumed; do it now rather than whenever
        // autovacuum gets there. (WAL segments and backups keep them until they are recycled.)
        for table in ["users", "devices", "device_software", "software", "group_members", "audit_entries", "enrollment_tokens", "pseudonyms", "diagnostic_events", "support_cases", "support_messages", "app_protection_instances"] {
            _ = try await rows(PostgresQuery(unsafeSQL: "VACUUM \(table)"))
        }
        return result
    }

    static func softwareCount(_ connection: PostgresConnection, tenant: String, logger: Logger) async throws -> Int {
        Int(try await connection.query("SELECT count(*) FROM software WHERE tenant_id = \(tenant)", logger: logger)
            .collect().first?.decode(Int64.self) ?? 0)
    }
}
