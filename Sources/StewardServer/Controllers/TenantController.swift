import Hummingbird
import StewardModel
import StewardStore

/// The settings and counts of the admin's own tenant.
struct TenantController: Sendable {
    let store: any TenantStore & ReportStore
    let auditor: Auditor

    /// Counts maintained by the store as devices change: a read costs a few rows at any size.
    func summary(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ReportSummary> {
        let tenantID = try context.requireTenant()
        _ = try QueryParameters(request, allowed: [])
        return JSONResponse(ReportSummary(devices: try await store.deviceCounts(tenantID: tenantID)))
    }

    func settings(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantSettings> {
        let tenantID = try context.requireTenant()
        guard let tenant = try await store.tenant(tenantID) else { throw APIError.unauthorized }
        return JSONResponse(TenantSettings(compliantAppFeature: tenant.compliantAppFeature))
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantSettings> {
        let tenantID = try context.requireTenant()
        let patch = try await request.decodeJSON(TenantSettingsPatch.self, limit: 16 * 1024)
        if let feature = patch.compliantAppFeature {
            let old = try await store.tenant(tenantID)?.compliantAppFeature
            var changes = Changes()
            changes.compare("compliantAppFeature", old, feature)
            try await store.updateSettings(
                tenantID, compliantAppFeature: feature,
                audit: auditor.event(
                    context, activity: "TenantSettings", operation: .update, targetID: tenantID.rawValue,
                    changes: changes.properties))
        }
        return try await settings(request, context: context)
    }
}
