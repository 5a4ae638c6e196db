import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func managedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [ManagedAppInstruction] {
        let (tenant, device) = (tenantID.rawValue, deviceID.rawValue)
        let rows = try await rows(
            """
            SELECT a.id, a.name, a.platform, a.package_id, a.detection, s.intent
            FROM app_assignments s JOIN managed_apps a ON a.tenant_id = s.tenant_id AND a.id = s.app_id
            WHERE s.tenant_id = \(tenant) AND s.group_id IN (
                SELECT m.group_id FROM group_members m WHERE m.tenant_id = \(tenant) AND m.member_id = \(device)
                UNION
                SELECT m.group_id FROM group_members m JOIN devices d ON d.tenant_id = m.tenant_id AND d.user_id = m.member_id
                WHERE d.tenant_id = \(tenant) AND d.id = \(device))
            """)
        return ManagedAppInstruction.merged(try rows.map { row in
            let detection: String = try row.value("detection")
            return ManagedAppInstruction(
                appId: ManagedAppID(rawValue: try row.value("id")), name: try row.value("name"),
                platform: Platform(rawValue: try row.value("platform")) ?? .linux, packageId: try row.value("package_id"),
                detection: (try? JSONDecoder().decode(DetectionRule.self, from: Data(detection.utf8))) ?? DetectionRule(),
                intent: AssignmentIntent(rawValue: try row.value("intent")) ?? .available)
        })
    }

    public func replaceAppStates(tenantID: TenantID, deviceID: DeviceID, _ reports: [AppStateReport], at: Date) async throws -> Int {
        try await transaction { [self] connection in
            try await Self.writeAppStates(connection, tenant: tenantID.rawValue, device: deviceID.rawValue, reports, at: at, logger: logger)
        }
    }

    /// The device's report replaces its previous one, inside the caller's transaction.
    static func writeAppStates(
        _ connection: PostgresConnection, tenant: String, device: String, _ reports: [AppStateReport], at: Date, logger: Logger
    ) async throws -> Int {
        let sorted = reports.sorted { $0.appId.rawValue < $1.appId.rawValue }
        guard let user = try await connection.query(
            "SELECT user_id FROM devices WHERE tenant_id = \(tenant) AND id = \(device) FOR UPDATE", logger: logger
        ).collect().first.map({ try $0.decode(String?.self) })
        else { throw StoreError.notFound }
        // Count rows are locked in key order before the triggers move counts between them,
        // so two devices changing the same apps' states never wait on each other in a cycle.
        let known = try await connection.query(
            """
            SELECT app_id FROM app_install_states WHERE tenant_id = \(tenant) AND device_id = \(device)
            """, logger: logger
        ).collect().map { try $0.decode(String.self) }
        let touched = Array(Set(known + sorted.map(\.appId.rawValue))).sorted()
        _ = try await connection.query(
            """
            SELECT 1 FROM app_install_counts WHERE tenant_id = \(tenant) AND app_id = ANY(\(touched))
            ORDER BY app_id, state FOR UPDATE
            """, logger: logger
        ).collect()
        try await connection.query(
            """
            DELETE FROM app_install_states WHERE tenant_id = \(tenant) AND device_id = \(device)
                AND NOT (app_id = ANY(\(sorted.map(\.appId.rawValue))))
            """, logger: logger)
        var stored = 0
        for report in sorted {
            stored += try await connection.query(
                """
                INSERT INTO app_install_states AS s (tenant_id, app_id, device_id, user_id, state, error_code, updated_at)
                SELECT \(tenant), \(report.appId.rawValue), \(device), \(user), \(report.state.rawValue), \(report.errorCode),
                    \(at.millisecondsSince1970)
                WHERE EXISTS (SELECT 1 FROM managed_apps WHERE tenant_id = \(tenant) AND id = \(report.appId.rawValue))
                ON CONFLICT (tenant_id, app_id, device_id) DO UPDATE SET
                    state = excluded.state, error_code = excluded.error_code, user_id = excluded.user_id, updated_at = excluded.updated_at
                WHERE s.state IS DISTINCT FROM excluded.state OR s.error_code IS DISTINCT FROM excluded.error_code
                RETURNING 1
                """, logger: logger
            ).collect().count
        }
        return stored
    }

    public func deviceManagedApps(tenantID: TenantID, deviceID: DeviceID) async throws -> [DeviceManagedAppView] {
        try await rows(
            """
            SELECT s.app_id, a.name, s.state, s.error_code, s.updated_at
            FROM app_install_states s JOIN managed_apps a ON a.tenant_id = s.tenant_id AND a.id = s.app_id
            WHERE s.tenant_id = \(tenantID.rawValue) AND s.device_id = \(deviceID.rawValue) ORDER BY s.app_id
            """
        ).map { row in
            DeviceManagedAppView(
                appId: ManagedAppID(rawValue: try row.value("app_id")), name: try row.value("name"),
                state: AppInstallState(rawValue: try row.value("state")) ?? .notInstalled, errorCode: try row.value("error_code"),
                updatedAt: Date(millisecondsSince1970: try row.value("updated_at")))
        }
    }

    public func installSummary(tenantID: TenantID, appID: ManagedAppID) async throws -> AppInstallSummary {
        let rows = try await rows(
            "SELECT state, devices, users FROM app_install_counts WHERE tenant_id = \(tenantID.rawValue) AND app_id = \(appID.rawValue)")
        return AppInstallSummary(appId: appID, rows: try rows.map {
            (try $0.value("state"), Int(try $0.value("devices", as: Int64.self)), Int(try $0.value("users", as: Int64.self)))
        })
    }

    public func appDeviceStatuses(
        tenantID: TenantID, appID: ManagedAppID, state: AppInstallState?, after: String?, limit: Int
    ) async throws -> [AppDeviceStatusView] {
        let (conditions, values) = AppDeviceStatusFilter.filter(tenantID: tenantID, appID: appID, state: state, after: after)
            .render(.postgres)
        let sql = """
            SELECT device_id, user_id, state, error_code, updated_at FROM app_install_states
            WHERE \(conditions) ORDER BY device_id LIMIT $\(values.count + 1)
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: try Self.bindings(values + [.integer(Int64(limit))])))
            .map { try AppDeviceStatusView(columns: PostgresColumns($0)) }
    }

    public func appUserStatuses(tenantID: TenantID, appID: ManagedAppID, after: String?, limit: Int) async throws -> [AppUserStatusView] {
        let (tenant, app) = (tenantID.rawValue, appID.rawValue)
        let rows = try await rows(
            """
            SELECT user_id, state, devices FROM app_user_states WHERE tenant_id = \(tenant) AND app_id = \(app) AND user_id IN (
                SELECT DISTINCT user_id FROM app_user_states WHERE tenant_id = \(tenant) AND app_id = \(app) AND user_id > \(after ?? "")
                ORDER BY user_id LIMIT \(Int64(limit)))
            ORDER BY user_id, state
            """)
        return AppUserStatusView.grouped(try rows.map {
            (try $0.value("user_id"), try $0.value("state"), Int(try $0.value("devices", as: Int64.self)))
        })
    }
}
