import Foundation

/// Everything an agent reports about its device, in sections that change independently.
/// A `nil` field means the device does not have or does not expose it (VMs often lack DMI).
public struct Inventory: Codable, Sendable, Equatable {
    public var hardware: HardwareSection
    public var operatingSystem: OperatingSystemSection
    public var network: NetworkSection
    /// Nil when the policy forbids collecting the app inventory.
    public var apps: [AppRecord]?

    public init(hardware: HardwareSection, operatingSystem: OperatingSystemSection, network: NetworkSection, apps: [AppRecord]?) {
        self.hardware = hardware
        self.operatingSystem = operatingSystem
        self.network = network
        self.apps = apps
    }
}

public struct HardwareSection: Codable, Sendable, Equatable {
    public var deviceName: String?
    public var manufacturer: String?
    public var model: String?
    public var serialNumber: String?
    /// A stable platform identifier (machine-id on Linux).
    public var platformId: String?
    public var cpuModel: String?
    public var cpuCores: Int?
    public var memoryBytes: Int64?
    public var diskBytes: Int64?
    // Mobile identifiers: carried for agents and protocols of phones and tablets.
    public var imei: String?
    public var meid: String?
    public var iccid: String?
    public var phoneNumber: String?
    // Identifiers other systems know the device by, when the agent or protocol has them.
    public var directoryDeviceId: String?
    public var easDeviceId: String?
    public var windowsDeviceId: String?

    public init(
        deviceName: String? = nil, manufacturer: String? = nil, model: String? = nil, serialNumber: String? = nil,
        platformId: String? = nil, cpuModel: String? = nil, cpuCores: Int? = nil, memoryBytes: Int64? = nil,
        diskBytes: Int64? = nil, imei: String? = nil, meid: String? = nil, iccid: String? = nil,
        phoneNumber: String? = nil, directoryDeviceId: String? = nil, easDeviceId: String? = nil, windowsDeviceId: String? = nil
    ) {
        self.directoryDeviceId = directoryDeviceId
        self.easDeviceId = easDeviceId
        self.windowsDeviceId = windowsDeviceId
        self.deviceName = deviceName
        self.manufacturer = manufacturer
        self.model = model
        self.serialNumber = serialNumber
        self.platformId = platformId
        self.cpuModel = cpuModel
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
        self.imei = imei
        self.meid = meid
        self.iccid = iccid
        self.phoneNumber = phoneNumber
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.string(deviceName, "hardware.deviceName")
        try check.string(manufacturer, "hardware.manufacturer")
        try check.string(model, "hardware.model")
        try check.string(serialNumber, "hardware.serialNumber", limit: 128)
        try check.string(platformId, "hardware.platformId", limit: 128)
        try check.string(cpuModel, "hardware.cpuModel")
        try check.string(imei, "hardware.imei", limit: 32)
        try check.string(meid, "hardware.meid", limit: 32)
        try check.string(iccid, "hardware.iccid", limit: 32)
        try check.string(phoneNumber, "hardware.phoneNumber", limit: 32)
        try check.string(directoryDeviceId, "hardware.directoryDeviceId", limit: 128)
        try check.string(easDeviceId, "hardware.easDeviceId", limit: 128)
        try check.string(windowsDeviceId, "hardware.windowsDeviceId", limit: 128)
        try check.nonNegative(cpuCores.map(Int64.init), "hardware.cpuCores")
        try check.nonNegative(memoryBytes, "hardware.memoryBytes")
        try check.nonNegative(diskBytes, "hardware.diskBytes")
    }
}

public struct OperatingSystemSection: Codable, Sendable, Equatable {
    public var platform: Platform
    public var name: String?
    public var version: String?
    public var kernelVersion: String?

    public init(platform: Platform, name: String? = nil, version: String? = nil, kernelVersion: String? = nil) {
        self.platform = platform
        self.name = name
        self.version = version
        self.kernelVersion = kernelVersion
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.string(name, "operatingSystem.name")
        try check.string(version, "operatingSystem.version", limit: 128)
        try check.string(kernelVersion, "operatingSystem.kernelVersion", limit: 128)
    }
}

public struct NetworkSection: Codable, Sendable, Equatable {
    public var interfaces: [NetworkInterface]
    /// The MAC address of the Wi-Fi interface, when the device has one.
    public var wifiMacAddress: String?

    public init(interfaces: [NetworkInterface], wifiMacAddress: String? = nil) {
        self.interfaces = interfaces
        self.wifiMacAddress = wifiMacAddress
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.count(interfaces, "network.interfaces", limit: Limits.maxInterfaces)
        try check.string(wifiMacAddress, "network.wifiMacAddress", limit: 64)
        for (index, interface) in interfaces.enumerated() {
            let field = "network.interfaces[\(index)]"
            try check.required(interface.name, field + ".name", limit: 64)
            try check.string(interface.macAddress, field + ".macAddress", limit: 64)
            try check.count(interface.ipAddresses, field + ".ipAddresses", limit: Limits.maxAddressesPerInterface)
            for address in interface.ipAddresses { try check.string(address, field + ".ipAddresses", limit: 64) }
        }
    }

    public var ipAddresses: [String] { interfaces.flatMap(\.ipAddresses) }
    /// Each address once, in interface order (a machine has a few: a linear search beats hashing,
    /// and every device of a page computes this).
    public var macAddresses: [String] {
        var addresses: [String] = []
        for case let address? in interfaces.map(\.macAddress) where !addresses.contains(address) { addresses.append(address) }
        return addresses
    }
}

public struct NetworkInterface: Codable, Sendable, Equatable {
    public var name: String
    public var macAddress: String?
    public var ipAddresses: [String]
    public var wireless: Bool?

    public init(name: String, macAddress: String?, ipAddresses: [String], wireless: Bool? = nil) {
        self.name = name
        self.macAddress = macAddress
        self.ipAddresses = ipAddresses
        self.wireless = wireless
    }
}

/// One installed application (on Debian, one installed package).
public struct AppRecord: Codable, Sendable, Equatable, Hashable {
    /// The package identifier, unique on the device (`bash:amd64`).
    public var appId: String
    public var name: String
    public var version: String?
    public var sizeBytes: Int64?
    public var installLocation: String?

    public init(appId: String, name: String, version: String?, sizeBytes: Int64?, installLocation: String?) {
        self.appId = appId
        self.name = name
        self.version = version
        self.sizeBytes = sizeBytes
        self.installLocation = installLocation
    }

    /// `field` is built only for an error: hundreds of apps are checked per inventory.
    public func validate(_ field: @autoclosure () -> String) throws(WireError) {
        let check = Validator()
        try check.required(appId, field() + ".appId", limit: 256)
        try check.required(name, field() + ".name", limit: 256)
        try check.string(version, field() + ".version", limit: 128)
        try check.string(installLocation, field() + ".installLocation")
        try check.nonNegative(sizeBytes, field() + ".sizeBytes")
    }
}
