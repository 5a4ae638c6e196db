import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func apply(_ update: InventoryUpdate) async throws -> AppsOutcome {
        // Encoded outside the write lock: the writer is the one serialised resource.
        let interfacesJSON = try update.network.map { String(decoding: try JSONEncoder().encode($0.interfaces), as: UTF8.self) }
        return try await pool.write { db in
            let tenant = update.tenantID.rawValue
            let device = update.deviceID.rawValue
            let at = update.at.millisecondsSince1970
            let touch = try db.cachedStatement(sql: """
                UPDATE devices SET last_check_in_at = max(coalesce(last_check_in_at, 0), ?),
                    agent_version = coalesce(?, agent_version)
                WHERE tenant_id = ? AND id = ?
                """)
            try touch.execute(arguments: [at, update.agentVersion, tenant, device])
            if db.changesCount == 0 { throw StoreError.notFound }

            if let hardware = update.hardware {
                let statement = try db.cachedStatement(sql: """
                    UPDATE devices SET device_name = ?, manufacturer = ?, model = ?, serial_number = ?, platform_id = ?,
                        cpu_model = ?, cpu_cores = ?, memory_bytes = ?, disk_bytes = ?, imei = ?, meid = ?, iccid = ?,
                        phone_number = CASE ownership WHEN 'personal' THEN ? ELSE ? END,
                        hardware_hash = ?
                    WHERE tenant_id = ? AND id = ?
                    """)
                try statement.execute(arguments: [
                    hardware.deviceName, hardware.manufacturer, hardware.model, hardware.serialNumber,
                    hardware.platformId, hardware.cpuModel, hardware.cpuCores, hardware.memoryBytes, hardware.diskBytes,
                    hardware.imei, hardware.meid, hardware.iccid,
                    PrivacyRules.maskedPhoneNumber(hardware.phoneNumber), hardware.phoneNumber,
                    update.hashes.hardware, tenant, device,
                ])
            }
            if let os = update.operatingSystem {
                let statement = try db.cachedStatement(sql: """
                    UPDATE devices SET platform = ?, os_name = ?, os_version = ?, kernel_version = ?, os_hash = ?
                    WHERE tenant_id = ? AND id = ?
                    """)
                try statement.execute(arguments: [
                    os.platform.rawValue, os.name, os.version, os.kernelVersion, update.hashes.operatingSystem, tenant,
                    device,
                ])
            }
            if let network = update.network {
                let statement = try db.cachedStatement(sql: """
                    UPDATE devices SET network_interfaces = ?, wifi_mac_address = ?, network_hash = ?
                    WHERE tenant_id = ? AND id = ?
                    """)
                try statement.execute(arguments: [
                    interfacesJSON, network.wifiMacAddress, update.hashes.network, tenant, device,
                ])
            }
            guard let apps = update.apps else { return .none }
            return try Self.applyApps(db, apps, hash: update.hashes.apps, tenant: tenant, device: device)
        }
    }

    private static func applyApps(
        _ db: Database, _ apps: InventoryUpdate.Apps, hash: String?, tenant: String, device: String
    ) throws -> AppsOutcome {
        let gate = try db.cachedStatement(sql: """
            SELECT d.ownership, t.compliant_app_feature, d.apps_hash
            FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE d.tenant_id = ? AND d.id = ?
            """)
        guard let row = try Row.fetchOne(gate, arguments: [tenant, device]) else { throw StoreError.notFound }
        let ownership = Ownership(rawValue: row["ownership"]) ?? .personal
        guard PrivacyRules.mayCollectAppInventory(ownership: ownership, compliantAppFeature: row["compliant_app_feature"])
        else {
            try db.cachedStatement(sql: """
                UPDATE devices SET refused_app_reports = refused_app_reports + 1 WHERE tenant_id = ? AND id = ?
                """).execute(arguments: [tenant, device])
            return .refusedByGate
        }

        let upsert = try db.cachedStatement(sql: """
            INSERT INTO device_apps (tenant_id, device_id, app_id, name, version, size_bytes, install_location)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, device_id, app_id) DO UPDATE SET
                name = excluded.name, version = excluded.version, size_bytes = excluded.size_bytes,
                install_location = excluded.install_location
            """)
        let remove = try db.cachedStatement(sql: """
            DELETE FROM device_apps WHERE tenant_id = ? AND device_id = ? AND app_id = ?
            """)
        var upserted: [AppRecord]
        var removed: [String]
        switch apps {
        case .delta(let baseHash, let changes, let gone):
            guard (row["apps_hash"] as String?) == baseHash else { return .baseMismatch }
            upserted = changes
            removed = gone
        case .replace(let all):
            // Diff against what is stored, so an unchanged app costs no write.
            let stored = try Self.storedApps(db, tenant: tenant, device: device)
            upserted = all.filter { stored[$0.appId] != $0 }
            let present = Set(all.map(\.appId))
            removed = stored.keys.filter { !present.contains($0) }
        }
        for appId in removed { try remove.execute(arguments: [tenant, device, appId]) }
        for app in upserted {
            try upsert.execute(arguments: [
                tenant, device, app.appId, app.name, app.version, app.sizeBytes, app.installLocation,
            ])
        }
        try db.cachedStatement(sql: """
            UPDATE devices SET apps_hash = ?,
                app_count = (SELECT count(*) FROM device_apps WHERE tenant_id = ? AND device_id = ?)
            WHERE tenant_id = ? AND id = ?
            """).execute(arguments: [hash, tenant, device, tenant, device])
        return .stored
    }

    private static func storedApps(_ db: Database, tenant: String, device: String) throws -> [String: AppRecord] {
        let statement = try db.cachedStatement(sql: """
            SELECT app_id, name, version, size_bytes, install_location FROM device_apps
            WHERE tenant_id = ? AND device_id = ?
            """)
        var result: [String: AppRecord] = [:]
        let rows = try Row.fetchCursor(statement, arguments: [tenant, device])
        while let row = try rows.next() {
            let app = appRecord(row)
            result[app.appId] = app
        }
        return result
    }

    public func recordLastSeen(_ batch: [LastSeen]) async throws {
        guard !batch.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE devices SET last_check_in_at = ?
                WHERE tenant_id = ? AND id = ? AND (last_check_in_at IS NULL OR last_check_in_at < ?)
                """)
            for seen in batch {
                let at = seen.at.millisecondsSince1970
                try statement.execute(arguments: [at, seen.tenantID.rawValue, seen.deviceID.rawValue, at])
            }
        }
    }

    public func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT app_id, name, version, size_bytes, install_location FROM device_apps
                    WHERE tenant_id = ? AND device_id = ? AND app_id > ? ORDER BY app_id LIMIT ?
                    """,
                arguments: [tenantID.rawValue, deviceID.rawValue, after ?? "", limit]
            ).map(Self.appRecord)
        }
    }

    static func appRecord(_ row: Row) -> AppRecord {
        AppRecord(
            appId: row["app_id"], name: row["name"], version: row["version"], sizeBytes: row["size_bytes"],
            installLocation: row["install_location"])
    }
}
