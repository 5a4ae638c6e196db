import Foundation
import Logging
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func record<R: StoredRecord>(_ type: R.Type, tenantID: TenantID, key: String) async throws -> R? {
        try await rows("SELECT * FROM \(unescaped: R.table) WHERE tenant_id = \(tenantID.rawValue) AND id = \(key)")
            .first.map { try Self.decode(R.self, $0) }
    }

    public func adminCredential(tenantID: TenantID, tokenID: String) async throws -> AdminCredential? {
        let tenant = tenantID.rawValue
        guard let row = try await rows(
            """
            SELECT t.*, to_jsonb(a) AS admin FROM admin_tokens t
            JOIN admins a ON a.tenant_id = t.tenant_id AND a.id = t.admin_id
            WHERE t.tenant_id = \(tenant) AND t.id = \(tokenID)
            """
        ).first else { return nil }
        let token = try Self.decode(AdminTokenRecord.self, row)
        guard let admin = try Self.decodeJSON(AdminRecord.self, tenantID: tenantID, try row.value("admin", as: String.self)) else {
            return nil
        }
        let (assignments, roles) = try await roleAssignments(tenantID: tenantID, adminID: admin.id)
        return AdminCredential(token: token, admin: admin, assignments: assignments, customRoles: roles)
    }

    public func roleAssignments(tenantID: TenantID, adminID: AdminID) async throws -> (assignments: [RoleAssignmentRecord], customRoles: [RoleRecord]) {
        let rows = try await rows(
            """
            SELECT ra.*, to_jsonb(r) AS role FROM role_assignments ra
            LEFT JOIN roles r ON r.tenant_id = ra.tenant_id AND r.id = ra.role_id
            WHERE ra.tenant_id = \(tenantID.rawValue) AND ra.admin_id = \(adminID.rawValue)
            """)
        var assignments: [RoleAssignmentRecord] = []
        var roles: [RoleRecord] = []
        for row in rows {
            assignments.append(try Self.decode(RoleAssignmentRecord.self, row))
            if let json = try row.value("role", as: String?.self), let role = try Self.decodeJSON(RoleRecord.self, tenantID: tenantID, json) {
                roles.append(role)
            }
        }
        return (assignments, roles)
    }

    /// A record from `to_jsonb(row)`: one query brings a joined row whole.
    static func decodeJSON<R: StoredRecord>(_ type: R.Type, tenantID: TenantID, _ json: String) throws -> R? {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], let key = object["id"] as? String
        else { return nil }
        var values: [String: StoreValue] = [:]
        for (name, kind) in R.columns {
            let value = object[name]
            switch kind {
            case .text: values[name] = .text(value as? String)
            case .integer: values[name] = .integer((value as? NSNumber)?.int64Value)
            case .bool: values[name] = .bool((value as? Bool) ?? false)
            case .blob:
                // bytea in JSON is `\x` followed by hex.
                values[name] = .blob((value as? String).flatMap { text in
                    guard text.hasPrefix("\\x") else { return nil }
                    var bytes = Data()
                    var index = text.index(text.startIndex, offsetBy: 2)
                    while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex),
                        let byte = UInt8(text[index..<next], radix: 16)
                    {
                        bytes.append(byte)
                        index = next
                    }
                    return bytes
                })
            }
        }
        return R(tenantID: tenantID, key: key, row: StoredRow(values))
    }

    public func records<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, filter: [String: StoreValue], after: String?, limit: Int
    ) async throws -> [R] {
        var bindings = PostgresBindings()
        var conditions: [String] = []
        bindings.append(tenantID.rawValue)
        conditions.append("tenant_id = $1")
        for (column, value) in filter.sorted(by: { $0.key < $1.key }) {
            precondition(R.columns.contains { $0.name == column }, "unknown column \(column)")
            try Self.bind(value, to: &bindings)
            if case .textIgnoringCase = value {
                conditions.append("lower(\(column)) = lower($\(bindings.count))")
            } else {
                conditions.append("\(column) IS NOT DISTINCT FROM $\(bindings.count)")
            }
        }
        if let after {
            bindings.append(after)
            conditions.append("id COLLATE \"C\" > $\(bindings.count)")
        }
        bindings.append(Int64(limit))
        let sql = """
            SELECT * FROM \(R.table) WHERE \(conditions.joined(separator: " AND "))
            ORDER BY id COLLATE "C" LIMIT $\(bindings.count)
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map { try Self.decode(R.self, $0) }
    }

    public func write(_ writes: [RecordWrite], audit: AuditEvent?) async throws {
        try await transaction { [self] connection in
            try await Self.uniquenessAsConflict {
                for write in writes {
                    switch write {
                    case .insert(let record): try await Self.insert(connection, record, logger: logger)
                    case .replace(let record): try await Self.replace(connection, record, logger: logger)
                    }
                }
            }
            if let audit { try await Self.appendAudit(connection, audit, logger: logger) }
        }
    }

    public func update<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, _ change: @escaping @Sendable (R) throws -> (R, AuditEvent?)
    ) async throws -> R {
        try await transaction { [self] connection in
            let rows = try await connection.query(
                "SELECT * FROM \(unescaped: R.table) WHERE tenant_id = \(tenantID.rawValue) AND id = \(key) FOR UPDATE",
                logger: logger
            ).collect()
            guard let row = rows.first else { throw StoreError.notFound }
            let (new, audit) = try change(try Self.decode(R.self, row.makeRandomAccess()))
            try await Self.uniquenessAsConflict { try await Self.replace(connection, new, logger: logger) }
            if let audit { try await Self.appendAudit(connection, audit, logger: logger) }
            return new
        }
    }

    public func delete<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, audit: @escaping @Sendable (R) -> AuditEvent
    ) async throws {
        let tenant = tenantID.rawValue
        try await transaction { [self] connection in
            let rows = try await connection.query(
                "DELETE FROM \(unescaped: R.table) WHERE tenant_id = \(tenant) AND id = \(key) RETURNING *", logger: logger
            ).collect()
            guard let row = rows.first else { throw StoreError.notFound }
            for dependent in R.dependents {
                switch dependent {
                case .clear(let table, let column):
                    try await connection.query(
                        "UPDATE \(unescaped: table) SET \(unescaped: column) = NULL WHERE tenant_id = \(tenant) AND \(unescaped: column) = \(key)",
                        logger: logger)
                case .remove(let table, let column):
                    try await connection.query(
                        "DELETE FROM \(unescaped: table) WHERE tenant_id = \(tenant) AND \(unescaped: column) = \(key)",
                        logger: logger)
                }
            }
            try await Self.appendAudit(connection, audit(try Self.decode(R.self, row.makeRandomAccess())), logger: logger)
        }
    }

    static func insert(_ connection: PostgresConnection, _ record: some StoredRecord, logger: Logger) async throws {
        let columns = ["tenant_id", "id"] + type(of: record).columns.map(\.name)
        var bindings = PostgresBindings()
        bindings.append(record.tenantID.rawValue)
        bindings.append(record.key)
        for value in record.values { try bind(value, to: &bindings) }
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "INSERT INTO \(type(of: record).table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))",
                binds: bindings),
            logger: logger)
    }

    static func replace(_ connection: PostgresConnection, _ record: some StoredRecord, logger: Logger) async throws {
        var bindings = PostgresBindings()
        for value in record.values { try bind(value, to: &bindings) }
        let assignments = type(of: record).columns.enumerated().map { "\($1.name) = $\($0 + 1)" }.joined(separator: ", ")
        bindings.append(record.tenantID.rawValue)
        bindings.append(record.key)
        let count = bindings.count
        let updated = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE \(type(of: record).table) SET \(assignments) WHERE tenant_id = $\(count - 1) AND id = $\(count)
                    RETURNING id
                    """,
                binds: bindings),
            logger: logger
        ).collect()
        if updated.isEmpty { throw StoreError.notFound }
    }

    static func decode<R: StoredRecord>(_ type: R.Type, _ row: PostgresRandomAccessRow) throws -> R {
        R(tenantID: TenantID(rawValue: try row.value("tenant_id")), key: try row.value("id"), row: try storedRow(row, R.columns))
    }

    /// The named columns of a row as typed values.
    static func storedRow(_ row: PostgresRandomAccessRow, _ columns: [(name: String, type: ColumnType)]) throws -> StoredRow {
        var values: [String: StoreValue] = [:]
        for (name, kind) in columns {
            switch kind {
            case .text: values[name] = .text(try row.value(name, as: String?.self))
            case .integer: values[name] = .integer(try row.value(name, as: Int64?.self))
            case .bool: values[name] = .bool(try row.value(name, as: Bool?.self) ?? false)
            case .blob: values[name] = .blob(try row.value(name, as: Data?.self))
            }
        }
        return StoredRow(values)
    }

    /// Values in order, as a query's bindings.
    static func bindings(_ values: [StoreValue]) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { try bind(value, to: &bindings) }
        return bindings
    }

    static func bind(_ value: StoreValue, to bindings: inout PostgresBindings) throws {
        switch value {
        case .text(let text): bindings.append(text)
        case .integer(let number): bindings.append(number)
        case .bool(let flag): bindings.append(flag)
        case .blob(let data): try bindings.append(data)
        case .textArray(let texts): bindings.append(texts)
        case .textIgnoringCase(let text): bindings.append(text)
        }
    }

    /// A unique index refusing a row is the caller's conflict (a taken name), not a failure.
    static func uniquenessAsConflict<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.conflict(error.serverInfo?[.constraintName] ?? "unique")
        }
    }
}
