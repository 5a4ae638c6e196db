import Foundation
import StewardModel

/// A tenant with its first admin and that admin's first API token, created together.
public struct NewTenant: Sendable {
    public var id: TenantID
    public var name: String
    public var createdAt: Date
    public var admin: AdminRecord
    public var token: AdminTokenRecord
    public var assignments: [RoleAssignmentRecord]
    public var audit: AuditEvent

    public init(
        id: TenantID, name: String, createdAt: Date, admin: AdminRecord, token: AdminTokenRecord,
        assignments: [RoleAssignmentRecord], audit: AuditEvent
    ) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.admin = admin
        self.token = token
        self.assignments = assignments
        self.audit = audit
    }
}

public struct TenantRecord: Sendable, Equatable {
    public var id: TenantID
    public var name: String
    public var settings: TenantSettings
    public var createdAt: Date
    public var account: TenantAccount

    public var compliantAppFeature: Bool { settings.compliantAppFeature }

    public init(id: TenantID, name: String, settings: TenantSettings, createdAt: Date, account: TenantAccount = TenantAccount()) {
        self.id = id
        self.name = name
        self.settings = settings
        self.createdAt = createdAt
        self.account = account
    }
}

/// The tenant's account: owner, subscription (the key sealed under the master key), billing
/// reference, closure.
public struct TenantAccount: Sendable, Equatable {
    public var ownerEmail: String?
    public var plan: SubscriptionPlan
    public var licensedDevices: Int?
    public var licensedUsers: Int?
    public var sealedSubscriptionKey: Data?
    public var billingReference: String?
    public var closureRequestedAt: Date?
    public var closesAt: Date?

    public init(
        ownerEmail: String? = nil, plan: SubscriptionPlan = .standard, licensedDevices: Int? = nil, licensedUsers: Int? = nil,
        sealedSubscriptionKey: Data? = nil, billingReference: String? = nil, closureRequestedAt: Date? = nil, closesAt: Date? = nil
    ) {
        self.ownerEmail = ownerEmail
        self.plan = plan
        self.licensedDevices = licensedDevices
        self.licensedUsers = licensedUsers
        self.sealedSubscriptionKey = sealedSubscriptionKey
        self.billingReference = billingReference
        self.closureRequestedAt = closureRequestedAt
        self.closesAt = closesAt
    }

    /// The columns of `tenants` that hold it, in a fixed order, and their values.
    public static let columns: [(name: String, type: ColumnType)] = [
        ("owner_email", .text), ("plan", .text), ("licensed_devices", .integer), ("licensed_users", .integer),
        ("subscription_key", .blob), ("billing_reference", .text), ("closure_requested_at", .integer), ("closes_at", .integer),
    ]
    public var values: [StoreValue] {
        [
            .text(ownerEmail), .text(plan.rawValue), .integer(licensedDevices.map(Int64.init)), .integer(licensedUsers.map(Int64.init)),
            .blob(sealedSubscriptionKey), .text(billingReference), .date(closureRequestedAt), .date(closesAt),
        ]
    }

    public init(row: StoredRow) {
        self.init(
            ownerEmail: row.text("owner_email"), plan: SubscriptionPlan(rawValue: row.string("plan")) ?? .standard,
            licensedDevices: row.integer("licensed_devices").map(Int.init), licensedUsers: row.integer("licensed_users").map(Int.init),
            sealedSubscriptionKey: row.blob("subscription_key"), billingReference: row.text("billing_reference"),
            closureRequestedAt: row.date("closure_requested_at"), closesAt: row.date("closes_at"))
    }
}

public struct EnrollmentTokenRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var id: CredentialID
    public var verifier: Data
    public var ownership: Ownership
    public var description: String?
    public var createdAt: Date
    public var expiresAt: Date?
    public var maxUses: Int?
    public var useCount: Int
    public var revokedAt: Date?
    /// The user every device enrolled with this token will belong to.
    public var userID: UserID?

    public init(
        tenantID: TenantID, id: CredentialID, verifier: Data, ownership: Ownership, description: String?, createdAt: Date,
        expiresAt: Date?, maxUses: Int?, useCount: Int = 0, revokedAt: Date? = nil, userID: UserID? = nil
    ) {
        self.userID = userID
        self.tenantID = tenantID
        self.id = id
        self.verifier = verifier
        self.ownership = ownership
        self.description = description
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.useCount = useCount
        self.revokedAt = revokedAt
    }

    /// Why this token cannot enroll a device now, or nil when it can.
    public func refusal(at now: Date) -> String? {
        if let ended = ended(at: now) { return ended }
        if let maxUses, useCount >= maxUses { return "used up" }
        return nil
    }

    /// Revoked or expired: it authenticates nothing any more (a used-up token still vouches
    /// for the devices it enrolled, as agents without a device secret need).
    public func ended(at now: Date) -> String? {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= now { return "expired" }
        return nil
    }
}

