import Foundation
import StewardModel

/// Reads a Linux machine's inventory from the files the kernel, systemd and dpkg keep. Every
/// path is relative to `root`, so tests run it against fixture trees. What does not exist, or
/// cannot be read (DMI serials need root; VMs often have no DMI), is reported as nil.
public struct LinuxInventoryCollector: InventoryCollector {
    public let root: URL
    let interfaceAddresses: any InterfaceAddressSource
    let packages: DpkgPackages

    public init(root: URL = URL(fileURLWithPath: "/"), interfaceAddresses: any InterfaceAddressSource = SystemInterfaceAddresses()) {
        self.root = root
        self.interfaceAddresses = interfaceAddresses
        self.packages = DpkgPackages(root: root)
    }

    public var platform: Platform { .linux }

    public func collect(includeApps: Bool, knownApps: [AppRecord]?) throws -> Inventory {
        Inventory(
            hardware: hardware(), operatingSystem: operatingSystem(), network: network(),
            apps: includeApps ? try packages.installed(known: knownApps ?? []) : nil)
    }

    func hardware() -> HardwareSection {
        let cpuinfo = read("proc/cpuinfo") ?? ""
        let processors = cpuinfo.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        return HardwareSection(
            deviceName: line("proc/sys/kernel/hostname") ?? line("etc/hostname"),
            manufacturer: dmi("sys_vendor"),
            model: dmi("product_name"),
            serialNumber: dmi("product_serial"),
            platformId: line("etc/machine-id"),
            cpuModel: Self.field("model name", in: cpuinfo, separator: ":"),
            cpuCores: processors > 0 ? processors : nil,
            memoryBytes: Self.field("MemTotal", in: read("proc/meminfo") ?? "", separator: ":")
                .flatMap { Int64($0.split(separator: " ").first ?? "") }.map { $0 * 1024 },
            diskBytes: diskBytes())
    }

    func operatingSystem() -> OperatingSystemSection {
        let release = OSRelease(text: read("etc/os-release") ?? read("usr/lib/os-release") ?? "")
        return OperatingSystemSection(
            platform: .linux, name: release["NAME"], version: release["VERSION_ID"],
            kernelVersion: line("proc/sys/kernel/osrelease"))
    }

    func network() -> NetworkSection {
        let addresses = interfaceAddresses.addresses()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path("sys/class/net"))) ?? []
        var interfaces: [NetworkInterface] = []
        for name in names.sorted() {
            let base = "sys/class/net/\(name)"
            // ARPHRD_LOOPBACK is 772.
            if name == "lo" || line(base + "/type") == "772" { continue }
            let mac = line(base + "/address").flatMap { $0 == "00:00:00:00:00:00" || $0.isEmpty ? nil : $0 }
            let wireless = FileManager.default.fileExists(atPath: path(base + "/wireless"))
                || FileManager.default.fileExists(atPath: path(base + "/phy80211"))
            interfaces.append(NetworkInterface(
                name: name, macAddress: mac, ipAddresses: (addresses[name] ?? []).sorted(), wireless: wireless))
        }
        return NetworkSection(
            interfaces: interfaces, wifiMacAddress: interfaces.first { $0.wireless == true }?.macAddress)
    }

    /// The sum of the machine's disks: block devices that are not loop, RAM, optical or mapped ones.
    func diskBytes() -> Int64? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path("sys/block"))) ?? []
        let virtualPrefixes = ["loop", "ram", "zram", "dm-", "md", "sr", "nbd", "fd"]
        let sectors = names.filter { name in !virtualPrefixes.contains { name.hasPrefix($0) } }
            .compactMap { line("sys/block/\($0)/size").flatMap { Int64($0) } }
        guard !sectors.isEmpty else { return nil }
        // The kernel counts in 512-byte sectors whatever the disk's own sector size.
        return sectors.reduce(0, +) * 512
    }

    /// A DMI value, or nil when absent, unreadable, or a vendor's placeholder.
    func dmi(_ name: String) -> String? {
        guard let value = line("sys/class/dmi/id/\(name)") else { return nil }
        let placeholders = ["to be filled by o.e.m.", "default string", "system serial number", "none", "not specified", "0"]
        return placeholders.contains(value.lowercased()) ? nil : value
    }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func read(_ relative: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(relative)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first line of a file, trimmed; nil when missing or empty.
    func line(_ relative: String) -> String? {
        guard let text = read(relative) else { return nil }
        let first = text.split(separator: "\n", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
        return first.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func field(_ name: String, in text: String, separator: Character) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: separator, maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}

/// `/etc/os-release`: shell-style `KEY=value` lines, values optionally quoted.
struct OSRelease {
    private var values: [String: String] = [:]

    init(text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            var value = String(parts[1]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                value = value.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            values[String(parts[0])] = value
        }
    }

    subscript(key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
}
