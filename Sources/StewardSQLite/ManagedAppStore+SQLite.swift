import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func managedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [ManagedAppInstruction] {
        let (tenant, device) = (tenantID.rawValue, deviceID.rawValue)
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT a.id, a.name, a.platform, a.package_id, a.detection, s.intent
                    FROM app_assignments s JOIN managed_apps a ON a.tenant_id = s.tenant_id AND a.id = s.app_id
                    WHERE s.tenant_id = ? AND s.group_id IN (
                        SELECT m.group_id FROM group_members m WHERE m.tenant_id = ? AND m.member_id = ?
                        UNION
                        SELECT m.group_id FROM group_members m JOIN devices d ON d.tenant_id = m.tenant_id AND d.user_id = m.member_id
                        WHERE d.tenant_id = ? AND d.id = ?)
                    """),
                arguments: [tenant, tenant, device, tenant, device])
            return ManagedAppInstruction.merged(rows.map { row in
                ManagedAppInstruction(
                    appId: ManagedAppID(rawValue: row["id"]), name: row["name"], platform: Platform(rawValue: row["platform"]) ?? .linux,
                    packageId: row["package_id"],
                    detection: (try? JSONDecoder().decode(DetectionRule.self, from: Data((row["detection"] as String).utf8))) ?? DetectionRule(),
                    intent: AssignmentIntent(rawValue: row["intent"]) ?? .available)
            })
        }
    }

    public func replaceAppStates(tenantID: TenantID, deviceID: DeviceID, _ reports: [AppStateReport], at: Date) async throws -> Int {
        let (tenant, device) = (tenantID.rawValue, deviceID.rawValue)
        return try await pool.write { db in try Self.writeAppStates(db, tenant: tenant, device: device, reports, at: at) }
    }

    /// The device's report replaces its previous one, inside the caller's transaction.
    static func writeAppStates(_ db: Database, tenant: String, device: String, _ reports: [AppStateReport], at: Date) throws -> Int {
        guard let row = try Row.fetchOne(db, sql: "SELECT user_id FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenant, device])
        else { throw StoreError.notFound }
        let user: String? = row["user_id"]
        let apps = reports.map(\.appId.rawValue)
        try db.execute(
            sql: """
                DELETE FROM app_install_states WHERE tenant_id = ? AND device_id = ?
                    AND app_id NOT IN (SELECT value FROM json_each(?))
                """,
            arguments: [tenant, device, Self.jsonArray(apps)])
        // Only changes are written: an unchanged state keeps its time and fires no trigger.
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO app_install_states (tenant_id, app_id, device_id, user_id, state, error_code, updated_at)
            SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM managed_apps WHERE tenant_id = ? AND id = ?)
            ON CONFLICT (tenant_id, app_id, device_id) DO UPDATE SET
                state = excluded.state, error_code = excluded.error_code, user_id = excluded.user_id, updated_at = excluded.updated_at
            WHERE app_install_states.state IS NOT excluded.state OR app_install_states.error_code IS NOT excluded.error_code
            """)
        var stored = 0
        for report in reports.sorted(by: { $0.appId.rawValue < $1.appId.rawValue }) {
            try upsert.execute(arguments: [
                tenant, report.appId.rawValue, device, user, report.state.rawValue, report.errorCode, at.millisecondsSince1970,
                tenant, report.appId.rawValue,
            ])
            stored += db.changesCount
        }
        return stored
    }

    public func deviceManagedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [DeviceManagedAppView] {
        try await readOneStatement { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT s.app_id, a.name, s.state, s.error_code, s.updated_at
                    FROM app_install_states s JOIN managed_apps a ON a.tenant_id = s.tenant_id AND a.id = s.app_id
                    WHERE s.tenant_id = ? AND s.device_id = ? ORDER BY s.app_id
                    """),
                arguments: [tenantID.rawValue, deviceID.rawValue]
            ).map { row in
                DeviceManagedAppView(
                    appId: ManagedAppID(rawValue: row["app_id"]), name: row["name"],
                    state: AppInstallState(rawValue: row["state"]) ?? .notInstalled, errorCode: row["error_code"],
                    updatedAt: Date(millisecondsSince1970: row["updated_at"]))
            }
        }
    }

    public func installSummary(tenantID: TenantID, appID: ManagedAppID) async throws -> AppInstallSummary {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT state, devices, users FROM app_install_counts WHERE tenant_id = ? AND app_id = ?",
                arguments: [tenantID.rawValue, appID.rawValue])
            return AppInstallSummary(appId: appID, rows: rows.map { ($0["state"], $0["devices"], $0["users"]) })
        }
    }

    public func appDeviceStatuses(
        tenantID: TenantID, appID: ManagedAppID, state: AppInstallState?, after: String?, limit: Int
    ) async throws -> [AppDeviceStatusView] {
        let (conditions, values) = AppDeviceStatusFilter.filter(tenantID: tenantID, appID: appID, state: state, after: after)
            .render(.sqlite)
        let sql = """
            SELECT device_id, user_id, state, error_code, updated_at FROM app_install_states
            WHERE \(conditions) ORDER BY device_id LIMIT ?
            """
        let bound = StatementArguments(values.map(Self.bound) + [limit])
        return try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map { try AppDeviceStatusView(columns: SQLiteColumns($0)) }
        }
    }

    public func appUserStatuses(tenantID: TenantID, appID: ManagedAppID, after: String?, limit: Int) async throws -> [AppUserStatusView] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT user_id, state, devices FROM app_user_states WHERE tenant_id = ? AND app_id = ? AND user_id IN (
                        SELECT DISTINCT user_id FROM app_user_states WHERE tenant_id = ? AND app_id = ? AND user_id > ?
                        ORDER BY user_id LIMIT ?)
                    ORDER BY user_id, state
                    """,
                arguments: [tenantID.rawValue, appID.rawValue, tenantID.rawValue, appID.rawValue, after ?? "", limit])
            return AppUserStatusView.grouped(rows.map { ($0["user_id"], $0["state"], $0["devices"]) })
        }
    }
}
