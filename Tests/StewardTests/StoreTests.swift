import Foundation
import GRDB
import Testing
import StewardModel
@testable import StewardSQLite
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
    @Test func catalogMatchesTheLiveSchema() async throws {
        let env = try await TestEnvironment()
        let schema = try await env.storage.schemaColumns()
        #expect(Set(schema.keys) == DataCatalog.tables)
        for (table, columns) in schema {
            let declared = DataCatalog.columns(of: table)
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

    /// Ready to shard by tenant: `tenant_id` leads the primary key of every tenant-owned table.
    @Test func tenantIDLeadsEveryTenantOwnedKey() async throws {
        let env = try await TestEnvironment()
        let keys = try await env.storage.primaryKeys()
        let global: Set = ["tenants", "schema_migrations"]
        for (table, key) in keys where !global.contains(table) {
            #expect(key.first == "tenant_id", "\(table) key \(key)")
        }
        let indexes = try await env.storage.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                .map { row -> (String, [String]) in
                    let name: String = row["name"]
                    return (name, try db.indexes(on: row["tbl_name"]).first { $0.name == name }?.columns ?? [])
                }
        }
        #expect(!indexes.isEmpty)
        for (name, columns) in indexes { #expect(columns.first == "tenant_id", "index \(name)") }
    }
}

@Suite struct DeviceListTests {
    @Test func filtersAndPagesWithCursors() async throws {
        let env = try await TestEnvironment()
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

    @Test func appsPageInAppIDOrder() async throws {
        let env = try await TestEnvironment()
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

    @Test func deletingADeviceRemovesItsInventory() async throws {
        let env = try await TestEnvironment()
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            #expect(try await api.send(.DELETE, APIRoute.deleteDevice.path(device.deviceId.rawValue), token: api.adminToken).status == .noContent)
            #expect(try await api.device(device.deviceId).status == .notFound)
            let remaining = try await env.storage.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM device_apps") }
            #expect(remaining == 0)
            let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.heartbeat(SampleInventory.make()))
            #expect(answer.status == .unauthorized, "a deleted device's secret no longer works")
        }
    }
}
