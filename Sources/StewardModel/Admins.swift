import Foundation

/// An admin as the API shows it (never a verifier or second-factor secret).
public struct AdminView: Codable, Sendable, Equatable {
    public var id: AdminID
    public var userName: String?
    public var firstName: String?
    public var lastName: String?
    public var displayName: String
    public var email: String?
    public var phone: String?
    public var directoryId: String?
    public var hasPassword: Bool
    public var totpEnabled: Bool
    public var disabled: Bool
    public var lockedUntil: Date?
    public var failedSignIns: Int
    public var lastSignInAt: Date?
    public var createdAt: Date

    public init(
        id: AdminID, userName: String?, firstName: String?, lastName: String?, displayName: String, email: String?,
        phone: String?, directoryId: String?, hasPassword: Bool, totpEnabled: Bool, disabled: Bool, lockedUntil: Date?,
        failedSignIns: Int, lastSignInAt: Date?, createdAt: Date
    ) {
        self.id = id
        self.userName = userName
        self.firstName = firstName
        self.lastName = lastName
        self.displayName = displayName
        self.email = email
        self.phone = phone
        self.directoryId = directoryId
        self.hasPassword = hasPassword
        self.totpEnabled = totpEnabled
        self.disabled = disabled
        self.lockedUntil = lockedUntil
        self.failedSignIns = failedSignIns
        self.lastSignInAt = lastSignInAt
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/admins` and `steward admin create`.
public struct AdminCreateRequest: Codable, Sendable, Equatable {
    public var userName: String
    public var firstName: String
    public var lastName: String
    public var email: String
    public var phone: String?
    public var directoryId: String?
    public var password: String

    public init(
        userName: String, firstName: String, lastName: String, email: String, phone: String? = nil,
        directoryId: String? = nil, password: String
    ) {
        self.userName = userName
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.directoryId = directoryId
        self.password = password
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try UserName.validate(userName, field: "userName")
        try check.required(firstName, "firstName", limit: 100)
        try check.required(lastName, "lastName", limit: 100)
        try EmailAddress.validate(email, field: "email")
        try check.string(phone, "phone", limit: 40)
        try check.string(directoryId, "directoryId", limit: 200)
        try PasswordPolicy.check(password, userName: userName, field: "password")
    }
}

/// `PATCH /api/v1/admins/{id}`: profile fields and whether the account is disabled.
public struct AdminPatch: Codable, Sendable, Equatable {
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var directoryId: String?
    public var disabled: Bool?

    public init(
        firstName: String? = nil, lastName: String? = nil, email: String? = nil, phone: String? = nil,
        directoryId: String? = nil, disabled: Bool? = nil
    ) {
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.directoryId = directoryId
        self.disabled = disabled
    }

    public func validate() throws(WireError) {
        let check = Validator()
        if let firstName { try check.required(firstName, "firstName", limit: 100) }
        if let lastName { try check.required(lastName, "lastName", limit: 100) }
        if let email { try EmailAddress.validate(email, field: "email") }
        try check.string(phone, "phone", limit: 40)
        try check.string(directoryId, "directoryId", limit: 200)
    }
}

/// `POST /api/v1/admins/{id}/password` (an admin resetting another's) and `POST /api/v1/me/password`.
public struct PasswordChangeRequest: Codable, Sendable, Equatable {
    public var password: String
    /// Required when changing one's own password.
    public var currentPassword: String?

    public init(password: String, currentPassword: String? = nil) {
        self.password = password
        self.currentPassword = currentPassword
    }
}

/// `POST /api/v1/sessions`: sign in. Without `apiToken` the answer is a console session
/// (also set as a cookie); with it, a named API token.
public struct SignInRequest: Codable, Sendable, Equatable {
    public struct TokenRequest: Codable, Sendable, Equatable {
        public var name: String
        public var expiresInDays: Int?
        public init(name: String, expiresInDays: Int? = nil) {
            self.name = name
            self.expiresInDays = expiresInDays
        }
    }

    public var tenantId: TenantID
    public var userName: String
    public var password: String
    /// The current code of the admin's authenticator app, when TOTP is enabled.
    public var totpCode: String?
    public var apiToken: TokenRequest?

    public init(tenantId: TenantID, userName: String, password: String, totpCode: String? = nil, apiToken: TokenRequest? = nil) {
        self.tenantId = tenantId
        self.userName = userName
        self.password = password
        self.totpCode = totpCode
        self.apiToken = apiToken
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.required(userName, "userName", limit: 100)
        try check.required(password, "password", limit: PasswordPolicy.maximumLength)
        try check.string(totpCode, "totpCode", limit: 10)
        if let apiToken { try apiToken.validate(field: "apiToken") }
    }
}

extension SignInRequest.TokenRequest {
    public func validate(field: String) throws(WireError) {
        try Validator().required(name, "\(field).name", limit: 100)
        if let days = expiresInDays, !(1...APITokenView.maximumLifetimeDays).contains(days) {
            throw .invalidValue(field: "\(field).expiresInDays", reason: "must be from 1 to \(APITokenView.maximumLifetimeDays)")
        }
    }
}

/// A console session or an API token; `token` is present only in the answer that created it.
public struct APITokenView: Codable, Sendable, Equatable {
    public static let maximumLifetimeDays = 365
    public static let defaultLifetimeDays = 90

    public var id: CredentialID
    public var adminId: AdminID
    public var kind: Kind
    public var name: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var token: String?

    public enum Kind: String, WireEnum {
        case apiToken, session
    }

    public init(
        id: CredentialID, adminId: AdminID, kind: Kind, name: String, createdAt: Date, expiresAt: Date?,
        revokedAt: Date?, token: String? = nil
    ) {
        self.id = id
        self.adminId = adminId
        self.kind = kind
        self.name = name
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.token = token
    }
}

/// `GET /api/v1/me`: who the caller is and what they may do.
public struct MeView: Codable, Sendable, Equatable {
    public var tenantId: TenantID
    public var admin: AdminView
    public var credentialId: CredentialID
    /// Each permission the caller holds, with the device groups it is limited to (nil: all devices).
    public var permissions: [PermissionGrant]

    public init(tenantId: TenantID, admin: AdminView, credentialId: CredentialID, permissions: [PermissionGrant]) {
        self.tenantId = tenantId
        self.admin = admin
        self.credentialId = credentialId
        self.permissions = permissions
    }
}

public struct PermissionGrant: Codable, Sendable, Equatable {
    public var permission: Permission
    public var scopeGroupIds: [GroupID]?

    public init(permission: Permission, scopeGroupIds: [GroupID]?) {
        self.permission = permission
        self.scopeGroupIds = scopeGroupIds
    }
}

/// `POST /api/v1/me/totp` answers with the secret to put in an authenticator app; the second
/// factor is on once `POST /api/v1/me/totp/confirm` proves a code from it.
public struct TOTPSetupView: Codable, Sendable, Equatable {
    public var secret: String
    public var otpauthURL: String

    public init(secret: String, otpauthURL: String) {
        self.secret = secret
        self.otpauthURL = otpauthURL
    }
}

public struct TOTPCodeRequest: Codable, Sendable, Equatable {
    public var code: String
    public init(code: String) { self.code = code }
}

/// Passwords: long rather than clever (NIST SP 800-63B): 12 to 128 characters, not containing
/// the user name, not a well-known password, not one repeated character.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumLength = 128
    static let wellKnown: Set<String> = [
        "password1234", "passwordpassword", "123456789012", "qwertyuiopas", "administrator", "letmeinletmein",
        "iloveyou1234", "welcome12345", "changeme1234", "steward12345",
    ]

    public static func check(_ password: String, userName: String?, field: String) throws(WireError) {
        if password.count < minimumLength { throw .invalidValue(field: field, reason: "must have at least \(minimumLength) characters") }
        if password.count > maximumLength { throw .stringTooLong(field: field, limit: maximumLength) }
        let lowered = password.lowercased()
        if let userName, !userName.isEmpty, lowered.contains(userName.lowercased()) {
            throw .invalidValue(field: field, reason: "must not contain the user name")
        }
        if wellKnown.contains(lowered) { throw .invalidValue(field: field, reason: "is a well-known password") }
        if Set(password).count < 4 { throw .invalidValue(field: field, reason: "has too few different characters") }
    }
}

/// User names: 1 to 100 of letters, digits, `.`, `_`, `-` and `@`.
public enum UserName {
    public static func validate(_ value: String, field: String) throws(WireError) {
        try Validator().required(value, field, limit: 100)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
        if !value.allSatisfy(allowed.contains) {
            throw .invalidValue(field: field, reason: "may hold only letters, digits, '.', '_', '-' and '@'")
        }
    }
}

public enum EmailAddress {
    public static func validate(_ value: String, field: String) throws(WireError) {
        try Validator().required(value, field, limit: 254)
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !value.contains(where: \.isWhitespace) else {
            throw .invalidValue(field: field, reason: "not an e-mail address")
        }
    }
}
