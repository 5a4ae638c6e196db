import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func createEnrollmentToken(_ token: EnrollmentTokenRecord, audit: AuditEvent) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO enrollment_tokens
                        (tenant_id, id, verifier, ownership, description, created_at, expires_at, max_uses, use_count, user_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                    """,
                arguments: [
                    token.tenantID.rawValue, token.id.rawValue, token.verifier, token.ownership.rawValue,
                    token.description, token.createdAt.millisecondsSince1970, token.expiresAt?.millisecondsSince1970,
                    token.maxUses, token.userID?.rawValue,
                ])
            try Self.appendAudit(db, audit)
        }
    }

    public func enrollmentTokens(tenantID: TenantID) async throws -> [EnrollmentTokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM enrollment_tokens WHERE tenant_id = ? ORDER BY id", arguments: [tenantID.rawValue]
            ).map(Self.enrollmentToken)
        }
    }

    public func enrollmentToken(tenantID: TenantID, id: CredentialID) async throws -> EnrollmentTokenRecord? {
        try await pool.read { db in try Self.enrollmentToken(db, tenantID: tenantID, id: id) }
    }

    public func purgeEnrollmentTokens(tenantID: TenantID, endedBefore: Date) async throws -> Int {
        try await pool.write { db in
            let cutoff = endedBefore.millisecondsSince1970
            var purged = 0
            for table in ["enrollment_tokens", "scim_tokens", "admin_tokens"] {
                try db.execute(
                    sql: "DELETE FROM \(table) WHERE tenant_id = ? AND (revoked_at < ? OR expires_at < ?)",
                    arguments: [tenantID.rawValue, cutoff, cutoff])
                purged += db.changesCount
            }
            return purged
        }
    }

    public func revokeEnrollmentToken(tenantID: TenantID, id: CredentialID, at: Date, audit: AuditEvent) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE enrollment_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE tenant_id = ? AND id = ?",
                arguments: [at.millisecondsSince1970, tenantID.rawValue, id.rawValue])
            if db.changesCount == 0 { throw StoreError.notFound }
            try Self.appendAudit(db, audit)
        }
    }

    public func addCorporateIdentifiers(
        tenantID: TenantID, _ identifiers: [(kind: CorporateIdentifierView.Kind, value: String)], at: Date, audit: AuditEvent
    ) async throws -> Int {
        try await pool.write { db in
            var added = 0
            let statement = try db.cachedStatement(sql: """
                INSERT INTO corporate_identifiers (tenant_id, kind, value, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """)
            for (kind, value) in identifiers {
                try statement.execute(arguments: [tenantID.rawValue, kind.rawValue, value, at.millisecondsSince1970])
                added += db.changesCount
            }
            try Self.appendAudit(db, audit)
            return added
        }
    }

    public func corporateIdentifiers(tenantID: TenantID, after: String?, limit: Int) async throws -> [CorporateIdentifierView] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT kind, value, created_at FROM corporate_identifiers
                    WHERE tenant_id = ? AND kind || ':' || value > ? ORDER BY kind, value LIMIT ?
                    """,
                arguments: [tenantID.rawValue, after ?? "", limit]
            ).map { row in
                CorporateIdentifierView(
                    kind: CorporateIdentifierView.Kind(rawValue: row["kind"]) ?? .serialNumber, value: row["value"],
                    createdAt: Date(millisecondsSince1970: row["created_at"]))
            }
        }
    }

    public func removeCorporateIdentifier(
        tenantID: TenantID, kind: CorporateIdentifierView.Kind, value: String, audit: AuditEvent
    ) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM corporate_identifiers WHERE tenant_id = ? AND kind = ? AND value = ?",
                arguments: [tenantID.rawValue, kind.rawValue, value])
            if db.changesCount == 0 { throw StoreError.notFound }
            try Self.appendAudit(db, audit)
        }
    }

    public func enroll(
        _ device: NewDevice, tokenID: CredentialID, accept: @escaping @Sendable (EnrollmentTokenRecord) -> Bool,
        reEnrollment: @escaping @Sendable (EnrolledMachine) -> AuditEvent?
    ) async throws -> (id: DeviceID, ownership: Ownership) {
        try await pool.write { db in
            let tenant = device.tenantID.rawValue
            guard let token = try Self.enrollmentToken(db, tenantID: device.tenantID, id: tokenID), accept(token) else {
                throw StoreError.notFound
            }
            var device = device
            if device.ownership == .personal,
                try Bool.fetchOne(
                    db.cachedStatement(sql: """
                        SELECT 1 FROM corporate_identifiers WHERE tenant_id = ?
                            AND ((kind = 'serialNumber' AND value = ?) OR (kind = 'imei' AND value = ?))
                        """), arguments: [tenant, device.serialNumber, device.imei]) != nil
            {
                device.ownership = .corporate
            }
            try db.cachedStatement(sql: "UPDATE enrollment_tokens SET use_count = use_count + 1 WHERE tenant_id = ? AND id = ?")
                .execute(arguments: [tenant, tokenID.rawValue])
            if let platformId = device.platformId,
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: """
                        SELECT id, secret_verifier, ownership, re_enrollment_until, retired_at FROM devices
                        WHERE tenant_id = ? AND platform_id = ? ORDER BY id LIMIT 1
                        """), arguments: [tenant, platformId])
            {
                let existing: String = row["id"]
                let retired = (row["retired_at"] as Int64?) != nil
                guard let audit = reEnrollment(EnrolledMachine(
                    id: DeviceID(rawValue: existing), secretVerifier: row["secret_verifier"],
                    reEnrollmentUntil: (row["re_enrollment_until"] as Int64?).map(Date.init(millisecondsSince1970:)),
                    retired: retired))
                else { throw StoreError.alreadyEnrolled }
                // The same machine enrolling again (agent reinstalled): keep its record, ownership
                // and user, rotate its secret, and forget acknowledged hashes so its next check-in
                // sends everything. A retired device starts over with the token's ownership.
                let ownership = retired ? device.ownership : Ownership(rawValue: row["ownership"]) ?? .personal
                try db.cachedStatement(sql: """
                    UPDATE devices SET secret_verifier = ?, ownership = ?, platform = ?, agent_version = ?,
                        hardware_hash = NULL, os_hash = NULL, network_hash = NULL, apps_hash = NULL,
                        re_enrollment_until = NULL, retired_at = NULL,
                        user_id = CASE WHEN ? THEN ? ELSE user_id END
                    WHERE tenant_id = ? AND id = ?
                    """).execute(arguments: [
                        device.secretVerifier, ownership.rawValue, device.platform.rawValue, device.agentVersion,
                        retired, device.userID?.rawValue, tenant, existing,
                    ])
                if retired && ownership == .personal {
                    softwareIDs.forget()
                    try Self.forgetCorporateOnlyData(db, tenant: tenant, device: existing)
                }
                try Self.appendAudit(db, audit)
                return (DeviceID(rawValue: existing), ownership)
            }
            // Cached, as every statement of an enrollment: compiling an insert into `devices`
            // compiles its counting triggers too, which was most of an enrollment's writer time.
            try db.cachedStatement(sql: """
                INSERT INTO devices (tenant_id, id, secret_verifier, ownership, platform, platform_id, device_name,
                    agent_version, enrolled_at, user_id, management_id, device_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    (SELECT coalesce(max(device_key), 0) + 1 FROM devices WHERE tenant_id = ?))
                """).execute(arguments: [
                    tenant, device.id.rawValue, device.secretVerifier, device.ownership.rawValue,
                    device.platform.rawValue, device.platformId, device.deviceName, device.agentVersion,
                    device.enrolledAt.millisecondsSince1970, device.userID?.rawValue, device.managementID, tenant,
                ])
            return (device.id, device.ownership)
        }
    }

    static func enrollmentToken(_ db: Database, tenantID: TenantID, id: CredentialID) throws -> EnrollmentTokenRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM enrollment_tokens WHERE tenant_id = ? AND id = ?"),
            arguments: [tenantID.rawValue, id.rawValue]
        ).map(enrollmentToken)
    }

    static func enrollmentToken(_ row: Row) throws -> EnrollmentTokenRecord {
        try EnrollmentTokenRecord(columns: SQLiteColumns(row))
    }
}
