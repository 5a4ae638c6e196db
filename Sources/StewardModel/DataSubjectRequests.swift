import Foundation

/// `POST /api/v1/privacy/exports` and `POST /api/v1/privacy/erasures`.
public struct DataSubjectRequest: Codable, Sendable, Equatable {
    public var userId: UserID

    public init(userId: UserID) { self.userId = userId }
}

/// Everything identified Steward holds about one user: their record, their devices with
/// inventory, the groups they are in, and the audit entries about them or their devices.
public struct PrivacyExportBundle: Codable, Sendable, Equatable {
    public struct DeviceExport: Codable, Sendable, Equatable {
        public var device: DeviceView
        public var apps: [AppRecord]
        /// Managed apps and their install states.
        public var managedApps: [DeviceManagedAppView]
        /// Remote tasks, with their collect-diagnostics bundles.
        public var remoteTasks: [RemoteTaskView]
        /// How an Apple device is managed (Apple MDM), with its UDID; never its push token.
        public var appleMDM: AppleMDMEnrollmentView?

        public init(
            device: DeviceView, apps: [AppRecord], managedApps: [DeviceManagedAppView] = [], remoteTasks: [RemoteTaskView] = [],
            appleMDM: AppleMDMEnrollmentView? = nil
        ) {
            self.appleMDM = appleMDM
            self.remoteTasks = remoteTasks
            self.device = device
            self.apps = apps
            self.managedApps = managedApps
        }
    }

    public var generatedAt: Date
    public var tenantId: TenantID
    public var user: UserView
    public var devices: [DeviceExport]
    public var groupIds: [GroupID]
    public var auditEntries: [AuditEntryView]
    /// Diagnostics stored under the pseudonyms of the user and their devices, re-linked for this export.
    public var diagnostics: [DiagnosticEventView]
    /// Support cases about the user or with them as the contact, with their messages and attachments.
    public var supportCases: [SupportCaseView]
    /// The user's app-protection records.
    public var appInstances: [AppProtectionView]
    /// The catalog entries an export includes, so the reader knows what each field is.
    public var fields: [PrivacyCatalogView.Field]

    public init(
        generatedAt: Date, tenantId: TenantID, user: UserView, devices: [DeviceExport], groupIds: [GroupID],
        auditEntries: [AuditEntryView], diagnostics: [DiagnosticEventView], supportCases: [SupportCaseView] = [],
        appInstances: [AppProtectionView] = [], fields: [PrivacyCatalogView.Field]
    ) {
        self.appInstances = appInstances
        self.supportCases = supportCases
        self.diagnostics = diagnostics
        self.generatedAt = generatedAt
        self.tenantId = tenantId
        self.user = user
        self.devices = devices
        self.groupIds = groupIds
        self.auditEntries = auditEntries
        self.fields = fields
    }
}

/// What an erasure removed. Counts only: the answer (and its audit entry) name nobody.
public struct ErasureView: Codable, Sendable, Equatable {
    public var devicesDeleted: Int
    public var auditEntriesBlanked: Int
    public var appCatalogRowsPurged: Int
    /// Pseudonyms whose link to the user or their devices was deleted: their diagnostics are anonymous now.
    public var pseudonymsUnlinked: Int
    /// Support cases about the user, or with them as the contact, deleted with their messages.
    public var supportCasesDeleted: Int
    /// App-protection records of the user (their data keys with them).
    public var appInstancesDeleted: Int

    public init(
        devicesDeleted: Int, auditEntriesBlanked: Int, appCatalogRowsPurged: Int, pseudonymsUnlinked: Int, supportCasesDeleted: Int = 0,
        appInstancesDeleted: Int = 0
    ) {
        self.appInstancesDeleted = appInstancesDeleted
        self.devicesDeleted = devicesDeleted
        self.auditEntriesBlanked = auditEntriesBlanked
        self.appCatalogRowsPurged = appCatalogRowsPurged
        self.pseudonymsUnlinked = pseudonymsUnlinked
        self.supportCasesDeleted = supportCasesDeleted
    }
}
