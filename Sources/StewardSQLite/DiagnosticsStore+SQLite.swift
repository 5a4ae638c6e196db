import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func pseudonymKey(tenantID: TenantID) async throws -> PseudonymKeyRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM pseudonym_keys WHERE tenant_id = ? ORDER BY version DESC LIMIT 1",
                arguments: [tenantID.rawValue]
            ).map { Self.pseudonymKey($0, tenantID: tenantID) }
        }
    }

    public func createFirstPseudonymKey(_ key: PseudonymKeyRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO pseudonym_keys (tenant_id, version, sealed_key, created_at)
                    SELECT ?, 1, ?, ? WHERE NOT EXISTS (SELECT 1 FROM pseudonym_keys WHERE tenant_id = ?)
                    """,
                arguments: [key.tenantID.rawValue, key.sealedKey, key.createdAt.millisecondsSince1970, key.tenantID.rawValue])
        }
    }

    public func rotatePseudonymKey(
        tenantID: TenantID, sealedKey: Data, at: Date, audit: @escaping @Sendable (Int) -> AuditEvent
    ) async throws -> PseudonymKeyRecord {
        try await pool.write { db in
            let tenant = tenantID.rawValue
            let version = (try Int.fetchOne(db, sql: "SELECT max(version) FROM pseudonym_keys WHERE tenant_id = ?", arguments: [tenant]) ?? 0) + 1
            try db.execute(
                sql: "UPDATE pseudonym_keys SET sealed_key = NULL, retired_at = ? WHERE tenant_id = ? AND retired_at IS NULL",
                arguments: [at.millisecondsSince1970, tenant])
            try db.execute(
                sql: "INSERT INTO pseudonym_keys (tenant_id, version, sealed_key, created_at) VALUES (?, ?, ?, ?)",
                arguments: [tenant, version, sealedKey, at.millisecondsSince1970])
            try Self.appendAudit(db, audit(version))
            return PseudonymKeyRecord(tenantID: tenantID, version: version, sealedKey: sealedKey, createdAt: at)
        }
    }

    public func recordDiagnostics(
        tenantID: TenantID, deviceID: DeviceID, events: [(id: String, event: DiagnosticEvent)], pseudonymizer: Pseudonymizer,
        at: Date
    ) async throws {
        let tenant = tenantID.rawValue
        try await pool.write { db in
            guard let device = try Row.fetchOne(
                db, sql: "SELECT id, user_id FROM devices WHERE tenant_id = ? AND id = ?", arguments: [tenant, deviceID.rawValue])
            else { throw StoreError.notFound }
            let devicePseudonym = try Self.pseudonym(db, tenant: tenant, .device, device["id"], pseudonymizer, at: at)
            let userPseudonym = try (device["user_id"] as String?).map { try Self.pseudonym(db, tenant: tenant, .user, $0, pseudonymizer, at: at) }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO diagnostic_events (tenant_id, id, at, kind, name, duration_ms, success, code, device_pseudonym, user_pseudonym)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let daily = try db.cachedStatement(sql: """
                INSERT INTO diagnostics_daily (tenant_id, day, kind, name, events, succeeded, failed) VALUES (?, ?, ?, ?, 1, ?, ?)
                ON CONFLICT (tenant_id, day, kind, name) DO UPDATE SET
                    events = events + 1, succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed
                """)
            let latency = try db.cachedStatement(sql: """
                INSERT INTO diagnostics_latency (tenant_id, day, kind, name, bucket, events) VALUES (?, ?, ?, ?, ?, 1)
                ON CONFLICT (tenant_id, day, kind, name, bucket) DO UPDATE SET events = events + 1
                """)
            for (id, event) in events {
                let day = DiagnosticsDay.day(of: event.at)
                try insert.execute(arguments: [
                    tenant, id, event.at.millisecondsSince1970, event.kind.rawValue, event.name, event.durationMs, event.success,
                    event.code, devicePseudonym, userPseudonym,
                ])
                try daily.execute(arguments: [
                    tenant, day, event.kind.rawValue, event.name, event.success == true ? 1 : 0, event.success == false ? 1 : 0,
                ])
                if let ms = event.durationMs {
                    try latency.execute(arguments: [tenant, day, event.kind.rawValue, event.name, LatencyBuckets.bucket(forMilliseconds: ms)])
                }
            }
        }
    }

    /// The subject's pseudonym under the pseudonymizer's key version, made on first use.
    private static func pseudonym(
        _ db: Database, tenant: String, _ type: PseudonymSubject.SubjectType, _ id: String, _ pseudonymizer: Pseudonymizer, at: Date
    ) throws -> String {
        if let existing = try String.fetchOne(
            db.cachedStatement(sql: """
                SELECT pseudonym FROM pseudonyms WHERE tenant_id = ? AND subject_type = ? AND subject_id = ? AND key_version = ?
                """),
            arguments: [tenant, type.rawValue, id, pseudonymizer.version])
        {
            return existing
        }
        let salt = Pseudonymizer.salt()
        let pseudonym = pseudonymizer.pseudonym(type, id, salt: salt)
        try db.execute(
            sql: """
                INSERT INTO pseudonyms (tenant_id, pseudonym, subject_type, subject_id, key_version, salt, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [tenant, pseudonym, type.rawValue, id, pseudonymizer.version, salt, at.millisecondsSince1970])
        return pseudonym
    }

    public func diagnostics(tenantID: TenantID, query: DiagnosticsQuery) async throws -> [DiagnosticEventView] {
        let (conditions, values) = query.filter(tenantID: tenantID).render(.sqlite)
        let sql = "SELECT * FROM diagnostic_events WHERE \(conditions) ORDER BY id LIMIT ?"
        let bound = StatementArguments(values.map(Self.bound) + [query.limit])
        return try await pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map { try DiagnosticEventView(columns: SQLiteColumns($0)) }
        }
    }

    public func diagnosticsDays(tenantID: TenantID, from: String) async throws -> [DiagnosticsDay] {
        try await readInPlace { db in
            var buckets: [String: [Int: Int]] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT day, kind, name, bucket, events FROM diagnostics_latency WHERE tenant_id = ? AND day >= ?"),
                arguments: [tenantID.rawValue, from])
            {
                buckets["\(row["day"] as String) \(row["kind"] as String) \(row["name"] as String)", default: [:]][row["bucket"]] = row["events"]
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM diagnostics_daily WHERE tenant_id = ? AND day >= ? ORDER BY day, kind, name"),
                arguments: [tenantID.rawValue, from]
            ).map { row in
                let (day, kind, name): (String, String, String) = (row["day"], row["kind"], row["name"])
                return DiagnosticsDay(
                    day: day, kind: DiagnosticEvent.Kind(rawValue: kind) ?? .agentError, name: name, events: row["events"],
                    succeeded: row["succeeded"], failed: row["failed"], latencyBuckets: buckets["\(day) \(kind) \(name)"] ?? [:])
            }
        }
    }

    public func pseudonyms(tenantID: TenantID, subjectIDs: [String]) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT pseudonym FROM pseudonyms WHERE tenant_id = ? AND subject_id IN (SELECT value FROM json_each(?))",
                arguments: [tenantID.rawValue, Self.jsonArray(subjectIDs)])
        }
    }

    public func reidentify(
        tenantID: TenantID, pseudonym: String, audit: @escaping @Sendable (PseudonymSubject) -> AuditEvent
    ) async throws -> PseudonymSubject? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT subject_type, subject_id, key_version FROM pseudonyms WHERE tenant_id = ? AND pseudonym = ?",
                arguments: [tenantID.rawValue, pseudonym]),
                let type = PseudonymSubject.SubjectType(rawValue: row["subject_type"])
            else { return nil }
            let subject = PseudonymSubject(pseudonym: pseudonym, subjectType: type, subjectId: row["subject_id"], keyVersion: row["key_version"])
            try Self.appendAudit(db, audit(subject))
            return subject
        }
    }

    public func purgeDiagnostics(tenantID: TenantID, before: Date) async throws -> (events: Int, links: Int) {
        try await pool.write { db in
            let tenant = tenantID.rawValue
            try db.execute(
                sql: "DELETE FROM diagnostic_events WHERE tenant_id = ? AND at < ?", arguments: [tenant, before.millisecondsSince1970])
            let events = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM pseudonyms WHERE tenant_id = ? AND NOT EXISTS (
                        SELECT 1 FROM devices d WHERE pseudonyms.subject_type = 'device' AND d.tenant_id = pseudonyms.tenant_id AND d.id = pseudonyms.subject_id
                        UNION ALL
                        SELECT 1 FROM users u WHERE pseudonyms.subject_type = 'user' AND u.tenant_id = pseudonyms.tenant_id AND u.id = pseudonyms.subject_id)
                    """,
                arguments: [tenant])
            return (events, db.changesCount)
        }
    }
}
