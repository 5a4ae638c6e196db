import Foundation
import PostgresNIO
import StewardModel
import StewardStore

extension PostgresStorage {
    public func createTenant(_ tenant: NewTenant) async throws {
        let at = tenant.createdAt.millisecondsSince1970
        let (id, name, admin, adminName, token, verifier) =
            (tenant.id.rawValue, tenant.name, tenant.adminID.rawValue, tenant.adminName, tenant.tokenID.rawValue, tenant.tokenVerifier)
        try await transaction { connection in
            try await connection.query(
                "INSERT INTO tenants (id, name, compliant_app_feature, created_at) VALUES (\(id), \(name), FALSE, \(at))",
                logger: logger)
            try await connection.query(
                "INSERT INTO admins (tenant_id, id, display_name, created_at) VALUES (\(id), \(admin), \(adminName), \(at))",
                logger: logger)
            try await connection.query(
                """
                INSERT INTO admin_tokens (tenant_id, id, admin_id, name, verifier, created_at)
                VALUES (\(id), \(token), \(admin), 'initial', \(verifier), \(at))
                """, logger: logger)
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await rows("SELECT * FROM tenants ORDER BY created_at, id").map(Self.tenant)
    }

    public func tenant(_ id: TenantID) async throws -> TenantRecord? {
        try await rows("SELECT * FROM tenants WHERE id = \(id.rawValue)").first.map(Self.tenant)
    }

    public func updateSettings(_ id: TenantID, compliantAppFeature: Bool) async throws {
        let updated = try await rows(
            "UPDATE tenants SET compliant_app_feature = \(compliantAppFeature) WHERE id = \(id.rawValue) RETURNING id")
        if updated.isEmpty { throw StoreError.notFound }
    }

    public func adminToken(tenantID: TenantID, id: CredentialID) async throws -> AdminTokenRecord? {
        try await rows(
            "SELECT admin_id, verifier, revoked_at FROM admin_tokens WHERE tenant_id = \(tenantID.rawValue) AND id = \(id.rawValue)"
        ).first.map { row in
            AdminTokenRecord(
                tenantID: tenantID, id: id, adminID: AdminID(rawValue: try row.value("admin_id")),
                verifier: try row.value("verifier"), revoked: try row.date("revoked_at") != nil)
        }
    }

    static func tenant(_ row: PostgresRandomAccessRow) throws -> TenantRecord {
        TenantRecord(
            id: TenantID(rawValue: try row.value("id")), name: try row.value("name"),
            compliantAppFeature: try row.value("compliant_app_feature"),
            createdAt: Date(millisecondsSince1970: try row.value("created_at")))
    }
}
