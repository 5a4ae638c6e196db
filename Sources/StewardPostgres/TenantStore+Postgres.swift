import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func createTenant(_ tenant: NewTenant) async throws {
        let (id, name, at) = (tenant.id.rawValue, tenant.name, tenant.createdAt.millisecondsSince1970)
        try await transaction { connection in
            try await connection.query(
                "INSERT INTO tenants (id, name, compliant_app_feature, created_at) VALUES (\(id), \(name), FALSE, \(at))",
                logger: logger)
            try await Self.insert(connection, tenant.admin, logger: logger)
            try await Self.insert(connection, tenant.token, logger: logger)
            for assignment in tenant.assignments { try await Self.insert(connection, assignment, logger: logger) }
            try await Self.appendAudit(connection, tenant.audit, logger: logger)
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await rows("SELECT * FROM tenants ORDER BY created_at, id").map(Self.tenant)
    }

    public func tenant(_ id: TenantID) async throws -> TenantRecord? {
        try await rows("SELECT * FROM tenants WHERE id = \(id.rawValue)").first.map(Self.tenant)
    }

    public func updateSettings(_ id: TenantID, _ settings: TenantSettings, audit: AuditEvent) async throws {
        let (feature, stale, retention) = (settings.compliantAppFeature, Int64(settings.staleDeviceDays), Int64(settings.auditRetentionDays))
        try await transaction { connection in
            let updated = try await connection.query(
                """
                UPDATE tenants SET compliant_app_feature = \(feature), stale_device_days = \(stale), audit_retention_days = \(retention)
                WHERE id = \(id.rawValue) RETURNING id
                """,
                logger: logger
            ).collect()
            if updated.isEmpty { throw StoreError.notFound }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func matchesKeyCheck(_ digest: Data) async throws -> Bool {
        try await client.query(
            "INSERT INTO key_checks (purpose, digest) VALUES ('master', \(digest)) ON CONFLICT (purpose) DO NOTHING",
            logger: logger)
        return try await rows("SELECT digest FROM key_checks WHERE purpose = 'master'").first?.value("digest", as: Data.self) == digest
    }

    static func tenant(_ row: PostgresRandomAccessRow) throws -> TenantRecord {
        TenantRecord(
            id: TenantID(rawValue: try row.value("id")), name: try row.value("name"),
            settings: TenantSettings(
                compliantAppFeature: try row.value("compliant_app_feature"),
                staleDeviceDays: Int(try row.value("stale_device_days", as: Int64.self)),
                auditRetentionDays: Int(try row.value("audit_retention_days", as: Int64.self))),
            createdAt: Date(millisecondsSince1970: try row.value("created_at")))
    }
}
