import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Static groups of users or devices and their members (`groups.read`, `groups.manage`).
struct GroupController: Sendable {
    let store: any RecordStore & GroupMemberStore & DeviceStore
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<GroupView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "kind"])
        let limit = try query.limit()
        let kind = try query.value("kind").map { raw throws(WireError) in try GroupKind.parse(raw, field: "kind") }
        let groups = try await store.records(GroupRecord.self, tenantID: tenantID, filter: GroupRecord.ofKind(kind), after: try query.cursor(), limit: limit + 1)
        let shown = Array(groups.prefix(limit))
        let counts = try await store.memberCounts(tenantID: tenantID, groupIDs: shown.map(\.id))
        return JSONResponse(Page.of(groups, limit: limit) { Self.view($0, members: counts[$0.id] ?? 0) })
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<GroupView> {
        let group = try await existing(context)
        let counts = try await store.memberCounts(tenantID: group.tenantID, groupIDs: [group.id])
        return JSONResponse(Self.view(group, members: counts[group.id] ?? 0))
    }

    func create(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<GroupView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(GroupCreateRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let group = GroupRecord(
            tenantID: tenantID, id: ids(), name: input.name, kind: input.kind, description: input.description, createdAt: clock.now())
        try await conflictAsTaken {
            try await store.write(
                [.insert(group)],
                audit: auditor.event(
                    context, activity: "Group", operation: .create, targetID: group.id.rawValue, targetName: group.name,
                    changes: Changes.created([("name", group.name), ("kind", group.kind.rawValue), ("description", group.description)])))
        }
        return JSONResponse(Self.view(group, members: 0), status: .created)
    }

    func update(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<GroupView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", GroupID.self, "group")
        let patch = try await request.decodeJSON(GroupPatch.self, limit: Limits.smallBodyBytes)
        try patch.validate()
        let group = try await conflictAsTaken {
            try await store.update(GroupRecord.self, tenantID: tenantID, key: id.rawValue) { old in
                var new = old
                new.name = patch.name ?? old.name
                new.description = patch.description ?? old.description
                var changes = Changes()
                changes.compare("name", old.name, new.name)
                changes.compare("description", old.description, new.description)
                return (new, auditor.event(
                    context, activity: "Group", operation: .update, targetID: old.id.rawValue, targetName: new.name,
                    changes: changes.properties))
            }
        }
        let counts = try await store.memberCounts(tenantID: tenantID, groupIDs: [id])
        return JSONResponse(Self.view(group, members: counts[id] ?? 0))
    }

    /// Refused while a role assignment is scoped to the group: removing it would silently
    /// change what that assignment reaches.
    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", GroupID.self, "group")
        let assignments = try await store.records(RoleAssignmentRecord.self, tenantID: tenantID, filter: [:], after: nil, limit: 10_000)
        if assignments.contains(where: { $0.scopeGroupIDs?.contains(id) ?? false }) {
            throw APIError(.conflict, "group_in_use", "A role assignment is scoped to this group; change or delete it first.")
        }
        try await store.delete(GroupRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "Group", operation: .delete, targetID: old.id.rawValue, targetName: old.name,
                changes: Changes.deleted([("name", old.name), ("kind", old.kind.rawValue)]))
        }
        return Response(status: .noContent)
    }

    func members(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<GroupMemberView>> {
        let group = try await existing(context)
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let members = try await store.members(tenantID: group.tenantID, groupID: group.id, after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(members, limit: limit, key: \.id) { GroupMemberView(id: $0.id, kind: group.kind, addedAt: $0.addedAt) })
    }

    func addMember(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<GroupMemberView> {
        let group = try await existing(context)
        let input = try await request.decodeJSON(GroupMemberRequest.self, limit: 1024)
        let memberID: String
        switch (group.kind, input.deviceId, input.userId) {
        case (.device, let device?, nil):
            guard try await store.device(tenantID: group.tenantID, id: device) != nil else { throw APIError.notFound("device") }
            memberID = device.rawValue
        case (.user, nil, let user?):
            guard try await store.record(UserRecord.self, tenantID: group.tenantID, key: user.rawValue) != nil else {
                throw APIError.notFound("user")
            }
            memberID = user.rawValue
        default:
            throw APIError.invalid(.invalidValue(
                field: group.kind == .device ? "deviceId" : "userId", reason: "a \(group.kind.rawValue) group takes exactly one \(group.kind.rawValue)Id"))
        }
        let now = clock.now()
        do {
            try await store.addMember(
                tenantID: group.tenantID, groupID: group.id, memberID: memberID, at: now,
                audit: auditor.event(
                    context, activity: "Group", operation: .assign, targetID: group.id.rawValue, targetName: group.name,
                    changes: [ModifiedProperty(name: "members", oldValue: nil, newValue: memberID)]))
        } catch StoreError.conflict {
            throw APIError(.conflict, "already_member", "Already a member of this group.")
        }
        return JSONResponse(GroupMemberView(id: memberID, kind: group.kind, addedAt: now), status: .created)
    }

    func removeMember(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let group = try await existing(context)
        let memberID = context.parameters.get("memberId") ?? ""
        guard DeviceID.isWellFormed(memberID) else { throw APIError.notFound("member") }
        try await store.removeMember(
            tenantID: group.tenantID, groupID: group.id, memberID: memberID,
            audit: auditor.event(
                context, activity: "Group", operation: .unassign, targetID: group.id.rawValue, targetName: group.name,
                changes: [ModifiedProperty(name: "members", oldValue: memberID, newValue: nil)]))
        return Response(status: .noContent)
    }

    static func view(_ group: GroupRecord, members: Int) -> GroupView {
        GroupView(
            id: group.id, name: group.name, kind: group.kind, description: group.description, memberCount: members,
            origin: group.origin, directoryId: group.directoryID, createdAt: group.createdAt)
    }

    private func existing(_ context: StewardRequestContext) async throws -> GroupRecord {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", GroupID.self, "group")
        guard let group = try await store.record(GroupRecord.self, tenantID: tenantID, key: id.rawValue) else {
            throw APIError.notFound("group")
        }
        return group
    }
}
