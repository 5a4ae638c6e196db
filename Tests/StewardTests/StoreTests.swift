import Foundation
import GRDB
import PostgresNIO
import Testing
import StewardModel
@testable import StewardSQLite
@testable import StewardPostgres
import StewardServer
import StewardStore

@Suite struct MigrationTests {
    @Test func migratesAFreshDatabaseOnceAndIsIdempotent() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("steward.sqlite").path
        let storage = try SQLiteStorage(path: path)
        #expect(try await storage.pendingMigrations() == SQLiteMigrations.all.map(\.id))
        try await storage.migrate()
        #expect(try await storage.pendingMigrations().isEmpty)
        try await storage.migrate()
        let applied = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT id FROM schema_migrations ORDER BY id")
        }
        #expect(applied == SQLiteMigrations.all.map(\.id))
    }

    /// The writer's cache and checkpoint interval are its own: readers keep SQLite's defaults
    /// (each connection's cache is memory the server holds).
    @Test func theWriterAloneGetsTheLargerCache() async throws {
        let directory = try TemporaryDirectory()
        let storage = try SQLiteStorage(path: directory.url.appendingPathComponent("steward.sqlite").path)
        try await storage.migrate()
        let writer = try await storage.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        #expect(writer == -SQLiteStorage.writerCacheKiB)
        let reader = try await storage.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        #expect(reader == -2000)
        await storage.close()
    }

    /// The WAL's length after 40 commits of ~20 pages each: kept short by checkpoints beside the
    /// writer, or by the writer's own backstop when they stop; never checkpointed by the writer
    /// below the backstop.
    @Test func checkpointsRunBesideTheWriterAndTheBackstopInIt() async throws {
        func walPages(intervals: WALCheckpointer.Intervals, checkpointerRuns: Bool) async throws -> (pages: Int, beside: Int) {
            let directory = try TemporaryDirectory()
            let path = directory.url.appendingPathComponent("steward.sqlite").path
            let storage = try SQLiteStorage(path: path, busyTimeout: .seconds(10), groupCommit: 1, checkpoints: intervals)
            try await storage.pool.write { db in try db.execute(sql: "CREATE TABLE filler (bytes BLOB NOT NULL)") }
            if !checkpointerRuns { storage.checkpointer.close() }
            for _ in 0..<40 {
                try await storage.pool.write { db in
                    try db.execute(sql: "INSERT INTO filler (bytes) VALUES (randomblob(80000))")
                }
                storage.checkpointer.drain()
            }
            let bytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            let beside = storage.checkpointer.completed
            await storage.close()
            return (bytes / (4096 + 24), beside)
        }
        let beside = try await walPages(intervals: .init(request: 50, backstop: 1_000_000), checkpointerRuns: true)
        #expect(beside.pages < 120)
        #expect(beside.beside > 0)
        let backstop = try await walPages(intervals: .init(request: 50, backstop: 100), checkpointerRuns: false)
        #expect(backstop.pages < 160)
        #expect(backstop.beside == 0)
        let neither = try await walPages(intervals: .init(request: 50, backstop: 1_000_000), checkpointerRuns: false)
        #expect(neither.pages >= 40 * 19)
        #expect(neither.beside == 0)
    }

    @Test func refusesADatabaseNewerThanTheBinary() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("steward.sqlite").path
        try await SQLiteStorage(path: path).migrate()
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO schema_migrations (id, applied_at) VALUES ('9999_from_the_future', 0)")
        }
        await #expect(throws: StoreError.schemaTooNew(applied: ["9999_from_the_future"])) {
            try await SQLiteStorage(path: path).migrate()
        }
    }

    @Test(.enabled(if: StoreKind.postgresURL != nil)) func postgresMigratesOnceAndRefusesANewerSchema() async throws {
        let url = try await TestPostgres.freshSchemaURL()
        let storage = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
        #expect(try await storage.pendingMigrations() == PostgresMigrations.all.map(\.id))
        // Two replicas starting together: the advisory lock lets one apply, the other finds nothing to do.
        let other = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
        async let one: Void = storage.migrate()
        async let two: Void = other.migrate()
        _ = try await (one, two)
        #expect(try await storage.pendingMigrations().isEmpty)
        let schema = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "search_path" }?.value)
        try await TestPostgres.execute("INSERT INTO \(schema).schema_migrations VALUES ('9999_from_the_future', 0)")
        await #expect(throws: StoreError.schemaTooNew(applied: ["9999_from_the_future"])) { try await storage.migrate() }
        await storage.close()
        await other.close()
    }

    /// Migration 0004 moves stored app inventories into `software` + `device_software` and
    /// loses nothing: the apps read back the same, shared apps are stored once.
    @Test(arguments: StoreKind.available) func compactAppInventoryMigrationKeepsEveryApp(store: StoreKind) async throws {
        let directory = try TemporaryDirectory()
        let before = SQLiteMigrations.all.prefix { $0.id < "0004" }
        let rows = """
            INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'T', 0);
            INSERT INTO devices (tenant_id, id, secret_verifier, ownership, platform, enrolled_at, app_count)
                VALUES ('t1', 'd1', 'x', 'corporate', 'linux', 0, 2);
            INSERT INTO devices (tenant_id, id, secret_verifier, ownership, platform, enrolled_at, app_count)
                VALUES ('t1', 'd2', 'x', 'corporate', 'linux', 0, 2);
            INSERT INTO device_apps (tenant_id, device_id, app_id, name, version, size_bytes, install_location)
                VALUES ('t1', 'd1', 'bash:amd64', 'bash', '5.2', 7000, '/usr/bin');
            INSERT INTO device_apps (tenant_id, device_id, app_id, name, version, size_bytes, install_location)
                VALUES ('t1', 'd2', 'bash:amd64', 'bash', '5.2', 7000, '/usr/bin');
            INSERT INTO device_apps (tenant_id, device_id, app_id, name, version, size_bytes, install_location)
                VALUES ('t1', 'd1', 'tzdata:all', 'tzdata', NULL, NULL, NULL);
            INSERT INTO device_apps (tenant_id, device_id, app_id, name, version, size_bytes, install_location)
                VALUES ('t1', 'd2', 'vim:amd64', 'vim', '9.0', 3000, '/usr/bin')
            """
        let storage: any Storage
        var postgresURL: String?
        switch store {
        case .sqlite:
            let path = directory.url.appendingPathComponent("s.sqlite").path
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: "CREATE TABLE schema_migrations (id TEXT PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)")
                for migration in before {
                    try db.execute(sql: migration.sql)
                    try db.execute(sql: "INSERT INTO schema_migrations VALUES (?, 0)", arguments: [migration.id])
                }
                try db.execute(sql: rows.replacingOccurrences(of: "'x'", with: "x'00'"))
            }
            storage = try SQLiteStorage(path: path)
        case .postgres:
            let url = try await TestPostgres.freshSchemaURL()
            postgresURL = url
            var statements = ["CREATE TABLE schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)"]
            for migration in PostgresMigrations.all.prefix(while: { $0.id < "0004" }) {
                statements += PostgresMigrations.statements(migration.sql)
                statements.append("INSERT INTO schema_migrations VALUES ('\(migration.id)', 0)")
            }
            statements += rows.replacingOccurrences(of: "'x'", with: "'\\x00'").split(separator: ";").map(String.init)
            for statement in statements where !statement.allSatisfy(\.isWhitespace) {
                try await TestPostgres.execute(statement, url: url)
            }
            storage = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
        }
        #expect(try await storage.pendingMigrations() == SQLiteMigrations.all.map(\.id).filter { $0 >= "0004" })
        try await storage.migrate()
        let tenant = TenantID(rawValue: "t1")
        let first = try await storage.apps(tenantID: tenant, deviceID: DeviceID(rawValue: "d1"), after: nil, limit: 10)
        let second = try await storage.apps(tenantID: tenant, deviceID: DeviceID(rawValue: "d2"), after: nil, limit: 10)
        let bash = AppRecord(appId: "bash:amd64", name: "bash", version: "5.2", sizeBytes: 7000, installLocation: "/usr/bin")
        #expect(first == [bash, AppRecord(appId: "tzdata:all", name: "tzdata", version: nil, sizeBytes: nil, installLocation: nil)])
        #expect(second == [bash, AppRecord(appId: "vim:amd64", name: "vim", version: "9.0", sizeBytes: 3000, installLocation: "/usr/bin")])
        // The SQL fingerprint of the migration is the one the store computes for new apps.
        _ = try await storage.apply(InventoryUpdate(
            tenantID: tenant, deviceID: DeviceID(rawValue: "d1"), at: Date(), agentVersion: nil, hardware: nil,
            operatingSystem: nil, network: nil, apps: .replace([bash]), hashes: SectionHashes(apps: "h")))
        #expect(try await storage.apps(tenantID: tenant, deviceID: DeviceID(rawValue: "d1"), after: nil, limit: 10) == [bash])
        // tzdata was d1's alone: its row went with it (bash and vim remain).
        if case .postgres = store, let url = postgresURL {
            try await TestPostgres.execute(
                "DO $$ BEGIN IF (SELECT count(*) FROM software) <> 2 THEN RAISE EXCEPTION 'software rows'; END IF; END $$",
                url: url)
        }
        await storage.close()
        let softwareRows = "SELECT count(*) FROM software"
        switch store {
        case .sqlite:
            let path = directory.url.appendingPathComponent("s.sqlite").path
            #expect(try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: softwareRows) } == 2)
        case .postgres:
            break  // checked above, by a statement that fails unless the count is right
        }
    }

    /// The in-place readers' transaction (an admin's credential is read so on every request):
    /// its statements see one snapshot while a writer commits between them, the next read sees
    /// the write, and a body that throws leaves no transaction open on the connection.
    @Test func anInPlaceReadSeesOneSnapshot() throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("r.sqlite").path
        let writer = try DatabasePool(path: path)
        try writer.write { db in try db.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)") }
        let readers = try InPlaceReaders(path: path, count: 1, busyTimeout: .seconds(1))
        defer { readers.close() }
        let count = "SELECT count(*) FROM t"
        let (before, after) = try #require(try readers.read { db in
            let before = try Int.fetchOne(db, sql: count)
            try writer.write { db in try db.execute(sql: "INSERT INTO t VALUES (2)") }
            return (before, try Int.fetchOne(db, sql: count))
        })
        #expect(before == 1 && after == 1)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try readers.read { db -> Int in _ = try Int.fetchOne(db, sql: count); throw Refused() } }
        #expect(try readers.read { db in try Int.fetchOne(db, sql: count) } == 2)
        #expect(try readers.readOneStatement { db in db.isInsideTransaction } == false)
    }

    @Test func migrationIDsAreOrderedAndUnique() {
        let ids = SQLiteMigrations.all.map(\.id)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
    }

    @Test func databaseUsesWAL() async throws {
        let directory = try TemporaryDirectory()
        let storage = try SQLiteStorage(path: directory.url.appendingPathComponent("s.sqlite").path)
        let mode = try await storage.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}

