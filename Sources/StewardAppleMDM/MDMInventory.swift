import Foundation
import StewardModel

/// User Enrollment's privacy, as Apple's device-management schema states it
/// (`mdm/commands/*.yaml`, `userenrollment: mode: forbidden`; release iOS 18.1 / macOS 15.1):
/// the personal-device rule for Apple devices. Steward never asks a User Enrollment for these,
/// and drops them (counted) if they arrive.
public enum UserEnrollmentRules {
    /// `DeviceInformation` query keys forbidden in a User Enrollment on iOS/iPadOS or macOS.
    public static let forbiddenQueryKeys: Set<String> = [
        "UDID", "ProvisioningUDID", "LastCloudBackupDate", "AwaitingConfiguration", "iTunesStoreAccountIsActive",
        "iTunesStoreAccountHash", "SerialNumber", "IMEI", "MEID", "ModemFirmwareVersion", "IsActivationLockEnabled",
        "IsActivationLockSupported", "IsDoNotDisturbInEffect", "IsCloudBackupEnabled", "OSUpdateSettings", "AutoSetupAdminAccounts",
        "IsMDMLostModeEnabled", "MaximumResidentUsers", "EstimatedResidentUsers", "QuotaSize", "ResidentUsers", "UserSessionTimeout",
        "TemporarySessionTimeout", "TemporarySessionOnly", "ManagedAppleIDDefaultDomains", "OnlineAuthenticationGracePeriod",
        "SkipLanguageAndLocaleSetupForNewUsers", "PushToken", "ICCID", "BluetoothMAC", "WiFiMAC", "EthernetMAC",
        "CurrentCarrierNetwork", "SIMCarrierNetwork", "SubscriberCarrierNetwork", "CarrierSettingsVersion", "PhoneNumber",
        "DataRoamingEnabled", "VoiceRoamingEnabled", "PersonalHotspotEnabled", "IsRoaming", "SubscriberMCC", "SubscriberMNC",
        "CurrentMCC", "CurrentMNC", "ServiceSubscriptions", "PINRequiredForEraseDevice", "PINRequiredForDeviceLock",
        "SoftwareUpdateDeviceID", "SoftwareUpdateSettings", "AccessibilitySettings", "EACSPreflight",
    ]

    /// Commands forbidden in a User Enrollment, by the platforms they are forbidden on.
    public static let forbiddenCommands: [String: Set<Platform>] = [
        "EraseDevice": [.ios, .ipados, .macos],
        "RestartDevice": [.ios, .ipados, .macos],
        "ShutDownDevice": [.ios, .ipados, .macos],
        "DeviceLock": [.macos],
        "InstalledApplicationList": [.macos],
    ]

    public static func allows(_ requestType: String, on platform: Platform) -> Bool {
        !(forbiddenCommands[requestType]?.contains(platform) ?? false)
    }
}

/// Which inventory Steward asks an Apple device for, and how the answers become Steward's inventory.
public enum MDMInventory {
    /// The `DeviceInformation` keys Steward stores (it asks for nothing it would drop).
    public static let queryKeys = [
        "DeviceName", "OSVersion", "ModelName", "ProductName", "SerialNumber", "UDID", "DeviceCapacity", "IMEI", "MEID", "ICCID",
        "PhoneNumber", "WiFiMAC", "BluetoothMAC", "EthernetMAC", "EASDeviceIdentifier",
    ]

    /// The keys asked of this enrollment: a User Enrollment is never asked a forbidden one.
    public static func queries(userEnrollment: Bool) -> [String] {
        userEnrollment ? queryKeys.filter { !UserEnrollmentRules.forbiddenQueryKeys.contains($0) } : queryKeys
    }

    /// The inventory commands for a device: information always; its installed applications when
    /// the privacy gate lets Steward collect them (and the schema allows the command) — a User
    /// Enrollment's answer holds its managed apps only. Nothing is asked that would be dropped.
    public static func commands(userEnrollment: Bool, platform: Platform, appsAllowed: Bool) -> [(requestType: String, parameters: [String: PropertyList])] {
        var commands: [(String, [String: PropertyList])] = [
            ("DeviceInformation", ["Queries": .array(queries(userEnrollment: userEnrollment).map(PropertyList.string))])
        ]
        if appsAllowed && (!userEnrollment || UserEnrollmentRules.allows("InstalledApplicationList", on: platform)) {
            commands.append(("InstalledApplicationList", ["ManagedAppsOnly": .bool(userEnrollment)]))
        }
        return commands
    }

