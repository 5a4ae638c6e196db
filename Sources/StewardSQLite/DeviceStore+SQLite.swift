import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func checkInState(tenantID: TenantID, deviceID: DeviceID) async throws -> DeviceCheckInState? {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT d.secret_verifier, d.ownership, t.compliant_app_feature,
                       d.hardware_hash, d.os_hash, d.network_hash, d.apps_hash
                FROM devices d JOIN tenants t ON t.id = d.tenant_id
                WHERE d.tenant_id = ? AND d.id = ?
                """)
            return try Row.fetchOne(statement, arguments: [tenantID.rawValue, deviceID.rawValue]).map { row in
                DeviceCheckInState(
                    tenantID: tenantID, deviceID: deviceID, secretVerifier: row["secret_verifier"],
                    ownership: Ownership(rawValue: row["ownership"]) ?? .personal,
                    compliantAppFeature: row["compliant_app_feature"],
                    hashes: SectionHashes(
                        hardware: row["hardware_hash"], operatingSystem: row["os_hash"], network: row["network_hash"],
                        apps: row["apps_hash"]))
            }
        }
    }

    public func device(tenantID: TenantID, id: DeviceID) async throws -> DeviceView? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenantID.rawValue, id.rawValue]
            ).map(Self.deviceView)
        }
    }

    public func devices(tenantID: TenantID, query: DeviceQuery) async throws -> [DeviceView] {
        var conditions = ["tenant_id = ?"]
        var arguments: StatementArguments = [tenantID.rawValue]
        if let platform = query.platform {
            conditions.append("platform = ?")
            arguments += [platform.rawValue]
        }
        if let ownership = query.ownership {
            conditions.append("ownership = ?")
            arguments += [ownership.rawValue]
        }
        if let operatingSystem = query.operatingSystem {
            conditions.append("os_name = ?")
            arguments += [operatingSystem]
        }
        if let prefix = query.namePrefix {
            // A range, not LIKE: indexable, case-sensitive, and the same on PostgreSQL.
            conditions.append("device_name >= ? AND device_name < ?")
            arguments += [prefix, prefix + "\u{10FFFF}"]
        }
        if let before = query.lastCheckInBefore {
            conditions.append("last_check_in_at < ?")
            arguments += [before.millisecondsSince1970]
        }
        if let after = query.lastCheckInAfter {
            conditions.append("last_check_in_at > ?")
            arguments += [after.millisecondsSince1970]
        }
        if let cursor = query.after {
            conditions.append("id > ?")
            arguments += [cursor.rawValue]
        }
        arguments += [query.limit]
        let sql = "SELECT * FROM devices WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?"
        let bound = arguments
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.deviceView)
        }
    }

    public func setOwnership(tenantID: TenantID, id: DeviceID, ownership: Ownership) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE devices SET ownership = ? WHERE tenant_id = ? AND id = ?",
                arguments: [ownership.rawValue, tenantID.rawValue, id.rawValue])
            if db.changesCount == 0 { throw StoreError.notFound }
            if ownership == .personal {
                try Self.forgetCorporateOnlyData(db, tenant: tenantID.rawValue, device: id.rawValue)
            }
        }
    }

    public func deleteDevice(tenantID: TenantID, id: DeviceID) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenantID.rawValue, id.rawValue])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    /// What a personal device may not keep: the app inventory (unless the tenant's compliant-app
    /// feature allows it again at the next check-in) and the full phone number.
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

    static func deviceView(_ row: Row) -> DeviceView {
        let interfacesJSON: String = row["network_interfaces"]
        let interfaces = (try? JSONDecoder().decode([NetworkInterface].self, from: Data(interfacesJSON.utf8))) ?? []
        return DeviceView(
            id: DeviceID(rawValue: row["id"]), platform: Platform(rawValue: row["platform"]) ?? .linux,
            ownership: Ownership(rawValue: row["ownership"]) ?? .personal, deviceName: row["device_name"],
            manufacturer: row["manufacturer"], model: row["model"], operatingSystem: row["os_name"],
            osVersion: row["os_version"], kernelVersion: row["kernel_version"], serialNumber: row["serial_number"],
            platformId: row["platform_id"], imei: row["imei"], meid: row["meid"], iccid: row["iccid"],
            phoneNumber: row["phone_number"], networkInterfaces: interfaces, wifiMacAddress: row["wifi_mac_address"],
            cpuModel: row["cpu_model"], cpuCores: row["cpu_cores"], memoryBytes: row["memory_bytes"],
            diskBytes: row["disk_bytes"], appCount: row["app_count"], refusedAppReports: row["refused_app_reports"],
            agentVersion: row["agent_version"], enrolledAt: Date(millisecondsSince1970: row["enrolled_at"]),
            lastCheckInAt: (row["last_check_in_at"] as Int64?).map(Date.init(millisecondsSince1970:)))
    }
}
