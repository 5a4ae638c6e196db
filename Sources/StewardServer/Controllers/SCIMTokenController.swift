import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// The tokens a directory provisions with (`directory.provision`): shown once when made,
/// stored as verifiers, revoked by an admin.
struct SCIMTokenController: Sendable {
    static let defaultLifetimeDays = 365
    let store: any RecordStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator
    let publicURL: String?

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<SCIMTokenCreated> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(SCIMTokenRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let id: CredentialID = ids()
        let credential = Secrets.make(.directoryToken, tenantID: tenantID, id: id.rawValue)
        let now = clock.now()
        let record = SCIMTokenRecord(
            tenantID: tenantID, id: id, name: input.name, verifier: Secrets.verifier(of: credential), createdBy: adminID,
            createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval((input.expiresInDays ?? Self.defaultLifetimeDays) * 86_400)))
        try await store.write(
            [.insert(record)],
            audit: auditor.event(
                context, activity: "ScimToken", operation: .create, targetID: id.rawValue, targetName: input.name,
                changes: Changes.created([("name", input.name), ("expiresAt", record.expiresAt.map(WireCoding.format))])))
        // A directory connected for the first time is recorded as a connector: its flow opens.
        if try await store.records(ConnectorRecord.self, tenantID: tenantID, filter: ConnectorRecord.of(.directory), after: nil, limit: 1).isEmpty {
            _ = try await ConnectorController.record(
                ConnectorRecord(
                    tenantID: tenantID, id: ids(), kind: .directory, name: input.name, thirdPartyTenantID: input.directoryTenantId,
                    accountID: nil, createdBy: adminID, createdAt: now, updatedAt: now),
                store: store, auditor: auditor, context: context)
        }
        let base = (publicURL ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return JSONResponse(
            SCIMTokenCreated(token: credential.text, scimUrl: base + SCIMController.basePath, view: record.view), status: .created)
    }

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<SCIMTokenView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let tokens = try await store.records(SCIMTokenRecord.self, tenantID: tenantID, filter: [:], after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(tokens, limit: limit, \.view))
    }

    func revoke(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", CredentialID.self, "scim_token")
        let now = clock.now()
        try await store.update(SCIMTokenRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            guard old.revokedAt == nil else { throw APIError.notFound("scim_token") }
            var new = old
            new.revokedAt = now
            return (new, auditor.event(
                context, activity: "ScimToken", operation: .delete, targetID: old.id.rawValue, targetName: old.name,
                changes: [ModifiedProperty(name: "revokedAt", oldValue: nil, newValue: WireCoding.format(now))]))
        }
        return Response(status: .noContent)
    }
}
