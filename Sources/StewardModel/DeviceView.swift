import Foundation

/// A device as admins read it (`GET /api/v1/devices`, `GET /api/v1/devices/{id}`).
/// Device-reported fields are read-only for admins; only `ownership` can be changed.
public struct DeviceView: Codable, Sendable, Equatable {
    public var id: DeviceID
    public var platform: Platform
    public var ownership: Ownership
    public var deviceName: String?
    public var manufacturer: String?
    public var model: String?
    public var operatingSystem: String?
    public var osVersion: String?
    public var kernelVersion: String?
    public var serialNumber: String?
    public var platformId: String?
    public var imei: String?
    public var meid: String?
    public var iccid: String?
    /// On a personal device only the last four digits, as `••••1234`.
    public var phoneNumber: String?
    public var ipAddresses: [String]
    public var macAddresses: [String]
    public var wifiMacAddress: String?
    public var networkInterfaces: [NetworkInterface]
    public var cpuModel: String?
    public var cpuCores: Int?
    public var memoryBytes: Int64?
    public var diskBytes: Int64?
    public var appCount: Int
    /// App inventories this device sent although the policy forbids them, refused by the server.
    public var refusedAppReports: Int
    public var agentVersion: String?
    public var enrolledAt: Date
    public var lastCheckInAt: Date?
    /// The user the device belongs to, if any.
    public var userId: UserID?
    /// When a `retire` task completed: the device left management and its secret no longer works.
    public var retiredAt: Date?
    /// Steward's management ID for the device, distinct from its device ID (made at enrollment).
    public var managementId: String?
    /// The device's ID in the organisation's directory (Entra ID's device ID).
    public var directoryDeviceId: String?
    /// The Exchange ActiveSync device ID.
    public var easDeviceId: String?
    /// Windows' own device ID.
    public var windowsDeviceId: String?

    public init(
        id: DeviceID, platform: Platform, ownership: Ownership, deviceName: String?, manufacturer: String?,
        model: String?, operatingSystem: String?, osVersion: String?, kernelVersion: String?, serialNumber: String?,
        platformId: String?, imei: String?, meid: String?, iccid: String?, phoneNumber: String?,
        networkInterfaces: [NetworkInterface], wifiMacAddress: String?, cpuModel: String?, cpuCores: Int?,
        memoryBytes: Int64?, diskBytes: Int64?, appCount: Int, refusedAppReports: Int, agentVersion: String?,
        enrolledAt: Date, lastCheckInAt: Date?, userId: UserID? = nil, retiredAt: Date? = nil, managementId: String? = nil,
        directoryDeviceId: String? = nil, easDeviceId: String? = nil, windowsDeviceId: String? = nil
    ) {
        self.userId = userId
        self.retiredAt = retiredAt
        self.managementId = managementId
        self.directoryDeviceId = directoryDeviceId
        self.easDeviceId = easDeviceId
        self.windowsDeviceId = windowsDeviceId
        self.id = id
        self.platform = platform
        self.ownership = ownership
        self.deviceName = deviceName
        self.manufacturer = manufacturer
        self.model = model
        self.operatingSystem = operatingSystem
        self.osVersion = osVersion
        self.kernelVersion = kernelVersion
        self.serialNumber = serialNumber
        self.platformId = platformId
        self.imei = imei
        self.meid = meid
        self.iccid = iccid
        self.phoneNumber = phoneNumber
        let network = NetworkSection(interfaces: networkInterfaces, wifiMacAddress: wifiMacAddress)
        self.ipAddresses = network.ipAddresses
        self.macAddresses = network.macAddresses
        self.wifiMacAddress = wifiMacAddress
        self.networkInterfaces = networkInterfaces
        self.cpuModel = cpuModel
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
        self.appCount = appCount
        self.refusedAppReports = refusedAppReports
        self.agentVersion = agentVersion
        self.enrolledAt = enrolledAt
        self.lastCheckInAt = lastCheckInAt
    }
}

/// `PATCH /api/v1/devices/{id}`: what an admin may change about a device: its ownership and the
/// user it belongs to (`"userId": null` detaches it).
public struct DevicePatch: Codable, Sendable, Equatable {
    public var ownership: Ownership?
    /// nil: unchanged; `.some(nil)`: belongs to nobody.
    public var userId: UserID??

    /// Lets the machine enroll again without its device secret (an agent reinstalled on it)
    /// for this many hours (1 to 168); its record, ownership and user are kept.
    public var allowReEnrollmentHours: Int?

    public static let reEnrollmentHoursRange = 1...168

    public init(ownership: Ownership? = nil, userId: UserID?? = nil, allowReEnrollmentHours: Int? = nil) {
        self.ownership = ownership
        self.userId = userId
        self.allowReEnrollmentHours = allowReEnrollmentHours
    }

    private enum CodingKeys: String, CodingKey { case ownership, userId, allowReEnrollmentHours }

    /// Device-reported fields belong to the device: naming one is an error, not a silent no-op.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let field = keys.first(where: { CodingKeys(stringValue: $0) == nil }) {
            throw WireError.readOnlyField(field)
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ownership = try container.decodeUnlessNull(Ownership.self, forKey: .ownership)
        allowReEnrollmentHours = try container.decodeUnlessNull(Int.self, forKey: .allowReEnrollmentHours)
        if let hours = allowReEnrollmentHours, !Self.reEnrollmentHoursRange.contains(hours) {
            throw WireError.invalidValue(field: "allowReEnrollmentHours", reason: "must be from 1 to 168")
        }
        if container.contains(.userId) {
            userId = .some(try container.decodeNil(forKey: .userId) ? nil : try container.decode(UserID.self, forKey: .userId))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(ownership, forKey: .ownership)
        if let userId { try container.encode(userId, forKey: .userId) }
        try container.encodeIfPresent(allowReEnrollmentHours, forKey: .allowReEnrollmentHours)
    }
}

