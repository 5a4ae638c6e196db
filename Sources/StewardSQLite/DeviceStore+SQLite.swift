import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func checkInState(tenantID: TenantID, deviceID: DeviceID) async throws -> DeviceCheckInState? {
        try await readOneStatement { db in try Self.checkInState(db, tenantID: tenantID, deviceID: deviceID) }
    }

    private static func checkInState(_ db: Database, tenantID: TenantID, deviceID: DeviceID) throws -> DeviceCheckInState? {
        let statement = try db.cachedStatement(sql: """
            SELECT d.secret_verifier, d.ownership, t.compliant_app_feature, t.apps_version, d.pending_tasks,
                   d.hardware_hash, d.os_hash, d.network_hash, d.apps_hash
            FROM devices d JOIN tenants t ON t.id = d.tenant_id
            WHERE d.tenant_id = ? AND d.id = ?
            """)
        // Through SQLite's own calls (`RawRow`): this runs for every check-in.
        return try statement.firstRawRow(binding: [tenantID.rawValue, deviceID.rawValue]) { row in
            // The verifier is NOT NULL: a row without one (never written) authenticates nobody.
            guard let row, let verifier = row.blob(0) else { return nil }
            return DeviceCheckInState(
                tenantID: tenantID, deviceID: deviceID, secretVerifier: verifier,
                ownership: row.text(1).flatMap(Ownership.init(rawValue:)) ?? .personal,
                compliantAppFeature: row.integer(2) != 0,
                hashes: SectionHashes(hardware: row.text(5), operatingSystem: row.text(6), network: row.text(7), apps: row.text(8)),
                appsVersion: row.integer(3), pendingTasks: Int(row.integer(4)))
        }
    }

    public func device(tenantID: TenantID, id: DeviceID) async throws -> DeviceView? {
        // By position (`RawRow`): GRDB's `fetchOne` built a column-name index and copied every
        // column before the view read one (8% of a console device page's CPU).
        try await readOneStatement { db in
            try db.cachedStatement(sql: "SELECT \(Self.viewColumns) FROM devices WHERE tenant_id = ? AND id = ?")
                .rawRows([tenantID.rawValue, id.rawValue]) { try DeviceView(columns: $0) }.first
        }
    }

    public func devices(tenantID: TenantID, query: DeviceQuery) async throws -> [DeviceView] {
        let (sql, bound) = Self.deviceList(tenantID: tenantID, query: query)
        return try await readOneStatement { db in
            // Each column read from the statement by position; `fetchAll` copied every row first.
            try db.cachedStatement(sql: sql).rawRows(bound) { try DeviceView(columns: $0) }
        }
    }

    /// The device list's statement and its arguments.
    public static func deviceList(tenantID: TenantID, query: DeviceQuery) -> (sql: String, arguments: StatementArguments) {
        let (conditions, values) = query.filter(tenantID: tenantID).render(.sqlite)
        let sql = "SELECT \(viewColumns) FROM devices WHERE \(conditions) ORDER BY \(query.orderBy(.sqlite)) LIMIT ?"
        return (sql, StatementArguments(values.map(bound) + [query.limit]))
    }

    public func updateDevice(
        tenantID: TenantID, id: DeviceID, ownership: Ownership?, userID: UserID??, reEnrollmentUntil: Date?, audit: AuditEvent
    ) async throws {
        try await erasingWrite { db in
            let (tenant, device) = (tenantID.rawValue, id.rawValue)
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenant, device]) != nil
            else { throw StoreError.notFound }
            if let ownership {
                try db.execute(
                    sql: "UPDATE devices SET ownership = ? WHERE tenant_id = ? AND id = ?",
                    arguments: [ownership.rawValue, tenant, device])
                if ownership == .personal { try Self.forgetCorporateOnlyData(db, tenant: tenant, device: device) }
            }
            if let userID {
                try db.execute(
                    sql: "UPDATE devices SET user_id = ? WHERE tenant_id = ? AND id = ?",
                    arguments: [userID?.rawValue, tenant, device])
            }
            if let until = reEnrollmentUntil {
                try db.execute(
                    sql: "UPDATE devices SET re_enrollment_until = ? WHERE tenant_id = ? AND id = ?",
                    arguments: [until.millisecondsSince1970, tenant, device])
            }
            try Self.appendAudit(db, audit)
        }
    }

    public func deleteDevice(tenantID: TenantID, id: DeviceID, audit: AuditEvent) async throws {
        try await erasingWrite { db in
            try db.execute(
                sql: "DELETE FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenantID.rawValue, id.rawValue])
            if db.changesCount == 0 { throw StoreError.notFound }
            try db.execute(
                sql: "DELETE FROM group_members WHERE tenant_id = ? AND member_id = ?",
                arguments: [tenantID.rawValue, id.rawValue])
            try Self.appendAudit(db, audit)
        }
    }

    public func removeStaleDevices(tenantID: TenantID, before: Date, audit: @escaping @Sendable (Int) -> AuditEvent) async throws -> Int {
        try await erasingWrite { db in
            let (tenant, cutoff) = (tenantID.rawValue, before.millisecondsSince1970)
            let stale = "SELECT id FROM devices WHERE tenant_id = ? AND coalesce(last_check_in_at, enrolled_at) < ?"
            try db.execute(
                sql: "DELETE FROM group_members WHERE tenant_id = ? AND member_id IN (\(stale))", arguments: [tenant, tenant, cutoff])
            try db.execute(
                sql: "DELETE FROM devices WHERE tenant_id = ? AND coalesce(last_check_in_at, enrolled_at) < ?", arguments: [tenant, cutoff])
            let removed = db.changesCount
            if removed > 0 { try Self.appendAudit(db, audit(removed)) }
            return removed
        }
    }

    public func deviceIsMember(tenantID: TenantID, id: DeviceID, ofAnyOf groups: [GroupID]) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT 1 FROM group_members WHERE tenant_id = ? AND member_id = ?
                        AND group_id IN (SELECT value FROM json_each(?)) LIMIT 1
                    """,
                arguments: [tenantID.rawValue, id.rawValue, Self.jsonArray(groups.map(\.rawValue))]) != nil
        }
    }

    /// What a personal device may not keep: the app inventory (unless the tenant's compliant-app
    /// feature allows it again at the next check-in) and the full phone number. Run it inside
    /// `erasingWrite`: the released `software` rows must leave no bytes behind.
    static func forgetCorporateOnlyData(_ db: Database, tenant: String, device: String) throws {
        try db.execute(
            sql: """
                DELETE FROM device_software WHERE tenant_id = ?
                    AND device_key = (SELECT device_key FROM devices WHERE tenant_id = ? AND id = ?)
                """,
            arguments: [tenant, tenant, device])
        let phone = try String.fetchOne(
            db, sql: "SELECT phone_number FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenant, device])
        try db.execute(
            sql: "UPDATE devices SET app_count = 0, apps_hash = NULL, phone_number = ? WHERE tenant_id = ? AND id = ?",
            arguments: [PrivacyRules.maskedPhoneNumber(phone), tenant, device])
    }

    static let viewColumns = DeviceView.storedColumns
}
