import Foundation
import Logging
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func append(_ event: AuditEvent) async throws {
        try await transaction { [self] connection in try await Self.appendAudit(connection, event, logger: logger) }
    }

    public func auditEntries(tenantID: TenantID, query: AuditQuery) async throws -> [AuditRecord] {
        let (conditions, values) = query.filter(tenantID: tenantID).render(.postgres)
        let sql = """
            SELECT * FROM audit_entries WHERE \(conditions)
            ORDER BY sequence \(query.newestFirst ? "DESC" : "ASC") LIMIT $\(values.count + 1)
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: try Self.bindings(values + [.integer(Int64(query.limit))])))
            .map(Self.auditRecord)
    }

    public func auditAnchor(tenantID: TenantID) async throws -> AuditAnchor? {
        try await rows("SELECT * FROM audit_anchors WHERE tenant_id = \(tenantID.rawValue) ORDER BY sequence DESC LIMIT 1")
            .first.map { row in
                AuditAnchor(
                    tenantID: tenantID, sequence: try row.value("sequence"), chainHash: try row.value("chain_hash"),
                    at: Date(millisecondsSince1970: try row.value("at")), seal: try row.value("seal"))
            }
    }

    public func purgeAuditEntries(
        tenantID: TenantID, before: Date, anchor: @escaping @Sendable (Int64, Data) -> AuditAnchor, audit: @escaping @Sendable (Int) -> AuditEvent
    ) async throws -> Int {
        let tenant = tenantID.rawValue
        return try await transaction { [self] connection in
            // The same lock appends take: no entry is appended while the chain's start moves.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('steward-audit'), hashtext(current_schema() || ':' || \(tenant)))",
                logger: logger)
            guard let last = try await connection.query(
                """
                SELECT sequence, chain_hash FROM audit_entries WHERE tenant_id = \(tenant) AND at < \(before.millisecondsSince1970)
                    AND sequence < (SELECT max(sequence) FROM audit_entries WHERE tenant_id = \(tenant))
                ORDER BY sequence DESC LIMIT 1
                """, logger: logger
            ).collect().first.map({ try $0.decode((Int64, Data).self) })
            else { return 0 }
            let sealed = anchor(last.0, last.1)
            try await connection.query(
                """
                INSERT INTO audit_anchors (tenant_id, sequence, chain_hash, at, seal)
                VALUES (\(tenant), \(sealed.sequence), \(sealed.chainHash), \(sealed.at.millisecondsSince1970), \(sealed.seal))
                """, logger: logger)
            let purged = try await connection.query(
                "DELETE FROM audit_entries WHERE tenant_id = \(tenant) AND sequence <= \(sealed.sequence) RETURNING sequence",
                logger: logger
            ).collect().count
            try await Self.appendAudit(connection, audit(purged), logger: logger)
            return purged
        }
    }

    /// Seals the event after the tenant's last entry and appends it, inside the caller's
    /// transaction. A transaction-scoped advisory lock per tenant orders concurrent appends; it
    /// is taken last, after the change's own row locks, so it never waits inside a lock cycle.
    static func appendAudit(_ connection: PostgresConnection, _ event: AuditEvent, logger: Logger) async throws {
        let tenant = event.tenantID.rawValue
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtext('steward-audit'), hashtext(current_schema() || ':' || \(tenant)))",
            logger: logger)
        let last = try await connection.query(
            "SELECT sequence, chain_hash FROM audit_entries WHERE tenant_id = \(tenant) ORDER BY sequence DESC LIMIT 1",
            logger: logger
        ).collect().first.map { row in try row.decode((Int64, Data).self) }
        let entry = event.sealed(after: last.map { (sequence: $0.0, hash: $0.1) })
        let properties = String(decoding: (try? JSONEncoder().encode(entry.modifiedProperties)) ?? Data("[]".utf8), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO audit_entries (tenant_id, sequence, id, at, actor_type, actor_id, activity, operation,
                target_type, target_id, modified_properties, result, request_id, personal, personal_digest, chain_hash)
            VALUES (\(tenant), \(entry.sequence), \(entry.id.rawValue), \(entry.at.millisecondsSince1970),
                \(entry.actorType.rawValue), \(entry.actorID), \(entry.activity), \(entry.operation.rawValue),
                \(entry.targetType), \(entry.targetID), \(properties), \(entry.result.rawValue), \(entry.requestID),
                \(entry.personal.map { String(decoding: $0, as: UTF8.self) }), \(entry.personalDigest), \(entry.chainHash))
            """, logger: logger)
    }

    static func auditRecord(_ row: PostgresRandomAccessRow) throws -> AuditRecord {
        try AuditRecord(columns: PostgresColumns(row))
    }
}
