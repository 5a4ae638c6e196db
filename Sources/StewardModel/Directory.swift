import Foundation

/// Where a user or group came from: an admin (API, console, CLI) or the organisation's
/// directory over SCIM.
public enum DirectoryOrigin: String, WireEnum {
    case admin, directory
}

/// What deprovisioning a user in the directory (`active: false`, or a SCIM DELETE) does.
public enum DeprovisioningAction: String, WireEnum {
    /// The user stays, deactivated, until an admin deletes or erases them.
    case disable
    /// The user is erased (as by a data-subject erasure) after the tenant's `directoryEraseAfterDays`.
    case erase
}

/// An end user: the person devices belong to.
public struct UserView: Codable, Sendable, Equatable {
    public var id: UserID
    public var displayName: String
    public var givenName: String?
    public var familyName: String?
    public var upn: String
    public var email: String?
    public var phone: String?
    /// Identities at third parties, such as `{"appleId": "…"}`.
    public var externalIds: [String: String]
    /// Made by an admin or provisioned by the directory.
    public var origin: DirectoryOrigin
    /// The user's ID in the organisation's directory (SCIM `externalId`; Entra ID's object ID).
    public var directoryId: String?
    /// False once the directory deprovisioned the user.
    public var active: Bool
    public var deactivatedAt: Date?
    /// When the user will be erased, following the tenant's deprovisioning setting.
    public var eraseAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UserID, displayName: String, givenName: String? = nil, familyName: String? = nil, upn: String, email: String?,
        phone: String?, externalIds: [String: String], origin: DirectoryOrigin = .admin, directoryId: String? = nil,
        active: Bool = true, deactivatedAt: Date? = nil, eraseAt: Date? = nil, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.displayName = displayName
        self.givenName = givenName
        self.familyName = familyName
        self.upn = upn
        self.email = email
        self.phone = phone
        self.externalIds = externalIds
        self.origin = origin
        self.directoryId = directoryId
        self.active = active
        self.deactivatedAt = deactivatedAt
        self.eraseAt = eraseAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// `GET /api/v1/scim-tokens`: a directory's SCIM token (never its secret).
public struct SCIMTokenView: Codable, Sendable, Equatable {
    public var id: CredentialID
    public var name: String
    public var createdBy: AdminID?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: CredentialID, name: String, createdBy: AdminID?, createdAt: Date, expiresAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

/// `POST /api/v1/scim-tokens`: a name for the directory, and a lifetime (default one year).
public struct SCIMTokenRequest: Codable, Sendable, Equatable {
    public static let lifetimeDays = 1...730
    public var name: String
    public var expiresInDays: Int?
    /// The directory's own tenant ID (Entra ID's tenant ID), recorded on its connector.
    public var directoryTenantId: String?

    public init(name: String, expiresInDays: Int? = nil, directoryTenantId: String? = nil) {
        self.name = name
        self.expiresInDays = expiresInDays
        self.directoryTenantId = directoryTenantId
    }

    public func validate() throws(WireError) {
        try Validator().required(name, "name", limit: 100)
        try Validator().string(directoryTenantId, "directoryTenantId", limit: 200)
        if let days = expiresInDays, !Self.lifetimeDays.contains(days) {
            throw .invalidValue(field: "expiresInDays", reason: "must be from 1 to 730")
        }
    }
}

/// The token, shown once: the directory's SCIM client is configured with it and `scimUrl`.
public struct SCIMTokenCreated: Codable, Sendable, Equatable {
    public var token: String
    public var scimUrl: String
    public var view: SCIMTokenView

    public init(token: String, scimUrl: String, view: SCIMTokenView) {
        self.token = token
        self.scimUrl = scimUrl
        self.view = view
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
    /// Made by an admin or provisioned by the directory (whose groups the directory keeps).
    public var origin: DirectoryOrigin
    public var directoryId: String?
    public var createdAt: Date

    public init(
        id: GroupID, name: String, kind: GroupKind, description: String?, memberCount: Int, origin: DirectoryOrigin = .admin,
        directoryId: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.description = description
        self.memberCount = memberCount
        self.origin = origin
        self.directoryId = directoryId
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
