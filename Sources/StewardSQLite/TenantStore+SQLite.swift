import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func createTenant(_ tenant: NewTenant) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO tenants (id, name, compliant_app_feature, created_at) VALUES (?, ?, 0, ?)",
                arguments: [tenant.id.rawValue, tenant.name, tenant.createdAt.millisecondsSince1970])
            try Self.insert(db, tenant.admin)
            try Self.insert(db, tenant.token)
            for assignment in tenant.assignments { try Self.insert(db, assignment) }
            try Self.appendAudit(db, tenant.audit)
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await pool.read { db in
            try db.cachedStatement(sql: "SELECT \(Self.tenantSelection) FROM tenants ORDER BY created_at, id").rawRows([], Self.tenant)
        }
    }

    public func tenant(_ id: TenantID) async throws -> TenantRecord? {
        try await pool.read { db in
            try Self.tenant(db, id)
        }
    }

    public func updateSettings(
        _ id: TenantID, _ settings: TenantSettings, audit: @escaping @Sendable (AppInventoryRemoval) -> AuditEvent
    ) async throws -> AppInventoryRemoval {
        try await erasingWrite { db in
            let tenant = id.rawValue
            guard let wasOn = try Bool.fetchOne(db, sql: "SELECT compliant_app_feature FROM tenants WHERE id = ?", arguments: [tenant])
            else { throw StoreError.notFound }
            try db.execute(
                sql: """
                    UPDATE tenants SET compliant_app_feature = ?, stale_device_days = ?, audit_retention_days = ?,
                        directory_deprovisioning = ?, directory_erase_after_days = ?
                    WHERE id = ?
                    """,
                arguments: [
                    settings.compliantAppFeature, settings.staleDeviceDays, settings.auditRetentionDays,
                    settings.directoryDeprovisioning.rawValue, settings.directoryEraseAfterDays, tenant,
                ])
            var removal = AppInventoryRemoval(devices: 0, appRows: 0)
            if wasOn && !settings.compliantAppFeature {
                // Collected only because the feature allowed it: it goes with the feature.
                let personal = "SELECT device_key FROM devices WHERE tenant_id = ? AND ownership = 'personal'"
                removal.devices = try Int.fetchOne(
                    db, sql: "SELECT count(DISTINCT device_key) FROM device_software WHERE tenant_id = ? AND device_key IN (\(personal))",
                    arguments: [tenant, tenant]) ?? 0
                try db.execute(
                    sql: "DELETE FROM device_software WHERE tenant_id = ? AND device_key IN (\(personal))", arguments: [tenant, tenant])
                removal.appRows = db.changesCount
                try db.execute(
                    sql: """
                        UPDATE devices SET app_count = 0, apps_hash = NULL
                        WHERE tenant_id = ? AND ownership = 'personal' AND (app_count <> 0 OR apps_hash IS NOT NULL)
                        """,
                    arguments: [tenant])
            }
            try Self.appendAudit(db, audit(removal))
            return removal
        }
    }

    public func matchesKeyCheck(_ digest: Data) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO key_checks (purpose, digest) VALUES ('master', ?) ON CONFLICT (purpose) DO NOTHING",
                arguments: [digest])
            return try Data.fetchOne(db, sql: "SELECT digest FROM key_checks WHERE purpose = 'master'") == digest
        }
    }

    /// A tenant's settings, then its account's columns (read by position).
    static let tenantSelection = (tenantColumns + TenantAccount.columns.map(\.name)).joined(separator: ", ")
    private static let tenantColumns = [
        "id", "name", "compliant_app_feature", "stale_device_days", "audit_retention_days", "directory_deprovisioning",
        "directory_erase_after_days", "created_at",
    ]

    static func tenant(_ db: Database, _ id: TenantID) throws -> TenantRecord? {
        try db.cachedStatement(sql: "SELECT \(tenantSelection) FROM tenants WHERE id = ?")
            .firstRawRow(binding: [id.rawValue]) { row in row.map(tenant) }
    }

    /// A tenant from a row of `tenantSelection` (in `tenantColumns`' order).
    static func tenant(_ row: RawRow) -> TenantRecord {
        TenantRecord(
            id: TenantID(rawValue: row.text(0) ?? ""), name: row.text(1) ?? "",
            settings: TenantSettings(
                compliantAppFeature: row.integer(2) != 0, staleDeviceDays: Int(row.integer(3)),
                auditRetentionDays: Int(row.integer(4)),
                directoryDeprovisioning: row.text(5).flatMap(DeprovisioningAction.init(rawValue:)) ?? .disable,
                directoryEraseAfterDays: Int(row.integer(6))),
            createdAt: Date(millisecondsSince1970: row.integer(7)),
            account: TenantAccount(row: row.stored(TenantAccount.columns, from: Int32(tenantColumns.count))))
    }

    public func updateAccount(
        _ id: TenantID, _ change: @escaping @Sendable (TenantAccount) throws -> (TenantAccount, AuditEvent)
    ) async throws -> TenantAccount {
        try await pool.write { db in
            guard let tenant = try Self.tenant(db, id) else { throw StoreError.notFound }
            let (account, audit) = try change(tenant.account)
            let assignments = TenantAccount.columns.map { "\($0.name) = ?" }.joined(separator: ", ")
            try db.execute(
                sql: "UPDATE tenants SET \(assignments) WHERE id = ?",
                arguments: StatementArguments(account.values.map(Self.bound) + [id.rawValue]))
            try Self.appendAudit(db, audit)
            return account
        }
    }

    public func tenantsDueForClosure(at: Date) async throws -> [TenantID] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM tenants WHERE closes_at <= ? ORDER BY closes_at", arguments: [at.millisecondsSince1970])
                .map(TenantID.init(rawValue:))
        }
    }

    public func closeTenant(_ id: TenantID) async throws -> Int {
        let deleted = try await erasingWrite { db -> Int in
            let tenant = id.rawValue
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tenants WHERE id = ?", arguments: [tenant]) != nil else { return 0 }
            // The audit log's guards let a closing tenant's entries and anchors go, and nothing else.
            try db.execute(sql: "UPDATE tenants SET closing = 1 WHERE id = ?", arguments: [tenant])
            var deleted = 0
            for table in DataCatalog.tenantOwnedTablesInDeletionOrder {
                deleted += try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE tenant_id = ?", arguments: [tenant]) ?? 0
                try db.execute(sql: "DELETE FROM \(table) WHERE tenant_id = ?", arguments: [tenant])
            }
            try db.execute(sql: "DELETE FROM tenants WHERE id = ?", arguments: [tenant])
            return deleted
        }
        try await truncateWAL()
        return deleted
    }
}
