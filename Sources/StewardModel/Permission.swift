import Foundation

/// What an admin may do, as `resource.action`. Every admin route declares one (APIRoute); roles
/// are sets of them.
public enum Permission: String, WireEnum, Comparable {
    case devicesRead = "devices.read"
    case devicesUpdate = "devices.update"
    case devicesDelete = "devices.delete"
    case devicesRemoteTask = "devices.remoteTask"
    case devicesWipe = "devices.wipe"
    case devicesRetire = "devices.retire"
    case enrollmentRead = "enrollment.read"
    case enrollmentManage = "enrollment.manage"
    case usersRead = "users.read"
    case usersManage = "users.manage"
    case groupsRead = "groups.read"
    case groupsManage = "groups.manage"
    case appsRead = "apps.read"
    case appsManage = "apps.manage"
    case appsAssign = "apps.assign"
    case adminsRead = "admins.read"
    case adminsManage = "admins.manage"
    case rolesRead = "roles.read"
    case rolesManage = "roles.manage"
    case auditRead = "audit.read"
    case reportsRead = "reports.read"
    case tenantRead = "tenant.read"
    case tenantSettings = "tenant.settings"
    case privacyExport = "privacy.export"
    case privacyErase = "privacy.erase"
    case privacyReidentify = "privacy.reidentify"
    /// Make and revoke the tokens a directory provisions users and groups with (SCIM).
    case directoryProvision = "directory.provision"
    /// Open support cases with the deployment's operator and write in them.
    case supportManage = "support.manage"

    public static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A role: a named set of permissions. The built-in ones are modelled on the vendor service's
/// (plus our Privacy Officer) and have fixed IDs; tenants add custom roles.
public struct RoleDefinition: Sendable, Equatable {
    public var id: RoleID
    public var name: String
    public var description: String
    public var permissions: Set<Permission>

    public init(id: RoleID, name: String, description: String, permissions: Set<Permission>) {
        self.id = id
        self.name = name
        self.description = description
        self.permissions = permissions
    }

    static func builtInID(_ number: Int) -> RoleID {
        RoleID(rawValue: "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - String(number).count) + String(number))
    }

    private static let reads: Set<Permission> = [
        .devicesRead, .enrollmentRead, .usersRead, .groupsRead, .appsRead, .adminsRead, .rolesRead, .auditRead,
        .reportsRead, .tenantRead,
    ]

    public static let administrator = RoleDefinition(
        id: builtInID(1), name: "Administrator",
        description: "Everything, including admins, roles and tenant settings.",
        permissions: Set(Permission.allCases).subtracting([.privacyExport, .privacyErase, .privacyReidentify]))
    public static let policyAndProfileManager = RoleDefinition(
        id: builtInID(2), name: "Policy and Profile Manager",
        description: "Manages enrollment, device settings and groups.",
        permissions: reads.union([.devicesUpdate, .enrollmentManage, .groupsManage]))
    public static let applicationManager = RoleDefinition(
        id: builtInID(3), name: "Application Manager",
        description: "Manages and assigns apps.",
        permissions: reads.union([.appsManage, .appsAssign]))
    public static let helpDeskOperator = RoleDefinition(
        id: builtInID(4), name: "Help Desk Operator",
        description: "Reads devices and users and sends remote tasks to devices in scope.",
        permissions: reads.union([.devicesUpdate, .devicesRemoteTask, .usersManage]))
    public static let readOnlyOperator = RoleDefinition(
        id: builtInID(5), name: "Read Only Operator",
        description: "Reads everything, including the audit log; changes nothing.",
        permissions: reads)
    public static let privacyOfficer = RoleDefinition(
        id: builtInID(6), name: "Privacy Officer",
        description: "Answers data-subject requests: exports, erasures and re-identification, all audited.",
        permissions: [.usersRead, .devicesRead, .auditRead, .reportsRead, .tenantRead, .privacyExport, .privacyErase, .privacyReidentify])

    public static let builtIn: [RoleDefinition] = [
        administrator, policyAndProfileManager, applicationManager, helpDeskOperator, readOnlyOperator, privacyOfficer,
    ]
}
