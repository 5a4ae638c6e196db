import Foundation
import GRDB
import StewardModel
import StewardStore

/// The embedded default store: one SQLite file in WAL mode, owned by one `DatabasePool`.
/// Writes are serialised by GRDB; readers run concurrently with the writer.
public final class SQLiteStorage: Storage {
    let pool: DatabasePool
    let softwareIDs: SoftwareIDCache
    /// The check-in's state read, on the request's own thread.
    let inPlace: InPlaceReaders
    /// Check-ins that arrive while the writer is busy commit in one transaction.
    public static let defaultGroupCommit = 32
    /// The writer connection's page cache (KiB; measured on deltas: docs/performance.md, 2026-12-07).
    static let writerCacheKiB = 16_384
    /// Checkpoints, run beside the writer when its commits ask.
    let checkpointer: WALCheckpointer
    let checkInCommits: GroupCommit<SQLiteStorage, PreparedCheckIn, CheckInWritten>

    /// Opens (creating if needed) the database file. Call `migrate()` before use.
    /// `busyTimeout`: how long a statement waits while another process holds the lock.
    /// `groupCommit`: at most this many check-ins in one transaction (1: each its own);
    /// `checkInQueueLimit`: check-ins that may wait for the writer before the next is refused.
    public convenience init(
        path: String, busyTimeout: Duration = .seconds(10), groupCommit: Int = defaultGroupCommit,
        checkInQueueLimit: Int = CheckInQueue.defaultLimit
    ) throws {
        try self.init(
            path: path, busyTimeout: busyTimeout, groupCommit: groupCommit, checkpoints: .standard, checkInQueueLimit: checkInQueueLimit)
    }

    init(
        path: String, busyTimeout: Duration, groupCommit: Int, checkpoints: WALCheckpointer.Intervals,
        checkInQueueLimit: Int = CheckInQueue.defaultLimit
    ) throws {
        // Owner-only: SQLite gives the WAL and shared-memory files the database file's mode.
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        let checkpointer = try WALCheckpointer(path: path, intervals: checkpoints, busyTimeout: busyTimeout)
        self.checkpointer = checkpointer
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(TimeInterval(busyTimeout.components.seconds))
        // Statement arguments never appear in errors or traces (they may be personal data).
        configuration.publicStatementArguments = false
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a committed transaction survives a crash of the process; only a
            // power loss can cost the last few, and the database never corrupts.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Statement journals and sorts in memory: no temporary file per write transaction.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Deleted and overwritten content is zeroed inside the b-tree pages being written
            // anyway (no extra I/O); an erasure turns it fully on for its own transaction.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
            if !db.configuration.readonly {
                // The writer only (readers keep SQLite's 2 MB each): a batch of check-ins
                // descends the same index pages again and again, read from its own cache
                // instead of through a system call per page.
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
                // The writer's commits ask for checkpoints instead of running them.
                checkpointer.install(on: db)
            }
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try checkpointer.openWAL()
        softwareIDs = SoftwareIDCache()
        inPlace = try InPlaceReaders(
            path: path, count: max(1, ProcessInfo.processInfo.activeProcessorCount), busyTimeout: busyTimeout)
        checkInCommits = GroupCommit(
            maxBatch: groupCommit, maxWaiting: checkInQueueLimit,
            batch: { storage, items in try await storage.commitCheckIns(items) },
            single: { storage, item in try await storage.commitCheckIns([item])[0] })
    }

    /// A storage dropped without `close()` (tests): the checkpointer's connection closes now,
    /// after any checkpoint it is running, not later on its own queue while the file is reopened.
    deinit {
        checkpointer.close()
    }

    /// A read of one statement — a point read or one page — with no transaction around it (one
    /// statement reads one snapshot by itself, and a BEGIN and a COMMIT, compiled and run, cost
    /// more than a page's read): on the caller's thread when an in-place reader is free, else
    /// through the pool.
    func readOneStatement<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let value = try inPlace.readOneStatement(body) { return value }
        return try await pool.unsafeRead(body)
    }

    /// A few statements read in one transaction, in place as `readOneStatement` (else the pool):
    /// for reads on every request (an admin's credential), where the pool's hop to its queue and
    /// back cost more than the statements.
    func readInPlace<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let value = try inPlace.read(body) { return value }
        return try await pool.read(body)
    }

    public var checkInCommitLoad: GroupCommitLoad { checkInCommits.load }

    public func migrate() async throws {
        try await pool.write { db in
            try Self.createMigrationTable(db)
            let applied = try Self.appliedMigrations(db)
            for migration in try MigrationPlan.pending(known: SQLiteMigrations.all, applied: applied) {
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)",
                    arguments: [migration.id, Date().millisecondsSince1970])
            }
        }
    }

    /// Stops cleanly: the WAL is copied into the database and truncated first, so rows deleted
    /// while serving (an erasure, a change to personal) survive in no WAL frame.
    public func close() async {
        inPlace.close()
        checkpointer.close()
        try? await truncateWAL()
        try? pool.close()
    }

    /// A write transaction whose deleted rows must not survive in the file: `secure_delete`
    /// fully on (deleted cells and freed pages zeroed), and the software-ID cache told that
    /// `software` rows may have been released.
    func erasingWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let cache = softwareIDs
        return try await pool.writeWithoutTransaction { db -> T in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = FAST") }
            var result: T?
            try db.inTransaction {
                cache.forget()
                result = try body(db)
                return .commit
            }
            guard let result else { throw StoreError.unavailable("the erasing write ended without a result") }
            return result
        }
    }

    /// SQLite's ways of saying it cannot do the work now: the disk or quota full, the file
    /// locked by another process past the busy timeout, an I/O failure or a file that cannot
    /// be opened (a disk gone or read-only). A corrupt file or a constraint is not an outage.
    public func outage(causedBy error: any Error) -> StoreOutage? {
        switch error {
        case StoreError.outage(let outage): return outage
        case let error as DatabaseError:
            switch error.resultCode {
            case .SQLITE_FULL: return .full
            case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy
            case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_NOLFS: return .unavailable
            default: return nil
            }
        default: return nil
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func pendingMigrations() async throws -> [String] {
        try await pool.read { db in
            let applied = try db.tableExists("schema_migrations") ? try Self.appliedMigrations(db) : []
            return try MigrationPlan.pending(known: SQLiteMigrations.all, applied: applied).map(\.id)
        }
    }

    private static func createMigrationTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id TEXT PRIMARY KEY NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """)
    }

    private static func appliedMigrations(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT id FROM schema_migrations ORDER BY id")
    }
}
