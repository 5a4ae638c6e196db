import Foundation

public struct RoleView: Codable, Sendable, Equatable {
    public var id: RoleID
    public var name: String
    public var description: String?
    public var permissions: [Permission]
    public var builtIn: Bool

    public init(id: RoleID, name: String, description: String?, permissions: [Permission], builtIn: Bool) {
        self.id = id
        self.name = name
        self.description = description
        self.permissions = permissions
        self.builtIn = builtIn
    }

    public init(_ definition: RoleDefinition) {
        self.init(
            id: definition.id, name: definition.name, description: definition.description,
            permissions: definition.permissions.sorted(), builtIn: true)
    }
}

/// `POST /api/v1/roles`: a custom role from any set of permissions.
public struct RoleCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var permissions: [Permission]

    public init(name: String, description: String? = nil, permissions: [Permission]) {
        self.name = name
        self.description = description
        self.permissions = permissions
    }

    public func validate() throws(WireError) {
        try Validator().required(name, "name", limit: 200)
        try Validator().string(description, "description")
        if permissions.isEmpty { throw .invalidValue(field: "permissions", reason: "must name at least one permission") }
        try Validator().count(permissions, "permissions", limit: Permission.allCases.count)
    }
}

/// `PATCH /api/v1/roles/{id}` (custom roles only).
public struct RolePatch: Codable, Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var permissions: [Permission]?

    public init(name: String? = nil, description: String? = nil, permissions: [Permission]? = nil) {
        self.name = name
        self.description = description
        self.permissions = permissions
    }

    public func validate() throws(WireError) {
        if let name { try Validator().required(name, "name", limit: 200) }
        try Validator().string(description, "description")
        if let permissions, permissions.isEmpty {
            throw .invalidValue(field: "permissions", reason: "must name at least one permission")
        }
        try Validator().count(permissions, "permissions", limit: Permission.allCases.count)
    }
}

/// A role given to an admin over a scope: all devices (`scopeGroupIds` absent) or the devices
/// of some device groups.
public struct RoleAssignmentView: Codable, Sendable, Equatable {
    public var id: RoleAssignmentID
    public var roleId: RoleID
    public var adminId: AdminID
    public var scopeGroupIds: [GroupID]?
    public var createdAt: Date

    public init(id: RoleAssignmentID, roleId: RoleID, adminId: AdminID, scopeGroupIds: [GroupID]?, createdAt: Date) {
        self.id = id
        self.roleId = roleId
        self.adminId = adminId
        self.scopeGroupIds = scopeGroupIds
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/role-assignments`.
public struct RoleAssignmentCreateRequest: Codable, Sendable, Equatable {
    public var roleId: RoleID
    public var adminId: AdminID
    public var scopeGroupIds: [GroupID]?

    public init(roleId: RoleID, adminId: AdminID, scopeGroupIds: [GroupID]? = nil) {
        self.roleId = roleId
        self.adminId = adminId
        self.scopeGroupIds = scopeGroupIds
    }

    public func validate() throws(WireError) {
        if let scopeGroupIds, scopeGroupIds.isEmpty {
            throw .invalidValue(field: "scopeGroupIds", reason: "omit it for all devices, or name at least one device group")
        }
        try Validator().count(scopeGroupIds, "scopeGroupIds", limit: 100)
    }
}
