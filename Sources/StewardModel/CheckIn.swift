import Foundation

/// `POST /api/v1/check-in`, authenticated by the device secret.
///
/// The agent hashes every inventory section and sends only the sections whose hash differs from
/// the last one the server acknowledged; `hashes` always carries all current hashes so the server
/// can tell when it lacks a section and ask for a full inventory. A changed app inventory can
/// travel as a delta against the acknowledged one.
public struct CheckInRequest: Codable, Sendable, Equatable {
    public var agentVersion: String?
    public var hashes: SectionHashes
    public var hardware: HardwareSection?
    public var operatingSystem: OperatingSystemSection?
    public var network: NetworkSection?
    /// The whole app inventory.
    public var apps: [AppRecord]?
    /// Only what changed since the acknowledged app inventory with hash `baseHash`.
    public var appsDelta: AppsDelta?
    /// The version of the managed-apps list the agent holds (nil: none yet); the answer carries
    /// the device's list when the tenant's is another.
    public var managedAppsVersion: Int64?
    /// The state of every managed app of the device, when any changed (replaces the previous report).
    public var appStates: [AppStateReport]?

    public init(
        agentVersion: String?, hashes: SectionHashes, hardware: HardwareSection? = nil,
        operatingSystem: OperatingSystemSection? = nil, network: NetworkSection? = nil, apps: [AppRecord]? = nil,
        appsDelta: AppsDelta? = nil, managedAppsVersion: Int64? = nil, appStates: [AppStateReport]? = nil
    ) {
        self.managedAppsVersion = managedAppsVersion
        self.appStates = appStates
        self.agentVersion = agentVersion
        self.hashes = hashes
        self.hardware = hardware
        self.operatingSystem = operatingSystem
        self.network = network
        self.apps = apps
        self.appsDelta = appsDelta
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.string(agentVersion, "agentVersion", limit: 64)
        try hashes.validate()
        try hardware?.validate()
        try operatingSystem?.validate()
        try network?.validate()
        if apps != nil && appsDelta != nil {
            throw .invalidValue(field: "appsDelta", reason: "send either apps or appsDelta, not both")
        }
        if let apps {
            try check.count(apps, "apps", limit: Limits.maxApps)
            var seen = Set<String>(minimumCapacity: apps.count)
            for (index, app) in apps.enumerated() {
                try app.validate("apps[\(index)]")
                if !seen.insert(app.appId).inserted {
                    throw .invalidValue(field: "apps[\(index)].appId", reason: "duplicate appId")
                }
            }
        }
        try appsDelta?.validate()
        if let appStates {
            try check.count(appStates, "appStates", limit: 1_000)
            var seen = Set<ManagedAppID>()
            for (index, report) in appStates.enumerated() {
                try report.validate("appStates[\(index)]")
                if !seen.insert(report.appId).inserted {
                    throw .invalidValue(field: "appStates[\(index)].appId", reason: "duplicate appId")
                }
            }
        }
        if (apps != nil || appsDelta != nil) && hashes.apps == nil {
            throw .missingField("hashes.apps")
        }
    }

    /// True when the request carries no inventory at all: a heartbeat.
    public var isHeartbeat: Bool {
        hardware == nil && operatingSystem == nil && network == nil && apps == nil && appsDelta == nil
    }
}

/// A hash (lowercase hex SHA-256 of the section's canonical JSON) per inventory section.
public struct SectionHashes: Codable, Sendable, Equatable {
    public var hardware: String?
    public var operatingSystem: String?
    public var network: String?
    public var apps: String?

    public init(hardware: String? = nil, operatingSystem: String? = nil, network: String? = nil, apps: String? = nil) {
        self.hardware = hardware
        self.operatingSystem = operatingSystem
        self.network = network
        self.apps = apps
    }

    public func validate() throws(WireError) {
        for (field, value) in [("hardware", hardware), ("operatingSystem", operatingSystem), ("network", network), ("apps", apps)] {
            if let value, value.utf8.count != 64 || !value.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                throw .invalidValue(field: "hashes.\(field)", reason: "must be 64 lowercase hex digits")
            }
        }
    }
}

public struct AppsDelta: Codable, Sendable, Equatable {
    public var baseHash: String
    public var upserted: [AppRecord]
    public var removed: [String]

    public init(baseHash: String, upserted: [AppRecord], removed: [String]) {
        self.baseHash = baseHash
        self.upserted = upserted
        self.removed = removed
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.count(upserted, "appsDelta.upserted", limit: Limits.maxApps)
        try check.count(removed, "appsDelta.removed", limit: Limits.maxApps)
        // An app named twice is refused, as in a full inventory: the device holds one row per app.
        var seen = Set<String>()
        for (index, app) in upserted.enumerated() {
            try app.validate("appsDelta.upserted[\(index)]")
            if !seen.insert(app.appId).inserted {
                throw .invalidValue(field: "appsDelta.upserted[\(index)].appId", reason: "duplicate appId")
            }
        }
        seen.removeAll(keepingCapacity: true)
        for (index, appId) in removed.enumerated() {
            try check.required(appId, "appsDelta.removed[\(index)]", limit: 256)
            if !seen.insert(appId).inserted { throw .invalidValue(field: "appsDelta.removed[\(index)]", reason: "duplicate appId") }
        }
    }
}

public struct CheckInResponse: Codable, Sendable, Equatable {
    public var policy: CollectionPolicy
    /// The server lacks a section the agent believes it sent: send everything next time.
    public var fullInventoryRequested: Bool
    /// The hashes the server now holds; the agent keeps them as its acknowledged state.
    public var acknowledged: SectionHashes
    /// The server dropped an app inventory that the policy forbids (the agent should not have sent it).
    public var appsRefused: Bool
    /// The apps this device manages, when the agent's list is out of date.
    public var managedApps: ManagedAppsPolicy?
    /// Remote tasks waiting for the device (now sent), for agents not holding a long-poll.
    public var remoteTasks: [RemoteTaskInstruction]?

    public init(
        policy: CollectionPolicy, fullInventoryRequested: Bool, acknowledged: SectionHashes, appsRefused: Bool,
        managedApps: ManagedAppsPolicy? = nil, remoteTasks: [RemoteTaskInstruction]? = nil
    ) {
        self.managedApps = managedApps
        self.remoteTasks = remoteTasks
        self.policy = policy
        self.fullInventoryRequested = fullInventoryRequested
        self.acknowledged = acknowledged
        self.appsRefused = appsRefused
    }
}