    /// The platform a product name belongs to (`iPhone15,2`, `iPad13,4`, `Mac14,2`, `MacBookPro18,3`).
    public static func platform(productName: String?, model: String? = nil) -> Platform? {
        for name in [productName, model].compactMap({ $0 }) {
            if name.hasPrefix("iPhone") || name.hasPrefix("iPod") { return .ios }
            if name.hasPrefix("iPad") { return .ipados }
            if name.contains("Mac") { return .macos }
        }
        return nil
    }

    public struct DeviceInformation: Sendable, Equatable {
        public var hardware: HardwareSection
        public var operatingSystem: OperatingSystemSection
        public var network: NetworkSection
        /// Keys received and not stored, by name (forbidden ones from a User Enrollment included).
        public var dropped: [String: Int]
    }

    /// A `DeviceInformation` answer (its `QueryResponses`). A User Enrollment's forbidden keys
    /// are dropped before anything is read from them; a key of the wrong type refuses the answer.
    public static func deviceInformation(
        _ report: PropertyList, userEnrollment: Bool, fallbackPlatform: Platform
    ) throws(PropertyListError) -> DeviceInformation {
        guard let responses = report["QueryResponses"] else { throw .missingKey("QueryResponses") }
        guard var values = responses.dictionary else { throw .wrongType(key: "QueryResponses", expected: "dict") }
        var dropped: [String: Int] = [:]
        if userEnrollment {
            for key in values.keys where UserEnrollmentRules.forbiddenQueryKeys.contains(key) {
                values[key] = nil
                dropped[key, default: 0] += 1
            }
        }
        let known = Set(queryKeys)
        for key in values.keys where !known.contains(key) {
            values[key] = nil
            dropped[key, default: 0] += 1
        }
        let fields = try Fields(.dictionary(values))
        func text(_ key: String, limit: Int = 128) throws(PropertyListError) -> String? {
            try fields.string(key).map { String($0.prefix(limit)) }
        }
        let productName = try text("ProductName")
        let platform = platform(productName: productName, model: try text("ModelName")) ?? fallbackPlatform
        var hardware = HardwareSection(
            deviceName: try text("DeviceName"), manufacturer: "Apple", model: productName, serialNumber: try text("SerialNumber"),
            platformId: try text("UDID"))
        if let capacity = try fields.number("DeviceCapacity"), capacity >= 0, capacity < 1e6 {
            hardware.diskBytes = Int64(capacity * 1_000_000_000)
        }
        hardware.imei = try text("IMEI", limit: 64)
        hardware.meid = try text("MEID", limit: 64)
        hardware.iccid = try text("ICCID", limit: 64)
        hardware.phoneNumber = try text("PhoneNumber", limit: 64)
        hardware.easDeviceId = try text("EASDeviceIdentifier")
        var interfaces: [NetworkInterface] = []
        let wifi = try text("WiFiMAC", limit: 64)
        if let wifi { interfaces.append(NetworkInterface(name: "wifi", macAddress: wifi, ipAddresses: [], wireless: true)) }
        if let mac = try text("EthernetMAC", limit: 64) { interfaces.append(NetworkInterface(name: "ethernet", macAddress: mac, ipAddresses: [])) }
        if let mac = try text("BluetoothMAC", limit: 64) {
            interfaces.append(NetworkInterface(name: "bluetooth", macAddress: mac, ipAddresses: [], wireless: true))
        }
        let name = switch platform {
        case .ios: "iOS"
        case .ipados: "iPadOS"
        case .macos: "macOS"
        default: platform.rawValue
        }
        return DeviceInformation(
            hardware: hardware, operatingSystem: OperatingSystemSection(platform: platform, name: name, version: try text("OSVersion")),
            network: NetworkSection(interfaces: interfaces, wifiMacAddress: wifi), dropped: dropped)
    }

    /// An `InstalledApplicationList` answer as Steward's app records (bundle ID, name, version, size).
    public static func installedApplications(_ report: PropertyList) throws(PropertyListError) -> [AppRecord] {
        guard let list = report["InstalledApplicationList"] else { throw .missingKey("InstalledApplicationList") }
        guard let items = list.array else { throw .wrongType(key: "InstalledApplicationList", expected: "array") }
        var apps: [AppRecord] = []
        var seen = Set<String>()
        for item in items {
            let fields = try Fields(item)
            guard let identifier = try fields.string("Identifier"), seen.insert(identifier).inserted else { continue }
            let shortVersion = try fields.string("ShortVersion")
            var version = shortVersion
            if version == nil { version = try fields.string("Version") }
            let size = try fields.number("BundleSize").flatMap { $0 >= 0 && $0 < 1e15 ? Int64($0) : nil }
            apps.append(AppRecord(
                appId: String(identifier.prefix(256)), name: String((try fields.string("Name") ?? identifier).prefix(256)),
                version: version.map { String($0.prefix(128)) }, sizeBytes: size,
                installLocation: nil))
        }
        return apps.sorted { $0.appId < $1.appId }
    }

