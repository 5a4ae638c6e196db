import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import _ConnectionPoolModule
import StewardModel
import StewardStore

/// The store for deployments that outgrow one machine: several Steward replicas against one
/// PostgreSQL, through PostgresNIO's connection pool. Every value is a bound parameter.
public final class PostgresStorage: Storage {
    let client: PostgresClient
    let logger: Logger
    /// Bounds every request's wait for a pooled connection and watches the one it holds.
    private let watch: LeaseWatch
    private let runner: Task<Void, Never>
    private let running: AsyncStream<Void>
    /// Check-ins that arrive while every batch slot is busy can commit together: one transaction
    /// (one commit, one flush of the WAL) for many devices.
    /// Off by default here (measured, `steward-bench wrk --database …`: deltas 488/s each alone,
    /// 45/s in groups of 16): concurrent groups wait on each other's new `software` rows and
    /// deadlock, and PostgreSQL breaks a deadlock only after a second. Fewer commits matter most
    /// where each one is flushed to disk; turn it on with `groupCommit` and measure first.
    public static let defaultGroupCommit = 1
    let checkInCommits: GroupCommit<PostgresStorage, PreparedCheckIn, CheckInWritten>
    /// Software IDs seen committed: a full inventory whose every app is known is written as IDs.
    let softwareIDs = SoftwareIDCache()

    /// Connects lazily to `url` (`postgres://user:password@host:port/database?sslmode=disable&search_path=s`).
    /// `groupCommit`: at most this many check-ins in one transaction (1: each its own), and at
    /// most `groupCommitConnections` such transactions at a time, with at most
    /// `checkInQueueLimit` check-ins waiting for one (each alone, they wait for a connection,
    /// up to `leaseTimeout`).
    public init(
        url: String, maximumConnections: Int = 20, leaseTimeout: Duration = .seconds(10), groupCommit: Int = defaultGroupCommit,
        groupCommitConnections: Int = 4, checkInQueueLimit: Int = CheckInQueue.defaultLimit, logger: Logger
    ) throws {
        var configuration = try PostgresURL.configuration(from: url)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = min(configuration.options.connectTimeout, leaseTimeout)
        self.logger = logger
        watch = LeaseWatch(timeout: leaseTimeout)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let (running, started) = AsyncStream.makeStream(of: Void.self)
        self.running = running
        checkInCommits = GroupCommit(
            maxBatch: groupCommit, maxConcurrentBatches: max(1, min(groupCommitConnections, maximumConnections / 2)),
            maxWaiting: checkInQueueLimit,
            batch: { storage, items in try await storage.commitCheckIns(items) },
            single: { storage, item in try await storage.commitCheckIn(item) })
        runner = Task {
            started.finish()
            await client.run()
        }
    }

    /// Waits until the pool runs, so the first query does not race its start (every command
    /// migrates or lists migrations first).
    private func started() async {
        for await _ in running {}
    }

    deinit {
        runner.cancel()
        watch.stop()
    }

    public func close() async {
        watch.stop()
        runner.cancel()
        await runner.value
    }

    /// Migrations run in one transaction under an advisory lock (keyed by the schema, so
    /// deployments sharing a server do not wait for each other), so replicas starting together
    /// apply each migration exactly once.
    public func migrate() async throws {
        await started()
        try await transaction { [self] connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(current_schema()), 0)", logger: logger)
            try await Self.createMigrationTable(connection, logger: logger)
            let applied = try await Self.appliedMigrations(connection, logger: logger)
            for migration in try MigrationPlan.pending(known: PostgresMigrations.all, applied: applied) {
                // One statement at a time: the extended query protocol takes a single statement.
                for statement in PostgresMigrations.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let id = migration.id
                let at = Date().millisecondsSince1970
                try await connection.query(
                    "INSERT INTO schema_migrations (id, applied_at) VALUES (\(id), \(at))", logger: logger)
            }
        }
    }

    public func ping() async throws {
        _ = try await rows("SELECT 1")
    }

    public var checkInCommitLoad: GroupCommitLoad { checkInCommits.load }

    public func pendingMigrations() async throws -> [String] {
        await started()
        let logger = logger
        return try await client.withConnection { connection in
            let exists = try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
            let applied = exists ? try await Self.appliedMigrations(connection, logger: logger) : []
            return try MigrationPlan.pending(known: PostgresMigrations.all, applied: applied).map(\.id)
        }
    }

    private static func createMigrationTable(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            logger: logger)
    }

    private static func appliedMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var result: [String] = []
        for try await id in try await connection.query("SELECT id FROM schema_migrations ORDER BY id", logger: logger)
            .decode(String.self)
        {
            result.append(id)
        }
        return result
    }

    /// Runs `body` in a transaction; the error `body` threw comes out as it is (not wrapped), so
    /// `StoreError`s keep their meaning.
    func transaction<T: Sendable>(_ body: sending @escaping (PostgresConnection) async throws -> sending T) async throws -> T {
        let client = client, logger = logger
        return try await watch.leased { lease in
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try lease(connection)
                    return try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                if let closureError = error.closureError { throw closureError }
                throw error.beginError ?? error.commitError ?? error
            }
        }
    }

    /// Runs a query and collects its rows.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let client = client, logger = logger
        return try await watch.leased { lease in
            try await client.withConnection { connection in
                try lease(connection)
                return try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
            }
        }
    }

    /// Runs a statement prepared once per pooled connection (PostgresNIO keeps it by name).
    func prepared<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row]
    where Statement.Row: Sendable {
        let client = client, logger = logger
        return try await watch.leased { lease in
            try await client.withConnection { connection in
                try lease(connection)
                var result: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { result.append(row) }
                return result
            }
        }
    }

    /// PostgreSQL's and the pool's ways of saying the database cannot serve now: the
    /// connection refused, lost or closed by a shutdown, the server starting or stopping
    /// (SQLSTATE class 08 and 57P), out of connections or disk (53), a lock or a serialisation
    /// that did not resolve (55P03, 40001, 40P01), the pool's circuit breaker open.
    public func outage(causedBy error: any Error) -> StoreOutage? {
        switch error {
        case StoreError.outage(let outage): return outage
        case let error as PostgresTransactionError:
            return (error.closureError ?? error.beginError ?? error.commitError).flatMap(outage(causedBy:))
        case is ConnectionPoolError: return .unavailable
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .sslUnsupported, .failedToAddSSLHandler:
                return .unavailable
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                if state == "53100" { return .full }
                if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") { return .unavailable }
                if ["55P03", "40001", "40P01"].contains(state) { return .busy }
                return nil
            default: return nil
            }
        default: return nil
        }
    }
}


extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func date(_ column: String) throws -> Date? {
        try self[column].decode(Int64?.self).map(Date.init(millisecondsSince1970:))
    }
}
