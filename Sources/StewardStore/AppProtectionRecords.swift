import Foundation
import StewardModel

/// `app_protection_instances`: a managed app's instance on an unenrolled device. The data key
/// is sealed under the master key and released only to the instance holding `secret_verifier`'s
/// secret; it is destroyed when the app's data is wiped.
public struct AppProtectionRecord: StoredRecord, Equatable {
    public static let table = "app_protection_instances"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("app_id", .text), ("app_version", .text), ("sdk_version", .text), ("device_tag", .text), ("platform", .text),
        ("user_id", .text), ("status", .text), ("health_status", .text), ("secret_verifier", .blob), ("sealed_key", .blob),
        ("enrolled_at", .integer), ("last_check_in_at", .integer), ("wipe_requested_at", .integer), ("wiped_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: AppInstanceID
    public var appID: String
    public var appVersion: String
    public var sdkVersion: String
    public var deviceTag: String
    public var platform: Platform
    public var userID: UserID?
    public var status: AppProtectionStatus
    public var healthStatus: AppHealthStatus
    public var secretVerifier: Data
    public var sealedKey: Data?
    public var enrolledAt: Date
    public var lastCheckInAt: Date?
    public var wipeRequestedAt: Date?
    public var wipedAt: Date?

    public init(
        tenantID: TenantID, id: AppInstanceID, appID: String, appVersion: String, sdkVersion: String, deviceTag: String,
        platform: Platform, userID: UserID?, status: AppProtectionStatus, healthStatus: AppHealthStatus, secretVerifier: Data,
        sealedKey: Data?, enrolledAt: Date, lastCheckInAt: Date? = nil, wipeRequestedAt: Date? = nil, wipedAt: Date? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.appID = appID
        self.appVersion = appVersion
        self.sdkVersion = sdkVersion
        self.deviceTag = deviceTag
        self.platform = platform
        self.userID = userID
        self.status = status
        self.healthStatus = healthStatus
        self.secretVerifier = secretVerifier
        self.sealedKey = sealedKey
        self.enrolledAt = enrolledAt
        self.lastCheckInAt = lastCheckInAt
        self.wipeRequestedAt = wipeRequestedAt
        self.wipedAt = wipedAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [
            .text(appID), .text(appVersion), .text(sdkVersion), .text(deviceTag), .text(platform.rawValue), .text(userID?.rawValue),
            .text(status.rawValue), .text(healthStatus.rawValue), .blob(secretVerifier), .blob(sealedKey), .date(enrolledAt),
            .date(lastCheckInAt), .date(wipeRequestedAt), .date(wipedAt),
        ]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: AppInstanceID(rawValue: key), appID: row.string("app_id"), appVersion: row.string("app_version"),
            sdkVersion: row.string("sdk_version"), deviceTag: row.string("device_tag"),
            platform: Platform(rawValue: row.string("platform")) ?? .linux, userID: row.text("user_id").map(UserID.init(rawValue:)),
            status: AppProtectionStatus(rawValue: row.string("status")) ?? .enrolled,
            healthStatus: AppHealthStatus(rawValue: row.string("health_status")) ?? .unknown,
            secretVerifier: row.blob("secret_verifier") ?? Data(), sealedKey: row.blob("sealed_key"),
            enrolledAt: row.date("enrolled_at") ?? .distantPast, lastCheckInAt: row.date("last_check_in_at"),
            wipeRequestedAt: row.date("wipe_requested_at"), wipedAt: row.date("wiped_at"))
    }

    public var view: AppProtectionView {
        AppProtectionView(
            id: id, appId: appID, appVersion: appVersion, sdkVersion: sdkVersion, deviceTag: deviceTag, platform: platform, userId: userID,
            status: status, healthStatus: healthStatus, enrolledAt: enrolledAt, lastCheckInAt: lastCheckInAt,
            wipeRequestedAt: wipeRequestedAt, wipedAt: wipedAt)
    }

    public static func of(_ user: UserID?) -> [String: StoreValue] { user.map { ["user_id": .text($0.rawValue)] } ?? [:] }
}