/// Any JSON key, to see which keys a body has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A page of a list, with the cursor of the next page (nil on the last page).
public struct Page<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// The body of every error answer: `{"error":{"code":"…","message":"…"}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var requestId: String?
    }

    public var error: Detail

    public init(code: String, message: String, requestId: String? = nil) {
        error = Detail(code: code, message: message, requestId: requestId)
    }
}

/// What `steward init --json` and `steward tenant create --json` print.
public struct TenantCreated: Codable, Sendable, Equatable {
    public var tenantId: TenantID
    public var adminToken: String

    public init(tenantId: TenantID, adminToken: String) {
        self.tenantId = tenantId
        self.adminToken = adminToken
    }
}

/// Tenant settings an admin reads and changes (`GET|PATCH /api/v1/tenant/settings`).
public struct TenantSettings: Codable, Sendable, Equatable {
    public static let staleDeviceDaysRange = 30...270
    public static let auditRetentionDaysRange = 180...3650

    /// When on, app inventory is collected from personal devices too.
    public var compliantAppFeature: Bool
    /// Devices that have not checked in for this many days are removed (30–270).
    public var staleDeviceDays: Int
    /// Audit entries are kept this many days (180–3650).
    public var auditRetentionDays: Int
    /// What a user the directory deprovisions becomes: disabled, or erased after `directoryEraseAfterDays`.
    public var directoryDeprovisioning: DeprovisioningAction
    /// Days from deprovisioning to erasure (0–365; 0 erases a deleted user at once).
    public var directoryEraseAfterDays: Int

    public static let directoryEraseAfterDaysRange = 0...365

    public init(
        compliantAppFeature: Bool, staleDeviceDays: Int = 90, auditRetentionDays: Int = 730,
        directoryDeprovisioning: DeprovisioningAction = .disable, directoryEraseAfterDays: Int = 30
    ) {
        self.compliantAppFeature = compliantAppFeature
        self.staleDeviceDays = staleDeviceDays
        self.auditRetentionDays = auditRetentionDays
        self.directoryDeprovisioning = directoryDeprovisioning
        self.directoryEraseAfterDays = directoryEraseAfterDays
    }
}

public struct TenantSettingsPatch: Codable, Sendable, Equatable {
    public var compliantAppFeature: Bool?
    public var staleDeviceDays: Int?
    public var auditRetentionDays: Int?
    public var directoryDeprovisioning: DeprovisioningAction?
    public var directoryEraseAfterDays: Int?

    public init(
        compliantAppFeature: Bool? = nil, staleDeviceDays: Int? = nil, auditRetentionDays: Int? = nil,
        directoryDeprovisioning: DeprovisioningAction? = nil, directoryEraseAfterDays: Int? = nil
    ) {
        self.compliantAppFeature = compliantAppFeature
        self.staleDeviceDays = staleDeviceDays
        self.auditRetentionDays = auditRetentionDays
        self.directoryDeprovisioning = directoryDeprovisioning
        self.directoryEraseAfterDays = directoryEraseAfterDays
    }

    private enum CodingKeys: String, CodingKey {
        case compliantAppFeature, staleDeviceDays, auditRetentionDays, directoryDeprovisioning, directoryEraseAfterDays
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        compliantAppFeature = try container.decodeUnlessNull(Bool.self, forKey: .compliantAppFeature)
        staleDeviceDays = try container.decodeUnlessNull(Int.self, forKey: .staleDeviceDays)
        auditRetentionDays = try container.decodeUnlessNull(Int.self, forKey: .auditRetentionDays)
        directoryDeprovisioning = try container.decodeUnlessNull(DeprovisioningAction.self, forKey: .directoryDeprovisioning)
        directoryEraseAfterDays = try container.decodeUnlessNull(Int.self, forKey: .directoryEraseAfterDays)
    }

    public func validate() throws(WireError) {
        if let days = staleDeviceDays, !TenantSettings.staleDeviceDaysRange.contains(days) {
            throw .invalidValue(field: "staleDeviceDays", reason: "must be from 30 to 270")
        }
        if let days = auditRetentionDays, !TenantSettings.auditRetentionDaysRange.contains(days) {
            throw .invalidValue(field: "auditRetentionDays", reason: "must be from 180 to 3650")
        }
        if let days = directoryEraseAfterDays, !TenantSettings.directoryEraseAfterDaysRange.contains(days) {
            throw .invalidValue(field: "directoryEraseAfterDays", reason: "must be from 0 to 365")
        }
    }
}

/// A page's opaque cursor: the last key of the previous page, base64url-encoded without padding.
/// The device list's orders: enrollment (the default), name (A to Z, unnamed first) and last
/// check-in (newest first, never-seen last); each pages by a cursor of its own.
public enum DeviceSort: String, WireEnum {
    case enrolled, name, lastCheckIn
}

public enum PageCursor {
    public static func encode(_ key: String) -> String {
        Base64URL.encode(key.utf8)
    }

    /// The key, or nil when the text is not a cursor.
    public static func decode(_ cursor: String) -> String? {
        guard let bytes = Base64URL.decode(cursor), !bytes.isEmpty else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
