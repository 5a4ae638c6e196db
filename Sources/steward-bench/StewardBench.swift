import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PostgresNIO
import StewardAgent
import StewardModel
import StewardPostgres
import StewardSQLite
import StewardServer
import StewardStore

/// Measures Steward's check-in path over real HTTP on loopback. Not part of the test suite:
/// speed is measured here, never asserted in tests.
@main
struct StewardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-bench", abstract: "Measure Steward's check-in path on this machine.",
        subcommands: [CheckInBench.self, CeilingBench.self])
}

struct CheckInBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Enroll simulated devices carrying this machine's real inventory, then time full, delta and no-change check-ins.",
        aliases: ["checkin"])

    @Option(help: "PostgreSQL URL of an empty database or schema to measure; default: SQLite in a temporary directory.")
    var database: String?
    @Option(help: "Simulated devices (at least 1).") var devices = 200
    @Option(help: "Requests in flight.") var concurrency = 16
    @Option(help: "No-change check-ins per device.") var heartbeats = 10
    @Option(help: "Write the results as JSON to this file.") var json: String?

    struct Result: Codable {
        var store: String
        var phase: String
        var requests: Int
        var rate: Double
        var p50Ms: Double
        var p99Ms: Double
        var maxMs: Double
        var requestBytes: Int
        /// After the phase: the database's bytes on disk divided by the devices.
        var dbBytesPerDevice: Int?
    }

    func validate() throws {
        guard devices > 0, concurrency > 0, heartbeats >= 0 else {
            throw ValidationError("--devices and --concurrency must be positive, --heartbeats not negative")
        }
    }

    func run() async throws {
        let bench = try await BenchSetup(database: database, concurrency: concurrency)
        let (logger, storage, client) = (bench.logger, bench.storage, bench.client)
        let tenant = try await TenantProvisioning(store: storage).createTenant(name: "Bench")
        let store = database == nil ? "sqlite" : "postgres"
        let (devices, heartbeats, concurrency, json) = (devices, heartbeats, concurrency, json)
        try await bench.using {
            try await withInProcessServer(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0),
                dependencies: ServerDependencies(storage: storage, logger: logger)
            ) { port in
                let plan = Plan(devices: devices, concurrency: concurrency, heartbeats: heartbeats)
                let results = try await plan.measure(
                    server: "http://127.0.0.1:\(port)", tenant: tenant, client: client, storage: storage, store: store)
                print(Self.table(results))
                try BenchSetup.write(results, to: json)
            }
        }
    }

    /// The machine's ceiling for this server and client: a trivial route (`GET /health`) under the
    /// same concurrency, measured in the same run so ingest rates can be read as a share of it.
    static func ceiling(
        store: String, server: String, count: Int, concurrency: Int, http: HTTPClient
    ) async throws -> Result {
        let url = server + APIRoute.health.path
        return try await timed(
            "ceiling", store: store, count: count, concurrency: concurrency, http: http,
            request: { _ in (HTTPClientRequest(url: url), 0) }, check: { _ in })
    }

    /// Runs `count` requests with `concurrency` in flight and summarises their latencies.
    static func timed(
        _ phase: String, store: String, count: Int, concurrency: Int, http: HTTPClient,
        request make: @escaping @Sendable (Int) -> (HTTPClientRequest, Int),
        check: @escaping @Sendable (ByteBuffer) throws -> Void
    ) async throws -> Result {
        let start = ContinuousClock.now
        var latencies: [Double] = []
        var bytes = 0
        try await withThrowingTaskGroup(of: (Double, Int).self) { group in
            var next = 0
            func submit() {
                let index = next
                next += 1
                group.addTask {
                    let (request, size) = make(index)
                    let sent = ContinuousClock.now
                    let response = try await http.execute(request, timeout: .seconds(60))
                    let answer = try await response.body.collect(upTo: 1 << 20)
                    let elapsed = milliseconds(ContinuousClock.now - sent)
                    guard response.status == .ok else { throw BenchError.status(Int(response.status.code)) }
                    try check(answer)
                    return (elapsed, size)
                }
            }
            while next < min(concurrency, count) { submit() }
            while let (latency, size) = try await group.next() {
                latencies.append(latency)
                bytes = max(bytes, size)
                if next < count { submit() }
            }
        }
        let seconds = milliseconds(ContinuousClock.now - start) / 1000
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return Result(
            store: store, phase: phase, requests: count, rate: Double(count) / seconds,
            p50Ms: percentile(0.5), p99Ms: percentile(0.99), maxMs: latencies.last ?? 0, requestBytes: bytes,
            dbBytesPerDevice: nil)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func table(_ results: [Result]) -> String {
        let ceiling = results.first { $0.phase == "ceiling" }?.rate
        var lines = ["store      phase       requests   requests/s   of ceiling   p50 ms   p99 ms   max ms   body bytes"]
        for result in results {
            let share = ceiling.map { String(format: "%9.1f%%", 100 * result.rate / $0) } ?? "        —"
            lines.append(
                result.store.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + result.phase.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%8d   %10.0f   ", result.requests, result.rate) + share
                    + String(format: "   %6.2f   %6.2f   %6.2f   %10d", result.p50Ms, result.p99Ms, result.maxMs, result.requestBytes))
        }
        for result in results {
            if let perDevice = result.dbBytesPerDevice {
                lines.append("\(result.store): \(perDevice) bytes of database per device after the full inventories")
            }
        }
        return lines.joined(separator: "\n")
    }

    enum BenchError: Error {
        case unexpectedFullRequest
        case status(Int)
    }
}

