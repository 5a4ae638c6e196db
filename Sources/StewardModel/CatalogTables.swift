/// How long a table's rows live. Retention is a property of rows, so it is declared per table;
/// the privacy statement states it with the tenant's own settings.
public enum Retention: String, Sendable, Codable, CaseIterable {
    /// As long as the tenant (tenant record, settings, groups, roles).
    case whileTenantExists
    /// Until an admin deletes it (or an erasure removes it).
    case untilDeleted
    /// While the device is enrolled; a device that has not checked in for the tenant's
    /// `staleDeviceDays` is removed, with everything collected from it.
    case whileDeviceIsManaged
    /// Until revoked or expired, then purged after 30 days.
    case untilEnded
    /// The tenant's `auditRetentionDays`; never changed, and no admin can delete it.
    case auditRetention
    /// Raw diagnostics: 30 days, then only their daily roll-ups remain.
    case rawDiagnostics
    /// While the device or user it stands for exists; an erasure cuts it at once.
    case whileSubjectExists
    /// Records of the service itself, with no personal content.
    case serviceRecord
    /// Support cases: while open, then a year after they closed; an erasure of the person
    /// they concern or of their contact deletes them at once.
    case supportCase
    /// While the app instance checks in: removed with its user, or after the tenant's
    /// `staleDeviceDays` without a check-in; its data key is destroyed when its data is wiped.
    case whileAppInstanceIsManaged
}

/// Whose data a table holds, for data-subject requests.
public enum DataSubject: String, Sendable, Codable {
    /// An end user (and, through them, their devices).
    case user
    /// A device (exported with the user it belongs to).
    case device
    /// An admin of the tenant.
    case admin
    /// Nobody in particular (settings, counts, service records).
    case none
}

/// A stored table: the topic it appears under in the privacy statement, its retention, and
/// whose data it is.
public struct CatalogTable: Sendable, Hashable, Codable {
    public let name: String
    public let topic: String
    public let retention: Retention
    public let subject: DataSubject

    public init(_ name: String, topic: String, retention: Retention, subject: DataSubject) {
        self.name = name
        self.topic = topic
        self.retention = retention
        self.subject = subject
    }
}

/// Data that leaves Steward, and to whom. The statement lists exactly these.
public struct DataFlow: Sendable, Hashable, Codable, Equatable {
    /// The connector kind whose configuration opens the flow.
    public let connector: ConnectorKind
    public let name: String
    public let recipient: String
    public let data: [String]
    public let purpose: String
}

extension DataCatalog {
    public static let tableDescriptions: [CatalogTable] = [
        .init("tenants", topic: "Tenant account information", retention: .whileTenantExists, subject: .none),
        .init("admins", topic: "Admin and account information", retention: .untilDeleted, subject: .admin),
        .init("admin_tokens", topic: "Access control information", retention: .untilEnded, subject: .admin),
        .init("role_assignments", topic: "Access control information", retention: .untilDeleted, subject: .admin),
        .init("roles", topic: "Access control information", retention: .whileTenantExists, subject: .none),
        .init("users", topic: "User information", retention: .untilDeleted, subject: .user),
        .init("groups", topic: "Groups", retention: .whileTenantExists, subject: .none),
        .init("scim_tokens", topic: "Access control information", retention: .untilEnded, subject: .none),
        .init("support_cases", topic: "Support cases", retention: .supportCase, subject: .user),
        .init("support_messages", topic: "Support cases", retention: .supportCase, subject: .user),
        .init("app_protection_instances", topic: "App protection", retention: .whileAppInstanceIsManaged, subject: .user),
        .init("connectors", topic: "Third-party connectors", retention: .untilDeleted, subject: .admin),
        .init("apple_mdm_certificates", topic: "Apple device management", retention: .whileTenantExists, subject: .none),
        .init("apple_mdm_enrollments", topic: "Apple device management", retention: .whileDeviceIsManaged, subject: .device),
        .init("apple_mdm_commands", topic: "Apple device management", retention: .whileDeviceIsManaged, subject: .device),
        .init("group_members", topic: "Groups", retention: .untilDeleted, subject: .user),
        .init("enrollment_tokens", topic: "Enrollment", retention: .untilEnded, subject: .none),
        .init("corporate_identifiers", topic: "Enrollment", retention: .untilDeleted, subject: .none),
        .init("devices", topic: "Hardware inventory information", retention: .whileDeviceIsManaged, subject: .device),
        .init("software", topic: "Application inventory", retention: .whileTenantExists, subject: .none),
        .init("device_software", topic: "Application inventory", retention: .whileDeviceIsManaged, subject: .device),
        .init("device_macs", topic: "Hardware inventory information", retention: .whileDeviceIsManaged, subject: .device),
        .init("device_counts", topic: "Tenant account information", retention: .whileTenantExists, subject: .none),
        .init("audit_entries", topic: "Audit log information", retention: .auditRetention, subject: .admin),
        .init("audit_anchors", topic: "Audit log information", retention: .whileTenantExists, subject: .none),
        .init("pseudonym_keys", topic: "Diagnostics", retention: .whileTenantExists, subject: .none),
        .init("pseudonyms", topic: "Diagnostics", retention: .whileSubjectExists, subject: .user),
        .init("diagnostic_events", topic: "Diagnostics", retention: .rawDiagnostics, subject: .device),
        .init("diagnostics_daily", topic: "Diagnostics", retention: .whileTenantExists, subject: .none),
        .init("diagnostics_latency", topic: "Diagnostics", retention: .whileTenantExists, subject: .none),
        .init("managed_apps", topic: "Managed apps", retention: .whileTenantExists, subject: .none),
        .init("app_assignments", topic: "Managed apps", retention: .untilDeleted, subject: .none),
        .init("app_install_states", topic: "Managed apps", retention: .whileDeviceIsManaged, subject: .device),
        .init("app_user_states", topic: "Managed apps", retention: .whileDeviceIsManaged, subject: .none),
        .init("app_install_counts", topic: "Managed apps", retention: .whileTenantExists, subject: .none),
        .init("remote_tasks", topic: "Remote tasks", retention: .whileDeviceIsManaged, subject: .device),
        .init("feature_usage_daily", topic: "Usage of Steward's features", retention: .whileTenantExists, subject: .none),
        .init("schema_migrations", topic: "Service records", retention: .serviceRecord, subject: .none),
        .init("job_runs", topic: "Service records", retention: .serviceRecord, subject: .none),
        .init("key_checks", topic: "Service records", retention: .serviceRecord, subject: .none),
    ]

