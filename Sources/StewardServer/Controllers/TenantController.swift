import Foundation
import Hummingbird
import NIOCore
import StewardModel
import StewardStore

/// The settings and counts of the admin's own tenant.
struct TenantController: Sendable {
    let store: any TenantStore & ReportStore & DiagnosticsStore & UsageStore & RecordStore
    let auditor: Auditor
    let clock: Clock

    /// Counts maintained by the store as devices change and as diagnostics arrive: a read costs
    /// a few rows at any fleet size.
    func summary(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ReportSummary> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["days"])
        let days = try query.value("days").map { raw throws(WireError) in
            guard let days = Int(raw), (1...366).contains(days) else {
                throw WireError.invalidValue(field: "days", reason: "a whole number from 1 to 366")
            }
            return days
        } ?? 30
        let now = clock.now()
        let from = DiagnosticsDay.day(of: now.addingTimeInterval(-Double(days - 1) * 86_400))
        var summary = try await store.summary(tenantID: tenantID)
        summary.diagnostics = try await store.diagnosticsDays(tenantID: tenantID, from: from)
        // Counted in memory and flushed with the usage counts: up to a flush interval behind.
        summary.checkIns = try await store.featureUsage(tenantID: tenantID, feature: APIRoute.checkIn.description, from: from)
        summary.inactiveDevices = try await store.inactiveDeviceCount(
            tenantID: tenantID, before: now.addingTimeInterval(-Double(summary.inactiveDays) * 86_400))
        return JSONResponse(summary)
    }

    /// The device counts alone (by ownership, platform and operating system): one read of the
    /// rows the database keeps, for a dashboard or the console's operating-system filter.
    func deviceCounts(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<DeviceCounts> {
        let tenantID = try context.requireTenant()
        _ = try QueryParameters(request, allowed: [])
        return JSONResponse(try await store.deviceCounts(tenantID: tenantID))
    }

    func settings(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantSettings> {
        JSONResponse(try await tenant(context).settings)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TenantSettings> {
        let tenantID = try context.requireTenant()
        let patch = try await request.decodeJSON(TenantSettingsPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let old = try await tenant(context).settings
        var new = old
        new.compliantAppFeature = patch.compliantAppFeature ?? old.compliantAppFeature
        new.staleDeviceDays = patch.staleDeviceDays ?? old.staleDeviceDays
        new.auditRetentionDays = patch.auditRetentionDays ?? old.auditRetentionDays
        new.directoryDeprovisioning = patch.directoryDeprovisioning ?? old.directoryDeprovisioning
        new.directoryEraseAfterDays = patch.directoryEraseAfterDays ?? old.directoryEraseAfterDays
        var changes = Changes()
        changes.compare("compliantAppFeature", old.compliantAppFeature, new.compliantAppFeature)
        changes.compare("staleDeviceDays", old.staleDeviceDays, new.staleDeviceDays)
        changes.compare("auditRetentionDays", old.auditRetentionDays, new.auditRetentionDays)
        changes.compare("directoryDeprovisioning", old.directoryDeprovisioning.rawValue, new.directoryDeprovisioning.rawValue)
        changes.compare("directoryEraseAfterDays", old.directoryEraseAfterDays, new.directoryEraseAfterDays)
        let properties = changes.properties
        let featureEnds = old.compliantAppFeature && !new.compliantAppFeature
        try await store.updateSettings(tenantID, new) { [auditor] removal in
            var properties = properties
            if featureEnds {
                // What the feature's end deleted, by number only.
                properties.append(ModifiedProperty(name: "personalDeviceAppInventoriesDeleted", oldValue: nil, newValue: String(removal.devices)))
                properties.append(ModifiedProperty(name: "appInventoryRowsDeleted", oldValue: nil, newValue: String(removal.appRows)))
            }
            return auditor.event(
                context, activity: "TenantSettings", operation: .update, targetID: tenantID.rawValue, changes: properties)
        }
        return JSONResponse(new)
    }

    /// The data catalog as JSON: every stored field with its category, source, purpose, what
    /// personal devices show, the retention of its table and whether an export includes it.
    func privacyCatalog(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<PrivacyCatalogView> {
        _ = try QueryParameters(request, allowed: [])
        let tenant = try await tenant(context)
        return JSONResponse(PrivacyCatalogView(settings: tenant.settings))
    }

    /// The tenant's privacy statement, generated from the catalog and its settings.
    func privacyStatement(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["format"])
        let format = try query.value("format").map { raw throws(WireError) in
            guard let format = PrivacyStatement.Format(rawValue: raw) else {
                throw WireError.unknownEnumValue(field: "format", allowed: PrivacyStatement.Format.allCases.map(\.rawValue))
            }
            return format
        } ?? .markdown
        let tenant = try await tenant(context)
        let connectors = try await store.records(ConnectorRecord.self, tenantID: tenant.id, filter: [:], after: nil, limit: 1_000)
        let text = PrivacyStatement(settings: .init(tenant, connectors: connectors)).render(format)
        var headers = HTTPFields()
        headers[.contentType] = format == .html ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func tenant(_ context: StewardRequestContext) async throws -> TenantRecord {
        guard let tenant = try await store.tenant(try context.requireTenant()) else { throw APIError.unauthorized }
        return tenant
    }
}
