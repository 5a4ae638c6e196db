import ArgumentParser
import Foundation
import Logging
import StewardAgent
import StewardModel
import StewardPostgres
import StewardSQLite
import StewardServer
import StewardStore

/// `steward-bench tasks`: how long a remote task takes from the admin's request to an agent's
/// long-poll. With `--database`, two replicas on that PostgreSQL database: the task goes in
/// through one and out through the other (LISTEN/NOTIFY); without, one SQLite server.
struct TaskBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "Remote-task delivery: issued through one replica, received by a long-poll on another.")
    @Option(help: "PostgreSQL URL of an empty database or schema (two replicas); default: one SQLite server.") var database: String?
    @Option(help: "Tasks to time.") var count = 50

    func run() async throws {
        var logger = Logger(label: "steward-bench")
        logger.logLevel = .error
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steward-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first: any Storage = try database.map { try PostgresStorage(url: $0, logger: logger) }
            ?? SQLiteStorage(path: directory.appendingPathComponent("steward.sqlite").path)
        try await first.migrate()
        let second: any Storage = try database.map { try PostgresStorage(url: $0, logger: logger) } ?? first
        let masterKey = try MasterKey.load(path: directory.appendingPathComponent("master.key").path, create: true)
        let tenant = try await TenantProvisioning(store: first, masterKey: masterKey).createTenant(name: "Tasks bench")
        let configuration = ServerConfiguration(port: 0)
        let database = database
        let (one, two) = (
            ServerDependencies(storage: first, masterKey: masterKey, logger: logger),
            ServerDependencies(storage: second, masterKey: masterKey, logger: logger))
        let count = count
        try await withInProcessServer(configuration: configuration, dependencies: one) { portA in
            try await withInProcessServer(configuration: configuration, dependencies: two) { portB in
                let admin = AdminClient(server: "http://127.0.0.1:\(portA)", token: tenant.adminToken)
                // SQLite has one process: the agent waits on the same server (its own wake-up path).
                let agent = StewardClient(server: "http://127.0.0.1:\(database == nil ? portA : portB)")
                let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
                let device = try await agent.enroll(
                    token: token.token ?? "", EnrollRequest(platform: .linux, platformId: "bench-tasks", deviceName: "bench", agentVersion: "bench"))
                // The receiving replica's LISTEN starts with it: wait until a first task gets through.
                _ = try await admin.createRemoteTask(device.deviceId, RemoteTaskRequest(kind: .sync))
                var warm: [RemoteTaskInstruction] = []
                for _ in 0..<3 where warm.isEmpty { warm = try await agent.tasks(secret: device.deviceSecret, wait: 30) }
                var latencies: [Double] = []
                for _ in 0..<count {
                    async let arrived = agent.tasks(secret: device.deviceSecret, wait: 30)
                    try await Task.sleep(for: .milliseconds(50))
                    let start = ContinuousClock.now
                    _ = try await admin.createRemoteTask(device.deviceId, RemoteTaskRequest(kind: .sync))
                    guard try await !arrived.isEmpty else { throw ValidationError("a task did not arrive") }
                    let elapsed = ContinuousClock.now - start
                    latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                }
                latencies.sort()
                func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
                print(String(
                    format: "remote-task delivery (%@, %d tasks, admin request to long-poll answer): p50 %.1f ms, p95 %.1f ms, max %.1f ms",
                    database == nil ? "one SQLite server" : "two PostgreSQL replicas", count, percentile(0.5), percentile(0.95),
                    latencies.last ?? 0))
            }
        }
        if database != nil { await second.close() }
        await first.close()
    }
}
