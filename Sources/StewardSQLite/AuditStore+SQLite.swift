import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func append(_ event: AuditEvent) async throws {
        try await pool.write { db in try Self.appendAudit(db, event) }
    }

    public func auditEntries(tenantID: TenantID, query: AuditQuery) async throws -> [AuditRecord] {
        let (conditions, values) = query.filter(tenantID: tenantID).render(.sqlite)
        let sql = """
            SELECT * FROM audit_entries WHERE \(conditions)
            ORDER BY sequence \(query.newestFirst ? "DESC" : "ASC") LIMIT ?
            """
        let bound = StatementArguments(values.map(Self.bound) + [query.limit])
        return try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map(Self.auditRecord)
        }
    }

    public func auditAnchor(tenantID: TenantID) async throws -> AuditAnchor? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM audit_anchors WHERE tenant_id = ? ORDER BY sequence DESC LIMIT 1",
                arguments: [tenantID.rawValue]
            ).map { row in
                AuditAnchor(
                    tenantID: tenantID, sequence: row["sequence"], chainHash: row["chain_hash"],
                    at: Date(millisecondsSince1970: row["at"]), seal: row["seal"])
            }
        }
    }

    public func purgeAuditEntries(
        tenantID: TenantID, before: Date, anchor: @escaping @Sendable (Int64, Data) -> AuditAnchor, audit: @escaping @Sendable (Int) -> AuditEvent
    ) async throws -> Int {
        let tenant = tenantID.rawValue
        return try await pool.write { db in
            // The newest entry stays: the next append chains from it.
            guard let last = try Row.fetchOne(
                db,
                sql: """
                    SELECT sequence, chain_hash FROM audit_entries WHERE tenant_id = ? AND at < ?
                        AND sequence < (SELECT max(sequence) FROM audit_entries WHERE tenant_id = ?)
                    ORDER BY sequence DESC LIMIT 1
                    """,
                arguments: [tenant, before.millisecondsSince1970, tenant])
            else { return 0 }
            let sealed = anchor(last["sequence"], last["chain_hash"])
            try db.execute(
                sql: "INSERT INTO audit_anchors (tenant_id, sequence, chain_hash, at, seal) VALUES (?, ?, ?, ?, ?)",
                arguments: [tenant, sealed.sequence, sealed.chainHash, sealed.at.millisecondsSince1970, sealed.seal])
            try db.execute(
                sql: "DELETE FROM audit_entries WHERE tenant_id = ? AND sequence <= ?", arguments: [tenant, sealed.sequence])
            let purged = db.changesCount
            try Self.appendAudit(db, audit(purged))
            return purged
        }
    }

    /// Seals the event after the tenant's last entry and appends it, inside the caller's
    /// transaction (SQLite has one writer, so no two appends race for a sequence number).
    static func appendAudit(_ db: Database, _ event: AuditEvent) throws {
        // Cached statements: every admin write appends here, and the table's triggers would
        // otherwise be compiled again with each insert.
        let last = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT sequence, chain_hash FROM audit_entries WHERE tenant_id = ? ORDER BY sequence DESC LIMIT 1"),
            arguments: [event.tenantID.rawValue])
        let entry = event.sealed(after: last.map { (sequence: $0["sequence"], hash: $0["chain_hash"]) })
        try db.cachedStatement(sql: """
            INSERT INTO audit_entries (tenant_id, sequence, id, at, actor_type, actor_id, activity, operation,
                target_type, target_id, modified_properties, result, request_id, personal, personal_digest, chain_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                entry.tenantID.rawValue, entry.sequence, entry.id.rawValue, entry.at.millisecondsSince1970,
                entry.actorType.rawValue, entry.actorID, entry.activity, entry.operation.rawValue, entry.targetType,
                entry.targetID, jsonArray(entry.modifiedProperties), entry.result.rawValue, entry.requestID,
                entry.personal.map { String(decoding: $0, as: UTF8.self) }, entry.personalDigest, entry.chainHash,
            ])
    }

    static func auditRecord(_ row: Row) throws -> AuditRecord {
        try AuditRecord(columns: SQLiteColumns(row))
    }
}
