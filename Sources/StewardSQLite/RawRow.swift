import Foundation
import GRDB
import GRDBSQLite
import StewardStore

/// The row a cached statement steps to, read through SQLite's own calls, by position: for the
/// reads every request makes (a check-in's state, an admin's credential), where GRDB's row (a
/// column-name index built for each row, a name lowercased for each value read) and boxed
/// arguments cost more than the read itself (measured: about half of the check-in state read's
/// CPU samples).
struct RawRow: PositionalColumnReader {
    fileprivate let statement: OpaquePointer

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(statement, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }

    /// A `NOT NULL` integer column.
    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func optionalInteger(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    /// The values from position `first` on, as the named columns' typed values (a record's own
    /// columns after its tenant and key).
    func stored(_ columns: [(name: String, type: ColumnType)], from first: Int32) -> StoredRow {
        var values: [String: StoreValue] = Dictionary(minimumCapacity: columns.count)
        var column = first
        for (name, kind) in columns {
            switch kind {
            case .text: values[name] = .text(text(column))
            case .integer: values[name] = .integer(optionalInteger(column))
            case .bool: values[name] = .bool((optionalInteger(column) ?? 0) != 0)
            case .blob: values[name] = .blob(blob(column))
            }
            column += 1
        }
        return StoredRow(values)
    }

    func text(at index: Int) -> String? { text(Int32(index)) }
    func integer(at index: Int) -> Int64? { optionalInteger(Int32(index)) }

    func blob(_ column: Int32) -> Data? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL else { return nil }
        // An empty blob has no pointer, and is still a value.
        guard let bytes = sqlite3_column_blob(statement, column) else { return Data() }
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

    /// Binds `arguments` (through GRDB), makes each row into a value with `body`, then resets the
    /// statement as `firstRawRow` does.
    func rawRows<T>(_ arguments: StatementArguments, _ body: (RawRow) throws -> T) throws -> [T] {
        try setArguments(arguments)
        let statement = sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        var values: [T] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: values.append(try body(RawRow(statement: statement)))
            case SQLITE_DONE: return values
            case let code: throw Self.error(code, statement)
            }
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
