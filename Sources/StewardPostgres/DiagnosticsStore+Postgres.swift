import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func pseudonymKey(tenantID: TenantID) async throws -> PseudonymKeyRecord? {
        try await rows("SELECT * FROM pseudonym_keys WHERE tenant_id = \(tenantID.rawValue) ORDER BY version DESC LIMIT 1")
            .first.map { row in
                PseudonymKeyRecord(
                    tenantID: tenantID, version: Int(try row.value("version", as: Int64.self)),
                    sealedKey: try row.value("sealed_key"), createdAt: Date(millisecondsSince1970: try row.value("created_at")))
            }
    }

    public func createFirstPseudonymKey(_ key: PseudonymKeyRecord) async throws {
        let tenant = key.tenantID.rawValue
        _ = try await rows(
            """
            INSERT INTO pseudonym_keys (tenant_id, version, sealed_key, created_at)
            VALUES (\(tenant), 1, \(key.sealedKey), \(key.createdAt.millisecondsSince1970)) ON CONFLICT DO NOTHING
            """)
    }

    public func rotatePseudonymKey(
        tenantID: TenantID, sealedKey: Data, at: Date, audit: @escaping @Sendable (Int) -> AuditEvent
    ) async throws -> PseudonymKeyRecord {
        let tenant = tenantID.rawValue
        return try await transaction { [self] connection in
            // Rotations of one tenant queue behind each other on its tenant row.
            _ = try await connection.query("SELECT 1 FROM tenants WHERE id = \(tenant) FOR UPDATE", logger: logger).collect()
            let current = try await connection.query(
                "SELECT coalesce(max(version), 0) FROM pseudonym_keys WHERE tenant_id = \(tenant)", logger: logger
            ).collect().first?.decode(Int64.self) ?? 0
            let millis = at.millisecondsSince1970
            try await connection.query(
                "UPDATE pseudonym_keys SET sealed_key = NULL, retired_at = \(millis) WHERE tenant_id = \(tenant) AND retired_at IS NULL",
                logger: logger)
            try await connection.query(
                "INSERT INTO pseudonym_keys (tenant_id, version, sealed_key, created_at) VALUES (\(tenant), \(current + 1), \(sealedKey), \(millis))",
                logger: logger)
            try await Self.appendAudit(connection, audit(Int(current + 1)), logger: logger)
            return PseudonymKeyRecord(tenantID: tenantID, version: Int(current + 1), sealedKey: sealedKey, createdAt: at)
        }
    }

    public func recordDiagnostics(
        tenantID: TenantID, deviceID: DeviceID, events: [(id: String, event: DiagnosticEvent)], pseudonymizer: Pseudonymizer,
        at: Date
    ) async throws {
        let tenant = tenantID.rawValue
        try await transaction { [self] connection in
            guard let device = try await connection.query(
                "SELECT id, user_id FROM devices WHERE tenant_id = \(tenant) AND id = \(deviceID.rawValue)", logger: logger
            ).collect().first.map({ try $0.decode((String, String?).self) })
            else { throw StoreError.notFound }
            let devicePseudonym = try await Self.pseudonym(connection, tenant: tenant, .device, device.0, pseudonymizer, at: at, logger: logger)
            var userPseudonym: String?
            if let user = device.1 {
                userPseudonym = try await Self.pseudonym(connection, tenant: tenant, .user, user, pseudonymizer, at: at, logger: logger)
            }
            // One statement per table: the rows go in as arrays.
            let ids = events.map(\.id), times = events.map { $0.event.at.millisecondsSince1970 }
            let kinds = events.map(\.event.kind.rawValue), names = events.map(\.event.name)
            // Arrays cannot hold NULL binds: absent values travel as NaN and '' and become NULL in SQL.
            let durations = events.map { $0.event.durationMs ?? .nan }
            let successes = events.map { $0.event.success.map { $0 ? "t" : "f" } ?? "" }
            let codes = events.map { $0.event.code ?? "" }
            let days = events.map { DiagnosticsDay.day(of: $0.event.at) }
            try await connection.query(
                """
                INSERT INTO diagnostic_events (tenant_id, id, at, kind, name, duration_ms, success, code, device_pseudonym, user_pseudonym)
                SELECT \(tenant), e.id, e.at, e.kind, e.name, NULLIF(e.duration_ms, 'NaN'), NULLIF(e.success, '')::boolean,
                    NULLIF(e.code, ''), \(devicePseudonym), \(userPseudonym)
                FROM unnest(\(ids)::text[], \(times)::bigint[], \(kinds)::text[], \(names)::text[], \(durations)::float8[],
                    \(successes)::text[], \(codes)::text[]) AS e(id, at, kind, name, duration_ms, success, code)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO diagnostics_daily AS d (tenant_id, day, kind, name, events, succeeded, failed)
                SELECT \(tenant), e.day, e.kind, e.name, count(*), count(*) FILTER (WHERE e.success = 't'),
                    count(*) FILTER (WHERE e.success = 'f')
                FROM unnest(\(days)::text[], \(kinds)::text[], \(names)::text[], \(successes)::text[]) AS e(day, kind, name, success)
                GROUP BY e.day, e.kind, e.name
                ON CONFLICT (tenant_id, day, kind, name) DO UPDATE SET
                    events = d.events + excluded.events, succeeded = d.succeeded + excluded.succeeded, failed = d.failed + excluded.failed
                """, logger: logger)
            let timed = events.indices.filter { events[$0].event.durationMs != nil }
            if !timed.isEmpty {
                let buckets = timed.map { Int64(LatencyBuckets.bucket(forMilliseconds: events[$0].event.durationMs!)) }
                try await connection.query(
                    """
                    INSERT INTO diagnostics_latency AS l (tenant_id, day, kind, name, bucket, events)
                    SELECT \(tenant), e.day, e.kind, e.name, e.bucket, count(*)
                    FROM unnest(\(timed.map { days[$0] })::text[], \(timed.map { kinds[$0] })::text[], \(timed.map { names[$0] })::text[],
                        \(buckets)::bigint[]) AS e(day, kind, name, bucket)
                    GROUP BY e.day, e.kind, e.name, e.bucket
                    ON CONFLICT (tenant_id, day, kind, name, bucket) DO UPDATE SET events = l.events + excluded.events
                    """, logger: logger)
            }
        }
    }

    /// The subject's pseudonym under the pseudonymizer's key version, made on first use (a
    /// concurrent first use of the same subject keeps the row that landed first).
    private static func pseudonym(
        _ connection: PostgresConnection, tenant: String, _ type: PseudonymSubject.SubjectType, _ id: String,
        _ pseudonymizer: Pseudonymizer, at: Date, logger: Logger
    ) async throws -> String {
        let version = Int64(pseudonymizer.version)
        func existing() async throws -> String? {
            try await connection.query(
                """
                SELECT pseudonym FROM pseudonyms
                WHERE tenant_id = \(tenant) AND subject_type = \(type.rawValue) AND subject_id = \(id) AND key_version = \(version)
                """, logger: logger
            ).collect().first?.decode(String.self)
        }
        if let found = try await existing() { return found }
        let salt = Pseudonymizer.salt()
        let pseudonym = pseudonymizer.pseudonym(type, id, salt: salt)
        try await connection.query(
            """
            INSERT INTO pseudonyms (tenant_id, pseudonym, subject_type, subject_id, key_version, salt, created_at)
            VALUES (\(tenant), \(pseudonym), \(type.rawValue), \(id), \(version), \(salt), \(at.millisecondsSince1970))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        return try await existing() ?? pseudonym
    }

    public func diagnostics(tenantID: TenantID, query: DiagnosticsQuery) async throws -> [DiagnosticEventView] {
        let (conditions, values) = query.filter(tenantID: tenantID).render(.postgres)
        let sql = "SELECT * FROM diagnostic_events WHERE \(conditions) ORDER BY id LIMIT $\(values.count + 1)"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: try Self.bindings(values + [.integer(Int64(query.limit))]))).map { try DiagnosticEventView(columns: PostgresColumns($0)) }
    }

    public func diagnosticsDays(tenantID: TenantID, from: String) async throws -> [DiagnosticsDay] {
        let tenant = tenantID.rawValue
        var buckets: [String: [Int: Int]] = [:]
        for row in try await rows(
            "SELECT day, kind, name, bucket, events FROM diagnostics_latency WHERE tenant_id = \(tenant) AND day >= \(from)")
        {
            let key = "\(try row.value("day", as: String.self)) \(try row.value("kind", as: String.self)) \(try row.value("name", as: String.self))"
            buckets[key, default: [:]][Int(try row.value("bucket", as: Int64.self))] = Int(try row.value("events", as: Int64.self))
        }
        return try await rows(
            "SELECT * FROM diagnostics_daily WHERE tenant_id = \(tenant) AND day >= \(from) ORDER BY day, kind, name"
        ).map { row in
            let (day, kind, name): (String, String, String) = (try row.value("day"), try row.value("kind"), try row.value("name"))
            return DiagnosticsDay(
                day: day, kind: DiagnosticEvent.Kind(rawValue: kind) ?? .agentError, name: name,
                events: Int(try row.value("events", as: Int64.self)), succeeded: Int(try row.value("succeeded", as: Int64.self)),
                failed: Int(try row.value("failed", as: Int64.self)), latencyBuckets: buckets["\(day) \(kind) \(name)"] ?? [:])
        }
    }

    public func pseudonyms(tenantID: TenantID, subjectIDs: [String]) async throws -> [String] {
        try await rows("SELECT pseudonym FROM pseudonyms WHERE tenant_id = \(tenantID.rawValue) AND subject_id = ANY(\(subjectIDs))")
            .map { try $0.value("pseudonym") }
    }

    public func reidentify(
        tenantID: TenantID, pseudonym: String, audit: @escaping @Sendable (PseudonymSubject) -> AuditEvent
    ) async throws -> PseudonymSubject? {
        try await transaction { [self] connection in
            guard let row = try await connection.query(
                """
                SELECT subject_type, subject_id, key_version FROM pseudonyms WHERE tenant_id = \(tenantID.rawValue) AND pseudonym = \(pseudonym)
                """, logger: logger
            ).collect().first.map({ try $0.decode((String, String, Int64).self) }),
                let type = PseudonymSubject.SubjectType(rawValue: row.0)
            else { return nil }
            let subject = PseudonymSubject(pseudonym: pseudonym, subjectType: type, subjectId: row.1, keyVersion: Int(row.2))
            try await Self.appendAudit(connection, audit(subject), logger: logger)
            return subject
        }
    }

    public func purgeDiagnostics(tenantID: TenantID, before: Date) async throws -> (events: Int, links: Int) {
        let tenant = tenantID.rawValue
        let events = try await rows(
            "DELETE FROM diagnostic_events WHERE tenant_id = \(tenant) AND at < \(before.millisecondsSince1970) RETURNING id").count
        let links = try await rows(
            """
            DELETE FROM pseudonyms p WHERE p.tenant_id = \(tenant) AND NOT EXISTS (
                SELECT 1 FROM devices d WHERE p.subject_type = 'device' AND d.tenant_id = p.tenant_id AND d.id = p.subject_id
                UNION ALL
                SELECT 1 FROM users u WHERE p.subject_type = 'user' AND u.tenant_id = p.tenant_id AND u.id = p.subject_id)
            RETURNING p.pseudonym
            """).count
        return (events, links)
    }
}
