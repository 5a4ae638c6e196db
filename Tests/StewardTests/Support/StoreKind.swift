import Foundation
import GRDB
import Logging
import PostgresNIO
import Testing
import StewardModel
import StewardPostgres
import StewardSQLite
import StewardStore

/// The stores every conformance test runs against: SQLite always, PostgreSQL whenever
/// `STEWARD_TEST_POSTGRES_URL` names a server (scripts/test starts a throwaway one).
typealias RawRows = @Sendable (_ table: String) async throws -> [String]

enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["STEWARD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var available: [StoreKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    var dialect: StoreDialect { self == .sqlite ? .sqlite : .postgresql }

    /// A fresh, migrated store: a new SQLite file, or a new schema on the test PostgreSQL server.
    func makeStorage(in directory: TemporaryDirectory) async throws -> any Storage {
        try await open(in: directory).storage
    }

    /// A fresh, migrated store, and a way to read a table's rows as text with raw SQL (the way
    /// someone holding the database's credentials would see them).
    func open(
        in directory: TemporaryDirectory, checkInQueueLimit: Int = CheckInQueue.defaultLimit
    ) async throws -> (storage: any Storage, rawRows: RawRows, postgresURL: String?) {
        let storage: any Storage
        let rawRows: RawRows
        var postgresURL: String?
        switch self {
        case .sqlite:
            let path = directory.url.appendingPathComponent("steward.sqlite").path
            storage = try SQLiteStorage(path: path, checkInQueueLimit: checkInQueueLimit)
            rawRows = { table in
                try await DatabaseQueue(path: path).read { db in try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map(\.description) }
            }
        case .postgres:
            let url = try await TestPostgres.freshSchemaURL()
            // A minute's wait for a connection: the suite's parallel tests load this machine far
            // more than a deployment's replica would be.
            storage = try PostgresStorage(
                url: url, maximumConnections: 4, leaseTimeout: .seconds(60), checkInQueueLimit: checkInQueueLimit, logger: TestPostgres.logger)
            rawRows = { table in try await TestPostgres.texts("SELECT t::text FROM \(table) t", url: url) }
            postgresURL = url
        }
        try await storage.migrate()
        return (storage, rawRows, postgresURL)
    }
}

/// Administration of the test PostgreSQL server.
enum TestPostgres {
    static let logger: Logger = {
        var logger = Logger(label: "steward-test-postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `sql` (our own text, no parameters) on the server as the admin user.
    static func execute(_ sql: String, url: String? = nil) async throws {
        guard let url = url ?? StoreKind.postgresURL else { throw NoServer() }
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// The first column of every row of `sql`, as text.
    static func texts(_ sql: String, url: String) async throws -> [String] {
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            var texts: [String] = []
            for try await text in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
                texts.append(text)
            }
            return texts
        }
    }

    /// A URL whose connections use a new, empty schema.
    static func freshSchemaURL() async throws -> String {
        guard let base = StoreKind.postgresURL else { throw NoServer() }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await execute("CREATE SCHEMA \(schema)")
        return base + (base.contains("?") ? "&" : "?") + "search_path=\(schema)"
    }

    /// A URL of a new, empty database (for the binaries, which own their whole database).
    static func freshDatabaseURL() async throws -> String {
        guard let base = StoreKind.postgresURL, var components = URLComponents(string: base) else { throw NoServer() }
        let database = "steward_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await execute("CREATE DATABASE \(database)")
        components.path = "/" + database
        return components.string ?? base
    }

    struct NoServer: Error, CustomStringConvertible {
        var description: String { "STEWARD_TEST_POSTGRES_URL is not set" }
    }
}
