import Foundation

/// An end user: the person devices belong to.
public struct UserView: Codable, Sendable, Equatable {
    public var id: UserID
    public var displayName: String
    public var upn: String
    public var email: String?
    public var phone: String?
    /// Identities at third parties, such as `{"appleId": "…"}`.
    public var externalIds: [String: String]
    public var createdAt: Date

    public init(
        id: UserID, displayName: String, upn: String, email: String?, phone: String?, externalIds: [String: String],
        createdAt: Date
    ) {
        self.id = id
        self.displayName = displayName
        self.upn = upn
        self.email = email
        self.phone = phone
        self.externalIds = externalIds
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/users`.
public struct UserCreateRequest: Codable, Sendable, Equatable {
    public var displayName: String
    public var upn: String
    public var email: String?
    public var phone: String?
    public var externalIds: [String: String]?

    public init(displayName: String, upn: String, email: String? = nil, phone: String? = nil, externalIds: [String: String]? = nil) {
        self.displayName = displayName
        self.upn = upn
        self.email = email
        self.phone = phone
        self.externalIds = externalIds
    }

    public func validate() throws(WireError) {
        try Validator().required(displayName, "displayName", limit: 200)
        try EmailAddress.validate(upn, field: "upn")
        if let email { try EmailAddress.validate(email, field: "email") }
        try Validator().string(phone, "phone", limit: 40)
        try ExternalIDs.validate(externalIds)
    }
}

/// `PATCH /api/v1/users/{id}`.
public struct UserPatch: Codable, Sendable, Equatable {
    public var displayName: String?
    public var upn: String?
    public var email: String?
    public var phone: String?
    public var externalIds: [String: String]?

    public init(displayName: String? = nil, upn: String? = nil, email: String? = nil, phone: String? = nil, externalIds: [String: String]? = nil) {
        self.displayName = displayName
        self.upn = upn
        self.email = email
        self.phone = phone
        self.externalIds = externalIds
    }

    public func validate() throws(WireError) {
        if let displayName { try Validator().required(displayName, "displayName", limit: 200) }
        if let upn { try EmailAddress.validate(upn, field: "upn") }
        if let email { try EmailAddress.validate(email, field: "email") }
        try Validator().string(phone, "phone", limit: 40)
        try ExternalIDs.validate(externalIds)
    }
}

enum ExternalIDs {
    static let allowed: Set<String> = ["appleId", "googleId", "microsoftId", "employeeId"]

    static func validate(_ ids: [String: String]?) throws(WireError) {
        guard let ids else { return }
        for (key, value) in ids {
            guard allowed.contains(key) else {
                throw .unknownEnumValue(field: "externalIds", allowed: allowed.sorted())
            }
            try Validator().required(value, "externalIds.\(key)", limit: 200)
        }
    }
}

/// Groups hold users or devices (static membership); they scope role assignments and receive
/// app assignments.
public enum GroupKind: String, WireEnum {
    case user, device
}

public struct GroupView: Codable, Sendable, Equatable {
    public var id: GroupID
    public var name: String
    public var kind: GroupKind
    public var description: String?
    public var memberCount: Int
    public var createdAt: Date

    public init(id: GroupID, name: String, kind: GroupKind, description: String?, memberCount: Int, createdAt: Date) {
        self.id = id
        self.name = name
        self.kind = kind
        self.description = description
        self.memberCount = memberCount
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/groups`.
public struct GroupCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    public var kind: GroupKind
    public var description: String?

    public init(name: String, kind: GroupKind, description: String? = nil) {
        self.name = name
        self.kind = kind
        self.description = description
    }

    public func validate() throws(WireError) {
        try Validator().required(name, "name", limit: 200)
        try Validator().string(description, "description")
    }
}

/// `PATCH /api/v1/groups/{id}` (the kind of a group never changes).
public struct GroupPatch: Codable, Sendable, Equatable {
    public var name: String?
    public var description: String?

    public init(name: String? = nil, description: String? = nil) {
        self.name = name
        self.description = description
    }

    public func validate() throws(WireError) {
        if let name { try Validator().required(name, "name", limit: 200) }
        try Validator().string(description, "description")
    }
}

/// `POST /api/v1/groups/{id}/members`: exactly one of the two, matching the group's kind.
public struct GroupMemberRequest: Codable, Sendable, Equatable {
    public var deviceId: DeviceID?
    public var userId: UserID?

    public init(deviceId: DeviceID? = nil, userId: UserID? = nil) {
        self.deviceId = deviceId
        self.userId = userId
    }
}

public struct GroupMemberView: Codable, Sendable, Equatable {
    /// The device or user ID.
    public var id: String
    public var kind: GroupKind
    public var addedAt: Date

    public init(id: String, kind: GroupKind, addedAt: Date) {
        self.id = id
        self.kind = kind
        self.addedAt = addedAt
    }
}
