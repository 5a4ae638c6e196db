import ArgumentParser
import Foundation
import GRDB
import Logging
import StewardModel
import StewardPostgres
import StewardSQLite
import StewardServer
import StewardStore

/// The server under measurement. Started by the benchmark in its own process — this binary
/// re-executed as `steward-bench server`, which runs the same `buildApplication` with the same
/// defaults as `steward serve` — on a temporary SQLite directory or the given PostgreSQL
/// database; or one already running, given by `--server`.
final class BenchServer: @unchecked Sendable {
    let url: String
    let store: String
    let adminToken: String
    /// The same database, opened by the benchmark: for its size, and for `scale`'s bulk fill.
    let storage: (any Storage)?
    let sqlitePath: String?
    let databaseURL: String?
    private let process: Process?
    private let pid: Int32?
    let directory: URL?

    struct Options: ParsableArguments {
        @Option(help: "PostgreSQL URL of an empty database or schema to measure; default: SQLite in a temporary directory.")
        var database: String?
        @Option(help: "Measure a running `steward serve` at this URL instead of starting one (needs --admin-token).")
        var server: String?
        @Option(help: "An admin API token of the running server's tenant (with --server).")
        var adminToken: String?
        @Option(help: "Process ID of the running server, for its CPU time and memory (with --server).")
        var serverPid: Int32?
        @Option(help: "Check-ins per transaction at most in the launched server (1: no group commit; default: the store's).")
        var groupCommit: Int?
    }

    static func start(_ options: Options, logger: Logger) async throws -> BenchServer {
        if let server = options.server {
            guard let token = options.adminToken else { throw ValidationError("--server needs --admin-token") }
            let storage: (any Storage)? = try options.database.map { try PostgresStorage(url: $0, logger: logger) }
            return BenchServer(
                url: server, store: options.database == nil ? "external" : "postgres", adminToken: token,
                storage: storage, sqlitePath: nil, databaseURL: options.database, process: nil, pid: options.serverPid,
                directory: nil)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steward-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sqlitePath = options.database == nil ? directory.appendingPathComponent("steward.sqlite").path : nil
        let storage: any Storage = if let database = options.database {
            try PostgresStorage(url: database, logger: logger)
        } else {
            try SQLiteStorage(path: sqlitePath!)
        }
        do {
            try await storage.migrate()
            let keyFile = directory.appendingPathComponent("master.key").path
            let masterKey = try MasterKey.load(path: keyFile, create: true)
            let tenant = try await TenantProvisioning(store: storage, masterKey: masterKey).createTenant(name: "Bench")
            let (process, port) = try await Self.launchSelf(
                ["server", "--master-key-file", keyFile] + (options.database.map { ["--database", $0] } ?? ["--data-dir", directory.path])
                    + (options.groupCommit.map { ["--group-commit", String($0)] } ?? []),
                log: directory.appendingPathComponent("server.log"))
            return BenchServer(
                url: "http://127.0.0.1:\(port)", store: options.database == nil ? "sqlite" : "postgres",
                adminToken: tenant.adminToken, storage: storage, sqlitePath: sqlitePath, databaseURL: options.database,
                process: process, pid: process.processIdentifier, directory: directory)
        } catch {
            await storage.close()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private init(
        url: String, store: String, adminToken: String, storage: (any Storage)?, sqlitePath: String?, databaseURL: String?,
        process: Process?, pid: Int32?, directory: URL?
    ) {
        (self.url, self.store, self.adminToken, self.storage) = (url, store, adminToken, storage)
        (self.sqlitePath, self.databaseURL, self.process, self.pid, self.directory) = (sqlitePath, databaseURL, process, pid, directory)
    }

    /// This binary again with `arguments`, its output in `log`; returns once it logs its port.
    static func launchSelf(_ arguments: [String], log: URL) async throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        // Its standard input is a pipe whose writing end only this process holds: when this
        // process ends, however it ends, the server reads end-of-file and exits too.
        process.standardInput = Pipe()
        try process.run()
        return (process, try await waitForPort(log: log, process: process))
    }

    /// In a launched server: exit when the benchmark that launched it is gone (no orphaned
    /// server measuring against the next run).
    static func endWithLauncher() {
        Thread.detachNewThread {
            _ = FileHandle.standardInput.readDataToEndOfFile()
            exit(0)
        }
    }

    private static func waitForPort(log: URL, process: Process) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"port=(\d+)"#, options: .regularExpression), let port = Int(text[range].dropFirst(5)) {
                return port
            }
            guard process.isRunning else { throw BenchFailure("the server exited: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw BenchFailure("the server did not start within 60 s")
    }

    /// The server's CPU seconds so far and its peak resident memory, from /proc (Linux).
    func stats() -> (cpuSeconds: Double, peakRssBytes: Int)? { pid.flatMap(Self.stats(pid:)) }

    /// A process's CPU seconds so far and its peak resident memory, from /proc (Linux).
    static func stats(pid: Int32) -> (cpuSeconds: Double, peakRssBytes: Int)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return ((user + system) / ticks, peak * 1024)
    }

    /// The database's bytes on disk (SQLite: after a checkpoint, so the WAL holds nothing).
    func databaseBytes() async throws -> Int64? {
        if let sqlitePath {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            try await DatabaseQueue(path: sqlitePath, configuration: configuration).writeWithoutTransaction { db in
                _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        return try await storage?.databaseBytes()
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and removes what the benchmark made.
    func stop() async {
        if let process, process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        await storage?.close()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs `body` against the server, then stops it whether `body` succeeded or not.
    static func with<T>(
        _ options: Options, logger: Logger, _ body: (BenchServer) async throws -> T
    ) async throws -> T {
        let server = try await start(options, logger: logger)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            // The server's own words on what went wrong, before its directory goes.
            if let directory = server.directory,
               let log = try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)
            {
                FileHandle.standardError.write(Data("server log (last lines):\n\(log.split(separator: "\n").suffix(20).joined(separator: "\n"))\n".utf8))
            }
            await server.stop()
            throw error
        }
    }
}

/// `steward-bench server`: the process the benchmark measures (not for direct use).
struct ServerProcess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Serve the API for a benchmark run (the same application as `steward serve`).",
        shouldDisplay: false)

    @Option var dataDir: String?
    @Option var database: String?
    @Option var masterKeyFile: String
    @Option var groupCommit: Int?

    func run() async throws {
        BenchServer.endWithLauncher()
        let masterKey = try MasterKey.load(path: masterKeyFile, create: false)
        StewardLogHandler.bootstrap()
        var logger = Logger(label: "steward-bench-server")
        logger.logLevel = .error
        let storage: any Storage = if let database {
            try PostgresStorage(url: database, groupCommit: groupCommit ?? PostgresStorage.defaultGroupCommit, logger: logger)
        } else {
            try SQLiteStorage(path: ((dataDir ?? ".") as NSString).appendingPathComponent("steward.sqlite"), groupCommit: groupCommit ?? SQLiteStorage.defaultGroupCommit)
        }
        try await storage.migrate()
        // The benchmark is the flood the per-credential limits are there to stop: off here.
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.deviceRequestsPerMinute = 0
        configuration.enrollmentsPerMinutePerToken = 0
        try await withInProcessServer(
            configuration: configuration,
            dependencies: ServerDependencies(storage: storage, masterKey: masterKey, logger: logger), serveAfterwards: true
        ) { port in
            // Unbuffered: the benchmark waits for this line in the log file.
            FileHandle.standardOutput.write(Data("port=\(port)\n".utf8))
        }
        await storage.close()
    }
}
