import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Admin accounts as other admins manage them (`admins.read`, `admins.manage`).
struct AdminController: Sendable {
    let store: any RecordStore
    let accounts: AdminAccounts
    let auditor: Auditor
    let clock: Clock

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AdminView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let admins = try await store.records(AdminRecord.self, tenantID: tenantID, filter: [:], after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(admins, limit: limit, \.view))
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AdminView> {
        JSONResponse(try await existing(context).view)
    }

    /// Creates the admin with, optionally, a role over all devices (`?roleId=`); more specific
    /// assignments go through /api/v1/role-assignments.
    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AdminView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(AdminCreateRequest.self, limit: Limits.smallBodyBytes)
        let admin = try await accounts.create(tenantID: tenantID, input, roleID: nil) { admin, changes in
            auditor.event(context, activity: "Admin", operation: .create, targetID: admin.id.rawValue, targetName: admin.userName, changes: changes)
        }
        return JSONResponse(admin.view, status: .created)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AdminView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", AdminID.self, "admin")
        let patch = try await request.decodeJSON(AdminPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        if patch.disabled == true, id == context.adminID {
            throw APIError(.conflict, "cannot_disable_self", "An admin cannot disable their own account.")
        }
        try await Self.refuseActingAbove(id, tenantID: tenantID, context: context, store: store)
        let now = clock.now()
        let admin = try await store.update(AdminRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            var new = old
            new.firstName = patch.firstName ?? old.firstName
            new.lastName = patch.lastName ?? old.lastName
            new.email = patch.email ?? old.email
            new.phone = patch.phone ?? old.phone
            new.directoryID = patch.directoryId ?? old.directoryID
            if let disabled = patch.disabled { new.disabledAt = disabled ? (old.disabledAt ?? now) : nil }
            if new.firstName != nil || new.lastName != nil {
                new.displayName = [new.firstName, new.lastName].compactMap { $0 }.joined(separator: " ")
            }
            var changes = Changes()
            changes.compare("firstName", old.firstName, new.firstName)
            changes.compare("lastName", old.lastName, new.lastName)
            changes.compare("email", old.email, new.email)
            changes.compare("phone", old.phone, new.phone)
            changes.compare("directoryId", old.directoryID, new.directoryID)
            changes.compare("disabled", old.disabledAt != nil, new.disabledAt != nil)
            return (new, auditor.event(
                context, activity: "Admin", operation: .update, targetID: old.id.rawValue, targetName: old.userName,
                changes: changes.properties))
        }
        return JSONResponse(admin.view)
    }

    func resetPassword(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", AdminID.self, "admin")
        let input = try await request.decodeJSON(PasswordChangeRequest.self, limit: Limits.smallBodyBytes)
        try await Self.refuseActingAbove(id, tenantID: tenantID, context: context, store: store)
        _ = try await accounts.setPassword(tenantID: tenantID, adminID: id, password: input.password) { admin, changes in
            auditor.event(context, activity: "Admin", operation: .update, targetID: admin.id.rawValue, targetName: admin.userName, changes: changes)
        }
        return Response(status: .noContent)
    }

    func listTokens(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<APITokenView>> {
        let admin = try await existing(context)
        return JSONResponse(try await SessionController.tokens(of: admin.id, tenantID: admin.tenantID, request: request, store: store))
    }

    /// An admin acts only on accounts holding no permission they lack themselves: resetting a
    /// stronger admin's password (or disabling them) would be a way up.
    static func refuseActingAbove(_ id: AdminID, tenantID: TenantID, context: StewardRequestContext, store: any RecordStore) async throws {
        let theirs = try await AdminAuthentication.grants(of: id, tenantID: tenantID, store: store)
        let missing = theirs.permissions.keys.filter { !context.grants.allows($0) }.sorted()
        guard missing.isEmpty else {
            throw APIError(
                .forbidden, "permission_escalation",
                "This admin holds permissions you do not: \(missing.map(\.rawValue).joined(separator: ", ")).")
        }
    }

    private func existing(_ context: StewardRequestContext) async throws -> AdminRecord {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", AdminID.self, "admin")
        guard let admin = try await store.record(AdminRecord.self, tenantID: tenantID, key: id.rawValue) else {
            throw APIError.notFound("admin")
        }
        return admin
    }
}
