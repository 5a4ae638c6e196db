import Foundation

/// App protection without device enrollment: an app built with an app-protection SDK
/// registers an instance with the tenant, checks in, and receives the data encryption key its
/// data is sealed with — which Steward releases only to that instance, and destroys when the
/// app's data is wiped.
public enum AppProtectionStatus: String, WireEnum {
    case enrolled
    /// An admin asked for the app's data to be wiped; the key is no longer released.
    case wipePending
    /// The instance confirmed the wipe; the key is destroyed.
    case wiped
}

/// What the app's SDK says of the device it runs on.
public enum AppHealthStatus: String, WireEnum {
    case healthy
    /// Rooted or jailbroken, or the SDK's integrity check failed.
    case compromised
    case unknown
}

/// `POST /api/v1/app-protection/registrations`, with an enrollment token that names the user.
public struct AppProtectionRegistration: Codable, Sendable, Equatable {
    public var appId: String
    public var appVersion: String
    public var sdkVersion: String
    /// The SDK's tag for the device (random per device, not a hardware identifier).
    public var deviceTag: String
    public var platform: Platform

    public init(appId: String, appVersion: String, sdkVersion: String, deviceTag: String, platform: Platform) {
        self.appId = appId
        self.appVersion = appVersion
        self.sdkVersion = sdkVersion
        self.deviceTag = deviceTag
        self.platform = platform
    }

    public func validate() throws(WireError) {
        try Validator().required(appId, "appId", limit: 200)
        try Validator().required(appVersion, "appVersion", limit: 64)
        try Validator().required(sdkVersion, "sdkVersion", limit: 64)
        try Validator().required(deviceTag, "deviceTag", limit: 128)
    }
}

/// The instance's credentials, shown once: its secret, and the key to seal the app's data with.
public struct AppProtectionRegistered: Codable, Sendable, Equatable {
    public var instanceId: AppInstanceID
    public var instanceSecret: String
    /// 32 bytes, base64.
    public var dataKey: String

    public init(instanceId: AppInstanceID, instanceSecret: String, dataKey: String) {
        self.instanceId = instanceId
        self.instanceSecret = instanceSecret
        self.dataKey = dataKey
    }
}

/// `POST /api/v1/app-protection/check-in`, with the instance secret.
public struct AppProtectionCheckIn: Codable, Sendable, Equatable {
    public var appVersion: String?
    public var sdkVersion: String?
    public var healthStatus: AppHealthStatus
    /// True once the app has wiped its data, as asked.
    public var wiped: Bool?

    public init(appVersion: String? = nil, sdkVersion: String? = nil, healthStatus: AppHealthStatus, wiped: Bool? = nil) {
        self.appVersion = appVersion
        self.sdkVersion = sdkVersion
        self.healthStatus = healthStatus
        self.wiped = wiped
    }

    public func validate() throws(WireError) {
        try Validator().string(appVersion, "appVersion", limit: 64)
        try Validator().string(sdkVersion, "sdkVersion", limit: 64)
    }
}

/// What the instance must do: wipe the app's data when `wipe` is true.
public struct AppProtectionInstructions: Codable, Sendable, Equatable {
    public var status: AppProtectionStatus
    public var wipe: Bool

    public init(status: AppProtectionStatus, wipe: Bool) {
        self.status = status
        self.wipe = wipe
    }
}

/// `GET /api/v1/app-protection/key`: the instance's data key.
public struct AppProtectionKey: Codable, Sendable, Equatable {
    public var dataKey: String

    public init(dataKey: String) { self.dataKey = dataKey }
}

/// An app-protection record as admins see it (never the secret or the key).
public struct AppProtectionView: Codable, Sendable, Equatable {
    public var id: AppInstanceID
    public var appId: String
    public var appVersion: String
    public var sdkVersion: String
    public var deviceTag: String
    public var platform: Platform
    public var userId: UserID?
    public var status: AppProtectionStatus
    public var healthStatus: AppHealthStatus
    public var enrolledAt: Date
    public var lastCheckInAt: Date?
    public var wipeRequestedAt: Date?
    public var wipedAt: Date?

    public init(
        id: AppInstanceID, appId: String, appVersion: String, sdkVersion: String, deviceTag: String, platform: Platform, userId: UserID?,
        status: AppProtectionStatus, healthStatus: AppHealthStatus, enrolledAt: Date, lastCheckInAt: Date?, wipeRequestedAt: Date?,
        wipedAt: Date?
    ) {
        self.id = id
        self.appId = appId
        self.appVersion = appVersion
        self.sdkVersion = sdkVersion
        self.deviceTag = deviceTag
        self.platform = platform
        self.userId = userId
        self.status = status
        self.healthStatus = healthStatus
        self.enrolledAt = enrolledAt
        self.lastCheckInAt = lastCheckInAt
        self.wipeRequestedAt = wipeRequestedAt
        self.wipedAt = wipedAt
    }
}
