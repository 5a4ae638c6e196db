import Foundation
import GRDB

/// Point reads on the check-in path, run on the caller's own thread. A read through the pool
/// hops to a dispatch queue and back and takes a reader from GRDB's pool, which cost a heartbeat
/// more than its statement (measured with perf under `wrk`: ~10% of a heartbeat's CPU in the pool
/// and the thread wake-ups, against ~5% reading the row). These are a few read-only connections of
/// their own, each taken only if free at once (`try`): a caller never waits here for another —
/// the cooperative threads must never block on each other — and when every one is busy it reads
/// through the pool as before.
final class InPlaceReaders: @unchecked Sendable {
    private let readers: [(lock: NSLock, connection: DatabaseQueue)]

    init(path: String, count: Int, busyTimeout: Duration) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(TimeInterval(busyTimeout.components.seconds))
        configuration.publicStatementArguments = false
        readers = try (0..<count).map { _ in (NSLock(), try DatabaseQueue(path: path, configuration: configuration)) }
    }

    /// The body's result, or nil when every connection was busy (then read through the pool).
    /// One statement only: it reads one snapshot by itself, so no transaction is opened around
    /// it (a BEGIN and a COMMIT cost more than the point read).
    func readOneStatement<T>(_ body: (Database) throws -> T) throws -> T? {
        try withFreeReader { try $0.unsafeRead(body) }
    }

    /// The body's result read in one transaction (a few statements that must see one snapshot),
    /// or nil when every connection was busy. The BEGIN and COMMIT are cached statements: GRDB's
    /// `read` compiled both anew each time (~3% of an admin request's CPU, which reads its
    /// credential so on every request).
    func read<T>(_ body: (Database) throws -> T) throws -> T? {
        try withFreeReader { connection in
            try connection.unsafeRead { db in
                try db.cachedStatement(sql: "BEGIN DEFERRED").execute()
                do {
                    let value = try body(db)
                    try db.cachedStatement(sql: "COMMIT").execute()
                    return value
                } catch {
                    // A read-only transaction: ending it loses nothing, and the connection is
                    // never handed on with one open.
                    if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
                    throw error
                }
            }
        }
    }

    private func withFreeReader<T>(_ body: (DatabaseQueue) throws -> T) throws -> T? {
        for reader in readers where reader.lock.try() {
            defer { reader.lock.unlock() }
            return try body(reader.connection)
        }
        return nil
    }

    func close() {
        for reader in readers {
            reader.lock.withLock { try? reader.connection.close() }
        }
    }
}