/// A device to create (or, when its platform identifier is known in the tenant, to re-enroll).
/// The device a machine enrolling again already is: what proves the new enrollment is that machine.
public struct EnrolledMachine: Sendable {
    public let id: DeviceID
    public let secretVerifier: Data
    public let reEnrollmentUntil: Date?
    public let retired: Bool

    public init(id: DeviceID, secretVerifier: Data, reEnrollmentUntil: Date?, retired: Bool) {
        self.id = id
        self.secretVerifier = secretVerifier
        self.reEnrollmentUntil = reEnrollmentUntil
        self.retired = retired
    }
}

public struct NewDevice: Sendable {
    public var tenantID: TenantID
    public var id: DeviceID
    public var secretVerifier: Data
    public var ownership: Ownership
    public var platform: Platform
    public var platformId: String?
    public var deviceName: String?
    public var agentVersion: String?
    public var enrolledAt: Date
    public var userID: UserID?
    public var serialNumber: String?
    public var imei: String?
    /// Steward's management ID for the device (distinct from its ID), made at enrollment.
    public var managementID: String?

    public init(
        tenantID: TenantID, id: DeviceID, secretVerifier: Data, ownership: Ownership, platform: Platform,
        platformId: String?, deviceName: String?, agentVersion: String?, enrolledAt: Date, userID: UserID? = nil
    ) {
        self.userID = userID
        self.tenantID = tenantID
        self.id = id
        self.secretVerifier = secretVerifier
        self.ownership = ownership
        self.platform = platform
        self.platformId = platformId
        self.deviceName = deviceName
        self.agentVersion = agentVersion
        self.enrolledAt = enrolledAt
    }
}

/// What a check-in needs to know about its device, read in one query.
public struct DeviceCheckInState: Sendable, Equatable {
    public var tenantID: TenantID
    public var deviceID: DeviceID
    public var secretVerifier: Data
    public var ownership: Ownership
    public var compliantAppFeature: Bool
    public var hashes: SectionHashes
    /// The tenant's managed-apps version: the agent asks for its app list when it holds another.
    public var appsVersion: Int64
    /// Tasks waiting for the device (a count kept by the database, so a heartbeat reads no more).
    public var pendingTasks: Int

    public init(
        tenantID: TenantID, deviceID: DeviceID, secretVerifier: Data, ownership: Ownership, compliantAppFeature: Bool,
        hashes: SectionHashes, appsVersion: Int64 = 0, pendingTasks: Int = 0
    ) {
        self.appsVersion = appsVersion
        self.pendingTasks = pendingTasks
        self.tenantID = tenantID
        self.deviceID = deviceID
        self.secretVerifier = secretVerifier
        self.ownership = ownership
        self.compliantAppFeature = compliantAppFeature
        self.hashes = hashes
    }
}

/// The writes of one check-in, applied in one transaction. Nil sections are left as they are.
public struct InventoryUpdate: Sendable {
    public enum Apps: Sendable {
        case replace([AppRecord])
        /// Applied only when the stored app inventory still has hash `baseHash`.
        case delta(baseHash: String, upserted: [AppRecord], removed: [String])
    }

    public var tenantID: TenantID
    public var deviceID: DeviceID
    public var at: Date
    public var agentVersion: String?
    public var hardware: HardwareSection?
    public var operatingSystem: OperatingSystemSection?
    public var network: NetworkSection?
    public var apps: Apps?
    /// The hashes to store for the sections written.
    public var hashes: SectionHashes
    /// Managed-app states the device reported (replacing its previous report), if any.
    /// The physical MAC addresses the machine is recognised by (agents without a device
    /// secret); replaces the stored ones. Nil leaves them.
    public var identityMACs: [String]?
    public var appStates: [AppStateReport]?
    /// Hand out the device's pending tasks (and those sent before this time and still not
    /// acknowledged) in the same transaction; nil: none.
    public var handOutTasksSentBefore: Date?

