import StewardModel

/// Collects the inventory of the machine the agent runs on. One implementation per platform;
/// the rest of the agent sees only this protocol.
public protocol InventoryCollector: Sendable {
    var platform: Platform { get }
    /// `includeApps` is false when the server's policy forbids app inventory (the gate):
    /// then the app inventory is not even read.
    func collect(includeApps: Bool) throws -> Inventory
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

    public func collect(includeApps: Bool) throws -> Inventory {
        Inventory(
            hardware: HardwareSection(), operatingSystem: OperatingSystemSection(platform: platform),
            network: NetworkSection(interfaces: []), apps: includeApps ? [] : nil)
    }
}
