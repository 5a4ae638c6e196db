import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Roles (built-in and custom) and role assignments (`roles.read`, `roles.manage`).
struct RoleController: Sendable {
    let store: any RecordStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    /// Built-in roles first, then the tenant's own.
    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<RoleView>> {
        let tenantID = try context.requireTenant()
        _ = try QueryParameters(request, allowed: [])
        let custom = try await store.records(RoleRecord.self, tenantID: tenantID, filter: [:], after: nil, limit: 10_000)
        return JSONResponse(Page(items: RoleDefinition.builtIn.map(RoleView.init) + custom.map(\.view), nextCursor: nil))
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RoleView> {
        JSONResponse(try await role(try context.id("id", RoleID.self, "role"), context: context))
    }

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RoleView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(RoleCreateRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        if RoleDefinition.builtIn.contains(where: { $0.name == input.name }) {
            throw APIError(.conflict, "already_exists", "A built-in role has this name.")
        }
        try Self.refuseEscalation(Set(input.permissions), context)
        let role = RoleRecord(
            tenantID: tenantID, id: ids(), name: input.name, description: input.description,
            permissions: Array(Set(input.permissions)).sorted(), createdAt: clock.now())
        try await conflictAsTaken {
            try await store.write(
                [.insert(role)],
                audit: auditor.event(
                    context, activity: "Role", operation: .create, targetID: role.id.rawValue, targetName: role.name,
                    changes: Changes.created([
                        ("name", role.name), ("description", role.description),
                        ("permissions", role.permissions.map(\.rawValue).joined(separator: ",")),
                    ])))
        }
        return JSONResponse(role.view, status: .created)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RoleView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", RoleID.self, "role")
        try Self.refuseBuiltIn(id)
        let patch = try await request.decodeJSON(RolePatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        try Self.refuseEscalation(Set(patch.permissions ?? []), context)
        let role = try await conflictAsTaken {
            try await store.update(RoleRecord.self, tenantID: tenantID, key: id.rawValue) { old in
                var new = old
                new.name = patch.name ?? old.name
                new.description = patch.description ?? old.description
                new.permissions = patch.permissions.map { Array(Set($0)).sorted() } ?? old.permissions
                var changes = Changes()
                changes.compare("name", old.name, new.name)
                changes.compare("description", old.description, new.description)
                changes.compare(
                    "permissions", old.permissions.map(\.rawValue).joined(separator: ","),
                    new.permissions.map(\.rawValue).joined(separator: ","))
                return (new, auditor.event(
                    context, activity: "Role", operation: .update, targetID: old.id.rawValue, targetName: new.name,
                    changes: changes.properties))
            }
        }
        return JSONResponse(role.view)
    }

    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", RoleID.self, "role")
        try Self.refuseBuiltIn(id)
        let assigned = try await store.records(
            RoleAssignmentRecord.self, tenantID: tenantID, filter: RoleAssignmentRecord.of(id), after: nil, limit: 1)
        if !assigned.isEmpty {
            throw APIError(.conflict, "role_in_use", "The role is assigned; delete its assignments first.")
        }
        try await store.delete(RoleRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "Role", operation: .delete, targetID: old.id.rawValue, targetName: old.name,
                changes: Changes.deleted([("name", old.name), ("permissions", old.permissions.map(\.rawValue).joined(separator: ","))]))
        }
        return Response(status: .noContent)
    }

    func listAssignments(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<RoleAssignmentView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "adminId"])
        let limit = try query.limit()
        let admin = try query.value("adminId").map { raw throws(APIError) in
            guard AdminID.isWellFormed(raw) else { throw APIError.invalid(.invalidValue(field: "adminId", reason: "not a valid identifier")) }
            return AdminID(rawValue: raw)
        }
        let assignments = try await store.records(
            RoleAssignmentRecord.self, tenantID: tenantID, filter: RoleAssignmentRecord.heldBy(admin), after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(assignments, limit: limit, \.view))
    }

    func createAssignment(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<RoleAssignmentView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(RoleAssignmentCreateRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let role = try await role(input.roleId, context: context)
        try Self.refuseEscalation(Set(role.permissions), context)
        guard let admin = try await store.record(AdminRecord.self, tenantID: tenantID, key: input.adminId.rawValue) else {
            throw APIError.notFound("admin")
        }
        for groupID in input.scopeGroupIds ?? [] {
            guard let group = try await store.record(GroupRecord.self, tenantID: tenantID, key: groupID.rawValue) else {
                throw APIError.notFound("group")
            }
            guard group.kind == .device else {
                throw APIError.invalid(.invalidValue(field: "scopeGroupIds", reason: "a scope is made of device groups"))
            }
        }
        let assignment = RoleAssignmentRecord(
            tenantID: tenantID, id: ids(), roleID: role.id, adminID: admin.id,
            scopeGroupIDs: input.scopeGroupIds.map { Array(Set($0)).sorted { $0.rawValue < $1.rawValue } }, createdAt: clock.now())
        try await store.write(
            [.insert(assignment)],
            audit: auditor.event(
                context, activity: "RoleAssignment", operation: .assign, targetID: assignment.id.rawValue,
                targetName: "\(role.name) → \(admin.userName ?? admin.id.rawValue)",
                changes: Changes.created([
                    ("roleId", role.id.rawValue), ("adminId", admin.id.rawValue),
                    ("scopeGroupIds", assignment.scopeGroupIDs.map { $0.map(\.rawValue).joined(separator: ",") } ?? "all devices"),
                ])))
        return JSONResponse(assignment.view, status: .created)
    }

    func deleteAssignment(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", RoleAssignmentID.self, "role_assignment")
        try await store.delete(RoleAssignmentRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "RoleAssignment", operation: .unassign, targetID: old.id.rawValue,
                changes: Changes.deleted([
                    ("roleId", old.roleID.rawValue), ("adminId", old.adminID.rawValue),
                    ("scopeGroupIds", old.scopeGroupIDs.map { $0.map(\.rawValue).joined(separator: ",") } ?? "all devices"),
                ]))
        }
        return Response(status: .noContent)
    }

    private func role(_ id: RoleID, context: StewardRequestContext) async throws -> RoleView {
        if let builtIn = RoleDefinition.builtIn.first(where: { $0.id == id }) { return RoleView(builtIn) }
        guard let role = try await store.record(RoleRecord.self, tenantID: try context.requireTenant(), key: id.rawValue) else {
            throw APIError.notFound("role")
        }
        return role.view
    }

    /// Nobody grants what they do not hold: `roles.manage` alone cannot make an Administrator.
    private static func refuseEscalation(_ permissions: Set<Permission>, _ context: StewardRequestContext) throws {
        let missing = permissions.filter { !context.grants.allows($0) }.sorted()
        guard missing.isEmpty else {
            throw APIError(
                .forbidden, "permission_escalation",
                "You cannot grant permissions you do not hold: \(missing.map(\.rawValue).joined(separator: ", ")).")
        }
    }

    private static func refuseBuiltIn(_ id: RoleID) throws {
        if RoleDefinition.builtIn.contains(where: { $0.id == id }) {
            throw APIError(.forbidden, "built_in_role", "Built-in roles cannot be changed; make a custom role instead.")
        }
    }
}