/// The ceiling alone: `GET /health` of a server in this process, through the same client.
struct CeilingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling", abstract: "The request rate of a trivial route of the same server and client on this machine.")

    @Option(help: "Requests to send.") var requests = 20_000
    @Option(help: "Requests in flight.") var concurrency = 16
    @Option(help: "Write the result as JSON to this file.") var json: String?

    func validate() throws {
        guard requests > 0, concurrency > 0 else { throw ValidationError("--requests and --concurrency must be positive") }
    }

    func run() async throws {
        let bench = try await BenchSetup(database: nil, concurrency: concurrency)
        let (logger, storage, client) = (bench.logger, bench.storage, bench.client)
        let (requests, concurrency, json) = (requests, concurrency, json)
        try await bench.using {
            try await withInProcessServer(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0),
                dependencies: ServerDependencies(storage: storage, logger: logger)
            ) { port in
                let server = "http://127.0.0.1:\(port)"
                _ = try await CheckInBench.ceiling(store: "-", server: server, count: min(requests, 1000), concurrency: concurrency, http: client)
                let result = try await CheckInBench.ceiling(
                    store: "-", server: server, count: requests, concurrency: concurrency, http: client)
                print(CheckInBench.table([result]))
                try BenchSetup.write([result], to: json)
            }
        }
    }
}

/// What one benchmark run sends.
struct Plan: Sendable {
    let devices: Int
    let concurrency: Int
    let heartbeats: Int

