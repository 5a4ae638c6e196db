import StewardModel

/// Every signed-in console page and form, declared once with the API route whose permission it
/// needs (the route it reads or changes). The server registers its handlers against this table
/// and fails at start-up if they disagree; the permission and tenant-isolation tests walk it.
public struct ConsoleRoute: Sendable, Hashable, CustomStringConvertible {
    public enum Method: String, Sendable { case GET, POST }

    public let method: Method
    /// With `{parameter}` placeholders.
    public let path: String
    /// Nil: any signed-in admin (the home page, which sends each admin where their role allows).
    public let api: APIRoute?

    public init(_ method: Method, _ path: String, _ api: APIRoute?) {
        self.method = method
        self.path = path
        self.api = api
    }

    public var permission: Permission? { api?.permission }
    public var description: String { "\(method.rawValue) \(path)" }

    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    public static let home = ConsoleRoute(.GET, "/", nil)
    public static let devices = ConsoleRoute(.GET, "/devices", .listDevices)
    public static let devicesCSV = ConsoleRoute(.GET, "/devices.csv", .listDevices)
    /// A search by name or serial number: its terms are posted, never put in a URL.
    public static let searchDevices = ConsoleRoute(.POST, "/devices/search", .listDevices)
    public static let searchDevicesCSV = ConsoleRoute(.POST, "/devices.csv", .listDevices)
    public static let device = ConsoleRoute(.GET, "/devices/{id}", .getDevice)
    public static let createTask = ConsoleRoute(.POST, "/devices/{id}/tasks", .createRemoteTask)
    public static let updateDevice = ConsoleRoute(.POST, "/devices/{id}", .updateDevice)
    public static let deleteDevice = ConsoleRoute(.POST, "/devices/{id}/delete", .deleteDevice)
    public static let cancelTask = ConsoleRoute(.POST, "/devices/{id}/tasks/{taskId}/cancel", .cancelRemoteTask)
    public static let enrollment = ConsoleRoute(.GET, "/enrollment", .listEnrollmentTokens)
    public static let createEnrollmentToken = ConsoleRoute(.POST, "/enrollment", .createEnrollmentToken)
    public static let revokeEnrollmentToken = ConsoleRoute(.POST, "/enrollment/{id}/revoke", .revokeEnrollmentToken)
    public static let account = ConsoleRoute(.GET, "/account", .me)
    public static let changePassword = ConsoleRoute(.POST, "/account/password", .changeOwnPassword)
    public static let startTOTP = ConsoleRoute(.POST, "/account/totp", .startTOTP)
    public static let confirmTOTP = ConsoleRoute(.POST, "/account/totp/confirm", .confirmTOTP)
    public static let disableTOTP = ConsoleRoute(.POST, "/account/totp/disable", .disableTOTP)
    public static let createToken = ConsoleRoute(.POST, "/account/tokens", .createOwnToken)
    public static let revokeToken = ConsoleRoute(.POST, "/account/tokens/{id}/revoke", .revokeOwnToken)
    public static let users = ConsoleRoute(.GET, "/users", .listUsers)
    public static let createUser = ConsoleRoute(.POST, "/users", .createUser)
    public static let user = ConsoleRoute(.GET, "/users/{id}", .getUser)
    public static let groups = ConsoleRoute(.GET, "/groups", .listGroups)
    public static let createGroup = ConsoleRoute(.POST, "/groups", .createGroup)
    public static let group = ConsoleRoute(.GET, "/groups/{id}", .getGroup)
    public static let addMember = ConsoleRoute(.POST, "/groups/{id}/members", .addGroupMember)
    public static let removeMember = ConsoleRoute(.POST, "/groups/{id}/members/{memberId}/remove", .removeGroupMember)
    public static let apps = ConsoleRoute(.GET, "/apps", .listApps)
    public static let app = ConsoleRoute(.GET, "/apps/{id}", .getApp)
    public static let assignApp = ConsoleRoute(.POST, "/apps/{id}/assignments", .createAppAssignment)
    public static let audit = ConsoleRoute(.GET, "/audit", .listAuditEntries)
    public static let privacy = ConsoleRoute(.GET, "/privacy", .privacyCatalog)
    public static let privacyExport = ConsoleRoute(.POST, "/privacy/export", .privacyExport)
    public static let privacyErasure = ConsoleRoute(.POST, "/privacy/erasure", .privacyErasure)
    public static let corporateIdentifiers = ConsoleRoute(.POST, "/privacy/corporate-identifiers", .uploadCorporateIdentifiers)
    public static let reidentify = ConsoleRoute(.POST, "/privacy/reidentify", .reidentify)
    public static let admins = ConsoleRoute(.GET, "/admins", .listAdmins)
    public static let createAdmin = ConsoleRoute(.POST, "/admins", .createAdmin)
    public static let updateAdmin = ConsoleRoute(.POST, "/admins/{id}", .updateAdmin)
    public static let resetPassword = ConsoleRoute(.POST, "/admins/{id}/password", .resetAdminPassword)
    public static let assignRole = ConsoleRoute(.POST, "/admins/{id}/roles", .createRoleAssignment)
    public static let settings = ConsoleRoute(.GET, "/settings", .getTenantSettings)
    public static let updateSettings = ConsoleRoute(.POST, "/settings", .updateTenantSettings)
    public static let uploadPushCertificate = ConsoleRoute(.POST, "/settings/apple-push", .uploadApplePushCertificate)

    public static let support = ConsoleRoute(.GET, "/support", .listSupportCases)
    public static let openSupportCase = ConsoleRoute(.POST, "/support", .createSupportCase)
    public static let supportCase = ConsoleRoute(.GET, "/support/{id}", .getSupportCase)
    public static let writeSupportMessage = ConsoleRoute(.POST, "/support/{id}/messages", .addSupportMessage)
    public static let setSupportCaseStatus = ConsoleRoute(.POST, "/support/{id}/status", .updateSupportCase)

    public static let all: [ConsoleRoute] = [
        home, devices, devicesCSV, searchDevices, searchDevicesCSV, device, createTask, updateDevice, deleteDevice, cancelTask, enrollment, createEnrollmentToken,
        revokeEnrollmentToken, account, changePassword, startTOTP, confirmTOTP, disableTOTP, createToken, revokeToken, users, createUser, user, groups, createGroup, group,
        addMember, removeMember, apps, app, assignApp, audit, privacy, privacyExport, privacyErasure, corporateIdentifiers,
        reidentify, admins, createAdmin, updateAdmin, resetPassword, assignRole, settings, updateSettings, uploadPushCertificate,
        support, openSupportCase, supportCase, writeSupportMessage, setSupportCaseStatus,
    ]
}