    /// A `ManagedApplicationList` answer: the bundle IDs of the apps MDM manages, with their status.
    public static func managedApplications(_ report: PropertyList) throws(PropertyListError) -> [String: String] {
        guard let list = report["ManagedApplicationList"] else { return [:] }
        guard let apps = list.dictionary else { throw .wrongType(key: "ManagedApplicationList", expected: "dict") }
        var statuses: [String: String] = [:]
        for (identifier, item) in apps {
            statuses[String(identifier.prefix(256))] = try Fields(item).string("Status") ?? "Unknown"
        }
        return statuses
    }
}

/// The enrollment profile a device installs: the identity (`com.apple.security.pkcs12`, issued
/// for this enrollment, its password in the profile) and the MDM payload (`com.apple.mdm`).
public struct MDMEnrollmentProfile: Sendable {
    public var organization: String
    public var serverURL: String
    public var checkInURL: String
    public var topic: String
    public var identity: Data
    public var identityPassword: String
    /// A User Enrollment (`EnrollmentMode` BYOD): a personal device.
    public var userEnrollment: Bool
    public var managedAppleID: String?
    /// The profile's identifier, which `RemoveProfile` names to end the enrollment.
    public var identifier: String
    /// Three UUIDs: the profile's, the identity payload's, the MDM payload's.
    public var uuids: [String]

    public init(
        organization: String, serverURL: String, checkInURL: String, topic: String, identity: Data, identityPassword: String,
        userEnrollment: Bool, managedAppleID: String?, identifier: String, uuids: [String]
    ) {
        self.organization = organization
        self.serverURL = serverURL
        self.checkInURL = checkInURL
        self.topic = topic
        self.identity = identity
        self.identityPassword = identityPassword
        self.userEnrollment = userEnrollment
        self.managedAppleID = managedAppleID
        self.identifier = identifier
        self.uuids = uuids
    }

    /// Every right (8191) for a device enrollment; a User Enrollment's rights are Apple's to limit.
    public static let allAccessRights: Int64 = 8_191

    public var plist: Data {
        let identityPayload: [String: PropertyList] = [
            "PayloadType": .string("com.apple.security.pkcs12"), "PayloadVersion": .integer(1),
            "PayloadIdentifier": .string(identifier + ".identity"), "PayloadUUID": .string(uuids[1]),
            "PayloadDisplayName": .string("Device identity"), "PayloadContent": .data(identity), "Password": .string(identityPassword),
        ]
        var mdm: [String: PropertyList] = [
            "PayloadType": .string("com.apple.mdm"), "PayloadVersion": .integer(1), "PayloadIdentifier": .string(identifier + ".mdm"),
            "PayloadUUID": .string(uuids[2]), "PayloadDisplayName": .string("Device management"), "ServerURL": .string(serverURL),
            "CheckInURL": .string(checkInURL), "Topic": .string(topic), "IdentityCertificateUUID": .string(uuids[1]),
            "SignMessage": .bool(true), "CheckOutWhenRemoved": .bool(true),
            "ServerCapabilities": .array([.string("com.apple.mdm.per-user-connections")]),
        ]
        if userEnrollment {
            mdm["EnrollmentMode"] = .string("BYOD")
            if let managedAppleID { mdm["AssignedManagedAppleID"] = .string(managedAppleID) }
        } else {
            mdm["AccessRights"] = .integer(Self.allAccessRights)
        }
        let profile: [String: PropertyList] = [
            "PayloadType": .string("Configuration"), "PayloadVersion": .integer(1), "PayloadIdentifier": .string(identifier),
            "PayloadUUID": .string(uuids[0]), "PayloadDisplayName": .string("\(organization) device management"),
            "PayloadOrganization": .string(organization), "PayloadRemovalDisallowed": .bool(false),
            "PayloadContent": .array([.dictionary(identityPayload), .dictionary(mdm)]),
        ]
        return PropertyListCoding.encodeXML(.dictionary(profile))
    }
}
