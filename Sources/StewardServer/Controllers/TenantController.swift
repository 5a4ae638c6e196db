import Hummingbird
import StewardModel
import StewardStore

/// The settings of the admin's own tenant.
struct TenantController: Sendable {
    let store: any TenantStore

    func settings(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantSettings> {
        let tenantID = try context.requireTenant()
        guard let tenant = try await store.tenant(tenantID) else { throw APIError.unauthorized }
        return JSONResponse(TenantSettings(compliantAppFeature: tenant.compliantAppFeature))
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantSettings> {
        let tenantID = try context.requireTenant()
        let patch = try await request.decodeJSON(TenantSettingsPatch.self, limit: 16 * 1024)
        if let feature = patch.compliantAppFeature {
            try await store.updateSettings(tenantID, compliantAppFeature: feature)
        }
        return try await settings(request, context: context)
    }
}
