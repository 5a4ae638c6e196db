import Foundation
import StewardAgent
import StewardModel

/// A pool of a few thousand Debian-like packages, each in one to three versions, that
/// simulated devices draw their app inventories from (popular packages on most devices).
struct AppPool {
    /// Every package's versions; index 0 is the common one.
    let packages: [[AppRecord]]

    init(size: Int, generator: inout SeededGenerator) {
        let prefixes = ["", "lib", "python3-", "node-", "fonts-", "gir1.2-", "golang-", "librust-", "r-cran-", "ruby-"]
        let stems = [
            "ssl", "xml2", "curl", "gtk", "qt6", "perl", "zlib", "gnome", "kde", "x11", "mesa", "pulse", "video", "cups",
            "net", "crypt", "db", "sqlite", "http", "json", "yaml", "image", "pdf", "doc", "locale", "systemd", "dbus",
            "udev", "grub", "firmware", "vim", "emacs", "git", "docker", "openjdk", "llvm", "boost", "icu", "nss", "krb5",
        ]
        let suffixes = ["", "-dev", "-common", "-data", "-bin", "-doc"]
        var packages: [[AppRecord]] = []
        for index in 0..<size {
            let name = prefixes[index % prefixes.count] + stems[(index / prefixes.count) % stems.count]
                + suffixes[(index / (prefixes.count * stems.count)) % suffixes.count]
                + (index < prefixes.count * stems.count * suffixes.count ? "" : "\(index / (prefixes.count * stems.count * suffixes.count))")
            let architecture = index % 3 == 0 ? "all" : "amd64"
            let location = ["/usr/lib/x86_64-linux-gnu", "/usr/share/\(name)", "/usr/bin", "/usr/lib/\(name)"][index % 4]
            let size = Int64(10_000 * pow(2, Double.random(in: 0...14, using: &generator)))
            let major = Int.random(in: 0...12, using: &generator)
            let versions = (0..<Int.random(in: 1...3, using: &generator)).map { release in
                AppRecord(
                    appId: "\(name):\(architecture)", name: name,
                    version: "\(major).\(Int.random(in: 0...30, using: &generator)).\(release)-\(Int.random(in: 1...5, using: &generator))",
                    sizeBytes: size + Int64(release * 4096), installLocation: location)
            }
            packages.append(versions)
        }
        self.packages = packages
    }
}

/// One simulated device: what its agent would send, and what it holds after its last check-in.
struct SimulatedDevice: Sendable {
    let index: Int
    let ownership: Ownership
    var inventory: Inventory
    var secret = ""
    var deviceID = ""
}

/// Simulated devices with realistic hardware, operating systems, networks and app inventories.
struct SyntheticFleet {
    let devices: Int
    /// Apps per corporate device, drawn uniformly from this range.
    let apps: ClosedRange<Int>
    /// The share of devices enrolled as personal: their agents send no app inventory.
    let personalShare: Double
    let poolSize: Int
    let seed: UInt64

    static let operatingSystems: [(name: String, version: String, kernel: String, weight: Double)] = [
        ("Debian GNU/Linux", "12", "6.1.0-28-amd64", 0.4), ("Ubuntu", "22.04", "5.15.0-126-generic", 0.3),
        ("Ubuntu", "24.04", "6.8.0-49-generic", 0.2), ("Fedora Linux", "40", "6.11.8-200.fc40.x86_64", 0.1),
    ]

    func make() -> [SimulatedDevice] {
        var generator = SeededGenerator(seed: seed)
        let pool = AppPool(size: poolSize, generator: &generator)
        let manufacturers = [("Dell Inc.", "Latitude 7440"), ("LENOVO", "ThinkPad T14 Gen 4"), ("HP", "EliteBook 840 G10"),
                             ("Framework", "Laptop 13"), ("ASUSTeK COMPUTER INC.", "ExpertBook B9")]
        return (0..<devices).map { index in
            // The first device is corporate, so every fleet has an app inventory to change.
            let personal = Double.random(in: 0..<1, using: &generator) < personalShare && index > 0
            let (manufacturer, model) = manufacturers[index % manufacturers.count]
            let draw = Double.random(in: 0..<1, using: &generator)
            var cumulative = 0.0
            let os = Self.operatingSystems.first { cumulative += $0.weight; return draw < cumulative } ?? Self.operatingSystems[0]
            let mac = String(format: "02:00:%02x:%02x:%02x:%02x", (index >> 24) & 255, (index >> 16) & 255, (index >> 8) & 255, index & 255)
            let wifi = String(format: "0a:00:%02x:%02x:%02x:%02x", (index >> 24) & 255, (index >> 16) & 255, (index >> 8) & 255, index & 255)
            let hardware = HardwareSection(
                deviceName: String(format: "bench-%07d", index), manufacturer: manufacturer, model: model,
                serialNumber: String(format: "SN%010X", index &* 2_654_435_761 & 0xFF_FFFF_FFFF),
                platformId: String(format: "%016llx%016llx", UInt64(index), seed),
                cpuModel: "Intel(R) Core(TM) i7-1365U", cpuCores: [4, 8, 12, 16][index % 4],
                memoryBytes: Int64([8, 16, 32, 64][index % 4]) << 30, diskBytes: Int64([256, 512, 1024, 2048][index % 4]) << 30)
            let network = NetworkSection(
                interfaces: [
                    NetworkInterface(
                        name: "enp0s31f6", macAddress: mac,
                        ipAddresses: ["10.\((index >> 16) & 255).\((index >> 8) & 255).\(index & 255)", "fe80::\(String(index, radix: 16))"]),
                    NetworkInterface(name: "wlp0s20f3", macAddress: wifi, ipAddresses: [], wireless: true),
                ],
                wifiMacAddress: wifi)
            var apps: [AppRecord]?
            if !personal {
                let count = Int.random(in: self.apps, using: &generator)
                var chosen = Set<Int>()
                while chosen.count < min(count, pool.packages.count) {
                    // Squared: low indices (the base system) are on most devices.
                    let u = Double.random(in: 0..<1, using: &generator)
                    chosen.insert(Int(u * u * Double(pool.packages.count)))
                }
                apps = chosen.sorted().map { package in
                    let versions = pool.packages[package]
                    return Double.random(in: 0..<1, using: &generator) < 0.85
                        ? versions[0] : versions[Int.random(in: 0..<versions.count, using: &generator)]
                }
            }
            return SimulatedDevice(
                index: index, ownership: personal ? .personal : .corporate,
                inventory: Inventory(
                    hardware: hardware,
                    operatingSystem: OperatingSystemSection(platform: .linux, name: os.name, version: os.version, kernelVersion: os.kernel),
                    network: network, apps: apps))
        }
    }

    /// The device after an app update: `count` of its apps get a new version.
    static func updatingApps(_ inventory: Inventory, count: Int, round: Int, generator: inout SeededGenerator) -> Inventory {
        var changed = inventory
        guard var apps = changed.apps, !apps.isEmpty else { return changed }
        for _ in 0..<min(count, apps.count) {
            let index = Int.random(in: 0..<apps.count, using: &generator)
            apps[index].version = (apps[index].version ?? "0") + "+u\(round)"
        }
        changed.apps = apps
        return changed
    }
}
