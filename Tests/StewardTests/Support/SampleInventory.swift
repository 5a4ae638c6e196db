import StewardAgent
import StewardModel

/// A realistic inventory for API tests, with `appCount` Debian packages.
enum SampleInventory {
    static func make(appCount: Int = 5, phoneNumber: String? = "+44 7700 900123") -> Inventory {
        Inventory(
            hardware: HardwareSection(
                deviceName: "finance-laptop-7", manufacturer: "LENOVO", model: "20XW0055GE", serialNumber: "PF2ABCDE",
                platformId: "0123456789abcdef0123456789abcdef", cpuModel: "Intel(R) Core(TM) i7", cpuCores: 8,
                memoryBytes: 16 << 30, diskBytes: 512 << 30, phoneNumber: phoneNumber),
            operatingSystem: OperatingSystemSection(platform: .linux, name: "Debian GNU/Linux", version: "12", kernelVersion: "6.1.0"),
            network: NetworkSection(interfaces: [
                NetworkInterface(name: "eth0", macAddress: "52:54:00:12:34:56", ipAddresses: ["10.0.0.5"], wireless: false)
            ]),
            apps: (0..<appCount).map { index in
                AppRecord(
                    appId: "pkg\(index):amd64", name: "pkg\(index)", version: "1.\(index)", sizeBytes: Int64(index) * 1024,
                    installLocation: "/usr")
            })
    }

    /// The full check-in an agent with nothing acknowledged would send.
    static func fullRequest(_ inventory: Inventory) throws -> CheckInRequest {
        var request = CheckInRequest(agentVersion: "test", hashes: try InventoryHasher.hashes(of: inventory))
        request.hardware = inventory.hardware
        request.operatingSystem = inventory.operatingSystem
        request.network = inventory.network
        request.apps = inventory.apps
        return request
    }

    /// A heartbeat: hashes only.
    static func heartbeat(_ inventory: Inventory) throws -> CheckInRequest {
        CheckInRequest(agentVersion: "test", hashes: try InventoryHasher.hashes(of: inventory))
    }
}
