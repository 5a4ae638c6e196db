import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// WAL checkpoints beside the writer instead of inside its commits. SQLite's own
/// `wal_autocheckpoint` copies the WAL back into the database in the committing connection, so
/// every check-in waiting on that commit waits for the copy and its two `fdatasync`s; in a 1M-device
/// file the pages are spread over all of it and one checkpoint of a long WAL held every write for
/// about a second (docs/performance.md, 2026-12-07). Here the writer's WAL hook only asks, and a
/// connection of its own runs passive checkpoints on its own queue: they copy what no reader still
/// needs and never take the writer's lock, and the writer starts the WAL over at its next
/// transaction once everything has been copied. The writer checkpoints itself, as SQLite would,
/// only past a backstop far beyond the interval (a checkpointer that cannot keep up).
final class WALCheckpointer: @unchecked Sendable {
    /// WAL pages after which a commit asks for a checkpoint, and after which the writer runs one
    /// itself.
    struct Intervals: Sendable {
        var request: Int32
        var backstop: Int32
        /// SQLite's own interval for the request; the backstop twice the longest WAL measured as
        /// worth having when the writer checkpointed itself (~80 MB).
        static let standard = Intervals(request: 1_000, backstop: 20_000)
    }

    private struct State {
        var pending = false
        var closed = false
        var completed = 0
    }

    // Unchecked: the state is behind its mutex, the connection behind its own queue, and the
    // hook's context is written once before the hook is installed.
    private let connection: DatabaseQueue
    private let state = Mutex(State())
    /// What the writer's hook holds: the checkpointer weakly, so the hook never outlives it
    /// unsafely (the hook's pointer is kept for the connection's life: a few bytes per storage).
    private let hookContext: UnsafeMutableRawPointer

    private final class HookContext {
        weak var checkpointer: WALCheckpointer?
        let intervals: Intervals
        init(intervals: Intervals) { self.intervals = intervals }
    }

    init(path: String, intervals: Intervals, busyTimeout: Duration) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(TimeInterval(busyTimeout.components.seconds))
        configuration.publicStatementArguments = false
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let context = HookContext(intervals: intervals)
        hookContext = Unmanaged.passRetained(context).toOpaque()
        context.checkpointer = self
    }

    /// Reads the database once, after the writer has put it in WAL mode: a connection learns the
    /// mode at its first read, and a checkpoint on one that has not is silently nothing.
    func openWAL() throws {
        try connection.inDatabase { db in _ = try Int.fetchOne(db, sql: "PRAGMA schema_version") }
    }

    /// Installs the WAL hook on the writer connection (SQLite's autocheckpoint is replaced by it).
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, name, pages in
            guard let context else { return SQLITE_OK }
            let hook = Unmanaged<HookContext>.fromOpaque(context).takeUnretainedValue()
            if pages >= hook.intervals.backstop {
                sqlite3_wal_checkpoint(connection, name)
            } else if pages >= hook.intervals.request {
                hook.checkpointer?.request()
            }
            return SQLITE_OK
        }, hookContext)
    }

    /// Asks for a checkpoint (from the writer's commit: cheap, never waits). Requests made while
    /// one is queued are one; one made while a checkpoint runs queues the next, so frames
    /// committed meanwhile are copied too.
    func request() {
        let queue = state.withLock { state -> Bool in
            guard !state.pending, !state.closed else { return false }
            state.pending = true
            return true
        }
        guard queue else { return }
        connection.asyncWriteWithoutTransaction { [weak self] db in self?.checkpoint(db) }
    }

    private func checkpoint(_ db: Database) {
        let run = state.withLock { state -> Bool in
            state.pending = false
            return !state.closed
        }
        guard run else { return }
        // Busy only while another checkpoint runs (an erasure truncating the WAL): nothing lost,
        // the next commit asks again.
        _ = try? db.checkpoint(.passive)
        state.withLock { $0.completed += 1 }
    }

    /// Checkpoints run so far.
    var completed: Int { state.withLock { $0.completed } }

    /// Returns once every checkpoint asked for so far has run.
    func drain() {
        connection.inDatabase { _ in }
    }

    /// Stops taking requests and closes the connection once a running checkpoint ends.
    func close() {
        state.withLock { $0.closed = true }
        try? connection.close()
    }
}
