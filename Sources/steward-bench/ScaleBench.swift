import ArgumentParser
import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import PostgresNIO
import StewardModel
import StewardPostgres

/// Grows one store through the given sizes and measures, at each size, check-in ingest of a set
/// of simulated agents and the admins' report queries over HTTP.
struct ScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Fill a store to 10k, 100k and 1M devices and measure ingest and report queries at each size.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Store sizes in devices, comma-separated, ascending.") var sizes = "10000,100000,1000000"
    @Option(help: "Simulated agents that enroll over HTTP and check in at every size.") var active = 500
    @Option(help: "Apps on every simulated corporate agent.") var apps = 300
    @Option(help: "Apps on every bulk-filled corporate device.") var fillApps = 30
    @Option(help: "Requests per report query at every size (at most; --duration bounds the time).") var queries = 2000
    @Option(help: "Heartbeats per simulated agent at every size.") var heartbeats = 10
    @Option(help: "Report queries in flight (admins browsing, not a fleet).") var reportConcurrency = 4
    @Option(help: "Seed of the simulated fleet.") var seed: UInt64 = 1

    func validate() throws {
        let parsed = try parsedSizes()
        guard active > 0, apps >= 0, fillApps >= 0, queries > 0, heartbeats >= 0, reportConcurrency > 0 else {
            throw ValidationError("--active and --queries must be positive, counts not negative")
        }
        guard parsed.first ?? 0 >= active else { throw ValidationError("the smallest size must hold the --active agents") }
    }

    func parsedSizes() throws -> [Int] {
        let values = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values == values.sorted(), values.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--sizes takes ascending positive counts, e.g. 10000,100000,1000000")
        }
        return values
    }

    func run() async throws {
        let sizes = try parsedSizes()
        let fleet = SyntheticFleet(devices: active, apps: apps...apps, personalShare: 0.2, poolSize: 3000, seed: seed).make()
        let (fillApps, queries, heartbeats, seed, reportConcurrency) = (fillApps, queries, heartbeats, seed, reportConcurrency)
        try await common.measure { server, runner in
            guard server.sqlitePath != nil || server.databaseURL != nil else {
                throw ValidationError("scale fills the store directly: give --database with --server")
            }
            let ceiling = try await measureCeiling(server: server, runner: runner, requests: 100_000, devices: 0)
            var results = [ceiling]
            let driver = FleetDriver(fleet: fleet, server: server, runner: runner, ceiling: ceiling.rate, seed: seed)
            _ = try await driver.enroll()
            _ = try await driver.full()
            let filler = try await BulkFill.open(server: server)
            var filled = 0
            for size in sizes {
                let started = ContinuousClock.now
                let target = size - driver.fleet.count
                Report.progress("filling to \(size) devices (direct bulk load)")
                try await filler.fill(from: filled, to: target, apps: fillApps, personalShare: 5)
                filled = target
                Report.progress("filled to \(size) devices in \(ContinuousClock.now - started) (direct bulk load)")
                driver.storeDevices = size
                if let delta = try await driver.deltas(rounds: 1, changedApps: 5) { results.append(delta) }
                if heartbeats > 0 {
                    var beat = try await driver.heartbeats(heartbeats)
                    if let bytes = try await server.databaseBytes() { beat.dbBytesPerDevice = Int(bytes) / size }
                    results.append(beat)
                }
                results += try await Self.reports(
                    size: size, filled: filled, driver: driver, server: server,
                    runner: LoadRunner(http: runner.http, concurrency: reportConcurrency, duration: runner.duration), ceiling: ceiling.rate,
                    queries: queries)
            }
            await filler.close()
            return results
        }
    }

    /// The admins' queries, each `queries` times: first and deep pages, detail, an OS filter,
    /// one device's apps (100 of 300), and the tenant's counts.
    static func reports(
        size: Int, filled: Int, driver: FleetDriver, server: BenchServer, runner: LoadRunner, ceiling: Double, queries: Int
    ) async throws -> [Measurement] {
        let middle = PageCursor.encode(BulkFill.deviceID(filled / 2))
        let agent = driver.fleet.first { $0.ownership == .corporate }?.deviceID ?? driver.fleet[0].deviceID
        let kinds: [(String, @Sendable (Int) -> String)] = [
            ("list first page", { _ in "/api/v1/devices?limit=50" }),
            ("list deep page", { _ in "/api/v1/devices?limit=50&cursor=\(middle)" }),
            ("device detail", { index in "/api/v1/devices/\(BulkFill.deviceID((index &* 7919) % max(1, filled)))" }),
            ("filter by OS", { _ in "/api/v1/devices?operatingSystem=Fedora%20Linux&limit=50" }),
            ("device apps", { _ in "/api/v1/devices/\(agent)/apps?limit=100" }),
            ("tenant counts", { _ in APIRoute.reportSummary.path }),
            // The web console's pages, as a signed-in browser asks for them (the session cookie).
            ("console dashboard", { _ in "/" }),
            ("console devices page", { _ in "/devices" }),
            ("console devices deep page", { _ in "/devices?cursor=\(middle)" }),
            ("console devices OS filter", { _ in "/devices?os=Fedora%20Linux" }),
            ("console device page", { index in "/devices/\(BulkFill.deviceID((index &* 7919) % max(1, filled)))" }),
        ]
        var results: [Measurement] = []
        for (phase, path) in kinds {
            let (url, token) = (server.url, server.adminToken)
            let console = phase.hasPrefix("console")
            results.append(try await measured(phase, devices: size, server: server, ceiling: ceiling) {
                try await runner.run(count: queries) { index in
                    var request = HTTPClientRequest(url: url + path(index))
                    if console {
                        request.headers.add(name: "Cookie", value: "steward_session=\(token)")
                    } else {
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    }
                    return .init(request: request, bytes: 0)
                }
            })
        }
        return results
    }
}

