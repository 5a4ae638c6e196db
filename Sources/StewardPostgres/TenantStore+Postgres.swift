import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func createTenant(_ tenant: NewTenant) async throws {
        let (id, name, at) = (tenant.id.rawValue, tenant.name, tenant.createdAt.millisecondsSince1970)
        try await transaction { [self] connection in
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

    public func updateSettings(
        _ id: TenantID, _ settings: TenantSettings, audit: @escaping @Sendable (AppInventoryRemoval) -> AuditEvent
    ) async throws -> AppInventoryRemoval {
        let (feature, stale, retention) = (settings.compliantAppFeature, Int64(settings.staleDeviceDays), Int64(settings.auditRetentionDays))
        let tenant = id.rawValue
        let (deprovisioning, eraseAfter) = (settings.directoryDeprovisioning.rawValue, Int64(settings.directoryEraseAfterDays))
        return try await transaction { [self] connection in
            // The old value from the locked row: a concurrent change cannot slip between.
            guard let wasOn = try await connection.query(
                "SELECT compliant_app_feature FROM tenants WHERE id = \(tenant) FOR UPDATE", logger: logger
            ).collect().first?.decode(Bool.self)
            else { throw StoreError.notFound }
            try await connection.query(
                """
                UPDATE tenants SET compliant_app_feature = \(feature), stale_device_days = \(stale), audit_retention_days = \(retention),
                    directory_deprovisioning = \(deprovisioning), directory_erase_after_days = \(eraseAfter)
                WHERE id = \(tenant)
                """,
                logger: logger)
            var removal = AppInventoryRemoval(devices: 0, appRows: 0)
            if wasOn && !settings.compliantAppFeature {
                // Collected only because the feature allowed it: it goes with the feature.
                let row = try await connection.query(
                    """
                    WITH gone AS (
                        DELETE FROM device_software ds USING devices d
                        WHERE ds.tenant_id = \(tenant) AND d.tenant_id = ds.tenant_id AND d.device_key = ds.device_key
                            AND d.ownership = 'personal'
                        RETURNING ds.device_key
                    )
                    SELECT count(DISTINCT device_key), count(*) FROM gone
                    """, logger: logger
                ).collect().first
                if let (devices, rows) = try row?.decode((Int64, Int64).self) {
                    removal = AppInventoryRemoval(devices: Int(devices), appRows: Int(rows))
                }
                try await connection.query(
                    """
                    UPDATE devices SET app_count = 0, apps_hash = NULL
                    WHERE tenant_id = \(tenant) AND ownership = 'personal' AND (app_count <> 0 OR apps_hash IS NOT NULL)
                    """, logger: logger)
            }
            try await Self.appendAudit(connection, audit(removal), logger: logger)
            return removal
        }
    }

    public func matchesKeyCheck(_ digest: Data) async throws -> Bool {
        _ = try await rows(
            "INSERT INTO key_checks (purpose, digest) VALUES ('master', \(digest)) ON CONFLICT (purpose) DO NOTHING")
        return try await rows("SELECT digest FROM key_checks WHERE purpose = 'master'").first?.value("digest", as: Data.self) == digest
    }

    static func tenant(_ row: PostgresRandomAccessRow) throws -> TenantRecord {
        TenantRecord(
            id: TenantID(rawValue: try row.value("id")), name: try row.value("name"),
            settings: TenantSettings(
                compliantAppFeature: try row.value("compliant_app_feature"),
                staleDeviceDays: Int(try row.value("stale_device_days", as: Int64.self)),
                auditRetentionDays: Int(try row.value("audit_retention_days", as: Int64.self)),
                directoryDeprovisioning: DeprovisioningAction(rawValue: try row.value("directory_deprovisioning")) ?? .disable,
                directoryEraseAfterDays: Int(try row.value("directory_erase_after_days", as: Int64.self))),
            createdAt: Date(millisecondsSince1970: try row.value("created_at")),
            account: TenantAccount(row: try storedRow(row, TenantAccount.columns)))
    }

    public func updateAccount(
        _ id: TenantID, _ change: @escaping @Sendable (TenantAccount) throws -> (TenantAccount, AuditEvent)
    ) async throws -> TenantAccount {
        try await transaction { [self] connection in
            guard let row = try await connection.query(
                "SELECT * FROM tenants WHERE id = \(id.rawValue) FOR UPDATE", logger: logger
            ).collect().first else { throw StoreError.notFound }
            let (account, audit) = try change(try Self.tenant(row.makeRandomAccess()).account)
            var bindings = try Self.bindings(account.values)
            bindings.append(id.rawValue)
            let assignments = TenantAccount.columns.enumerated().map { "\($1.name) = $\($0 + 1)" }.joined(separator: ", ")
            try await connection.query(
                PostgresQuery(unsafeSQL: "UPDATE tenants SET \(assignments) WHERE id = $\(bindings.count)", binds: bindings), logger: logger)
            try await Self.appendAudit(connection, audit, logger: logger)
            return account
        }
    }

    public func tenantsDueForClosure(at: Date) async throws -> [TenantID] {
        try await rows("SELECT id FROM tenants WHERE closes_at <= \(at.millisecondsSince1970) ORDER BY closes_at")
            .map { TenantID(rawValue: try $0.value("id")) }
    }

    public func closeTenant(_ id: TenantID) async throws -> Int {
        let tenant = id.rawValue
        let deleted = try await transaction { [self] connection -> Int in
            let found = try await connection.query(
                "UPDATE tenants SET closing = TRUE WHERE id = \(tenant) RETURNING id", logger: logger).collect()
            if found.isEmpty { return 0 }
            var deleted = 0
            for table in DataCatalog.tenantOwnedTablesInDeletionOrder {
                var bindings = PostgresBindings()
                bindings.append(tenant)
                deleted += try await connection.query(
                    PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE tenant_id = $1 RETURNING 1", binds: bindings), logger: logger
                ).collect().count
            }
            try await connection.query("DELETE FROM tenants WHERE id = \(tenant)", logger: logger)
            return deleted
        }
        for table in DataCatalog.tenantOwnedTablesInDeletionOrder + ["tenants"] {
            _ = try await rows(PostgresQuery(unsafeSQL: "VACUUM \(table)"))
        }
        return deleted
    }
}
