import Foundation
import StewardModel
import StewardStore

/// Creates a tenant with its first admin (user name `admin`, Administrator and Privacy Officer
/// over all devices — the one account that holds every permission and can delegate each —, no
/// password until `steward admin reset-password admin`) and that admin's prints-once API
/// token (`steward init`, `steward tenant create`). The tenant's audit log starts with it.
public struct TenantProvisioning: Sendable {
    let store: any TenantStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    public init(store: any TenantStore, masterKey: MasterKey, clock: Clock = .system, ids: IdentifierGenerator? = nil) {
        self.store = store
        self.clock = clock
        let ids = ids ?? .timeOrdered(clock: clock)
        self.ids = ids
        auditor = Auditor(chain: masterKey.auditChain, clock: clock, ids: ids)
    }

    public func createTenant(name: String, adminName: String = "Administrator") async throws -> TenantCreated {
        let tenantID: TenantID = ids()
        let now = clock.now()
        let admin = AdminRecord(tenantID: tenantID, id: ids(), displayName: adminName, userName: "admin", createdAt: now)
        let tokenID: CredentialID = ids()
        let credential = Secrets.make(.adminToken, tenantID: tenantID, id: tokenID.rawValue)
        let token = AdminTokenRecord(
            tenantID: tenantID, id: tokenID, adminID: admin.id, kind: .apiToken, name: "initial",
            verifier: Secrets.verifier(of: credential), createdAt: now, expiresAt: nil)
        let assignments = [RoleDefinition.administrator, .privacyOfficer].map { role in
            RoleAssignmentRecord(
                tenantID: tenantID, id: ids(), roleID: role.id, adminID: admin.id, scopeGroupIDs: nil, createdAt: now)
        }
        let audit = auditor.cliEvent(
            tenantID: tenantID, activity: "Tenant", operation: .create, targetID: tenantID.rawValue, targetName: name,
            changes: Changes.created([
                ("name", name), ("adminId", admin.id.rawValue), ("adminUserName", admin.userName),
                ("roleIds", assignments.map(\.roleID.rawValue).joined(separator: ",")),
            ]))
        try await store.createTenant(NewTenant(
            id: tenantID, name: name, createdAt: now, admin: admin, token: token, assignments: assignments, audit: audit))
        return TenantCreated(tenantId: tenantID, adminToken: credential.text)
    }
}
