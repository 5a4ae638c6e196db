import Foundation
import GRDB
import Synchronization
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func record<R: StoredRecord>(_ type: R.Type, tenantID: TenantID, key: String) async throws -> R? {
        try await pool.read { db in try Self.record(db, type, tenantID: tenantID, key: key) }
    }

    public func adminCredential(tenantID: TenantID, tokenID: String) async throws -> AdminCredential? {
        try await readInPlace { db in
            guard let token = try Self.record(db, AdminTokenRecord.self, tenantID: tenantID, key: tokenID),
                let admin = try Self.record(db, AdminRecord.self, tenantID: tenantID, key: token.adminID.rawValue)
            else { return nil }
            let (assignments, roles) = try Self.roleAssignments(db, tenantID: tenantID, adminID: admin.id)
            return AdminCredential(token: token, admin: admin, assignments: assignments, customRoles: roles)
        }
    }

    public func roleAssignments(tenantID: TenantID, adminID: AdminID) async throws -> (assignments: [RoleAssignmentRecord], customRoles: [RoleRecord]) {
        try await pool.read { db in try Self.roleAssignments(db, tenantID: tenantID, adminID: adminID) }
    }

    static func roleAssignments(_ db: Database, tenantID: TenantID, adminID: AdminID) throws -> ([RoleAssignmentRecord], [RoleRecord]) {
        let arguments: StatementArguments = [tenantID.rawValue, adminID.rawValue]
        let assignments = try db.cachedStatement(sql: """
            SELECT \(selection(RoleAssignmentRecord.self)) FROM role_assignments WHERE tenant_id = ? AND admin_id = ?
            """).rawRows(arguments) { decode(RoleAssignmentRecord.self, $0) }
        let roles = try db.cachedStatement(sql: """
            SELECT \(selection(RoleRecord.self)) FROM roles WHERE tenant_id = ?1
                AND id IN (SELECT role_id FROM role_assignments WHERE tenant_id = ?1 AND admin_id = ?2)
            """).rawRows(arguments) { decode(RoleRecord.self, $0) }
        return (assignments, roles)
    }

    public func records<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, filter: [String: StoreValue], after: String?, limit: Int
    ) async throws -> [R] {
        var conditions = ["tenant_id = ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [tenantID.rawValue]
        for (column, value) in filter.sorted(by: { $0.key < $1.key }) {
            precondition(R.columns.contains { $0.name == column }, "unknown column \(column)")
            if case .textIgnoringCase = value {
                conditions.append("\(column) = ? COLLATE NOCASE")
            } else {
                conditions.append("\(column) IS ?")
            }
            arguments.append(Self.bound(value))
        }
        if let after {
            conditions.append("id > ?")
            arguments.append(after)
        }
        arguments.append(limit)
        let sql = "SELECT \(Self.selection(R.self)) FROM \(R.table) WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?"
        let bound = StatementArguments(arguments)
        return try await pool.read { db in
            try db.cachedStatement(sql: sql).rawRows(bound) { Self.decode(R.self, $0) }
        }
    }

    public func write(_ writes: [RecordWrite], audit: AuditEvent?) async throws {
        try await pool.write { db in
            try Self.uniquenessAsConflict {
                for write in writes {
                    switch write {
                    case .insert(let record): try Self.insert(db, record)
                    case .replace(let record): try Self.replace(db, record)
                    }
                }
            }
            if let audit { try Self.appendAudit(db, audit) }
        }
    }

    public func update<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, _ change: @escaping @Sendable (R) throws -> (R, AuditEvent?)
    ) async throws -> R {
        try await pool.write { db in
            guard let old = try Self.record(db, type, tenantID: tenantID, key: key) else { throw StoreError.notFound }
            let (new, audit) = try change(old)
            try Self.uniquenessAsConflict { try Self.replace(db, new) }
            if let audit { try Self.appendAudit(db, audit) }
            return new
        }
    }

    public func delete<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, audit: @escaping @Sendable (R) -> AuditEvent
    ) async throws {
        try await pool.write { db in
            guard let old = try Self.record(db, type, tenantID: tenantID, key: key) else { throw StoreError.notFound }
            for dependent in R.dependents {
                switch dependent {
                case .clear(let table, let column):
                    try db.execute(
                        sql: "UPDATE \(table) SET \(column) = NULL WHERE tenant_id = ? AND \(column) = ?",
                        arguments: [tenantID.rawValue, key])
                case .remove(let table, let column):
                    try db.execute(
                        sql: "DELETE FROM \(table) WHERE tenant_id = ? AND \(column) = ?", arguments: [tenantID.rawValue, key])
                }
            }
            try db.execute(sql: "DELETE FROM \(R.table) WHERE tenant_id = ? AND id = ?", arguments: [tenantID.rawValue, key])
            try Self.appendAudit(db, audit(old))
        }
    }

    static func record<R: StoredRecord>(_ db: Database, _ type: R.Type, tenantID: TenantID, key: String) throws -> R? {
        try db.cachedStatement(sql: "SELECT \(selection(R.self)) FROM \(R.table) WHERE tenant_id = ? AND id = ?")
            .firstRawRow(binding: [tenantID.rawValue, key]) { row in row.map { decode(R.self, $0) } }
    }

    static func insert(_ db: Database, _ record: some StoredRecord) throws {
        let columns = ["tenant_id", "id"] + type(of: record).columns.map(\.name)
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        try db.execute(
            sql: "INSERT INTO \(type(of: record).table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))",
            arguments: StatementArguments([record.tenantID.rawValue, record.key] + record.values.map(bound)))
    }

    static func replace(_ db: Database, _ record: some StoredRecord) throws {
        let assignments = type(of: record).columns.map { "\($0.name) = ?" }.joined(separator: ", ")
        try db.execute(
            sql: "UPDATE \(type(of: record).table) SET \(assignments) WHERE tenant_id = ? AND id = ?",
            arguments: StatementArguments(record.values.map(bound) + [record.tenantID.rawValue, record.key]))
        if db.changesCount == 0 { throw StoreError.notFound }
    }

    /// What a record's read selects, in the order `decode` reads it: `tenant_id`, `id`, then
    /// the record's columns.
    static func selection<R: StoredRecord>(_ type: R.Type) -> String {
        let key = ObjectIdentifier(type)
        if let known = selections.withLock({ $0[key] }) { return known }
        let text = (["tenant_id", "id"] + R.columns.map(\.name)).joined(separator: ", ")
        selections.withLock { $0[key] = text }
        return text
    }

    /// Each record type's selection, written once (joining its names on every read cost as much
    /// as the read).
    private static let selections = Mutex<[ObjectIdentifier: String]>([:])

    /// A record from a row of its `selection`.
    static func decode<R: StoredRecord>(_ type: R.Type, _ row: RawRow) -> R {
        R(tenantID: TenantID(rawValue: row.text(0) ?? ""), key: row.text(1) ?? "", row: row.stored(R.columns, from: 2))
    }

    static func bound(_ value: StoreValue) -> (any DatabaseValueConvertible)? {
        switch value {
        case .text(let text): text
        case .integer(let number): number
        case .bool(let flag): flag
        case .blob(let data): data
        case .textArray(let texts): String(decoding: (try? JSONEncoder().encode(texts)) ?? Data("[]".utf8), as: UTF8.self)
        case .textIgnoringCase(let text): text
        }
    }

    /// A unique index refusing a row is the caller's conflict (a taken name), not a failure.
    static func uniquenessAsConflict<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw StoreError.conflict(error.message ?? "unique")
        }
    }
}