/// Fills the store with devices directly (not over HTTP: 1M enrollments would measure the fill,
/// not the store). Devices get realistic columns, a network JSON, and for corporate ones
/// `apps` rows drawn from the tenant's software the agents reported.
final class BulkFill: @unchecked Sendable {
    private let sqlite: DatabaseQueue?
    private let postgres: PostgresClient?
    private let task: Task<Void, Never>?
    private let tenant: String

    /// Filler device IDs: valid IDs that sort after every real (time-ordered) one.
    static func deviceID(_ index: Int) -> String {
        String(format: "ffffffff-%04x-7000-8000-%012x", index % 65536, index)
    }

    private init(sqlite: DatabaseQueue?, postgres: PostgresClient?, task: Task<Void, Never>?, tenant: String) {
        (self.sqlite, self.postgres, self.task, self.tenant) = (sqlite, postgres, task, tenant)
    }

    static func open(server: BenchServer) async throws -> BulkFill {
        guard let tenant = try await server.storage?.tenants().first?.id.rawValue else { throw BenchFailure("no tenant to fill") }
        if let path = server.sqlitePath {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            return BulkFill(sqlite: try DatabaseQueue(path: path, configuration: configuration), postgres: nil, task: nil, tenant: tenant)
        }
        guard let url = server.databaseURL else { throw BenchFailure("no database to fill") }
        var logger = Logger(label: "fill")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url), backgroundLogger: logger)
        let task = Task { await client.run() }
        return BulkFill(sqlite: nil, postgres: client, task: task, tenant: tenant)
    }

    func close() async {
        task?.cancel()
        _ = await task?.value
    }

    /// Adds filler devices `from..<to`; every `personalShare`-th one is personal (no apps).
    func fill(from: Int, to: Int, apps: Int, personalShare: Int) async throws {
        guard to > from else { return }
        let now = Date().millisecondsSince1970
        let batch = 20_000
        if let sqlite {
            try await sqlite.write { db in
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS fill_software (n INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
                try db.execute(sql: "DELETE FROM fill_software")
                try db.execute(sql: """
                    INSERT INTO fill_software SELECT row_number() OVER (ORDER BY id) - 1, id FROM software WHERE tenant_id = ?
                    """, arguments: [self.tenant])
            }
            let count = try await sqlite.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM fill_software") } ?? 0
            let keyBase = try await sqlite.read { db in
                try Int.fetchOne(db, sql: "SELECT coalesce(max(device_key), 0) FROM devices WHERE tenant_id = ?", arguments: [self.tenant])
            } ?? 0
            for start in stride(from: from, to: to, by: batch) {
                let end = min(to, start + batch) - 1
                try await sqlite.write { db in
                    try db.execute(sql: Self.sqliteDevices, arguments: [
                        start, end, self.tenant, keyBase + 1 - from, now, personalShare, min(apps, count),
                    ])
                    if apps > 0, count > 0 {
                        try db.execute(sql: Self.sqliteApps, arguments: [
                            start, end, apps - 1, self.tenant, keyBase + 1 - from, count, Self.coprimeStep(count), personalShare,
                        ])
                        // The store's invariant, kept as its check-in keeps it: each app counts its holders.
                        try db.execute(sql: Self.sqliteHolders, arguments: [self.tenant, keyBase + 1 - from + start, keyBase + 1 - from + end])
                    }
                }
            }
            try await sqlite.write { try $0.execute(sql: "ANALYZE") }
        } else if let postgres {
            let ids = try await postgres.query(
                "SELECT id FROM software WHERE tenant_id = \(tenant) ORDER BY id", logger: Logger(label: "fill")
            ).collect().map { try $0.decode(Int64.self) }
            for start in stride(from: from, to: to, by: batch) {
                let end = min(to, start + batch) - 1
                var binds = PostgresBindings()
                binds.append(tenant)
                binds.append(Int64(start))
                binds.append(Int64(end))
                binds.append(now)
                binds.append(Int64(personalShare))
                binds.append(ids)
                binds.append(Int64(Self.coprimeStep(ids.count)))
                binds.append(Int64(ids.isEmpty ? 0 : apps))
                try await postgres.query(PostgresQuery(unsafeSQL: Self.postgresFill, binds: binds), logger: Logger(label: "fill"))
            }
            try await postgres.query("ANALYZE", logger: Logger(label: "fill"))
        }
    }

    /// A step that visits every software index before repeating (a prime not dividing the count).
    static func coprimeStep(_ count: Int) -> Int {
        [97, 89, 83, 79].first { count % $0 != 0 } ?? 1
    }

    // The columns a check-in fills, derived from the filler's number `i`.
    private static let sqliteDevices = """
        WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
        INSERT INTO devices (tenant_id, id, device_key, secret_verifier, ownership, platform, platform_id, enrolled_at,
            last_check_in_at, agent_version, device_name, manufacturer, model, serial_number, os_name, os_version,
            kernel_version, cpu_model, cpu_cores, memory_bytes, disk_bytes, wifi_mac_address, network_interfaces,
            app_count, hardware_hash, os_hash, network_hash, apps_hash)
        SELECT ?3, printf('ffffffff-%04x-7000-8000-%012x', i % 65536, i), ?4 + i, x'00',
            CASE WHEN i % ?6 = 0 THEN 'personal' ELSE 'corporate' END, 'linux', printf('%032x', i), ?5, ?5, 'fill',
            printf('fill-%07d', i), 'LENOVO', 'ThinkPad T14 Gen 4', printf('FILL%08X', i),
            CASE WHEN i % 10 < 4 THEN 'Debian GNU/Linux' WHEN i % 10 < 9 THEN 'Ubuntu' ELSE 'Fedora Linux' END,
            CASE WHEN i % 10 < 4 THEN '12' WHEN i % 10 < 7 THEN '22.04' WHEN i % 10 < 9 THEN '24.04' ELSE '40' END,
            '6.1.0-28-amd64', 'Intel(R) Core(TM) i7-1365U', 8, 17179869184, 549755813888,
            printf('0a:01:%02x:%02x:%02x:%02x', (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255),
            printf('[{"ipAddresses":["10.%d.%d.%d"],"macAddress":"02:01:%02x:%02x:%02x:%02x","name":"enp0s31f6"}]',
                (i >> 16) & 255, (i >> 8) & 255, i & 255, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255),
            CASE WHEN i % ?6 = 0 THEN 0 ELSE ?7 END, 'fill', 'fill', 'fill', NULL
        FROM n
        """

    private static let sqliteApps = """
        WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2),
            j(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM j WHERE k < ?3)
        INSERT OR IGNORE INTO device_software (tenant_id, device_key, software_id)
        SELECT ?4, ?5 + i, s.id FROM n, j JOIN fill_software s ON s.n = (i * 31 + k * ?7) % ?6
        WHERE i % ?8 <> 0
        """

    private static let sqliteHolders = """
        UPDATE software SET holders = holders + c.n
        FROM (SELECT software_id, count(*) AS n FROM device_software
            WHERE tenant_id = ?1 AND device_key BETWEEN ?2 AND ?3 GROUP BY software_id) AS c
        WHERE software.tenant_id = ?1 AND software.id = c.software_id
        """

    private static let postgresFill = """
        WITH added AS (
            INSERT INTO devices (tenant_id, id, secret_verifier, ownership, platform, platform_id, enrolled_at,
                last_check_in_at, agent_version, device_name, manufacturer, model, serial_number, os_name, os_version,
                kernel_version, cpu_model, cpu_cores, memory_bytes, disk_bytes, wifi_mac_address, network_interfaces,
                app_count, hardware_hash, os_hash, network_hash)
            SELECT $1, 'ffffffff-' || lpad(to_hex(i % 65536), 4, '0') || '-7000-8000-' || lpad(to_hex(i), 12, '0'), '\\x00',
                CASE WHEN i % $5 = 0 THEN 'personal' ELSE 'corporate' END, 'linux', lpad(to_hex(i), 32, '0'), $4, $4, 'fill',
                'fill-' || lpad(i::text, 7, '0'), 'LENOVO', 'ThinkPad T14 Gen 4', 'FILL' || upper(lpad(to_hex(i), 8, '0')),
                CASE WHEN i % 10 < 4 THEN 'Debian GNU/Linux' WHEN i % 10 < 9 THEN 'Ubuntu' ELSE 'Fedora Linux' END,
                CASE WHEN i % 10 < 4 THEN '12' WHEN i % 10 < 7 THEN '22.04' WHEN i % 10 < 9 THEN '24.04' ELSE '40' END,
                '6.1.0-28-amd64', 'Intel(R) Core(TM) i7-1365U', 8, 17179869184, 549755813888,
                '0a:01:' || lpad(to_hex(i & 255), 2, '0') || ':00:00:00',
                '[{"ipAddresses":["10.0.0.1"],"macAddress":"02:01:00:00:00:' || lpad(to_hex(i & 255), 2, '0') || '","name":"enp0s31f6"}]',
                CASE WHEN i % $5 = 0 THEN 0 ELSE least($8, cardinality($6::bigint[])) END, 'fill', 'fill', 'fill'
            FROM generate_series($2::bigint, $3::bigint) AS i
            RETURNING device_key, ownership)
        INSERT INTO device_software (tenant_id, device_key, software_id)
        SELECT $1, a.device_key, ($6::bigint[])[1 + ((a.device_key * 31 + k * $7) % cardinality($6::bigint[]))]
        FROM added a, generate_series(0, $8 - 1) AS k
        WHERE a.ownership = 'corporate'
        ON CONFLICT DO NOTHING
        """
}
