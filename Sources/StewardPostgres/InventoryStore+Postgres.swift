import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    /// One transaction, a fixed number of round trips whatever the inventory's size: one UPDATE
    /// for the device row (returning what the gate needs, with the row locked against a racing
    /// ownership change), one statement for the whole app inventory, one for its count.
    public func apply(_ update: InventoryUpdate) async throws -> AppsOutcome {
        let tenant = update.tenantID.rawValue
        let device = update.deviceID.rawValue
        let deviceUpdate = try Self.deviceUpdate(update)
        let appsJSON: String? = try {
            switch update.apps {
            case .replace(let apps): return String(decoding: try WireCoding.encoder().encode(apps), as: UTF8.self)
            case .delta(_, let apps, _): return String(decoding: try WireCoding.encoder().encode(apps), as: UTF8.self)
            case nil: return nil
            }
        }()
        return try await transaction { connection in
            guard let row = try await connection.query(deviceUpdate, logger: logger).collect().first?.makeRandomAccess() else {
                throw StoreError.notFound
            }
            guard let apps = update.apps, let appsJSON else { return .none }
            let ownership = Ownership(rawValue: try row.value("ownership")) ?? .personal
            guard PrivacyRules.mayCollectAppInventory(ownership: ownership, compliantAppFeature: try row.value("compliant_app_feature"))
            else {
                try await connection.query(
                    "UPDATE devices SET refused_app_reports = refused_app_reports + 1 WHERE tenant_id = \(tenant) AND id = \(device)",
                    logger: logger)
                return .refusedByGate
            }
            var bindings = PostgresBindings()
            bindings.append(appsJSON)
            bindings.append(tenant)
            bindings.append(device)
            let sql: String
            switch apps {
            case .replace:
                sql = Self.replaceApps
            case .delta(let baseHash, _, let removed):
                guard (try row.value("apps_hash", as: String?.self)) == baseHash else { return .baseMismatch }
                bindings.append(removed)
                sql = Self.applyAppsDelta
            }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            try await connection.query(
                """
                UPDATE devices SET apps_hash = \(update.hashes.apps),
                    app_count = (SELECT count(*) FROM device_apps WHERE tenant_id = \(tenant) AND device_id = \(device))
                WHERE tenant_id = \(tenant) AND id = \(device)
                """, logger: logger)
            return .stored
        }
    }

    // The app statements take `$1` the apps as JSON, `$2` the tenant, `$3` the device, and for a
    // delta `$4` the removed app IDs. One round trip for the whole inventory, whatever its size.

    /// The apps of a check-in as rows, from one JSON parameter.
    static let incomingApps = """
        incoming AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb)
                AS x("appId" text, name text, version text, "sizeBytes" bigint, "installLocation" text))
        """

    /// Inserts new apps and updates changed ones; an unchanged app costs no write.
    static let upsertApps = """
        upserted AS (
            INSERT INTO device_apps (tenant_id, device_id, app_id, name, version, size_bytes, install_location)
            SELECT $2, $3, "appId", name, version, "sizeBytes", "installLocation" FROM incoming
            ON CONFLICT (tenant_id, device_id, app_id) DO UPDATE SET
                name = excluded.name, version = excluded.version, size_bytes = excluded.size_bytes,
                install_location = excluded.install_location
            WHERE (device_apps.name, device_apps.version, device_apps.size_bytes, device_apps.install_location)
                IS DISTINCT FROM (excluded.name, excluded.version, excluded.size_bytes, excluded.install_location)
            RETURNING 1)
        """

    /// A whole inventory: what is not in it goes, what is new or changed is written.
    static let replaceApps = """
        WITH \(incomingApps),
        removed AS (
            DELETE FROM device_apps a WHERE a.tenant_id = $2 AND a.device_id = $3
                AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i."appId" = a.app_id)
            RETURNING 1),
        \(upsertApps)
        SELECT (SELECT count(*) FROM removed), (SELECT count(*) FROM upserted)
        """

    /// A delta: the removed IDs go (unless also upserted), the upserted apps are written.
    static let applyAppsDelta = """
        WITH \(incomingApps),
        removed AS (
            DELETE FROM device_apps WHERE tenant_id = $2 AND device_id = $3
                AND app_id = ANY($4::text[]) AND app_id <> ALL(SELECT "appId" FROM incoming)
            RETURNING 1),
        \(upsertApps)
        SELECT (SELECT count(*) FROM removed), (SELECT count(*) FROM upserted)
        """

    /// The single UPDATE of the device row: last check-in, agent version and every section sent.
    static func deviceUpdate(_ update: InventoryUpdate) throws -> PostgresQuery {
        var bindings = PostgresBindings()
        func bind(_ value: (some PostgresDynamicTypeEncodable)?) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        var assignments = [
            "last_check_in_at = greatest(coalesce(d.last_check_in_at, 0), \(bind(update.at.millisecondsSince1970)))",
            "agent_version = coalesce(\(bind(update.agentVersion)), d.agent_version)",
        ]
        if let hardware = update.hardware {
            assignments += [
                "device_name = \(bind(hardware.deviceName))", "manufacturer = \(bind(hardware.manufacturer))",
                "model = \(bind(hardware.model))", "serial_number = \(bind(hardware.serialNumber))",
                "platform_id = \(bind(hardware.platformId))", "cpu_model = \(bind(hardware.cpuModel))",
                "cpu_cores = \(bind(hardware.cpuCores.map(Int64.init)))", "memory_bytes = \(bind(hardware.memoryBytes))",
                "disk_bytes = \(bind(hardware.diskBytes))", "imei = \(bind(hardware.imei))", "meid = \(bind(hardware.meid))",
                "iccid = \(bind(hardware.iccid))",
                "phone_number = CASE d.ownership WHEN 'personal' THEN \(bind(PrivacyRules.maskedPhoneNumber(hardware.phoneNumber)))::text ELSE \(bind(hardware.phoneNumber))::text END",
                "hardware_hash = \(bind(update.hashes.hardware))",
            ]
        }
        if let os = update.operatingSystem {
            assignments += [
                "platform = \(bind(os.platform.rawValue))", "os_name = \(bind(os.name))", "os_version = \(bind(os.version))",
                "kernel_version = \(bind(os.kernelVersion))", "os_hash = \(bind(update.hashes.operatingSystem))",
            ]
        }
        if let network = update.network {
            let interfaces = String(decoding: try WireCoding.encoder().encode(network.interfaces), as: UTF8.self)
            assignments += [
                "network_interfaces = \(bind(interfaces))", "wifi_mac_address = \(bind(network.wifiMacAddress))",
                "network_hash = \(bind(update.hashes.network))",
            ]
        }
        let tenant = bind(update.tenantID.rawValue)
        let device = bind(update.deviceID.rawValue)
        let sql = """
            UPDATE devices d SET \(assignments.joined(separator: ", "))
            FROM tenants t WHERE t.id = d.tenant_id AND d.tenant_id = \(tenant) AND d.id = \(device)
            RETURNING d.ownership, t.compliant_app_feature, d.apps_hash
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    public func recordLastSeen(_ batch: [LastSeen]) async throws {
        guard !batch.isEmpty else { return }
        // One statement for the whole batch, grouped by tenant so each touches one shard.
        for (tenant, entries) in Dictionary(grouping: batch, by: \.tenantID) {
            let ids = entries.map(\.deviceID.rawValue)
            let times = entries.map(\.at.millisecondsSince1970)
            try await client.query(
                """
                UPDATE devices d SET last_check_in_at = s.at
                FROM unnest(\(ids)::text[], \(times)::bigint[]) AS s(id, at)
                WHERE d.tenant_id = \(tenant.rawValue) AND d.id = s.id
                    AND (d.last_check_in_at IS NULL OR d.last_check_in_at < s.at)
                """, logger: logger)
        }
    }

    public func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord] {
        try await rows(
            """
            SELECT app_id, name, version, size_bytes, install_location FROM device_apps
            WHERE tenant_id = \(tenantID.rawValue) AND device_id = \(deviceID.rawValue) AND app_id > \(after ?? "")
            ORDER BY app_id LIMIT \(Int64(limit))
            """
        ).map { row in
            AppRecord(
                appId: try row.value("app_id"), name: try row.value("name"), version: try row.value("version"),
                sizeBytes: try row.value("size_bytes"), installLocation: try row.value("install_location"))
        }
    }
}
