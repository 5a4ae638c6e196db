import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func createEnrollmentToken(_ token: EnrollmentTokenRecord, audit: AuditEvent) async throws {
        try await transaction { [self] connection in
            try await connection.query(
                """
                INSERT INTO enrollment_tokens
                    (tenant_id, id, verifier, ownership, description, created_at, expires_at, max_uses, use_count, user_id)
                VALUES (\(token.tenantID.rawValue), \(token.id.rawValue), \(token.verifier), \(token.ownership.rawValue),
                    \(token.description), \(token.createdAt.millisecondsSince1970), \(token.expiresAt?.millisecondsSince1970),
                    \(token.maxUses.map(Int64.init)), 0, \(token.userID?.rawValue))
                """, logger: logger)
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func enrollmentTokens(tenantID: TenantID) async throws -> [EnrollmentTokenRecord] {
        try await rows("SELECT * FROM enrollment_tokens WHERE tenant_id = \(tenantID.rawValue) ORDER BY id")
            .map(Self.enrollmentToken)
    }

    public func enrollmentToken(tenantID: TenantID, id: CredentialID) async throws -> EnrollmentTokenRecord? {
        try await rows(
            "SELECT * FROM enrollment_tokens WHERE tenant_id = \(tenantID.rawValue) AND id = \(id.rawValue)"
        ).first.map(Self.enrollmentToken)
    }

    public func purgeEnrollmentTokens(tenantID: TenantID, endedBefore: Date) async throws -> Int {
        let cutoff = endedBefore.millisecondsSince1970
        return try await transaction { [self] connection in
            var purged = 0
            for table in ["enrollment_tokens", "scim_tokens", "admin_tokens"] {
                var bindings = PostgresBindings()
                bindings.append(tenantID.rawValue)
                bindings.append(cutoff)
                purged += try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "DELETE FROM \(table) WHERE tenant_id = $1 AND (revoked_at < $2 OR expires_at < $2) RETURNING id",
                        binds: bindings),
                    logger: logger
                ).collect().count
            }
            return purged
        }
    }

    public func revokeEnrollmentToken(tenantID: TenantID, id: CredentialID, at: Date, audit: AuditEvent) async throws {
        try await transaction { [self] connection in
            let updated = try await connection.query(
                """
                UPDATE enrollment_tokens SET revoked_at = coalesce(revoked_at, \(at.millisecondsSince1970))
                WHERE tenant_id = \(tenantID.rawValue) AND id = \(id.rawValue) RETURNING id
                """, logger: logger
            ).collect()
            if updated.isEmpty { throw StoreError.notFound }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func addCorporateIdentifiers(
        tenantID: TenantID, _ identifiers: [(kind: CorporateIdentifierView.Kind, value: String)], at: Date, audit: AuditEvent
    ) async throws -> Int {
        let (tenant, kinds, values, created) = (
            tenantID.rawValue, identifiers.map(\.kind.rawValue), identifiers.map(\.value), at.millisecondsSince1970
        )
        return try await transaction { [self] connection in
            let added = try await connection.query(
                """
                INSERT INTO corporate_identifiers (tenant_id, kind, value, created_at)
                SELECT \(tenant), kind, value, \(created) FROM unnest(\(kinds)::text[], \(values)::text[]) AS t(kind, value)
                ON CONFLICT DO NOTHING RETURNING value
                """, logger: logger
            ).collect().count
            try await Self.appendAudit(connection, audit, logger: logger)
            return added
        }
    }

    public func corporateIdentifiers(tenantID: TenantID, after: String?, limit: Int) async throws -> [CorporateIdentifierView] {
        try await rows(
            """
            SELECT kind, value, created_at FROM corporate_identifiers
            WHERE tenant_id = \(tenantID.rawValue) AND (kind || ':' || value) COLLATE "C" > \(after ?? "")
            ORDER BY kind COLLATE "C", value COLLATE "C" LIMIT \(Int64(limit))
            """
        ).map { row in
            CorporateIdentifierView(
                kind: CorporateIdentifierView.Kind(rawValue: try row.value("kind")) ?? .serialNumber, value: try row.value("value"),
                createdAt: Date(millisecondsSince1970: try row.value("created_at")))
        }
    }

    public func removeCorporateIdentifier(
        tenantID: TenantID, kind: CorporateIdentifierView.Kind, value: String, audit: AuditEvent
    ) async throws {
        try await transaction { [self] connection in
            let removed = try await connection.query(
                """
                DELETE FROM corporate_identifiers WHERE tenant_id = \(tenantID.rawValue) AND kind = \(kind.rawValue)
                    AND value = \(value) RETURNING value
                """, logger: logger
            ).collect()
            if removed.isEmpty { throw StoreError.notFound }
            try await Self.appendAudit(connection, audit, logger: logger)
        }
    }

    public func enroll(
        _ device: NewDevice, tokenID: CredentialID, accept: @escaping @Sendable (EnrollmentTokenRecord) -> Bool,
        reEnrollment: @escaping @Sendable (EnrolledMachine) -> AuditEvent?
    ) async throws -> (id: DeviceID, ownership: Ownership) {
        let tenant = device.tenantID.rawValue
        var device = device
        // The token's use, last: enrollments with one token (a fleet's rollout) serialise on its
        // row (and a new device's on its tenant's count rows), so the token is locked, checked
        // and counted at the end — with a new device's row, in the statement before the commit;
        // for a re-enrolled machine, before its audit entry — instead of at the start, where its
        // lock was held through every statement.
        @Sendable func useToken(_ rows: [PostgresRow]) throws {
            guard let row = rows.first else { throw StoreError.notFound }
            // Judged as it was before this use (a rollback undoes the count if refused).
            var token = try Self.enrollmentToken(row.makeRandomAccess())
            token.useCount -= 1
            guard accept(token) else { throw StoreError.notFound }
        }
        return try await transaction { [self] connection in
            if device.ownership == .personal {
                let registered = try await connection.query(
                    """
                    SELECT 1 FROM corporate_identifiers WHERE tenant_id = \(tenant)
                        AND ((kind = 'serialNumber' AND value = \(device.serialNumber)) OR (kind = 'imei' AND value = \(device.imei)))
                    """, logger: logger
                ).collect()
                if !registered.isEmpty { device.ownership = .corporate }
            }
            if let platformId = device.platformId,
                let row = try await connection.query(
                    """
                    SELECT id, secret_verifier, ownership, re_enrollment_until, retired_at FROM devices
                    WHERE tenant_id = \(tenant) AND platform_id = \(platformId) ORDER BY id LIMIT 1 FOR UPDATE
                    """,
                    logger: logger
                ).collect().first?.makeRandomAccess()
            {
                let existing: String = try row.value("id")
                let retired = try row.value("retired_at", as: Int64?.self) != nil
                guard let audit = reEnrollment(EnrolledMachine(
                    id: DeviceID(rawValue: existing), secretVerifier: try row.value("secret_verifier"),
                    reEnrollmentUntil: try row.date("re_enrollment_until"), retired: retired))
                else { throw StoreError.alreadyEnrolled }
                // Keep the record, ownership and user (see the SQLite store); a retired device
                // starts over with the token's ownership.
                let ownership = retired ? device.ownership : Ownership(rawValue: try row.value("ownership")) ?? .personal
                try await connection.query(
                    """
                    UPDATE devices SET secret_verifier = \(device.secretVerifier), ownership = \(ownership.rawValue),
                        platform = \(device.platform.rawValue), agent_version = \(device.agentVersion),
                        hardware_hash = NULL, os_hash = NULL, network_hash = NULL, apps_hash = NULL,
                        re_enrollment_until = NULL, retired_at = NULL,
                        user_id = CASE WHEN \(retired) THEN \(device.userID?.rawValue) ELSE user_id END
                    WHERE tenant_id = \(tenant) AND id = \(existing)
                    """, logger: logger)
                if retired && ownership == .personal {
                    try await Self.forgetCorporateOnlyData(connection, tenant: tenant, device: existing, logger: logger)
                }
                // The token before the audit's lock, in the order a revocation takes them.
                try useToken(try await connection.query(
                    """
                    UPDATE enrollment_tokens SET use_count = use_count + 1
                    WHERE tenant_id = \(tenant) AND id = \(tokenID.rawValue) RETURNING *
                    """, logger: logger
                ).collect())
                try await Self.appendAudit(connection, audit, logger: logger)
                return (DeviceID(rawValue: existing), ownership)
            }
            try useToken(try await connection.query(
                """
                WITH used AS (
                    UPDATE enrollment_tokens SET use_count = use_count + 1
                    WHERE tenant_id = \(tenant) AND id = \(tokenID.rawValue) RETURNING *),
                added AS (
                    INSERT INTO devices (tenant_id, id, secret_verifier, ownership, platform, platform_id, device_name,
                        agent_version, enrolled_at, user_id, management_id)
                    SELECT \(tenant), \(device.id.rawValue), \(device.secretVerifier), \(device.ownership.rawValue),
                        \(device.platform.rawValue), \(device.platformId), \(device.deviceName), \(device.agentVersion),
                        \(device.enrolledAt.millisecondsSince1970), \(device.userID?.rawValue), \(device.managementID)
                    FROM used)
                SELECT * FROM used
                """, logger: logger
            ).collect())
            return (device.id, device.ownership)
        }
    }

    static func enrollmentToken(_ row: PostgresRandomAccessRow) throws -> EnrollmentTokenRecord {
        try EnrollmentTokenRecord(columns: PostgresColumns(row))
    }
}