@Suite struct SchemaTests {
    /// Every stored column is in the data catalog, and every catalog entry has a column.
    @Test(arguments: StoreKind.available) func catalogMatchesTheLiveSchema(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let schema = try await env.storage.schemaColumns()
        #expect(Set(schema.keys) == DataCatalog.tables)
        for (table, columns) in schema {
            let declared = DataCatalog.columns(of: table, in: store.dialect)
            #expect(columns.subtracting(declared).isEmpty, "\(table) has columns the catalog does not know")
            #expect(declared.subtracting(columns).isEmpty, "the catalog declares columns \(table) lacks")
        }
        // Every key of the stored network interfaces JSON is declared too.
        let keys = Set(["name", "macAddress", "ipAddresses", "wireless"].map { "network_interfaces.\($0)" })
        let declaredKeys = Set(DataCatalog.entries.filter { $0.column.hasPrefix("network_interfaces.") }.map(\.column))
        #expect(keys == declaredKeys)
        let encoded = try JSONSerialization.jsonObject(with: try WireCoding.encoder().encode(
            NetworkInterface(name: "e", macAddress: "m", ipAddresses: [], wireless: true))) as? [String: Any]
        #expect(Set(encoded?.keys.map { "network_interfaces.\($0)" } ?? []) == keys)
    }

