import Foundation
import GRDB
import StewardModel
import StewardStore

extension SQLiteStorage {
    public func createTenant(_ tenant: NewTenant) async throws {
        try await pool.write { db in
            let at = tenant.createdAt.millisecondsSince1970
            try db.execute(
                sql: "INSERT INTO tenants (id, name, compliant_app_feature, created_at) VALUES (?, ?, 0, ?)",
                arguments: [tenant.id.rawValue, tenant.name, at])
            try db.execute(
                sql: "INSERT INTO admins (tenant_id, id, display_name, created_at) VALUES (?, ?, ?, ?)",
                arguments: [tenant.id.rawValue, tenant.adminID.rawValue, tenant.adminName, at])
            try db.execute(
                sql: """
                    INSERT INTO admin_tokens (tenant_id, id, admin_id, name, verifier, created_at)
                    VALUES (?, ?, ?, 'initial', ?, ?)
                    """,
                arguments: [tenant.id.rawValue, tenant.tokenID.rawValue, tenant.adminID.rawValue, tenant.tokenVerifier, at])
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY created_at, id").map(Self.tenant)
        }
    }

    public func tenant(_ id: TenantID) async throws -> TenantRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tenants WHERE id = ?", arguments: [id.rawValue]).map(Self.tenant)
        }
    }

    public func updateSettings(_ id: TenantID, compliantAppFeature: Bool) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tenants SET compliant_app_feature = ? WHERE id = ?",
                arguments: [compliantAppFeature, id.rawValue])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func adminToken(tenantID: TenantID, id: CredentialID) async throws -> AdminTokenRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT admin_id, verifier, revoked_at FROM admin_tokens WHERE tenant_id = ? AND id = ?",
                arguments: [tenantID.rawValue, id.rawValue]
            ).map { row in
                AdminTokenRecord(
                    tenantID: tenantID, id: id, adminID: AdminID(rawValue: row["admin_id"]), verifier: row["verifier"],
                    revoked: (row["revoked_at"] as Int64?) != nil)
            }
        }
    }

    static func tenant(_ row: Row) -> TenantRecord {
        TenantRecord(
            id: TenantID(rawValue: row["id"]), name: row["name"], compliantAppFeature: row["compliant_app_feature"],
            createdAt: Date(millisecondsSince1970: row["created_at"]))
    }
}
