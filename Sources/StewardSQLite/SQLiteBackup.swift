import Foundation
import GRDB
import StewardModel
import StewardStore

/// Online backups of the SQLite database: `VACUUM INTO` copies the database as of one read
/// transaction while the server goes on writing (readers do not block the writer in WAL mode),
/// into a new compact file that holds no deleted content and no WAL.
extension SQLiteStorage {
    /// Writes a consistent copy to `path` (mode 0600); refuses a path that exists.
    public func backup(to path: String) async throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.conflict("\(path) exists already") }
        // Created empty first, owner-only: VACUUM INTO fills an empty file with the copy.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot create \(path)")
        }
        do {
            try await pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}

/// What a backup file holds, checked without changing it.
public struct SQLiteBackupCheck: Sendable, Codable, Equatable {
    /// `PRAGMA integrity_check`: "ok", or the first problems found.
    public var integrity: String
    /// Migrations the file has; those this version would still apply; those it does not know.
    public var migrations: Int
    public var pendingMigrations: [String]
    public var unknownMigrations: [String]
    public var tenants: Int
    public var devices: Int

    /// Restorable by this version: intact, and no migration from a newer one.
    public var restorable: Bool { integrity == "ok" && unknownMigrations.isEmpty }
}

public enum SQLiteBackup {
    /// Reads the file read-only: integrity, schema version and counts.
    public static func check(_ path: String) throws -> SQLiteBackupCheck {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound }
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check(10)")
            let applied = try db.tableExists("schema_migrations")
                ? try String.fetchAll(db, sql: "SELECT id FROM schema_migrations ORDER BY id") : []
            let known = Set(SQLiteMigrations.all.map(\.id))
            let count = { (table: String) in try db.tableExists(table) ? try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 : 0 }
            return SQLiteBackupCheck(
                integrity: problems.joined(separator: "; "), migrations: applied.count,
                pendingMigrations: SQLiteMigrations.all.map(\.id).filter { !applied.contains($0) },
                unknownMigrations: applied.filter { !known.contains($0) },
                tenants: try count("tenants"), devices: try count("devices"))
        }
    }

    /// Copies a checked backup to `path` — through a temporary file, synced and renamed, so
    /// a crash leaves either no database or the whole one. Refuses a path that exists.
    public static func restore(_ backup: String, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.conflict("\(path) exists already") }
        let temporary = path + ".restoring"
        try? FileManager.default.removeItem(atPath: temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot create \(temporary)")
        }
        do {
            let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: backup))
            defer { try? source.close() }
            let target = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? target.close() }
            while let chunk = try source.read(upToCount: 1 << 20), !chunk.isEmpty { try target.write(contentsOf: chunk) }
            try target.synchronize()
            guard rename(temporary, path) == 0 else { throw StoreError.unavailable("cannot move the restored file into place") }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