    /// Ready to shard by tenant: `tenant_id` leads the primary key and every index of every
    /// tenant-owned table, on both stores.
    @Test(arguments: StoreKind.available) func tenantIDLeadsEveryTenantOwnedKey(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let keys = try await env.storage.primaryKeys()
        let global: Set = ["tenants", "schema_migrations", "job_runs", "key_checks"]
        #expect(Set(keys.keys) == DataCatalog.tables)
        for (table, key) in keys where !global.contains(table) {
            #expect(key.first == "tenant_id", "\(table) key \(key)")
        }
        #expect(keys["tenants"] == ["id"])
        #expect(try await env.storage.databaseBytes() > 0)
        let indexes = try await env.storage.indexes()
        // PostgreSQL finds an app's holders by index; SQLite counts them in `software.holders`.
        let perStore: Set = store == .postgres ? ["device_software_software"] : []
        #expect(Set(indexes.keys).subtracting(perStore) == [
            "admin_tokens_admin", "devices_platform_id", "devices_os", "devices_name", "devices_last_check_in", "devices_key",
            "software_fingerprint", "software_app", "admins_user_name", "devices_user", "users_upn", "groups_name",
            "group_members_member", "roles_name", "role_assignments_admin", "role_assignments_role", "audit_entries_at",
            "audit_entries_actor", "audit_entries_target", "pseudonyms_subject", "diagnostic_events_at", "diagnostic_events_device",
            "diagnostic_events_user", "managed_apps_package", "app_assignments_group", "app_assignments_app",
            "app_install_states_device", "remote_tasks_device", "remote_tasks_open", "devices_serial",
            "device_macs_device", "users_upn_folded", "users_directory_id", "users_erase_at", "groups_directory_id",
            "support_cases_user", "support_messages_case", "app_protection_instances_user", "devices_management_id",
            "devices_directory_device_id", "devices_eas_device_id", "devices_windows_device_id", "apple_mdm_enrollments_device",
            "apple_mdm_commands_device", "apple_mdm_commands_task",
        ])
        #expect(perStore.isSubset(of: indexes.keys))
        #expect(keys["audit_entries"] == ["tenant_id", "sequence"])
        #expect(keys["device_counts"] == ["tenant_id", "dimension", "value"])
        for (name, columns) in indexes { #expect(columns.first == "tenant_id", "index \(name)") }
        // A device found by an identifier in the list's default order: the index ends with the ID.
        for name in ["devices_platform_id", "devices_serial", "devices_user"] {
            #expect(indexes[name]?.last == "id", "index \(name): \(indexes[name] ?? [])")
        }
    }

    /// SQLite plans without statistics: a lookup by identifier seeks its index instead of
    /// walking every device of the tenant in the order asked for (the OCS protocol's search for
    /// a machine, and the admin's by serial number, did so before 0021).
    @Test func identifierLookupsSeekTheirIndex() async throws {
        let directory = try TemporaryDirectory()
        let storage = try SQLiteStorage(path: directory.url.appendingPathComponent("s.sqlite").path)
        try await storage.migrate()
        let tenant = TenantID(rawValue: "t1")
        var byPlatformID = DeviceQuery(limit: 1)
        byPlatformID.platformId = "uuid"
        var bySerial = DeviceQuery(limit: 2)
        bySerial.serialNumber = "SN1"
        var byUser = DeviceQuery(limit: 50)
        byUser.userID = UserID(rawValue: "u1")
        for (query, index) in [(byPlatformID, "devices_platform_id"), (bySerial, "devices_serial"), (byUser, "devices_user")] {
            let (sql, arguments) = SQLiteStorage.deviceList(tenantID: tenant, query: query)
            let plan = try await storage.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("INDEX \(index) (tenant_id=? AND") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
        await storage.close()
    }

    /// A device's app rows name their `software` row without a foreign key on SQLite: deleting a
    /// released row would otherwise scan every app row of the tenant (SQLite has no index by
    /// software ID to check it with; the holder counts keep the references true instead).
    @Test func sqliteReleasesSoftwareRowsWithoutAReferenceScan() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("s.sqlite").path
        try await SQLiteStorage(path: path).migrate()
        let parents = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('device_software')")
        }
        #expect(parents == ["devices"])
    }

    /// Both stores carry the same migration IDs.
    @Test func bothStoresHaveTheSameMigrations() async throws {
        let directory = try TemporaryDirectory()
        let sqlite = try SQLiteStorage(path: directory.url.appendingPathComponent("s.sqlite").path)
        #expect(try await sqlite.pendingMigrations() == PostgresMigrations.all.map(\.id))
        #expect(SQLiteMigrations.all.map(\.id) == PostgresMigrations.all.map(\.id))
    }
}