    /// Every flow out of Steward, each opened by a connector the tenant configures; with none
    /// configured nothing leaves (no telemetry, no third party). A tenant's statement lists the
    /// flows of its connectors.
    public static let flows: [DataFlow] = [
        DataFlow(
            connector: .directory, name: "Directory sync (SCIM)", recipient: "the organisation's directory (its SCIM client)",
            data: ["the users and groups it provisioned, as Steward holds them, in answers to its requests"],
            purpose: "keep the directory's users and groups and Steward's in step"),
        DataFlow(
            connector: .applePush, name: "Apple push notifications",
            recipient: "Apple (Apple Push Notification service), with the tenant's push certificate",
            data: ["a device's push token and PushMagic", "the push certificate's topic"],
            purpose: "wake an Apple device so it fetches its management commands (the commands themselves never pass through Apple)"),
    ]

    public static func table(_ name: String) -> CatalogTable? { tableDescriptions.first { $0.name == name } }

    /// Tables that belong to no tenant.
    public static let globalTables: Set<String> = ["tenants", "schema_migrations", "job_runs", "key_checks"]

    /// Every table a tenant owns rows of, in an order that deletes them all: the audit log
    /// first, app inventory rows before the app catalog they point at (no cascade there).
    public static var tenantOwnedTablesInDeletionOrder: [String] {
        let first = ["audit_entries", "audit_anchors", "device_software"]
        return first + tables.subtracting(globalTables).subtracting(first).sorted()
    }

    /// Whether a data-subject export includes the entry: personal data (identified or
    /// pseudonymized) of a table about a person or their device.
    public static func exported(_ entry: CatalogEntry) -> Bool {
        guard let table = table(entry.table), table.subject != .none else { return false }
        return entry.category == .identified || entry.category == .pseudonymized
    }
}

/// `GET /api/v1/privacy/catalog`: the catalog as the tenant's admins (and auditors) read it.
public struct PrivacyCatalogView: Codable, Sendable, Equatable {
    public struct Field: Codable, Sendable, Equatable, Hashable {
        public var table: String
        public var column: String
        public var category: DataCategory
        public var source: DataSource
        public var purpose: String
        public var personalDevice: PersonalDeviceDisplay
        public var retention: Retention
        public var exported: Bool

        /// Every catalog entry with its table's retention and whether an export includes it.
        public static var all: [Field] {
            DataCatalog.entries.map { entry in
                Field(
                    table: entry.table, column: entry.column, category: entry.category, source: entry.source,
                    purpose: entry.purpose, personalDevice: entry.personalDevice,
                    retention: DataCatalog.table(entry.table)?.retention ?? .serviceRecord, exported: DataCatalog.exported(entry))
            }
        }
    }


    public var fields: [Field]
    public var flows: [DataFlow]
    public var staleDeviceDays: Int
    public var auditRetentionDays: Int
    public var sold: Bool

    public init(settings: TenantSettings) {
        fields = Field.all
        flows = DataCatalog.flows
        staleDeviceDays = settings.staleDeviceDays
        auditRetentionDays = settings.auditRetentionDays
        sold = false
    }
}
