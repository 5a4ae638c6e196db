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
    /// How long a request waits for a pooled connection before it is answered "unavailable"
    /// (the pool itself would keep it waiting while PostgreSQL is down, up to a minute).
    let leaseTimeout: Duration
    /// When a request last got a connection: a wait that expires while others get theirs is the
    /// pool being busy, not PostgreSQL being gone.
    private let lastLease = NIOLockedValueBox(ContinuousClock.now)
    private let runner: Task<Void, Never>
    private let running: AsyncStream<Void>

    /// Connects lazily to `url` (`postgres://user:password@host:port/database?sslmode=disable&search_path=s`).
    public init(url: String, maximumConnections: Int = 20, leaseTimeout: Duration = .seconds(10), logger: Logger) throws {
        var configuration = try PostgresURL.configuration(from: url)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = min(configuration.options.connectTimeout, leaseTimeout)
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let (running, started) = AsyncStream.makeStream(of: Void.self)
        self.running = running
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

    deinit { runner.cancel() }

    public func close() async {
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
        return try await leased { lease in
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
        return try await leased { lease in
            try await client.withConnection { connection in
                try lease(connection)
                return try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
            }
        }
    }

    /// Runs `work`, which calls `lease` with the connection it was given before using it. The
    /// request is answered as an outage — and `work` cancelled and left to end by itself — when
    /// it has no connection after `leaseTimeout` ("busy" if other requests got theirs meanwhile,
    /// else "unavailable"), or when the connection it holds closes under it (PostgreSQL
    /// restarted: a query on a closing connection can wait for ever). A query on a live
    /// connection is never cut short.
    private func leased<T: Sendable>(
        _ work: sending @escaping (_ lease: @escaping @Sendable (PostgresConnection) throws -> Void) async throws -> T
    ) async throws -> T {
        let gate = LeaseGate<T>()
        let lastLease = lastLease
        let operation = Task {
            do {
                gate.finish(.success(try await work { connection in
                    try gate.hold(connection)
                    lastLease.withLockedValue { $0 = .now }
                }))
            } catch {
                gate.finish(.failure(error))
            }
        }
        let watchdog = Task { [leaseTimeout] in
            do { try await Task.sleep(for: leaseTimeout) } catch { return }
            var connection = gate.expireOrConnection()
            var outage = StoreOutage.unavailable
            if connection == nil, lastLease.withLockedValue({ $0 }).duration(to: .now) < leaseTimeout { outage = .busy }
            while let held = connection {
                if held.isClosed { break }
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
                connection = gate.connection
            }
            guard gate.finish(.failure(StoreError.outage(outage))) else { return }
            operation.cancel()
        }
        defer { watchdog.cancel() }
        return try await withTaskCancellationHandler {
            try await gate.outcome()
        } onCancel: {
            operation.cancel()
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

/// One leased operation's progress, shared by the operation, its watchdog and the caller: the
/// first outcome decided (the operation's result, or the watchdog's "unavailable") is the answer.
private final class LeaseGate<T: Sendable>: Sendable {
    private struct State {
        var expired = false
        var connection: PostgresConnection?
        var outcome: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }
    private let state = NIOLockedValueBox(State())

    /// The operation got its connection: refused once the wait has expired.
    func hold(_ connection: PostgresConnection) throws {
        try state.withLockedValue { state in
            guard !state.expired, state.outcome == nil else { throw CancellationError() }
            state.connection = connection
        }
    }

    /// Still waiting for a connection: expired now (nil). Otherwise the connection it holds, or
    /// nil when it is over.
    func expireOrConnection() -> PostgresConnection? {
        state.withLockedValue { state in
            if state.connection == nil { state.expired = true }
            return state.outcome == nil ? state.connection : nil
        }
    }

    /// The connection, while the operation is not over.
    var connection: PostgresConnection? {
        state.withLockedValue { $0.outcome == nil ? $0.connection : nil }
    }

    /// Records the outcome if none was yet, waking the caller; false when it came too late.
    @discardableResult
    func finish(_ outcome: Result<T, any Error>) -> Bool {
        let waiter: CheckedContinuation<T, any Error>?? = state.withLockedValue { state in
            guard state.outcome == nil else { return .none }
            state.outcome = outcome
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(with: outcome)
        return true
    }

    func outcome() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state in
                if state.outcome == nil { state.waiter = continuation }
                return state.outcome
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