@Suite struct DeviceListTests {
    @Test(arguments: StoreKind.available) func filtersAndPagesWithCursors(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            var ids: [DeviceID] = []
            for index in 0..<7 {
                let device = try await api.enroll(index.isMultiple(of: 2) ? .corporate : .personal)
                var inventory = SampleInventory.make(appCount: 1)
                inventory.hardware.deviceName = "host-\(index)"
                if index == 6 { inventory.hardware.deviceName = "laptop-6" }
                if index >= 5 { inventory.operatingSystem.name = "Ubuntu" }
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
                env.clock.advance(60)
                ids.append(device.deviceId)
            }
            func list(_ query: String) async throws -> Page<DeviceView> {
                try await api.send(.GET, APIRoute.listDevices.path + query, token: api.adminToken).decode(Page<DeviceView>.self)
            }
            var seen: [DeviceID] = []
            var cursor: String?
            repeat {
                let page = try await list("?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.items.count <= 3)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == ids, "every device once, in enrollment order")

            #expect(try await list("?ownership=personal").items.map(\.id) == [ids[1], ids[3], ids[5]])
            #expect(try await list("?operatingSystem=Ubuntu").items.map(\.id) == [ids[5], ids[6]])
            #expect(try await list("?namePrefix=host-").items.count == 6)
            #expect(try await list("?namePrefix=lap&platform=linux").items.map(\.id) == [ids[6]])
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            let after = ISO8601DateFormatter().string(from: start + 150)
            #expect(try await list("?lastCheckInAfter=\(after)").items.map(\.id) == Array(ids[3...]))
            #expect(try await list("?lastCheckInBefore=\(after)").items.map(\.id) == Array(ids[..<3]))
            #expect(try await list("?platform=windows").items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func appsPageInAppIDOrder(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let inventory = SampleInventory.make(appCount: 25)
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.send(
                    .GET, APIRoute.listDeviceApps.path(device.deviceId.rawValue) + "?limit=10" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: api.adminToken
                ).decode(Page<AppRecord>.self)
                seen += page.items.map(\.appId)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == inventory.apps!.map(\.appId).sorted())
        }
    }