    public init(
        tenantID: TenantID, deviceID: DeviceID, at: Date, agentVersion: String?, hardware: HardwareSection?,
        operatingSystem: OperatingSystemSection?, network: NetworkSection?, apps: Apps?, hashes: SectionHashes
    ) {
        self.tenantID = tenantID
        self.deviceID = deviceID
        self.at = at
        self.agentVersion = agentVersion
        self.hardware = hardware
        self.operatingSystem = operatingSystem
        self.network = network
        self.apps = apps
        self.hashes = hashes
    }
}

/// A device's last check-in time, recorded in batches off the request path.
public struct LastSeen: Sendable, Hashable {
    public var tenantID: TenantID
    public var deviceID: DeviceID
    public var at: Date

    public init(tenantID: TenantID, deviceID: DeviceID, at: Date) {
        self.tenantID = tenantID
        self.deviceID = deviceID
        self.at = at
    }
}

/// Filters and paging of the device list. `after` is the last device ID of the previous page.
public struct DeviceQuery: Sendable, Equatable {
    public var platform: Platform?
    public var ownership: Ownership?
    public var operatingSystem: String?
    public var namePrefix: String?
    public var lastCheckInBefore: Date?
    public var lastCheckInAfter: Date?
    public var userID: UserID?
    /// Only devices in one of these groups (a scoped admin's reach); nil for all.
    public var inGroups: [GroupID]?
    public var serialNumber: String?
    /// The stable platform identifier the agent reports (machine-id, SMBIOS UUID).
    public var platformId: String?
    public var managementID: String?
    public var directoryDeviceID: String?
    public var easDeviceID: String?
    public var windowsDeviceID: String?
    /// Devices recognised by any of these physical MAC addresses.
    public var macAddresses: [String]?
    public var sort: DeviceSort = .enrolled
    /// The last device ID of the previous page, and (for `.name` and `.lastCheckIn`) its sort value.
    public var after: DeviceID?
    public var afterValue: StoreValue?
    public var limit: Int

    public init(
        platform: Platform? = nil, ownership: Ownership? = nil, operatingSystem: String? = nil, namePrefix: String? = nil,
        lastCheckInBefore: Date? = nil, lastCheckInAfter: Date? = nil, after: DeviceID? = nil, limit: Int = Limits.defaultPageSize
    ) {
        self.platform = platform
        self.ownership = ownership
        self.operatingSystem = operatingSystem
        self.namePrefix = namePrefix
        self.lastCheckInBefore = lastCheckInBefore
        self.lastCheckInAfter = lastCheckInAfter
        self.after = after
        self.limit = limit
    }
}

/// What `InventoryStore.apply` did with the app inventory of a check-in.
public enum AppsOutcome: Sendable, Equatable {
    /// No app inventory was sent.
    case none
    case stored
    /// Refused by the app inventory gate (re-checked inside the transaction).
    case refusedByGate
    /// A delta against an inventory the server no longer holds: nothing applied.
    case baseMismatch
}

/// Filters of the audit log; `afterSequence` pages (ascending) and `beforeSequence` pages
/// (descending, newest first).
public struct AuditQuery: Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public var actorID: String?
    public var activity: String?
    public var targetID: String?
    public var targetType: String?
    public var newestFirst: Bool
    /// The last sequence of the previous page.
    public var afterSequence: Int64?
    public var limit: Int

    public init(
        from: Date? = nil, to: Date? = nil, actorID: String? = nil, activity: String? = nil, targetID: String? = nil,
        targetType: String? = nil, newestFirst: Bool = false, afterSequence: Int64? = nil, limit: Int = 1000
    ) {
        self.from = from
        self.to = to
        self.actorID = actorID
        self.activity = activity
        self.targetID = targetID
        self.targetType = targetType
        self.newestFirst = newestFirst
        self.afterSequence = afterSequence
        self.limit = limit
    }
}

/// The last run of a once-per-deployment job.
public struct JobRun: Sendable, Equatable {
    public var job: String
    /// The replica that ran it.
    public var holder: String
    public var ranAt: Date
    /// What it did, as counts (never personal data).
    public var result: String

    public init(job: String, holder: String, ranAt: Date, result: String) {
        self.job = job
        self.holder = holder
        self.ranAt = ranAt
        self.result = result
    }
}

/// A tenant's privacy statement is written with its name and settings.
extension PrivacyStatement.Settings {
    public init(_ tenant: TenantRecord) {
        self.init(
            tenantName: tenant.name, compliantAppFeature: tenant.settings.compliantAppFeature,
            staleDeviceDays: tenant.settings.staleDeviceDays, auditRetentionDays: tenant.settings.auditRetentionDays)
    }
}
