import Foundation
import GRDB
import GRDBSQLite

/// The row a cached statement steps to, read through SQLite's own calls: for the point read
/// every check-in makes, where GRDB's row (a column-name index built for each row) and boxed
/// arguments cost more than the read itself (measured: about half of that read's CPU samples).
struct RawRow {
    fileprivate let statement: OpaquePointer

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(statement, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }

    /// A `NOT NULL` integer column.
    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func blob(_ column: Int32) -> Data? {
        guard let bytes = sqlite3_column_blob(statement, column) else { return nil }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }
}

extension Statement {
    /// Binds `texts` to the statement's parameters in order, steps it once and hands its first
    /// row (nil when there is none) to `body`. The statement is reset and its bindings cleared
    /// whatever happens, so the cache keeps it ready for the next read.
    func firstRawRow<T>(binding texts: [String], _ body: (RawRow?) throws -> T) throws -> T {
        let statement = sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, text) in texts.enumerated() {
            // Copied by SQLite (the C string lives only for the call).
            try check(sqlite3_bind_text(statement, Int32(index + 1), text, -1, rawRowTransient), statement)
        }
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return try body(RawRow(statement: statement))
        case SQLITE_DONE: return try body(nil)
        case let code: throw Self.error(code, statement)
        }
    }

    private func check(_ code: Int32, _ statement: OpaquePointer) throws {
        if code != SQLITE_OK { throw Self.error(code, statement) }
    }

    private static func error(_ code: Int32, _ statement: OpaquePointer) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: sqlite3_errmsg(sqlite3_db_handle(statement)).map { String(cString: $0) })
    }
}

/// SQLite's `SQLITE_TRANSIENT`: a C macro Swift does not import.
private let rawRowTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