    @Test(arguments: StoreKind.available) func deletingADeviceRemovesItsInventory(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            #expect(try await api.send(.DELETE, APIRoute.deleteDevice.path(device.deviceId.rawValue), token: api.adminToken).status == .noContent)
            #expect(try await api.device(device.deviceId).status == .notFound)
            let remaining = try await env.storage.apps(
                tenantID: env.tenant.tenantId, deviceID: device.deviceId, after: nil, limit: 10)
            #expect(remaining.isEmpty)
            let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.heartbeat(SampleInventory.make()))
            #expect(answer.status == .unauthorized, "a deleted device's secret no longer works")
        }
    }
}

@Suite struct DeploymentJobTests {
    /// On every store the job lease's holder runs the jobs: ended enrollment tokens older than
    /// 30 days are purged, and the run is recorded with its replica.
    @Test(arguments: StoreKind.available) func jobsPurgeEndedTokensAndRecordTheirRun(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let now = env.clock.now
        let old = EnrollmentTokenRecord(
            tenantID: env.tenant.tenantId, id: CredentialID(rawValue: "00000000-0000-7000-8000-00000000aa01"),
            verifier: Data([1]), ownership: .corporate, description: nil, createdAt: now - 90 * 86_400,
            expiresAt: now - 31 * 86_400, maxUses: nil)
        var recent = old
        recent.id = CredentialID(rawValue: "00000000-0000-7000-8000-00000000aa02")
        recent.expiresAt = now - 86_400
        var open = old
        open.id = CredentialID(rawValue: "00000000-0000-7000-8000-00000000aa03")
        open.expiresAt = nil
        for token in [old, recent, open] { try await env.storage.createEnrollmentToken(token, audit: env.auditEvent()) }

        let jobs = DeploymentJobs(
            store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "replica-a", clock: env.clock.clock,
            logger: env.dependencies.logger)
        let ran: Bool? = try await env.storage.withJobLease { _ in
            try await jobs.runJobs()
            return true
        }
        #expect(ran != nil, "the only process holds the lease")
        let remaining = try await env.storage.enrollmentTokens(tenantID: env.tenant.tenantId).map(\.id)
        #expect(remaining == [recent.id, open.id])
        let runs = try await env.storage.jobRuns()
        #expect(runs == [
            JobRun(job: DeploymentJobs.closeTenants, holder: "replica-a", ranAt: now, result: "closed 0"),
            JobRun(job: DeploymentJobs.eraseDeprovisionedUsers, holder: "replica-a", ranAt: now, result: "erased 0"),
            JobRun(job: DeploymentJobs.expireRemoteTasks, holder: "replica-a", ranAt: now, result: "expired 0"),
            JobRun(job: DeploymentJobs.purgeAppleMDM, holder: "replica-a", ranAt: now, result: "purged 0 commands, 0 unused enrollments"),
            JobRun(job: DeploymentJobs.purgeClosedSupportCases, holder: "replica-a", ranAt: now, result: "purged 0"),
            JobRun(job: DeploymentJobs.purgeDiagnosticsBundles, holder: "replica-a", ranAt: now, result: "purged 0"),
            JobRun(job: DeploymentJobs.purgeEndedEnrollmentTokens, holder: "replica-a", ranAt: now, result: "purged 1"),
            JobRun(job: DeploymentJobs.purgeAuditEntries, holder: "replica-a", ranAt: now, result: "purged 0"),
            JobRun(job: DeploymentJobs.purgeDiagnostics, holder: "replica-a", ranAt: now, result: "purged 0 events, 0 pseudonym links"),
            JobRun(job: DeploymentJobs.removeStaleAppInstances, holder: "replica-a", ranAt: now, result: "removed 0"),
            JobRun(job: DeploymentJobs.removeStaleDevices, holder: "replica-a", ranAt: now, result: "removed 0"),
        ])
    }

    /// Devices that stop checking in are removed after the tenant's staleDeviceDays, with their
    /// inventory and memberships, in one audited step; the job is idempotent.
    @Test(arguments: StoreKind.available) func staleDevicesAreRemovedAfterTheTenantsDays(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let patched = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(staleDeviceDays: 30))
            #expect(try patched.decode(TenantSettings.self).staleDeviceDays == 30)
            env.clock.advance(20 * 86_400)
            let active = try await api.enroll(.corporate, platformId: "still-here")
            _ = try await api.checkIn(active.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            let otherTenants = try await api.enroll(.corporate, platformId: "globex", admin: env.otherTenant.adminToken)
            env.clock.advance(11 * 86_400)

            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            try await jobs.runJobs()
            #expect(try await api.device(world.device.deviceId).status == .notFound, "enrolled 31 days ago, never checked in")
            #expect(try await api.device(active.deviceId).status == .ok)
            #expect(try await api.device(otherTenants.deviceId, admin: env.otherTenant.adminToken).status == .ok, "Globex keeps 90 days")
            let lab = try await api.send(.GET, APIRoute.getGroup.path(world.deviceGroup.id.rawValue), token: api.adminToken).decode(GroupView.self)
            #expect(lab.memberCount == 0)
            let log = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=Device&limit=1", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items.first
            #expect(log?.actorType == .system && log?.operation == .delete)
            #expect(log?.modifiedProperties.first == ModifiedProperty(name: "devicesRemoved", oldValue: nil, newValue: "1"))
            let entries = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count
            try await jobs.runJobs()
            #expect(try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count == entries, "nothing more to do")
            #expect(try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(staleDeviceDays: 10)
            ).errorCode == "invalid_value")
        }
    }

    /// On PostgreSQL one holder at a time; the lease passes on when the holder's connection ends.
    @Test(.enabled(if: StoreKind.postgresURL != nil)) func postgresLeaseIsExclusiveAndHandsOver() async throws {
        let url = try await TestPostgres.freshSchemaURL()
        let first = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
        let second = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
        try await first.migrate()
        let (held, holding) = AsyncStream.makeStream(of: Void.self)
        let (release, releasing) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await first.withJobLease { stillHeld in
                holding.yield()
                var waiting = release.makeAsyncIterator()
                await waiting.next()
                try await stillHeld()
                return "first"
            }
        }
        var started = held.makeAsyncIterator()
        await started.next()
        #expect(try await second.withJobLease { _ in "second" } == nil, "held by the first")
        // The holder dies: its connection ends (here terminated by the server), and PostgreSQL
        // releases the lock; the holder learns it at its next `stillHeld`.
        let schema = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "search_path" }?.value)
        try await TestPostgres.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND objid = 1
                AND classid = hashtext('\(schema)')::oid
            """)
        releasing.yield()
        await #expect(throws: PostgresStorage.JobLeaseLost.self) { try await holder.value }
        var taken: String?
        for _ in 0..<50 where taken == nil {
            taken = try await second.withJobLease { _ in "second" }
            if taken == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(taken == "second")
        await first.close()
        await second.close()
    }
}

/// The summary's counts are maintained as devices change, and always equal a recount.
@Suite struct DeviceCountTests {
    @Test(arguments: StoreKind.available) func countsEqualARecountAfterRandomChanges(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            // A fixed pseudo-random walk: the same operations on every run.
            var seed: UInt64 = 20_261_125
            func next(_ bound: Int) -> Int {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((seed >> 33) % UInt64(bound))
            }
            let systems = [("Debian GNU/Linux", "12"), ("Ubuntu", "22.04"), ("Ubuntu", "24.04"), ("Fedora Linux", "40")]
            var devices: [EnrollResponse] = []
            for _ in 0..<40 {
                switch next(5) {
                case 0, 1:
                    devices.append(try await api.enroll(next(3) == 0 ? .personal : .corporate))
                case 2 where !devices.isEmpty:
                    var inventory = SampleInventory.make(appCount: 1)
                    let system = systems[next(systems.count)]
                    inventory.operatingSystem.name = system.0
                    inventory.operatingSystem.version = system.1
                    let answer = try await api.checkIn(devices[next(devices.count)].deviceSecret, try SampleInventory.fullRequest(inventory))
                    #expect(answer.status == .ok)
                case 3 where !devices.isEmpty:
                    let device = devices[next(devices.count)]
                    _ = try await api.send(
                        .PATCH, APIRoute.updateDevice.path(device.deviceId.rawValue), token: api.adminToken,
                        json: DevicePatch(ownership: next(2) == 0 ? .personal : .corporate))
                case 4 where !devices.isEmpty:
                    let device = devices.remove(at: next(devices.count))
                    _ = try await api.send(.DELETE, APIRoute.deleteDevice.path(device.deviceId.rawValue), token: api.adminToken)
                default:
                    continue
                }
            }
            var all: [DeviceView] = []
            var after: DeviceID?
            repeat {
                let page = try await env.storage.devices(tenantID: env.tenant.tenantId, query: DeviceQuery(after: after, limit: 100))
                all += page
                after = page.count == 100 ? page.last?.id : nil
            } while after != nil
            var rows: [(dimension: String, value: String, devices: Int)] = []
            for (ownership, group) in Dictionary(grouping: all, by: \.ownership.rawValue) { rows.append(("ownership", ownership, group.count)) }
            for (platform, group) in Dictionary(grouping: all, by: \.platform.rawValue) { rows.append(("platform", platform, group.count)) }
            for (os, group) in Dictionary(grouping: all, by: { ($0.operatingSystem ?? "") + "\u{1F}" + ($0.osVersion ?? "") }) {
                rows.append(("os", os, group.count))
            }
            let summary = try await api.send(.GET, APIRoute.reportSummary.path, token: api.adminToken).decode(ReportSummary.self)
            #expect(summary.devices == DeviceCounts(rows: rows))
            #expect(summary.devices.total == devices.count)
            // The counts alone: the same, and another tenant's are its own (none).
            let counts = try await api.send(.GET, APIRoute.reportDeviceCounts.path, token: api.adminToken).decode(DeviceCounts.self)
            #expect(counts == summary.devices)
            let theirs = try await api.send(.GET, APIRoute.reportDeviceCounts.path, token: env.otherTenant.adminToken)
                .decode(DeviceCounts.self)
            #expect(theirs.total == 0 && theirs.byOperatingSystem.isEmpty)
            #expect(try await api.send(.GET, APIRoute.reportDeviceCounts.path + "?days=1", token: api.adminToken).errorCode == "invalid_value")
        }
    }
}

extension DeviceCountTests {
    /// Concurrent enrolments of both ownerships update the same count rows: they must never
    /// deadlock (the benchmark found one on PostgreSQL before count rows were locked in order).
    @Test(arguments: StoreKind.available) func concurrentEnrollmentsAllCount(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let tokens = [try await api.enrollmentToken(.corporate), try await api.enrollmentToken(.personal)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<120 {
                    group.addTask {
                        let answer = try await api.send(
                            .POST, APIRoute.enroll.path, token: tokens[index % 2],
                            json: EnrollRequest(platform: .linux, platformId: nil, deviceName: "d\(index)", agentVersion: nil))
                        #expect(answer.status == .created || answer.status == .ok, "\(answer.status)")
                    }
                }
                try await group.waitForAll()
            }
            let counts = try await env.storage.deviceCounts(tenantID: env.tenant.tenantId)
            #expect(counts.total == 120 && counts.byOwnership == ["corporate": 60, "personal": 60])
        }
    }

    /// PostgreSQL: a device's OS change moves the tenant's count rows only when its transaction
    /// commits, so a check-in still writing (its apps, the rest of its group) holds no count row
    /// another device's change needs. The first transaction stays open while the second changes
    /// the same counts with a lock timeout: when the counts moved with the UPDATE, it timed out.
    @Test func anOSChangeHoldsNoCountRowUntilItCommits() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        let env = try await TestEnvironment(.postgres)
        let url = try #require(env.postgresURL)
        let (first, second) = try await env.withClient { api in (try await api.enroll(.corporate), try await api.enroll(.corporate)) }
        let tenant = env.tenant.tenantId.rawValue
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url), backgroundLogger: TestPostgres.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.withConnection { held in
                try await held.query("BEGIN", logger: TestPostgres.logger)
                try await held.query(
                    "UPDATE devices SET os_name = 'Debian GNU/Linux', os_version = '13' WHERE tenant_id = \(tenant) AND id = \(first.deviceId.rawValue)",
                    logger: TestPostgres.logger)
                try await client.withConnection { other in
                    try await other.query("SET lock_timeout = '500ms'", logger: TestPostgres.logger)
                    try await other.query(
                        "UPDATE devices SET os_name = 'Debian GNU/Linux', os_version = '13' WHERE tenant_id = \(tenant) AND id = \(second.deviceId.rawValue)",
                        logger: TestPostgres.logger)
                }
                try await held.query("COMMIT", logger: TestPostgres.logger)
            }
        }
        let counts = try await env.storage.deviceCounts(tenantID: env.tenant.tenantId)
        #expect(counts.total == 2 && counts.byOwnership == ["corporate": 2])
        #expect(counts.byOperatingSystem == [OperatingSystemCount(name: "Debian GNU/Linux", version: "13", devices: 2)])
    }
}

/// The two stores hold the same thing: one inventory written through each, the raw stored JSON
/// and every field of the device's view compared byte for byte.
@Suite struct StoreConformanceTests {
    @Test(.enabled(if: StoreKind.postgresURL != nil)) func bothStoresStoreTheSameBytes() async throws {
        var stored: [String] = []
        var views: [DeviceView] = []
        var apps: [[AppRecord]] = []
        for store in [StoreKind.sqlite, .postgres] {
            let env = try await TestEnvironment(store)
            let (view, deviceApps) = try await env.withClient { api in
                let device = try await api.enroll(.corporate, platformId: "same-machine")
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
                var view = try await api.device(device.deviceId).decode(DeviceView.self)
                view.id = DeviceID(rawValue: "-")
                return (view, try await api.apps(device.deviceId))
            }
            views.append(view)
            apps.append(deviceApps)
            let sql = "SELECT network_interfaces FROM devices"
            if let url = env.postgresURL {
                stored += try await TestPostgres.texts(sql, url: url)
            } else {
                let path = env.directory.url.appendingPathComponent("steward.sqlite").path
                stored += try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: sql) }
            }
        }
        #expect(stored.count == 2 && stored[0] == stored[1], "\(stored)")
        #expect(views[0] == views[1])
        #expect(apps[0] == apps[1] && apps[0].count == 5)
    }
}

/// One filter, two dialects: the same conditions and values, numbered for PostgreSQL.
@Suite struct StoreFilterTests {
    @Test func oneFilterRendersForBothStores() {
        var filter = StoreFilter()
        filter.add("tenant_id = ?", .text("t"))
        filter.add("name >= ? AND name < ?", .text("a"), .text("b"))
        filter.add("(x {oneOf} OR y {oneOf})", oneOf: ["p", "q"])
        let sqlite = filter.render(.sqlite)
        #expect(sqlite.sql == "tenant_id = ? AND name >= ? AND name < ? AND (x IN (SELECT value FROM json_each(?)) OR y IN (SELECT value FROM json_each(?)))")
        #expect(sqlite.values == [.text("t"), .text("a"), .text("b"), .text(#"["p","q"]"#), .text(#"["p","q"]"#)])
        let postgres = filter.render(.postgres)
        #expect(postgres.sql == "tenant_id = $1 AND name >= $2 AND name < $3 AND (x = ANY($4) OR y = ANY($5))")
        #expect(postgres.values == [.text("t"), .text("a"), .text("b"), .textArray(["p", "q"]), .textArray(["p", "q"])])
        #expect(StoreFilter().render(.postgres).sql == "TRUE")
    }
}

/// Every storage role has its protocol file, a file in each backend and its line in
/// docs/ARCHITECTURE.md: a role added without them fails here.
@Suite struct StorageLayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyRoleHasItsFiles() throws {
        let storage = try String(contentsOf: Self.root.appendingPathComponent("Sources/StewardStore/Storage.swift"), encoding: .utf8)
        let declaration = try #require(storage.range(of: #"public protocol Storage:([^{]*)\{"#, options: .regularExpression))
        let roles = storage[declaration].dropFirst("public protocol Storage:".count).dropLast()
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(roles.count >= 15, "\(roles)")
        let architecture = try String(contentsOf: Self.root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let files = FileManager.default
        for role in roles {
            #expect(files.fileExists(atPath: Self.root.appendingPathComponent("Sources/StewardStore/\(role).swift").path), "\(role).swift")
            #expect(files.fileExists(atPath: Self.root.appendingPathComponent("Sources/StewardSQLite/\(role)+SQLite.swift").path), "\(role)+SQLite")
            #expect(files.fileExists(atPath: Self.root.appendingPathComponent("Sources/StewardPostgres/\(role)+Postgres.swift").path), "\(role)+Postgres")
            #expect(architecture.contains("`\(role)`"), "\(role) in ARCHITECTURE.md")
        }
    }
}

/// The device list's orders page alike on both stores: by name (unnamed first), by last check-in
/// (newest first, never-seen last), each through every page of its own cursor; and by serial.
@Suite struct DeviceListOrderTests {
    @Test(arguments: StoreKind.available) func everyOrderPagesThroughEveryDeviceOnce(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            // Names with ties (two "beta"), one device never named and one that never checks in.
            var devices: [(id: DeviceID, name: String?)] = []
            for (index, name) in ["delta", "beta", "alpha", "beta", nil, "gamma"].enumerated() {
                let token = try await api.enrollmentToken(.corporate)
                let enrolled = try await api.send(
                    .POST, APIRoute.enroll.path, token: token,
                    json: EnrollRequest(platform: .linux, platformId: "order-\(index)", deviceName: name, agentVersion: "test"))
                    .decode(EnrollResponse.self)
                devices.append((enrolled.deviceId, name))
                guard index != 5 else { continue }
                var inventory = SampleInventory.make(appCount: 0)
                inventory.hardware.deviceName = name
                inventory.hardware.serialNumber = "SN-\(index)"
                env.clock.advance(60)
                #expect(try await api.checkIn(enrolled.deviceSecret, try SampleInventory.fullRequest(inventory)).status == .ok)
            }
            func walk(_ sort: String) async throws -> [DeviceID] {
                var ids: [DeviceID] = []
                var cursor: String?
                repeat {
                    let query = "?sort=\(sort)&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try await api.send(.GET, APIRoute.listDevices.path + query, token: api.adminToken).decode(Page<DeviceView>.self)
                    ids += page.items.map(\.id)
                    cursor = page.nextCursor
                } while cursor != nil
                return ids
            }
            let byName = devices.sorted { ($0.name ?? "", $0.id.rawValue) < ($1.name ?? "", $1.id.rawValue) }.map(\.id)
            #expect(try await walk("name") == byName)
            // Checked in one minute apart in enrollment order: newest first; the silent one last.
            let byCheckIn = Array(devices.prefix(5).reversed().map(\.id)) + [devices[5].id]
            #expect(try await walk("lastCheckIn") == byCheckIn)
            #expect(try await walk("enrolled") == devices.map(\.id).sorted { $0.rawValue < $1.rawValue })
            let serial = try await api.send(.GET, APIRoute.listDevices.path + "?serialNumber=SN-3", token: api.adminToken)
                .decode(Page<DeviceView>.self)
            #expect(serial.items.map(\.id) == [devices[3].id])
            let wrong = try await api.send(.GET, APIRoute.listDevices.path + "?sort=name&cursor=\(PageCursor.encode("nonsense"))", token: api.adminToken)
            #expect(wrong.status == .badRequest)
        }
    }
}
