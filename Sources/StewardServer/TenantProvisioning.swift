import Foundation
import StewardModel
import StewardStore

/// Creates a tenant with its first admin and prints-once API token (`steward init`,
/// `steward tenant create`).
public struct TenantProvisioning: Sendable {
    let store: any TenantStore
    let clock: Clock
    let ids: IdentifierGenerator

    public init(store: any TenantStore, clock: Clock = .system, ids: IdentifierGenerator? = nil) {
        self.store = store
        self.clock = clock
        self.ids = ids ?? .timeOrdered(clock: clock)
    }

    public func createTenant(name: String, adminName: String = "Administrator") async throws -> TenantCreated {
        let tenantID: TenantID = ids()
        let tokenID: CredentialID = ids()
        let token = Secrets.make(.adminToken, tenantID: tenantID, id: tokenID.rawValue)
        try await store.createTenant(NewTenant(
            id: tenantID, name: name, adminID: ids(), adminName: adminName, tokenID: tokenID,
            tokenVerifier: Secrets.verifier(of: token), createdAt: clock.now()))
        return TenantCreated(tenantId: tenantID, adminToken: token.text)
    }
}
