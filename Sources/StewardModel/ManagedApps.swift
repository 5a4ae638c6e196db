import Foundation

/// How an agent decides whether a managed app is installed. On Linux: a Debian package,
/// optionally at or above a version (compared as dpkg does).
public struct DetectionRule: Codable, Sendable, Equatable, Hashable {
    public var debianPackage: String?
    public var minimumVersion: String?

    public init(debianPackage: String? = nil, minimumVersion: String? = nil) {
        self.debianPackage = debianPackage
        self.minimumVersion = minimumVersion
    }

    public func validate(_ field: String) throws(WireError) {
        if let debianPackage, !DebianVersion.isPackageName(debianPackage) {
            throw .invalidValue(field: "\(field).debianPackage", reason: "not a Debian package name")
        }
        if let minimumVersion, DebianVersion(minimumVersion) == nil {
            throw .invalidValue(field: "\(field).minimumVersion", reason: "not a Debian version")
        }
    }
}

/// An app in the tenant's catalog of managed apps (`/api/v1/apps`).
public struct ManagedAppView: Codable, Sendable, Equatable {
    public var id: ManagedAppID
    public var name: String
    public var publisher: String?
    public var version: String?
    public var platform: Platform
    /// The package identifier (on Linux, the Debian package).
    public var packageId: String
    public var sizeBytes: Int64?
    public var detection: DetectionRule
    public var createdAt: Date

