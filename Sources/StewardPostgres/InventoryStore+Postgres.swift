// Per dialect on purpose: the check-in write is the hot path, and each store does it its own
// fastest way — here a fixed number of set-based round trips with the device row locked (and a
// retry when a concurrent release takes a software row); SQLite cached statements under one writer.

import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    /// One transaction, a fixed number of round trips whatever the inventory's size: one UPDATE
    /// for the device row (returning what the gate needs, with the row locked against a racing
    /// ownership change), one statement adding apps the tenant has never seen to `software`, one
    /// rewriting the device's (device key, software ID) rows with its hash and count.
    public func checkIn(_ update: InventoryUpdate) async throws -> CheckInWritten {
        try await checkInCommits.commit(try PreparedCheckIn(update, known: softwareIDs), on: self)
    }

    /// A check-in with its statement built before it queues for a transaction.
    struct PreparedCheckIn: Sendable {
        let update: InventoryUpdate
        let deviceUpdate: PostgresQuery
        /// A full inventory's software IDs, when the cache knew every app's.
        let knownIDs: [Int64]?

        init(_ update: InventoryUpdate) throws {
            try self.init(update, known: nil)
        }

        init(_ update: InventoryUpdate, known cache: SoftwareIDCache?) throws {
            self.update = update
            deviceUpdate = try PostgresStorage.deviceUpdate(update)
            if let cache, case .replace(let apps) = update.apps, !apps.isEmpty {
                let ids = cache.ids(tenant: update.tenantID.rawValue, apps: apps)
                knownIDs = ids.contains(nil) ? nil : ids.map { $0! }
            } else {
                knownIDs = nil
            }
        }

        /// The apps sent (a full list or a delta's upserts) as the statements read them — JSON
        /// with each app's fingerprint — and the apps by fingerprint, to learn their IDs.
        func storedApps() -> (json: String, byFingerprint: [String: AppRecord])? {
            switch update.apps {
            case .replace(let apps), .delta(_, let apps, _):
                var json = WireJSONWriter(capacity: apps.count * 160)
                var byFingerprint: [String: AppRecord] = [:]
                byFingerprint.reserveCapacity(apps.count)
                json.array(apps) { json, app in
                    let stored = StoredApp(app)
                    byFingerprint[stored.fingerprint] = app
                    json.value(stored)
                }
                return (String(decoding: json.bytes, as: UTF8.self), byFingerprint)
            case nil: return nil
            }
        }
    }

    /// One check-in alone. A `software` row this check-in found (or the cache knew) can be
    /// released by another device's transaction before this one inserts its reference (a
    /// foreign-key violation): the cache forgets, and the whole transaction runs again without it,
    /// adding the row anew.
    func commitCheckIn(_ item: PreparedCheckIn) async throws -> CheckInWritten {
        var attempt = 1
        while true {
            let generation = softwareIDs.generation
            let useKnownIDs = attempt == 1
            do {
                let (written, learned) = try await transaction { [self] connection in
                    try await write(connection, item, useKnownIDs: useKnownIDs)
                }
                softwareIDs.remember(tenant: item.update.tenantID.rawValue, learned, generation: generation)
                return written
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" && attempt < 3 {
                softwareIDs.forget()
                attempt += 1
            }
        }
    }

    /// Check-ins in one transaction, in device order (two batches lock their device rows in the
    /// same order). Any failure rolls the whole back, and the group commit then writes each alone.
    func commitCheckIns(_ items: [PreparedCheckIn]) async throws -> [CheckInWritten] {
        // A device twice keeps its arrival order (the index breaks ties).
        let order = items.indices.sorted { (items[$0].update.tenantID.rawValue, items[$0].update.deviceID.rawValue, $0)
            < (items[$1].update.tenantID.rawValue, items[$1].update.deviceID.rawValue, $1) }
        let generation = softwareIDs.generation
        let written = try await transaction { [self] connection in
            var written: [Int: (CheckInWritten, [(AppRecord, Int64)])] = [:]
            for index in order { written[index] = try await write(connection, items[index], useKnownIDs: true) }
            return written
        }
        for (index, item) in items.enumerated() {
            softwareIDs.remember(tenant: item.update.tenantID.rawValue, written[index]!.1, generation: generation)
        }
        return items.indices.map { written[$0]!.0 }
    }

    /// One check-in's statements, inside the caller's transaction.
    /// Returns the software IDs it resolved, for the cache once committed.
    private func write(
        _ connection: PostgresConnection, _ item: PreparedCheckIn, useKnownIDs: Bool
    ) async throws -> (CheckInWritten, [(AppRecord, Int64)]) {
        let update = item.update
        let tenant = update.tenantID.rawValue
        let device = update.deviceID.rawValue
        let (outcome, learned) = try await applySections(connection, item, useKnownIDs: useKnownIDs)
        if let macs = update.identityMACs {
            try await connection.query("DELETE FROM device_macs WHERE tenant_id = \(tenant) AND device_id = \(device)", logger: logger)
            try await connection.query(
                """
                INSERT INTO device_macs (tenant_id, mac, device_id)
                SELECT \(tenant), mac, \(device) FROM unnest(\(macs)::text[]) AS mac ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        // The rest of the check-in, in its transaction: the device row is locked already.
        if let reports = update.appStates {
            _ = try await Self.writeAppStates(
                connection, tenant: tenant, device: device, reports, at: update.at, logger: logger)
        }
        var tasks: [RemoteTaskRecord] = []
        if let before = update.handOutTasksSentBefore {
            tasks = try await Self.handOutTasks(
                connection, tenantID: update.tenantID, deviceID: update.deviceID, at: update.at, redeliverSentBefore: before,
                logger: logger)
        }
        return (CheckInWritten(apps: outcome, tasks: tasks), learned)
    }

    /// The device row and the app inventory, inside the check-in's transaction.
    private func applySections(
        _ connection: PostgresConnection, _ item: PreparedCheckIn, useKnownIDs: Bool
    ) async throws -> (AppsOutcome, [(AppRecord, Int64)]) {
        let update = item.update
        let tenant = update.tenantID.rawValue
        let device = update.deviceID.rawValue
        guard let row = try await connection.query(item.deviceUpdate, logger: logger).collect().first?.makeRandomAccess() else {
            throw StoreError.notFound
        }
        guard let apps = update.apps else { return (.none, []) }
        let ownership = Ownership(rawValue: try row.value("ownership")) ?? .personal
        var compliantAppFeature: Bool = try row.value("compliant_app_feature")
        if ownership == .personal && compliantAppFeature {
            // Only the feature lets a personal device's apps in: read it again under a share
            // lock, so a concurrent switch-off (which locks the row, then deletes) either sees
            // these apps committed or this check-in sees the feature off.
            compliantAppFeature = try await connection.query(
                "SELECT compliant_app_feature FROM tenants WHERE id = \(tenant) FOR SHARE", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        }
        guard PrivacyRules.mayCollectAppInventory(ownership: ownership, compliantAppFeature: compliantAppFeature)
        else {
            try await connection.query(
                "UPDATE devices SET refused_app_reports = refused_app_reports + 1 WHERE tenant_id = \(tenant) AND id = \(device)",
                logger: logger)
            return (.refusedByGate, [])
        }
        let deviceKey: Int64 = try row.value("device_key")
        // Every app's ID known: the device's rows are compared with them, nothing else read.
        func replaceRows(_ ids: [Int64]) async throws {
            var bindings = PostgresBindings()
            bindings.append(tenant)
            bindings.append(deviceKey)
            bindings.append(update.hashes.apps)
            bindings.append(ids)
            _ = try await connection.execute(ReplaceKnownAppsStatement(bindings: bindings), logger: logger)
        }
        if useKnownIDs, let ids = item.knownIDs {
            try await replaceRows(ids)
            return (.stored, [])
        }
        guard let (appsJSON, byFingerprint) = item.storedApps() else { return (.none, []) }
        // A full inventory the cache did not know whole: every app's ID found or added in one
        // statement, then the device's rows compared with them as above.
        if case .replace = apps {
            let ids = try await resolveSoftware(connection, appsJSON: appsJSON, tenant: tenant, apps: byFingerprint.count)
            try await replaceRows(Array(ids.values))
            return (.stored, byFingerprint.compactMap { fingerprint, app in ids[fingerprint].map { (app, $0) } })
        }
        // A delta: its changed apps added to `software` first, in a statement of their own so
        // the next one's snapshot sees software a concurrent check-in added.
        guard case .delta(let baseHash, _, let removed) = apps else { return (.none, []) }
        guard (try row.value("apps_hash", as: String?.self)) == baseHash else { return (.baseMismatch, []) }
        var softwareBindings = PostgresBindings()
        softwareBindings.append(appsJSON)
        softwareBindings.append(tenant)
        _ = try await connection.execute(AddSoftwareStatement(bindings: softwareBindings), logger: logger)
        var bindings = PostgresBindings()
        bindings.append(appsJSON)
        bindings.append(tenant)
        bindings.append(deviceKey)
        bindings.append(update.hashes.apps)
        bindings.append(removed)
        var learned: [(AppRecord, Int64)] = []
        for try await (fingerprints, ids) in try await connection.execute(AppsDeltaStatement(bindings: bindings), logger: logger) {
            for (fingerprint, id) in zip(fingerprints, ids) {
                if let app = byFingerprint[fingerprint] { learned.append((app, id)) }
            }
        }
        return (.stored, learned)
    }

    /// The software ID of every app of `appsJSON`, by fingerprint: found, or added for an app
    /// the tenant has never seen. An app another check-in added and had not committed when the
    /// statement looked is skipped by its insert (which waits for that commit): the statement
    /// runs again, and its new snapshot finds it.
    private func resolveSoftware(
        _ connection: PostgresConnection, appsJSON: String, tenant: String, apps: Int
    ) async throws -> [String: Int64] {
        var bindings = PostgresBindings()
        bindings.append(appsJSON)
        bindings.append(tenant)
        for _ in 0..<3 {
            var ids: [String: Int64] = [:]
            ids.reserveCapacity(apps)
            for try await (fingerprint, id) in try await connection.execute(ResolveSoftwareStatement(bindings: bindings), logger: logger) {
                ids[fingerprint] = id
            }
            if ids.count == apps { return ids }
        }
        throw StoreError.outage(.busy)
    }

    struct ResolveSoftwareStatement: PostgresPreparedStatement {
        static let name = "steward_resolve_software"
        static let sql = PostgresStorage.resolveSoftware
        let bindings: PostgresBindings
        func makeBindings() throws -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> (String, Int64) { try row.decode((String, Int64).self) }
    }

    /// A statement of this file prepared once per connection, its values bound by the caller.
    protocol BoundStatement: PostgresPreparedStatement where Row == () {
        var bindings: PostgresBindings { get }
    }

    struct AddSoftwareStatement: BoundStatement {
        static let name = "steward_add_software"
        static let sql = PostgresStorage.addSoftware
        let bindings: PostgresBindings
    }

    /// Answers with the software ID of every app sent, by fingerprint.
    struct AppsDeltaStatement: PostgresPreparedStatement {
        static let name = "steward_apps_delta"
        static let sql = PostgresStorage.applyAppsDelta
        let bindings: PostgresBindings
        func makeBindings() throws -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> ([String], [Int64]) { try row.decode(([String], [Int64]).self) }
    }

    struct ReplaceKnownAppsStatement: BoundStatement {
        static let name = "steward_replace_known_apps"
        static let sql = PostgresStorage.replaceKnownApps
        let bindings: PostgresBindings
    }

    /// An app as the statements read it: the wire fields and its `software` fingerprint (written
    /// by hand: a full inventory's list through the generic encoder cost more than its statements).
    struct StoredApp: WireJSONWritable {
        let appId: String
        let name: String
        let version: String?
        let sizeBytes: Int64?
        let installLocation: String?
        let fingerprint: String

        init(_ app: AppRecord) {
            (appId, name, version, sizeBytes, installLocation) = (app.appId, app.name, app.version, app.sizeBytes, app.installLocation)
            fingerprint = app.softwareFingerprint
        }

        func write(to json: inout WireJSONWriter) {
            json.member("appId", appId)
            json.member("fingerprint", fingerprint)
            json.member("installLocation", installLocation)
            json.member("name", name)
            json.member("sizeBytes", sizeBytes)
            json.member("version", version)
        }
    }

    // The statements take `$1` the apps as JSON, `$2` the tenant, `$3` the device key, `$4` the
    // new apps hash, and for a delta `$5` the removed app IDs. One round trip each, whatever the
    // inventory's size.

    /// The apps of a check-in as rows, from one JSON parameter.
    static let incomingApps = """
        incoming AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("appId" text, name text, version text,
                "sizeBytes" bigint, "installLocation" text, fingerprint text))
        """

    /// Apps the tenant has never seen get a `software` row (a racing insert of the same app is
    /// skipped; the NOT EXISTS keeps the identity sequence from advancing for known apps).
    static let addSoftware = """
        WITH \(incomingApps)
        INSERT INTO software (tenant_id, fingerprint, app_id, name, version, size_bytes, install_location)
        SELECT $2, i.fingerprint, i."appId", i.name, i.version, i."sizeBytes", i."installLocation" FROM incoming i
        LEFT JOIN LATERAL (
            SELECT 1 AS known FROM software s WHERE s.tenant_id = $2 AND s.fingerprint = i.fingerprint LIMIT 1) k ON true
        WHERE k.known IS NULL
        ON CONFLICT (tenant_id, fingerprint) DO NOTHING
        """

    /// Every incoming app's software ID (`fingerprint`, `id` rows): found, or added when the
    /// tenant has never seen the app (see `resolveSoftware` for one a concurrent check-in adds).
    static let resolveSoftware = """
        WITH \(incomingApps),
        found AS MATERIALIZED (
            SELECT i.fingerprint, s.id FROM incoming i LEFT JOIN LATERAL (
                SELECT id FROM software WHERE tenant_id = $2 AND fingerprint = i.fingerprint LIMIT 1) s ON true),
        added AS (
            INSERT INTO software (tenant_id, fingerprint, app_id, name, version, size_bytes, install_location)
            SELECT $2, i.fingerprint, i."appId", i.name, i.version, i."sizeBytes", i."installLocation"
            FROM incoming i JOIN found f ON f.fingerprint = i.fingerprint WHERE f.id IS NULL
            ON CONFLICT (tenant_id, fingerprint) DO NOTHING
            RETURNING fingerprint, id)
        SELECT fingerprint, id FROM found WHERE id IS NOT NULL
        UNION ALL SELECT fingerprint, id FROM added
        """

    /// The software IDs of the incoming apps. The lookups are LATERAL with LIMIT 1 so each is an
    /// index probe: the planner cannot know how few rows `jsonb_to_recordset` yields and would
    /// otherwise hash the tenant's whole software table.
    static let wantedSoftware = """
        wanted AS MATERIALIZED (
            SELECT s.id, i.fingerprint FROM incoming i CROSS JOIN LATERAL (
                SELECT id FROM software WHERE tenant_id = $2 AND fingerprint = i.fingerprint LIMIT 1) s)
        """

    /// Adds the wanted rows the device lacks, then stores the hash and the count, kept by what
    /// was removed and added (no recount of the inventory).
    static let addAndCount = """
        added AS (
            INSERT INTO device_software (tenant_id, device_key, software_id) SELECT $2, $3, id FROM wanted
            ON CONFLICT DO NOTHING RETURNING 1)
        UPDATE devices SET apps_hash = $4,
            app_count = app_count - (SELECT count(*) FROM removed) + (SELECT count(*) FROM added)
        WHERE tenant_id = $2 AND device_key = $3
        RETURNING (SELECT coalesce(array_agg(fingerprint ORDER BY id, fingerprint), '{}') FROM wanted),
            (SELECT coalesce(array_agg(id ORDER BY id, fingerprint), '{}') FROM wanted)
        """

    /// A full inventory as software IDs the cache knew (`$1` the tenant, `$2` the device key,
    /// `$3` the new apps hash, `$4` the IDs): the device's rows compared with them in one
    /// statement, no JSON and no fingerprint probe. An ID released meanwhile is refused by the
    /// foreign key, and the check-in runs again without the cache.
    static let replaceKnownApps = """
        WITH removed AS (
            DELETE FROM device_software WHERE tenant_id = $1 AND device_key = $2 AND software_id <> ALL($4::bigint[])
            RETURNING 1),
        added AS (
            INSERT INTO device_software (tenant_id, device_key, software_id)
            SELECT DISTINCT $1, $2, id FROM unnest($4::bigint[]) AS id
            WHERE id NOT IN (SELECT software_id FROM device_software WHERE tenant_id = $1 AND device_key = $2)
            ON CONFLICT DO NOTHING RETURNING 1)
        UPDATE devices SET apps_hash = $3,
            app_count = app_count - (SELECT count(*) FROM removed) + (SELECT count(*) FROM added)
        WHERE tenant_id = $1 AND device_key = $2
        """

    /// A delta: the removed app IDs go, and so does the old row of every changed app — found
    /// through `software(tenant_id, app_id)`, never by walking the device's whole inventory.
    static let applyAppsDelta = """
        WITH \(incomingApps), \(wantedSoftware),
        named AS MATERIALIZED (
            SELECT s.id FROM software s
            WHERE s.tenant_id = $2 AND s.app_id = ANY(array_cat($5::text[], ARRAY(SELECT "appId" FROM incoming)))),
        removed AS (
            DELETE FROM device_software d USING named n
            WHERE d.tenant_id = $2 AND d.device_key = $3 AND d.software_id = n.id
                AND d.software_id NOT IN (SELECT id FROM wanted)
            RETURNING 1),
        \(addAndCount)
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
                "platform_id = coalesce(\(bind(hardware.platformId))::text, d.platform_id)", "cpu_model = \(bind(hardware.cpuModel))",
                "cpu_cores = \(bind(hardware.cpuCores.map(Int64.init)))", "memory_bytes = \(bind(hardware.memoryBytes))",
                "disk_bytes = \(bind(hardware.diskBytes))", "imei = \(bind(hardware.imei))", "meid = \(bind(hardware.meid))",
                "iccid = \(bind(hardware.iccid))",
                "phone_number = CASE d.ownership WHEN 'personal' THEN \(bind(PrivacyRules.maskedPhoneNumber(hardware.phoneNumber)))::text ELSE \(bind(hardware.phoneNumber))::text END",
                "directory_device_id = \(bind(hardware.directoryDeviceId))", "eas_device_id = \(bind(hardware.easDeviceId))",
                "windows_device_id = \(bind(hardware.windowsDeviceId))",
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
            RETURNING d.ownership, t.compliant_app_feature, d.apps_hash, d.device_key
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    public func recordLastSeen(_ batch: [LastSeen]) async throws {
        guard !batch.isEmpty else { return }
        // One statement for the whole batch, grouped by tenant so each touches one shard.
        for (tenant, entries) in Dictionary(grouping: batch, by: \.tenantID) {
            let ids = entries.map(\.deviceID.rawValue)
            let times = entries.map(\.at.millisecondsSince1970)
            _ = try await rows(
                """
                UPDATE devices d SET last_check_in_at = s.at
                FROM unnest(\(ids)::text[], \(times)::bigint[]) AS s(id, at)
                WHERE d.tenant_id = \(tenant.rawValue) AND d.id = s.id
                    AND (d.last_check_in_at IS NULL OR d.last_check_in_at < s.at)
                """)
        }
    }

    public func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord] {
        try await rows(
            """
            SELECT s.app_id, s.name, s.version, s.size_bytes, s.install_location
            FROM devices d
            JOIN device_software a ON a.tenant_id = d.tenant_id AND a.device_key = d.device_key
            JOIN software s ON s.tenant_id = a.tenant_id AND s.id = a.software_id
            WHERE d.tenant_id = \(tenantID.rawValue) AND d.id = \(deviceID.rawValue) AND s.app_id > \(after ?? "")
            ORDER BY s.app_id LIMIT \(Int64(limit))
            """
        ).map { row in
            AppRecord(
                appId: try row.value("app_id"), name: try row.value("name"), version: try row.value("version"),
                sizeBytes: try row.value("size_bytes"), installLocation: try row.value("install_location"))
        }
    }
}

extension PostgresStorage.BoundStatement {
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws {}
}
