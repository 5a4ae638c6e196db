import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func checkInState(tenantID: TenantID, deviceID: DeviceID) async throws -> DeviceCheckInState? {
        try await prepared(CheckInStateQuery(tenantID: tenantID, deviceID: deviceID)).first
    }

    public func device(tenantID: TenantID, id: DeviceID) async throws -> DeviceView? {
        try await rows(PostgresQuery(
            unsafeSQL: "SELECT \(DeviceView.storedColumns) FROM devices WHERE tenant_id = $1 AND id = $2",
            binds: try Self.bindings([.text(tenantID.rawValue), .text(id.rawValue)])))
            .first.map(Self.deviceView)
    }

    public func devices(tenantID: TenantID, query: DeviceQuery) async throws -> [DeviceView] {
        let (conditions, values) = query.filter(tenantID: tenantID).render(.postgres)
        let sql = "SELECT \(DeviceView.storedColumns) FROM devices WHERE \(conditions) ORDER BY \(query.orderBy(.postgres)) LIMIT $\(values.count + 1)"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: try Self.bindings(values + [.integer(Int64(query.limit))])))
            .map(Self.deviceView)
    }

    public func updateDevice(
        tenantID: TenantID, id: DeviceID, ownership: Ownership?, userID: UserID??, reEnrollmentUntil: Date?, audit: AuditEvent
    ) async throws {
        let (tenant, device) = (tenantID.rawValue, id.rawValue)
        try await transaction { [self] connection in
            let found = try await connection.query(
                "SELECT id FROM devices WHERE tenant_id = \(tenant) AND id = \(device) FOR UPDATE", logger: logger
            ).collect()
            if found.isEmpty { throw StoreError.notFound }
            if let ownership {
                try await connection.query(
                    "UPDATE devices SET ownership = \(ownership.rawValue) WHERE tenant_id = \(tenant) AND id = \(device)",
                    logger: logger)
                if ownership == .personal {
                    try await Self.forgetCorporateOnlyData(connection, tenant: tenant, device: device, logger: logger)
                }
            }
            if let userID {
                try await connection.query(
                    "UPDATE devices SET user_id = \(userID?.rawValue) WHERE tenant_id = \(tenant) AND id = \(device)",
                    logger: logger)
            }
            if let until = reEnrollmentUntil?.millisecondsSince1970 {
                try await connection.query(
                    "UPDATE devices SET re_enrollment_until = \(until) WHERE tenant_id = \(tenant) AND id = \(device)",
                    logger: logger)
            }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func deleteDevice(tenantID: TenantID, id: DeviceID, audit: AuditEvent) async throws {
        let (tenant, device) = (tenantID.rawValue, id.rawValue)
        try await transaction { [self] connection in
            let deleted = try await connection.query(
                "DELETE FROM devices WHERE tenant_id = \(tenant) AND id = \(device) RETURNING id", logger: logger
            ).collect()
            if deleted.isEmpty { throw StoreError.notFound }
            try await connection.query(
                "DELETE FROM group_members WHERE tenant_id = \(tenant) AND member_id = \(device)", logger: logger)
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func removeStaleDevices(tenantID: TenantID, before: Date, audit: @escaping @Sendable (Int) -> AuditEvent) async throws -> Int {
        let (tenant, cutoff) = (tenantID.rawValue, before.millisecondsSince1970)
        return try await transaction { [self] connection in
            let removed = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM devices WHERE tenant_id = \(tenant) AND coalesce(last_check_in_at, enrolled_at) < \(cutoff)
                    RETURNING id
                ), memberships AS (
                    DELETE FROM group_members WHERE tenant_id = \(tenant) AND member_id IN (SELECT id FROM gone)
                )
                SELECT count(*) FROM gone
                """, logger: logger
            ).collect().first?.decode(Int64.self) ?? 0
            if removed > 0 { try await Self.appendAudit(connection, audit(Int(removed)), logger: logger) }
            return Int(removed)
        }
    }

    public func deviceIsMember(tenantID: TenantID, id: DeviceID, ofAnyOf groups: [GroupID]) async throws -> Bool {
        try await !rows(
            """
            SELECT 1 FROM group_members WHERE tenant_id = \(tenantID.rawValue) AND member_id = \(id.rawValue)
                AND group_id = ANY(\(groups.map(\.rawValue))) LIMIT 1
            """
        ).isEmpty
    }

    /// What a personal device may not keep: the app inventory and the full phone number.
    static func forgetCorporateOnlyData(_ connection: PostgresConnection, tenant: String, device: String, logger: Logger) async throws {
        try await connection.query(
            """
            DELETE FROM device_software WHERE tenant_id = \(tenant)
                AND device_key = (SELECT device_key FROM devices WHERE tenant_id = \(tenant) AND id = \(device))
            """, logger: logger)
        let phone = try await connection.query(
            "SELECT phone_number FROM devices WHERE tenant_id = \(tenant) AND id = \(device)", logger: logger
        ).collect().first?.decode(String?.self)
        try await connection.query(
            """
            UPDATE devices SET app_count = 0, apps_hash = NULL, phone_number = \(PrivacyRules.maskedPhoneNumber(phone ?? nil))
            WHERE tenant_id = \(tenant) AND id = \(device)
            """, logger: logger)
    }

    static func deviceView(_ row: PostgresRandomAccessRow) throws -> DeviceView {
        try DeviceView(columns: PostgresColumns(row))
    }
}

/// Every check-in's one read, prepared once per connection: the server parses and plans it once,
/// not on every heartbeat (measured in docs/performance.md, "prepared").
struct CheckInStateQuery: PostgresPreparedStatement {
    static let name = "steward_check_in_state"
    static let sql = """
        SELECT d.secret_verifier, d.ownership, t.compliant_app_feature, t.apps_version, d.pending_tasks,
               d.hardware_hash, d.os_hash, d.network_hash, d.apps_hash
        FROM devices d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.tenant_id = $1 AND d.id = $2
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text]
    let tenantID: TenantID
    let deviceID: DeviceID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(tenantID.rawValue)
        bindings.append(deviceID.rawValue)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> DeviceCheckInState {
        let (verifier, ownership, compliant, appsVersion, pending, hardware, os, network, apps) = try row.decode(
            (Data, String, Bool, Int64, Int64, String?, String?, String?, String?).self)
        return DeviceCheckInState(
            tenantID: tenantID, deviceID: deviceID, secretVerifier: verifier,
            ownership: Ownership(rawValue: ownership) ?? .personal, compliantAppFeature: compliant,
            hashes: SectionHashes(hardware: hardware, operatingSystem: os, network: network, apps: apps),
            appsVersion: appsVersion, pendingTasks: Int(pending))
    }
}
