import Foundation
import StewardModel

/// `admins`: an admin account. `passwordVerifier` is a bcrypt string; `totpSecret` is sealed
/// (AES-GCM under the master key) and only the server can open it.
public struct AdminRecord: StoredRecord, Equatable {
    public static let table = "admins"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("display_name", .text), ("user_name", .text), ("first_name", .text), ("last_name", .text), ("email", .text),
        ("phone", .text), ("directory_id", .text), ("password_verifier", .text), ("totp_secret", .blob),
        ("totp_enabled", .bool), ("disabled_at", .integer), ("failed_sign_ins", .integer), ("locked_until", .integer),
        ("last_sign_in_at", .integer), ("created_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: AdminID
    public var displayName: String
    public var userName: String?
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var directoryID: String?
    public var passwordVerifier: String?
    public var totpSecret: Data?
    public var totpEnabled: Bool
    public var disabledAt: Date?
    public var failedSignIns: Int
    public var lockedUntil: Date?
    public var lastSignInAt: Date?
    public var createdAt: Date

    public init(
        tenantID: TenantID, id: AdminID, displayName: String, userName: String? = nil, firstName: String? = nil,
        lastName: String? = nil, email: String? = nil, phone: String? = nil, directoryID: String? = nil,
        passwordVerifier: String? = nil, totpSecret: Data? = nil, totpEnabled: Bool = false, disabledAt: Date? = nil,
        failedSignIns: Int = 0, lockedUntil: Date? = nil, lastSignInAt: Date? = nil, createdAt: Date
    ) {
        self.tenantID = tenantID
        self.id = id
        self.displayName = displayName
        self.userName = userName
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.directoryID = directoryID
        self.passwordVerifier = passwordVerifier
        self.totpSecret = totpSecret
        self.totpEnabled = totpEnabled
        self.disabledAt = disabledAt
        self.failedSignIns = failedSignIns
        self.lockedUntil = lockedUntil
        self.lastSignInAt = lastSignInAt
        self.createdAt = createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [
            .text(displayName), .text(userName), .text(firstName), .text(lastName), .text(email), .text(phone),
            .text(directoryID), .text(passwordVerifier), .blob(totpSecret), .bool(totpEnabled), .date(disabledAt),
            .integer(Int64(failedSignIns)), .date(lockedUntil), .date(lastSignInAt), .date(createdAt),
        ]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: AdminID(rawValue: key), displayName: row.string("display_name"),
            userName: row.text("user_name"), firstName: row.text("first_name"), lastName: row.text("last_name"),
            email: row.text("email"), phone: row.text("phone"), directoryID: row.text("directory_id"),
            passwordVerifier: row.text("password_verifier"), totpSecret: row.blob("totp_secret"),
            totpEnabled: row.bool("totp_enabled"), disabledAt: row.date("disabled_at"),
            failedSignIns: Int(row.integer("failed_sign_ins") ?? 0), lockedUntil: row.date("locked_until"),
            lastSignInAt: row.date("last_sign_in_at"), createdAt: row.date("created_at") ?? .distantPast)
    }

    public var view: AdminView {
        AdminView(
            id: id, userName: userName, firstName: firstName, lastName: lastName, displayName: displayName, email: email,
            phone: phone, directoryId: directoryID, hasPassword: passwordVerifier != nil, totpEnabled: totpEnabled,
            disabled: disabledAt != nil, lockedUntil: lockedUntil, failedSignIns: failedSignIns,
            lastSignInAt: lastSignInAt, createdAt: createdAt)
    }
}