    public init(
        id: ManagedAppID, name: String, publisher: String?, version: String?, platform: Platform, packageId: String,
        sizeBytes: Int64?, detection: DetectionRule, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.publisher = publisher
        self.version = version
        self.platform = platform
        self.packageId = packageId
        self.sizeBytes = sizeBytes
        self.detection = detection
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/apps`. On Linux the detection rule defaults to the package itself.
public struct ManagedAppCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    public var platform: Platform
    public var packageId: String
    public var publisher: String?
    public var version: String?
    public var sizeBytes: Int64?
    public var detection: DetectionRule?

    public init(
        name: String, platform: Platform, packageId: String, publisher: String? = nil, version: String? = nil,
        sizeBytes: Int64? = nil, detection: DetectionRule? = nil
    ) {
        self.name = name
        self.platform = platform
        self.packageId = packageId
        self.publisher = publisher
        self.version = version
        self.sizeBytes = sizeBytes
        self.detection = detection
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.required(name, "name", limit: 200)
        try check.required(packageId, "packageId", limit: 200)
        try check.string(publisher, "publisher", limit: 200)
        try check.string(version, "version", limit: 100)
        try check.nonNegative(sizeBytes, "sizeBytes")
        try detection?.validate("detection")
        if platform == .linux, detection?.debianPackage == nil, !DebianVersion.isPackageName(packageId) {
            throw .invalidValue(field: "packageId", reason: "a Linux app's package must be a Debian package name, or give detection.debianPackage")
        }
    }

    /// The rule agents apply: the given one, on Linux filled in with the package.
    public var effectiveDetection: DetectionRule {
        var rule = detection ?? DetectionRule()
        if platform == .linux, rule.debianPackage == nil { rule.debianPackage = packageId }
        return rule
    }
}

/// `PATCH /api/v1/apps/{id}`: descriptive fields and the detection rule; platform and package stay.
public struct ManagedAppPatch: Codable, Sendable, Equatable {
    public var name: String?
    public var publisher: String?
    public var version: String?
    public var sizeBytes: Int64?
    public var detection: DetectionRule?

    public init(name: String? = nil, publisher: String? = nil, version: String? = nil, sizeBytes: Int64? = nil, detection: DetectionRule? = nil) {
        self.name = name
        self.publisher = publisher
        self.version = version
        self.sizeBytes = sizeBytes
        self.detection = detection
    }

    public func validate() throws(WireError) {
        let check = Validator()
        if let name { try check.required(name, "name", limit: 200) }
        try check.string(publisher, "publisher", limit: 200)
        try check.string(version, "version", limit: 100)
        try check.nonNegative(sizeBytes, "sizeBytes")
        try detection?.validate("detection")
    }
}

/// What an assignment asks of the devices it reaches.
public enum AssignmentIntent: String, WireEnum {
    case required, available, uninstall
}

public struct AppAssignmentView: Codable, Sendable, Equatable {
    public var id: AppAssignmentID
    public var appId: ManagedAppID
    public var groupId: GroupID
    public var intent: AssignmentIntent
    public var createdAt: Date

    public init(id: AppAssignmentID, appId: ManagedAppID, groupId: GroupID, intent: AssignmentIntent, createdAt: Date) {
        self.id = id
        self.appId = appId
        self.groupId = groupId
        self.intent = intent
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/apps/{id}/assignments`: to a user group (their devices) or a device group.
public struct AppAssignmentRequest: Codable, Sendable, Equatable {
    public var groupId: GroupID
    public var intent: AssignmentIntent

    public init(groupId: GroupID, intent: AssignmentIntent) {
        self.groupId = groupId
        self.intent = intent
    }
}

/// The install state of a managed app on a device, as its agent found it.
public enum AppInstallState: String, WireEnum, Comparable {
    case installed, failed, notInstalled, uninstallFailed, pendingInstall, notApplicable

    /// Order of precedence when one app has several assignments for a device.
    public static func < (lhs: AppInstallState, rhs: AppInstallState) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// An app the server asks a device to manage: sent at check-in when the device's set changed.
public struct ManagedAppInstruction: Codable, Sendable, Equatable, Hashable {
    public var appId: ManagedAppID
    public var name: String
    public var platform: Platform
    public var packageId: String
    public var detection: DetectionRule
    public var intent: AssignmentIntent

    public init(appId: ManagedAppID, name: String, platform: Platform, packageId: String, detection: DetectionRule, intent: AssignmentIntent) {
        self.appId = appId
        self.name = name
        self.platform = platform
        self.packageId = packageId
        self.detection = detection
        self.intent = intent
    }

    /// One instruction per app: with several assignments, uninstall loses to required and
    /// available (an admin who makes an app required somewhere means it), required beats available.
    public static func merged(_ instructions: [ManagedAppInstruction]) -> [ManagedAppInstruction] {
        let rank: [AssignmentIntent: Int] = [.required: 0, .available: 1, .uninstall: 2]
        var best: [ManagedAppID: ManagedAppInstruction] = [:]
        for instruction in instructions {
            if let current = best[instruction.appId], rank[current.intent]! <= rank[instruction.intent]! { continue }
            best[instruction.appId] = instruction
        }
        return best.values.sorted { $0.appId.rawValue < $1.appId.rawValue }
    }
}

/// The device's managed apps, with the version of the tenant's assignments they come from.
public struct ManagedAppsPolicy: Codable, Sendable, Equatable {
    public var version: Int64
    public var apps: [ManagedAppInstruction]

    public init(version: Int64, apps: [ManagedAppInstruction]) {
        self.version = version
        self.apps = apps
    }
}

/// One app's state on the reporting device (`CheckInRequest.appStates`).
public struct AppStateReport: Codable, Sendable, Equatable, Hashable {
    public var appId: ManagedAppID
    public var state: AppInstallState
    /// Why, for failed, not-installed or uninstall-failed states (a short token).
    public var errorCode: String?

    public init(appId: ManagedAppID, state: AppInstallState, errorCode: String? = nil) {
        self.appId = appId
        self.state = state
        self.errorCode = errorCode
    }

    public func validate(_ field: String) throws(WireError) {
        if let errorCode, !DiagnosticEvent.isToken(errorCode) {
            throw .invalidValue(field: "\(field).errorCode", reason: "1–64 letters, digits or . _ - : /")
        }
    }
}

/// `GET /api/v1/apps/{id}/install-summary`: devices and users per state, maintained by the
/// database as states change. A user counts in a state when one or more of their devices is in it.
extension AppInstallSummary {
    /// How many devices are in the state.
    public func devices(in state: AppInstallState) -> Int {
        switch state {
        case .installed: installedDeviceCount
        case .failed: failedDeviceCount
        case .notInstalled: notInstalledDeviceCount
        case .uninstallFailed: uninstallFailedDeviceCount
        case .pendingInstall: pendingInstallDeviceCount
        case .notApplicable: notApplicableDeviceCount
        }
    }
}

public struct AppInstallSummary: Codable, Sendable, Equatable {
    public var appId: ManagedAppID
    public var installedDeviceCount: Int
    public var failedDeviceCount: Int
    public var notInstalledDeviceCount: Int
    public var uninstallFailedDeviceCount: Int
    public var pendingInstallDeviceCount: Int
    public var notApplicableDeviceCount: Int
    public var installedUserCount: Int
    public var failedUserCount: Int
    public var notInstalledUserCount: Int
    public var uninstallFailedUserCount: Int
    public var pendingInstallUserCount: Int
    public var notApplicableUserCount: Int

    /// From stored rows of (state, devices, users).
    public init(appId: ManagedAppID, rows: [(state: String, devices: Int, users: Int)]) {
        func count(_ state: AppInstallState) -> (Int, Int) {
            rows.first { $0.state == state.rawValue }.map { ($0.devices, $0.users) } ?? (0, 0)
        }
        self.appId = appId
        (installedDeviceCount, installedUserCount) = count(.installed)
        (failedDeviceCount, failedUserCount) = count(.failed)
        (notInstalledDeviceCount, notInstalledUserCount) = count(.notInstalled)
        (uninstallFailedDeviceCount, uninstallFailedUserCount) = count(.uninstallFailed)
        (pendingInstallDeviceCount, pendingInstallUserCount) = count(.pendingInstall)
        (notApplicableDeviceCount, notApplicableUserCount) = count(.notApplicable)
    }
}

/// One device's state of an app (`GET /api/v1/apps/{id}/device-statuses`).
public struct AppDeviceStatusView: Codable, Sendable, Equatable {
    public var deviceId: DeviceID
    public var userId: UserID?
    public var state: AppInstallState
    public var errorCode: String?
    public var updatedAt: Date

    public init(deviceId: DeviceID, userId: UserID?, state: AppInstallState, errorCode: String?, updatedAt: Date) {
        self.deviceId = deviceId
        self.userId = userId
        self.state = state
        self.errorCode = errorCode
        self.updatedAt = updatedAt
    }
}

/// A device's managed app and its state (`GET /api/v1/devices/{id}/managed-apps`): on a
/// personal device, the only apps an admin sees.
public struct DeviceManagedAppView: Codable, Sendable, Equatable {
    public var appId: ManagedAppID
    public var name: String
    public var state: AppInstallState
    public var errorCode: String?
    public var updatedAt: Date

    public init(appId: ManagedAppID, name: String, state: AppInstallState, errorCode: String?, updatedAt: Date) {
        self.appId = appId
        self.name = name
        self.state = state
        self.errorCode = errorCode
        self.updatedAt = updatedAt
    }
}

/// One user's devices by state for an app (`GET /api/v1/apps/{id}/user-statuses`).
public struct AppUserStatusView: Codable, Sendable, Equatable {
    public var userId: UserID
    /// Devices of the user per state (only states with devices).
    public var devicesByState: [String: Int]

    public init(userId: UserID, devicesByState: [String: Int]) {
        self.userId = userId
        self.devicesByState = devicesByState
    }

    /// From stored rows of (user, state, devices), ordered by user.
    public static func grouped(_ rows: [(user: String, state: String, devices: Int)]) -> [AppUserStatusView] {
        var result: [AppUserStatusView] = []
        for row in rows {
            if result.last?.userId.rawValue != row.user { result.append(AppUserStatusView(userId: UserID(rawValue: row.user), devicesByState: [:])) }
            result[result.count - 1].devicesByState[row.state] = row.devices
        }
        return result
    }
}
