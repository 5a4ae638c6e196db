/// Every HTTP route Steward serves, declared once. The server registers its handlers against this
/// table, clients build paths from it, and a test keeps docs/openapi.yaml in agreement with it.
public struct APIRoute: Sendable, Hashable, CustomStringConvertible {
    public enum Method: String, Sendable { case GET, POST, PUT, PATCH, DELETE }

    /// Who may call a route.
    public enum Access: Sendable, Hashable {
        case anyone
        case enrollmentToken
        case device
        /// A directory's SCIM token (`POST /api/v1/scim-tokens`).
        case directoryToken
        /// An app-protection instance's secret.
        case appInstance
        /// A signed-in admin holding the permission (nil: any signed-in admin, for routes about
        /// the caller's own account).
        case admin(Permission?)
    }

    /// The permission an admin route needs.
    public var permission: Permission? {
        if case .admin(let permission) = access { return permission }
        return nil
    }

    public var isAdmin: Bool {
        if case .admin = access { return true }
        return false
    }

    /// Changes something (and so writes an audit entry).
    public var isMutation: Bool { method != .GET }

    public let method: Method
    /// Path with `{parameter}` placeholders, as in OpenAPI.
    public let path: String
    public let access: Access

    public init(_ method: Method, _ path: String, _ access: Access) {
        self.method = method
        self.path = path
        self.access = access
    }

    /// What the route's last path parameter names (`user` for `/api/v1/users/{id}`), the
    /// resource a "not found" from the store is about: `user_not_found`. Nil for routes
    /// without a parameter.
    public var resource: String? {
        let segments = path.split(separator: "/")
        guard let last = segments.lastIndex(where: { $0.hasPrefix("{") }),
            let collection = segments[..<last].last(where: { !$0.hasPrefix("{") })
        else { return nil }
        return Self.resources[String(collection)] ?? String(collection)
    }

    /// Collections whose resource is not simply the singular with underscores.
    static let resources = [
        "users": "user", "groups": "group", "roles": "role", "role-assignments": "role_assignment", "admins": "admin",
        "tokens": "token", "apps": "app", "assignments": "assignment", "devices": "device", "remote-tasks": "task",
        "tasks": "task", "members": "member", "enrollment-tokens": "enrollment_token",
        "corporate-identifiers": "corporate_identifier", "scim-tokens": "scim_token", "support-cases": "support_case", "messages": "support_message", "instances": "app_instance", "connectors": "connector", "Users": "user", "Groups": "group",
    ]

    public var description: String { "\(method.rawValue) \(path)" }

