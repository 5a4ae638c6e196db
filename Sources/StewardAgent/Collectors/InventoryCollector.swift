import StewardModel

/// Collects the inventory of the machine the agent runs on. One implementation per platform;
/// the rest of the agent sees only this protocol.
public protocol InventoryCollector: Sendable {
    var platform: Platform { get }
    /// `includeApps` is false when the server's policy forbids app inventory (the gate):
    /// then the app inventory is not even read. `knownApps` (the last acknowledged inventory)
    /// lets a collector reuse what is costly to derive for apps whose version has not changed.
    func collect(includeApps: Bool, knownApps: [AppRecord]?) throws -> Inventory
}

extension InventoryCollector {
    public func collect(includeApps: Bool) throws -> Inventory {
        try collect(includeApps: includeApps, knownApps: nil)
    }
}

/// The collector for the platform this binary was built for.
public func makePlatformCollector() -> any InventoryCollector {
    #if os(Linux)
    return LinuxInventoryCollector()
    #else
    return UnsupportedPlatformCollector()
    #endif
}

/// Reports only what every platform has, until a native collector exists.
public struct UnsupportedPlatformCollector: InventoryCollector {
    public init() {}
    public var platform: Platform {
        #if os(macOS)
        .macos
        #elseif os(Windows)
        .windows
        #else
        .linux
        #endif
    }

    public func collect(includeApps: Bool, knownApps: [AppRecord]?) throws -> Inventory {
        Inventory(
            hardware: HardwareSection(), operatingSystem: OperatingSystemSection(platform: platform),
            network: NetworkSection(interfaces: []), apps: includeApps ? [] : nil)
    }
}
