import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// The third parties a tenant connects (`tenant.read` to list, `tenant.settings` to change):
/// each opens its declared flow in the privacy statement.
struct ConnectorController: Sendable {
    let store: any RecordStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<ConnectorView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let records = try await store.records(ConnectorRecord.self, tenantID: tenantID, filter: [:], after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(records, limit: limit, \.view))
    }

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ConnectorView> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(ConnectorCreateRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let record = try await Self.record(
            ConnectorRecord(
                tenantID: tenantID, id: ids(), kind: input.kind, name: input.name, thirdPartyTenantID: input.thirdPartyTenantId,
                accountID: input.accountId, createdBy: adminID, createdAt: clock.now(), updatedAt: clock.now()),
            store: store, auditor: auditor, context: context)
        return JSONResponse(record.view, status: .created)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ConnectorView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", ConnectorID.self, "connector")
        let patch = try await request.decodeJSON(ConnectorPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let now = clock.now()
        let record = try await store.update(ConnectorRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            var new = old
            new.name = patch.name ?? old.name
            new.thirdPartyTenantID = patch.thirdPartyTenantId ?? old.thirdPartyTenantID
            new.accountID = patch.accountId ?? old.accountID
            new.updatedAt = now
            var changes = Changes()
            for ((name, before), (_, after)) in zip(Self.properties(old), Self.properties(new)) { changes.compare(name, before, after) }
            return (new, auditor.event(
                context, activity: "Connector", operation: .update, targetID: old.id.rawValue, targetName: new.name,
                changes: changes.properties))
        }
        return JSONResponse(record.view)
    }

    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", ConnectorID.self, "connector")
        try await store.delete(ConnectorRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "Connector", operation: .delete, targetID: old.id.rawValue, targetName: old.name,
                changes: Changes.deleted(Self.properties(old)))
        }
        return Response(status: .noContent)
    }

    /// Records a connector, audited (also when a directory's first SCIM token is made).
    static func record(
        _ record: ConnectorRecord, store: any RecordStore, auditor: Auditor, context: StewardRequestContext
    ) async throws -> ConnectorRecord {
        try await store.write(
            [.insert(record)],
            audit: auditor.event(
                context, activity: "Connector", operation: .create, targetID: record.id.rawValue, targetName: record.name,
                changes: Changes.created(properties(record))))
        return record
    }

    static func properties(_ record: ConnectorRecord) -> [(String, String?)] {
        [("kind", record.kind.rawValue), ("name", record.name), ("thirdPartyTenantId", record.thirdPartyTenantID), ("accountId", record.accountID)]
    }
}
