import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// End users, whom devices belong to (`users.read`, `users.manage`).
struct UserController: Sendable {
    let store: any RecordStore & TenantStore & ReportStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<UserView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "upn"])
        let limit = try query.limit()
        let users = try await store.records(UserRecord.self, tenantID: tenantID, filter: UserRecord.withUPN(try query.string("upn")), after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(users, limit: limit, \.view))
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<UserView> {
        JSONResponse(try await existing(context).view)
    }

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<UserView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(UserCreateRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        try await LicenseLimit.checkUsers(store, tenantID: tenantID)
        let user = UserRecord(
            tenantID: tenantID, id: ids(), displayName: input.displayName, upn: input.upn, email: input.email,
            phone: input.phone, externalIDs: input.externalIds ?? [:], createdAt: clock.now())
        try await conflictAsTaken {
            try await store.write(
                [.insert(user)],
                audit: auditor.event(
                    context, activity: "User", operation: .create, targetID: user.id.rawValue, targetName: user.displayName,
                    changes: Changes.created(Self.properties(user))))
        }
        return JSONResponse(user.view, status: .created)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<UserView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", UserID.self, "user")
        let patch = try await request.decodeJSON(UserPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let user = try await conflictAsTaken {
            try await store.update(UserRecord.self, tenantID: tenantID, key: id.rawValue) { old in
                var new = old
                new.displayName = patch.displayName ?? old.displayName
                new.upn = patch.upn ?? old.upn
                new.email = patch.email ?? old.email
                new.phone = patch.phone ?? old.phone
                new.externalIDs = patch.externalIds ?? old.externalIDs
                var changes = Changes()
                for ((name, before), (_, after)) in zip(Self.properties(old), Self.properties(new)) {
                    changes.compare(name, before, after)
                }
                return (new, auditor.event(
                    context, activity: "User", operation: .update, targetID: old.id.rawValue, targetName: new.displayName,
                    changes: changes.properties))
            }
        }
        return JSONResponse(user.view)
    }

    /// Deletes the user: their devices stay, belonging to nobody; their group memberships go.
    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", UserID.self, "user")
        try await store.delete(UserRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "User", operation: .delete, targetID: old.id.rawValue, targetName: old.displayName,
                changes: Changes.deleted(Self.properties(old)))
        }
        return Response(status: .noContent)
    }

    static func properties(_ user: UserRecord) -> [(String, String?)] {
        let ids = user.externalIDs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return [
            ("displayName", user.displayName), ("upn", user.upn), ("email", user.email), ("phone", user.phone),
            ("externalIds", ids.isEmpty ? nil : ids),
        ]
    }

    private func existing(_ context: StewardRequestContext) async throws -> UserRecord {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", UserID.self, "user")
        guard let user = try await store.record(UserRecord.self, tenantID: tenantID, key: id.rawValue) else {
            throw APIError.notFound("user")
        }
        return user
    }
}

/// A unique name or UPN already taken: 409 with a stable code.
func conflictAsTaken<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch StoreError.conflict {
        throw APIError(.conflict, "already_exists", "Another record of this tenant already has this name.")
    }
}