/// `admin_tokens`: API tokens and console sessions, stored as SHA-256 verifiers.
public struct AdminTokenRecord: StoredRecord, Equatable {
    public static let table = "admin_tokens"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("admin_id", .text), ("kind", .text), ("name", .text), ("verifier", .blob), ("created_at", .integer),
        ("expires_at", .integer), ("revoked_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: CredentialID
    public var adminID: AdminID
    public var kind: APITokenView.Kind
    public var name: String
    public var verifier: Data
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(
        tenantID: TenantID, id: CredentialID, adminID: AdminID, kind: APITokenView.Kind, name: String, verifier: Data,
        createdAt: Date, expiresAt: Date?, revokedAt: Date? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.adminID = adminID
        self.kind = kind
        self.name = name
        self.verifier = verifier
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(adminID.rawValue), .text(kind.rawValue), .text(name), .blob(verifier), .date(createdAt), .date(expiresAt), .date(revokedAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: CredentialID(rawValue: key), adminID: AdminID(rawValue: row.string("admin_id")),
            kind: APITokenView.Kind(rawValue: row.string("kind")) ?? .apiToken, name: row.string("name"),
            verifier: row.blob("verifier") ?? Data(), createdAt: row.date("created_at") ?? .distantPast,
            expiresAt: row.date("expires_at"), revokedAt: row.date("revoked_at"))
    }

    /// Usable now: not revoked, not expired.
    public func isActive(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }

    public var view: APITokenView {
        APITokenView(id: id, adminId: adminID, kind: kind, name: name, createdAt: createdAt, expiresAt: expiresAt, revokedAt: revokedAt)
    }
}

/// `users`: end users, whom devices belong to.
public struct UserRecord: StoredRecord, Equatable {
    public static let table = "users"
    /// A deleted user's devices and enrollment tokens belong to nobody; their group memberships
    /// go (a member is a user or a device, so no foreign key can say it).
    public static let dependents: [DependentRows] = [
        .clear(table: "devices", column: "user_id"), .clear(table: "enrollment_tokens", column: "user_id"),
        .remove(table: "group_members", column: "member_id"), .remove(table: "app_protection_instances", column: "user_id"),
    ]
    public static let columns: [(name: String, type: ColumnType)] = [
        ("display_name", .text), ("upn", .text), ("email", .text), ("phone", .text), ("external_ids", .text),
        ("created_at", .integer), ("given_name", .text), ("family_name", .text), ("origin", .text), ("directory_id", .text),
        ("deactivated_at", .integer), ("erase_at", .integer), ("directory_deleted_at", .integer), ("updated_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: UserID
    public var displayName: String
    public var upn: String
    public var email: String?
    public var phone: String?
    public var externalIDs: [String: String]
    public var createdAt: Date
    public var givenName: String?
    public var familyName: String?
    public var origin: DirectoryOrigin
    public var directoryID: String?
    public var deactivatedAt: Date?
    public var eraseAt: Date?
    /// The directory deleted the user: SCIM no longer shows them; they stay (disabled) or are
    /// erased as the tenant's setting says.
    public var directoryDeletedAt: Date?
    public var updatedAt: Date

    public init(
        tenantID: TenantID, id: UserID, displayName: String, upn: String, email: String?, phone: String?,
        externalIDs: [String: String], createdAt: Date, givenName: String? = nil, familyName: String? = nil,
        origin: DirectoryOrigin = .admin, directoryID: String? = nil, deactivatedAt: Date? = nil, eraseAt: Date? = nil,
        directoryDeletedAt: Date? = nil, updatedAt: Date? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.displayName = displayName
        self.upn = upn
        self.email = email
        self.phone = phone
        self.externalIDs = externalIDs
        self.createdAt = createdAt
        self.givenName = givenName
        self.familyName = familyName
        self.origin = origin
        self.directoryID = directoryID
        self.deactivatedAt = deactivatedAt
        self.eraseAt = eraseAt
        self.directoryDeletedAt = directoryDeletedAt
        self.updatedAt = updatedAt ?? createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [
            .text(displayName), .text(upn), .text(email), .text(phone), .json(externalIDs), .date(createdAt), .text(givenName),
            .text(familyName), .text(origin.rawValue), .text(directoryID), .date(deactivatedAt), .date(eraseAt),
            .date(directoryDeletedAt), .date(updatedAt),
        ]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: UserID(rawValue: key), displayName: row.string("display_name"), upn: row.string("upn"),
            email: row.text("email"), phone: row.text("phone"), externalIDs: row.json("external_ids") ?? [:],
            createdAt: row.date("created_at") ?? .distantPast, givenName: row.text("given_name"),
            familyName: row.text("family_name"), origin: DirectoryOrigin(rawValue: row.string("origin")) ?? .admin,
            directoryID: row.text("directory_id"), deactivatedAt: row.date("deactivated_at"), eraseAt: row.date("erase_at"),
            directoryDeletedAt: row.date("directory_deleted_at"), updatedAt: row.date("updated_at"))
    }

    public var view: UserView {
        UserView(
            id: id, displayName: displayName, givenName: givenName, familyName: familyName, upn: upn, email: email, phone: phone,
            externalIds: externalIDs, origin: origin, directoryId: directoryID, active: deactivatedAt == nil,
            deactivatedAt: deactivatedAt, eraseAt: eraseAt, createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// `groups`: static groups of users or devices; members are in `group_members`.
public struct GroupRecord: StoredRecord, Equatable {
    public static let table = "groups"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("name", .text), ("kind", .text), ("description", .text), ("created_at", .integer), ("origin", .text),
        ("directory_id", .text), ("updated_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: GroupID
    public var name: String
    public var kind: GroupKind
    public var description: String?
    public var createdAt: Date
    public var origin: DirectoryOrigin
    public var directoryID: String?
    public var updatedAt: Date

    public init(
        tenantID: TenantID, id: GroupID, name: String, kind: GroupKind, description: String?, createdAt: Date,
        origin: DirectoryOrigin = .admin, directoryID: String? = nil, updatedAt: Date? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.kind = kind
        self.description = description
        self.createdAt = createdAt
        self.origin = origin
        self.directoryID = directoryID
        self.updatedAt = updatedAt ?? createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(name), .text(kind.rawValue), .text(description), .date(createdAt), .text(origin.rawValue), .text(directoryID), .date(updatedAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: GroupID(rawValue: key), name: row.string("name"),
            kind: GroupKind(rawValue: row.string("kind")) ?? .device, description: row.text("description"),
            createdAt: row.date("created_at") ?? .distantPast, origin: DirectoryOrigin(rawValue: row.string("origin")) ?? .admin,
            directoryID: row.text("directory_id"), updatedAt: row.date("updated_at"))
    }
}

/// `scim_tokens`: the bearer tokens a directory provisions with, stored as SHA-256 verifiers.
public struct SCIMTokenRecord: StoredRecord, Equatable {
    public static let table = "scim_tokens"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("name", .text), ("verifier", .blob), ("created_by", .text), ("created_at", .integer), ("expires_at", .integer),
        ("revoked_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: CredentialID
    public var name: String
    public var verifier: Data
    public var createdBy: AdminID?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(
        tenantID: TenantID, id: CredentialID, name: String, verifier: Data, createdBy: AdminID?, createdAt: Date, expiresAt: Date?,
        revokedAt: Date? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.verifier = verifier
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(name), .blob(verifier), .text(createdBy?.rawValue), .date(createdAt), .date(expiresAt), .date(revokedAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: CredentialID(rawValue: key), name: row.string("name"), verifier: row.blob("verifier") ?? Data(),
            createdBy: row.text("created_by").map(AdminID.init(rawValue:)), createdAt: row.date("created_at") ?? .distantPast,
            expiresAt: row.date("expires_at"), revokedAt: row.date("revoked_at"))
    }

    public func isActive(at now: Date) -> Bool { revokedAt == nil && (expiresAt.map { $0 > now } ?? true) }

    public var view: SCIMTokenView {
        SCIMTokenView(id: id, name: name, createdBy: createdBy, createdAt: createdAt, expiresAt: expiresAt, revokedAt: revokedAt)
    }
}

/// `roles`: a tenant's custom roles (the built-in ones live in code, `RoleDefinition.builtIn`).
public struct RoleRecord: StoredRecord, Equatable {
    public static let table = "roles"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("name", .text), ("description", .text), ("permissions", .text), ("created_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: RoleID
    public var name: String
    public var description: String?
    public var permissions: [Permission]
    public var createdAt: Date

    public init(tenantID: TenantID, id: RoleID, name: String, description: String?, permissions: [Permission], createdAt: Date) {
        self.tenantID = tenantID
        self.id = id
        self.name = name
        self.description = description
        self.permissions = permissions
        self.createdAt = createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(name), .text(description), .json(permissions.map(\.rawValue)), .date(createdAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        let names: [String] = row.json("permissions") ?? []
        self.init(
            tenantID: tenantID, id: RoleID(rawValue: key), name: row.string("name"), description: row.text("description"),
            permissions: names.compactMap(Permission.init(rawValue:)), createdAt: row.date("created_at") ?? .distantPast)
    }

    public var view: RoleView {
        RoleView(id: id, name: name, description: description, permissions: permissions.sorted(), builtIn: false)
    }
}

/// `role_assignments`: a role given to one admin over all devices (no scope) or some device groups.
public struct RoleAssignmentRecord: StoredRecord, Equatable {
    public static let table = "role_assignments"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("role_id", .text), ("admin_id", .text), ("scope_group_ids", .text), ("created_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: RoleAssignmentID
    public var roleID: RoleID
    public var adminID: AdminID
    public var scopeGroupIDs: [GroupID]?
    public var createdAt: Date

    public init(tenantID: TenantID, id: RoleAssignmentID, roleID: RoleID, adminID: AdminID, scopeGroupIDs: [GroupID]?, createdAt: Date) {
        self.tenantID = tenantID
        self.id = id
        self.roleID = roleID
        self.adminID = adminID
        self.scopeGroupIDs = scopeGroupIDs
        self.createdAt = createdAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(roleID.rawValue), .text(adminID.rawValue), .json(scopeGroupIDs?.map(\.rawValue)), .date(createdAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        let scope: [String]? = row.json("scope_group_ids")
        self.init(
            tenantID: tenantID, id: RoleAssignmentID(rawValue: key), roleID: RoleID(rawValue: row.string("role_id")),
            adminID: AdminID(rawValue: row.string("admin_id")), scopeGroupIDs: scope?.map(GroupID.init(rawValue:)),
            createdAt: row.date("created_at") ?? .distantPast)
    }

    public var view: RoleAssignmentView {
        RoleAssignmentView(id: id, roleId: roleID, adminId: adminID, scopeGroupIds: scopeGroupIDs, createdAt: createdAt)
    }
}