    func measure(
        server: String, tenant: TenantCreated, client: HTTPClient, storage: any Storage, store: String
    ) async throws -> [CheckInBench.Result] {
        // Warm the connections and the server before anything is timed.
        _ = try await CheckInBench.ceiling(store: store, server: server, count: 200, concurrency: concurrency, http: client)
        let admin = AdminClient(server: server, token: tenant.adminToken, http: client)
        let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
        let machine = try makePlatformCollector().collect(includeApps: true)
        let steward = StewardClient(server: server, http: client)

        // Devices: this machine's inventory, each with its own name and identifiers.
        var fleet: [(secret: String, inventory: Inventory)] = []
        for index in 0..<devices {
            var inventory = machine
            inventory.hardware.deviceName = "bench-\(index)"
            inventory.hardware.platformId = String(format: "%032x", index)
            inventory.hardware.serialNumber = "SN\(index)"
            let enrolled = try await steward.enroll(token: token, EnrollRequest(
                platform: .linux, platformId: inventory.hardware.platformId, deviceName: inventory.hardware.deviceName,
                agentVersion: "bench"))
            fleet.append((enrolled.deviceSecret, inventory))
        }

        var results: [CheckInBench.Result] = [
            try await CheckInBench.ceiling(
                store: store, server: server, count: max(1000, devices * max(1, heartbeats)), concurrency: concurrency,
                http: client)
        ]
        // Full: the first inventory of every device.
        let fullRequests = try fleet.map { device -> (String, CheckInRequest) in
            let hashes = try InventoryHasher.hashes(of: device.inventory)
            return (device.secret, CheckInRequest(
                agentVersion: "bench", hashes: hashes, hardware: device.inventory.hardware,
                operatingSystem: device.inventory.operatingSystem, network: device.inventory.network, apps: device.inventory.apps))
        }
        var full = try await run("full", store: store, requests: fullRequests, steward: steward)
        full.dbBytesPerDevice = Int(try await storage.databaseBytes()) / devices
        results.append(full)

        // Delta: five apps changed on every device.
        let deltaRequests = try fleet.map { device -> (String, CheckInRequest) in
            let before = try InventoryHasher.hashes(of: device.inventory)
            var changed = device.inventory
            for index in 0..<min(5, changed.apps?.count ?? 0) { changed.apps![index * 7 % changed.apps!.count].version = "bench-\(index)" }
            let acknowledged = AgentState.Acknowledged(
                hashes: before, apps: device.inventory.apps, policy: .init(collectApps: true, checkInIntervalSeconds: 900), lastCheckInAt: nil)
            return (device.secret, Agent.request(
                inventory: changed, hashes: try InventoryHasher.hashes(of: changed), acknowledged: acknowledged, full: false))
        }
        results.append(try await run("delta", store: store, requests: deltaRequests, steward: steward))

        // No change: hashes only.
        let heartbeatRequests = deltaRequests.map { secret, request in
            (secret, CheckInRequest(agentVersion: "bench", hashes: request.hashes))
        }
        if heartbeats > 0 {
            results.append(try await run(
                "no-change", store: store, requests: Array(repeating: heartbeatRequests, count: heartbeats).flatMap { $0 },
                steward: steward))
        }
        return results
    }

    /// Sends every check-in with `concurrency` in flight; latency is measured per request. Bodies
    /// are encoded before the clock starts: agents encode on their own machines, so the server
    /// alone is measured (client and server still share this machine's cores).
    func run(_ phase: String, store: String, requests: [(String, CheckInRequest)], steward: StewardClient) async throws -> CheckInBench.Result {
        let encoder = WireCoding.encoder()
        let bodies = try requests.map { secret, request in (secret, ByteBuffer(bytes: try encoder.encode(request))) }
        let url = steward.server + APIRoute.checkIn.path
        return try await CheckInBench.timed(
            phase, store: store, count: bodies.count, concurrency: concurrency, http: steward.http,
            request: { index in
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(bodies[index].0)")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(bodies[index].1)
                return (request, bodies[index].1.readableBytes)
            },
            check: { answer in
                let decoded = try WireCoding.decoder().decode(CheckInResponse.self, from: Data(answer.readableBytesView))
                if decoded.fullInventoryRequested { throw CheckInBench.BenchError.unexpectedFullRequest }
            })
    }
}

/// What every sub-command runs against: a migrated store (PostgreSQL at `database`, or SQLite
/// in a temporary directory) and an HTTP client sized for the concurrency.
struct BenchSetup {
    let logger: Logger
    let storage: any Storage
    let client: HTTPClient
    let directory: URL

    init(database: String?, concurrency: Int) async throws {
        var logger = Logger(label: "steward-bench")
        logger.logLevel = .error
        self.logger = logger
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("steward-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        storage = if let database {
            try PostgresStorage(url: database, logger: logger)
        } else {
            try SQLiteStorage(path: directory.appendingPathComponent("steward.sqlite").path)
        }
        try await storage.migrate()
        var http = HTTPClient.Configuration()
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Runs `body`, then releases everything, whether `body` succeeded or not.
    func using(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await close()
            throw error
        }
        await close()
    }

    func close() async {
        try? await client.shutdown()
        await storage.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes results as JSON when `--json` named a file.
    static func write(_ results: [CheckInBench.Result], to path: String?) throws {
        guard let path else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: path))
    }
}