    /// The same path in Hummingbird's `:parameter` syntax.
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    /// The concrete path for the given parameter values, in order.
    public func path(_ values: String...) -> String {
        var remaining = values[...]
        return path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix("{"), let value = remaining.popFirst() else { return String(segment) }
            return value
        }.joined(separator: "/")
    }

    public static let health = APIRoute(.GET, "/health", .anyone)
    /// Readiness: the database answers (for load balancers and orchestrators).
    public static let ready = APIRoute(.GET, "/ready", .anyone)
    public static let enroll = APIRoute(.POST, "/api/v1/enroll", .enrollmentToken)
    public static let checkIn = APIRoute(.POST, "/api/v1/check-in", .device)
    public static let uploadDiagnostics = APIRoute(.POST, "/api/v1/diagnostics", .device)
    /// Long-poll: the device's pending tasks (`?wait=` seconds, 30 at most).
    public static let agentTasks = APIRoute(.GET, "/api/v1/agent/tasks", .device)
    public static let reportAgentTask = APIRoute(.POST, "/api/v1/agent/tasks/{taskId}", .device)
    /// Prometheus metrics of the service itself (no tenant's data, no personal labels).
    public static let metrics = APIRoute(.GET, "/metrics", .anyone)

    public static let signIn = APIRoute(.POST, "/api/v1/sessions", .anyone)
    public static let signOut = APIRoute(.DELETE, "/api/v1/sessions/current", .admin(nil))
    public static let me = APIRoute(.GET, "/api/v1/me", .admin(nil))
    public static let changeOwnPassword = APIRoute(.POST, "/api/v1/me/password", .admin(nil))
    public static let listOwnTokens = APIRoute(.GET, "/api/v1/me/tokens", .admin(nil))
    public static let createOwnToken = APIRoute(.POST, "/api/v1/me/tokens", .admin(nil))
    public static let revokeOwnToken = APIRoute(.DELETE, "/api/v1/me/tokens/{id}", .admin(nil))
    public static let startTOTP = APIRoute(.POST, "/api/v1/me/totp", .admin(nil))
    public static let confirmTOTP = APIRoute(.POST, "/api/v1/me/totp/confirm", .admin(nil))
    public static let disableTOTP = APIRoute(.DELETE, "/api/v1/me/totp", .admin(nil))

    public static let listAdmins = APIRoute(.GET, "/api/v1/admins", .admin(.adminsRead))
    public static let createAdmin = APIRoute(.POST, "/api/v1/admins", .admin(.adminsManage))
    public static let getAdmin = APIRoute(.GET, "/api/v1/admins/{id}", .admin(.adminsRead))
    public static let updateAdmin = APIRoute(.PATCH, "/api/v1/admins/{id}", .admin(.adminsManage))
    public static let resetAdminPassword = APIRoute(.POST, "/api/v1/admins/{id}/password", .admin(.adminsManage))
    public static let listAdminTokens = APIRoute(.GET, "/api/v1/admins/{id}/tokens", .admin(.adminsRead))
    public static let revokeAdminToken = APIRoute(.DELETE, "/api/v1/admins/{id}/tokens/{tokenId}", .admin(.adminsManage))

    public static let createEnrollmentToken = APIRoute(.POST, "/api/v1/enrollment-tokens", .admin(.enrollmentManage))
    public static let listEnrollmentTokens = APIRoute(.GET, "/api/v1/enrollment-tokens", .admin(.enrollmentRead))
    public static let revokeEnrollmentToken = APIRoute(.DELETE, "/api/v1/enrollment-tokens/{id}", .admin(.enrollmentManage))
    public static let uploadCorporateIdentifiers = APIRoute(.POST, "/api/v1/corporate-identifiers", .admin(.enrollmentManage))
    public static let listCorporateIdentifiers = APIRoute(.GET, "/api/v1/corporate-identifiers", .admin(.enrollmentRead))
    public static let deleteCorporateIdentifier = APIRoute(
        .DELETE, "/api/v1/corporate-identifiers/{kind}/{value}", .admin(.enrollmentManage))

    public static let listDevices = APIRoute(.GET, "/api/v1/devices", .admin(.devicesRead))
    public static let getDevice = APIRoute(.GET, "/api/v1/devices/{id}", .admin(.devicesRead))
    public static let updateDevice = APIRoute(.PATCH, "/api/v1/devices/{id}", .admin(.devicesUpdate))
    public static let deleteDevice = APIRoute(.DELETE, "/api/v1/devices/{id}", .admin(.devicesDelete))
    public static let listDeviceApps = APIRoute(.GET, "/api/v1/devices/{id}/apps", .admin(.devicesRead))
    public static let listDeviceManagedApps = APIRoute(.GET, "/api/v1/devices/{id}/managed-apps", .admin(.devicesRead))
    public static let createRemoteTask = APIRoute(.POST, "/api/v1/devices/{id}/remote-tasks", .admin(.devicesRemoteTask))
    public static let listRemoteTasks = APIRoute(.GET, "/api/v1/devices/{id}/remote-tasks", .admin(.devicesRead))
    public static let getRemoteTask = APIRoute(.GET, "/api/v1/devices/{id}/remote-tasks/{taskId}", .admin(.devicesRead))
    public static let cancelRemoteTask = APIRoute(.DELETE, "/api/v1/devices/{id}/remote-tasks/{taskId}", .admin(.devicesRemoteTask))
    public static let createGroupRemoteTasks = APIRoute(.POST, "/api/v1/groups/{id}/remote-tasks", .admin(.devicesRemoteTask))

    public static let listApps = APIRoute(.GET, "/api/v1/apps", .admin(.appsRead))
    public static let createApp = APIRoute(.POST, "/api/v1/apps", .admin(.appsManage))
    public static let getApp = APIRoute(.GET, "/api/v1/apps/{id}", .admin(.appsRead))
    public static let updateApp = APIRoute(.PATCH, "/api/v1/apps/{id}", .admin(.appsManage))
    public static let deleteApp = APIRoute(.DELETE, "/api/v1/apps/{id}", .admin(.appsManage))
    public static let listAppAssignments = APIRoute(.GET, "/api/v1/apps/{id}/assignments", .admin(.appsRead))
    public static let createAppAssignment = APIRoute(.POST, "/api/v1/apps/{id}/assignments", .admin(.appsAssign))
    public static let deleteAppAssignment = APIRoute(.DELETE, "/api/v1/apps/{id}/assignments/{assignmentId}", .admin(.appsAssign))
    public static let appInstallSummary = APIRoute(.GET, "/api/v1/apps/{id}/install-summary", .admin(.appsRead))
    public static let appDeviceStatuses = APIRoute(.GET, "/api/v1/apps/{id}/device-statuses", .admin(.appsRead))
    public static let appUserStatuses = APIRoute(.GET, "/api/v1/apps/{id}/user-statuses", .admin(.appsRead))

    public static let listUsers = APIRoute(.GET, "/api/v1/users", .admin(.usersRead))
    public static let createUser = APIRoute(.POST, "/api/v1/users", .admin(.usersManage))
    public static let getUser = APIRoute(.GET, "/api/v1/users/{id}", .admin(.usersRead))
    public static let updateUser = APIRoute(.PATCH, "/api/v1/users/{id}", .admin(.usersManage))
    public static let deleteUser = APIRoute(.DELETE, "/api/v1/users/{id}", .admin(.usersManage))

    public static let listGroups = APIRoute(.GET, "/api/v1/groups", .admin(.groupsRead))
    public static let createGroup = APIRoute(.POST, "/api/v1/groups", .admin(.groupsManage))
    public static let getGroup = APIRoute(.GET, "/api/v1/groups/{id}", .admin(.groupsRead))
    public static let updateGroup = APIRoute(.PATCH, "/api/v1/groups/{id}", .admin(.groupsManage))
    public static let deleteGroup = APIRoute(.DELETE, "/api/v1/groups/{id}", .admin(.groupsManage))
    public static let listGroupMembers = APIRoute(.GET, "/api/v1/groups/{id}/members", .admin(.groupsRead))
    public static let addGroupMember = APIRoute(.POST, "/api/v1/groups/{id}/members", .admin(.groupsManage))
    public static let removeGroupMember = APIRoute(.DELETE, "/api/v1/groups/{id}/members/{memberId}", .admin(.groupsManage))

    public static let listRoles = APIRoute(.GET, "/api/v1/roles", .admin(.rolesRead))
    public static let createRole = APIRoute(.POST, "/api/v1/roles", .admin(.rolesManage))
    public static let getRole = APIRoute(.GET, "/api/v1/roles/{id}", .admin(.rolesRead))
    public static let updateRole = APIRoute(.PATCH, "/api/v1/roles/{id}", .admin(.rolesManage))
    public static let deleteRole = APIRoute(.DELETE, "/api/v1/roles/{id}", .admin(.rolesManage))
    public static let listRoleAssignments = APIRoute(.GET, "/api/v1/role-assignments", .admin(.rolesRead))
    public static let createRoleAssignment = APIRoute(.POST, "/api/v1/role-assignments", .admin(.rolesManage))
    public static let deleteRoleAssignment = APIRoute(.DELETE, "/api/v1/role-assignments/{id}", .admin(.rolesManage))

    public static let listAuditEntries = APIRoute(.GET, "/api/v1/audit-entries", .admin(.auditRead))
    public static let exportAuditEntries = APIRoute(.GET, "/api/v1/audit-entries/export", .admin(.auditRead))
    public static let verifyAuditEntries = APIRoute(.GET, "/api/v1/audit-entries/verification", .admin(.auditRead))

    public static let getTenantSettings = APIRoute(.GET, "/api/v1/tenant/settings", .admin(.tenantRead))
    public static let updateTenantSettings = APIRoute(.PATCH, "/api/v1/tenant/settings", .admin(.tenantSettings))
    public static let reportSummary = APIRoute(.GET, "/api/v1/reports/summary", .admin(.reportsRead))
    public static let reportDeviceCounts = APIRoute(.GET, "/api/v1/reports/device-counts", .admin(.reportsRead))
    public static let privacyCatalog = APIRoute(.GET, "/api/v1/privacy/catalog", .admin(.tenantRead))
    public static let privacyStatement = APIRoute(.GET, "/api/v1/privacy/statement", .admin(.tenantRead))
    public static let privacyExport = APIRoute(.POST, "/api/v1/privacy/exports", .admin(.privacyExport))
    public static let privacyErasure = APIRoute(.POST, "/api/v1/privacy/erasures", .admin(.privacyErase))
    public static let listDiagnostics = APIRoute(.GET, "/api/v1/diagnostics", .admin(.reportsRead))
    public static let reidentify = APIRoute(.POST, "/api/v1/privacy/reidentifications", .admin(.privacyReidentify))
    public static let rotatePseudonymKey = APIRoute(.POST, "/api/v1/privacy/pseudonym-keys", .admin(.privacyReidentify))

    public static let createSCIMToken = APIRoute(.POST, "/api/v1/scim-tokens", .admin(.directoryProvision))
    public static let listSCIMTokens = APIRoute(.GET, "/api/v1/scim-tokens", .admin(.tenantRead))
    public static let revokeSCIMToken = APIRoute(.DELETE, "/api/v1/scim-tokens/{id}", .admin(.directoryProvision))

    public static let createSupportCase = APIRoute(.POST, "/api/v1/support-cases", .admin(.supportManage))
    public static let listSupportCases = APIRoute(.GET, "/api/v1/support-cases", .admin(.tenantRead))
    public static let getSupportCase = APIRoute(.GET, "/api/v1/support-cases/{id}", .admin(.tenantRead))
    public static let updateSupportCase = APIRoute(.PATCH, "/api/v1/support-cases/{id}", .admin(.supportManage))
    public static let addSupportMessage = APIRoute(.POST, "/api/v1/support-cases/{id}/messages", .admin(.supportManage))
    public static let getSupportAttachment = APIRoute(
        .GET, "/api/v1/support-cases/{id}/messages/{messageId}/attachment", .admin(.tenantRead))

    /// App protection without enrollment: an app instance registers with an enrollment token
    /// that names its user, then checks in and fetches its data key with its own secret.
    public static let registerAppInstance = APIRoute(.POST, "/api/v1/app-protection/registrations", .enrollmentToken)
    public static let appInstanceCheckIn = APIRoute(.POST, "/api/v1/app-protection/check-in", .appInstance)
    public static let appInstanceKey = APIRoute(.GET, "/api/v1/app-protection/key", .appInstance)
    public static let listAppInstances = APIRoute(.GET, "/api/v1/app-protection/instances", .admin(.appsRead))
    public static let getAppInstance = APIRoute(.GET, "/api/v1/app-protection/instances/{id}", .admin(.appsRead))
    public static let wipeAppInstance = APIRoute(.POST, "/api/v1/app-protection/instances/{id}/wipe", .admin(.appsManage))
    public static let deleteAppInstance = APIRoute(.DELETE, "/api/v1/app-protection/instances/{id}", .admin(.appsManage))

    public static let getTenantAccount = APIRoute(.GET, "/api/v1/tenant/account", .admin(.tenantRead))
    public static let updateTenantAccount = APIRoute(.PATCH, "/api/v1/tenant/account", .admin(.tenantSettings))
    public static let closeTenant = APIRoute(.POST, "/api/v1/tenant/closure", .admin(.tenantSettings))
    public static let cancelTenantClosure = APIRoute(.DELETE, "/api/v1/tenant/closure", .admin(.tenantSettings))
    public static let listConnectors = APIRoute(.GET, "/api/v1/connectors", .admin(.tenantRead))
    public static let createConnector = APIRoute(.POST, "/api/v1/connectors", .admin(.tenantSettings))
    public static let updateConnector = APIRoute(.PATCH, "/api/v1/connectors/{id}", .admin(.tenantSettings))
    public static let deleteConnector = APIRoute(.DELETE, "/api/v1/connectors/{id}", .admin(.tenantSettings))
    /// The tenant's MDM push certificate from Apple (its key sealed, never shown).
    /// How an Apple device is managed: its MDM enrollment and command queue.
    public static let getAppleMDMEnrollment = APIRoute(.GET, "/api/v1/devices/{id}/apple-mdm", .admin(.devicesRead))
    public static let getApplePushCertificate = APIRoute(.GET, "/api/v1/apple-mdm/push-certificate", .admin(.tenantRead))
    public static let uploadApplePushCertificate = APIRoute(.POST, "/api/v1/apple-mdm/push-certificate", .admin(.tenantSettings))
    public static let deleteApplePushCertificate = APIRoute(.DELETE, "/api/v1/apple-mdm/push-certificate", .admin(.tenantSettings))

    /// SCIM 2.0 (RFC 7644): what a directory provisions users and groups through. The
    /// discovery documents name no tenant and need no token.
    public static let scimServiceProviderConfig = APIRoute(.GET, "/scim/v2/ServiceProviderConfig", .anyone)
    public static let scimResourceTypes = APIRoute(.GET, "/scim/v2/ResourceTypes", .anyone)
    public static let scimSchemas = APIRoute(.GET, "/scim/v2/Schemas", .anyone)
    public static let scimListUsers = APIRoute(.GET, "/scim/v2/Users", .directoryToken)
    public static let scimCreateUser = APIRoute(.POST, "/scim/v2/Users", .directoryToken)
    public static let scimGetUser = APIRoute(.GET, "/scim/v2/Users/{id}", .directoryToken)
    public static let scimReplaceUser = APIRoute(.PUT, "/scim/v2/Users/{id}", .directoryToken)
    public static let scimPatchUser = APIRoute(.PATCH, "/scim/v2/Users/{id}", .directoryToken)
    public static let scimDeleteUser = APIRoute(.DELETE, "/scim/v2/Users/{id}", .directoryToken)
    public static let scimListGroups = APIRoute(.GET, "/scim/v2/Groups", .directoryToken)
    public static let scimCreateGroup = APIRoute(.POST, "/scim/v2/Groups", .directoryToken)
    public static let scimGetGroup = APIRoute(.GET, "/scim/v2/Groups/{id}", .directoryToken)
    public static let scimReplaceGroup = APIRoute(.PUT, "/scim/v2/Groups/{id}", .directoryToken)
    public static let scimPatchGroup = APIRoute(.PATCH, "/scim/v2/Groups/{id}", .directoryToken)
    public static let scimDeleteGroup = APIRoute(.DELETE, "/scim/v2/Groups/{id}", .directoryToken)

    public static let scim: [APIRoute] = [
        scimServiceProviderConfig, scimResourceTypes, scimSchemas,
        scimListUsers, scimCreateUser, scimGetUser, scimReplaceUser, scimPatchUser, scimDeleteUser,
        scimListGroups, scimCreateGroup, scimGetGroup, scimReplaceGroup, scimPatchGroup, scimDeleteGroup,
    ]

    public static let all: [APIRoute] = [
        health, ready, metrics, enroll, checkIn, uploadDiagnostics, agentTasks, reportAgentTask,
        signIn, signOut, me, changeOwnPassword, listOwnTokens, createOwnToken, revokeOwnToken, startTOTP, confirmTOTP,
        disableTOTP,
        listAdmins, createAdmin, getAdmin, updateAdmin, resetAdminPassword, listAdminTokens, revokeAdminToken,
        createEnrollmentToken, listEnrollmentTokens, revokeEnrollmentToken, uploadCorporateIdentifiers,
        listCorporateIdentifiers, deleteCorporateIdentifier,
        listDevices, getDevice, updateDevice, deleteDevice, listDeviceApps, listDeviceManagedApps,
        createRemoteTask, listRemoteTasks, getRemoteTask, cancelRemoteTask, createGroupRemoteTasks,
        listApps, createApp, getApp, updateApp, deleteApp, listAppAssignments, createAppAssignment, deleteAppAssignment,
        appInstallSummary, appDeviceStatuses, appUserStatuses,
        listUsers, createUser, getUser, updateUser, deleteUser,
        listGroups, createGroup, getGroup, updateGroup, deleteGroup, listGroupMembers, addGroupMember, removeGroupMember,
        listRoles, createRole, getRole, updateRole, deleteRole, listRoleAssignments, createRoleAssignment,
        deleteRoleAssignment,
        listAuditEntries, exportAuditEntries, verifyAuditEntries,
        getTenantSettings, updateTenantSettings, reportSummary, reportDeviceCounts, privacyCatalog, privacyStatement, privacyExport,
        privacyErasure, listDiagnostics, reidentify, rotatePseudonymKey,
        createSCIMToken, listSCIMTokens, revokeSCIMToken,
        createSupportCase, listSupportCases, getSupportCase, updateSupportCase, addSupportMessage, getSupportAttachment,
        registerAppInstance, appInstanceCheckIn, appInstanceKey, listAppInstances, getAppInstance, wipeAppInstance, deleteAppInstance,
        listConnectors, createConnector, updateConnector, deleteConnector, getAppleMDMEnrollment, getApplePushCertificate, uploadApplePushCertificate,
        deleteApplePushCertificate,
        getTenantAccount, updateTenantAccount, closeTenant, cancelTenantClosure,
    ] + scim
}
