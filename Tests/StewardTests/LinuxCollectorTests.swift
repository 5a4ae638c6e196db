import Foundation
import Testing
@testable import StewardAgent
import StewardModel

@Suite struct LinuxCollectorTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    let vm = LinuxInventoryCollector(
        root: fixtures.appendingPathComponent("linux-vm"),
        interfaceAddresses: FixedInterfaceAddresses([
            "lo": ["127.0.0.1", "::1"], "eth0": ["fe80::5054:ff:fe12:3456", "192.168.122.10"], "wlan0": [],
        ]))

    @Test func readsHardwareAndSaysNilForMissingDMI() throws {
        let hardware = try vm.collect(includeApps: false).hardware
        #expect(hardware.deviceName == "build-host-01")
        #expect(hardware.manufacturer == nil && hardware.model == nil && hardware.serialNumber == nil)
        #expect(hardware.platformId == "0123456789abcdef0123456789abcdef")
        #expect(hardware.cpuModel == "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz")
        #expect(hardware.cpuCores == 2)
        #expect(hardware.memoryBytes == Int64(2_048_000 * 1024))
        // vda only: loop and optical devices are not disks.
        #expect(hardware.diskBytes == Int64(41_943_040 * 512))
        #expect(hardware.imei == nil && hardware.phoneNumber == nil)
    }

    @Test func readsDMIAndDropsVendorPlaceholders() throws {
        let laptop = LinuxInventoryCollector(
            root: Self.fixtures.appendingPathComponent("linux-laptop"), interfaceAddresses: FixedInterfaceAddresses([:]))
        let inventory = try laptop.collect(includeApps: false)
        #expect(inventory.hardware.manufacturer == "LENOVO")
        #expect(inventory.hardware.model == "20XW0055GE")
        #expect(inventory.hardware.serialNumber == nil, "'To be filled by O.E.M.' is no serial number")
        #expect(inventory.operatingSystem.name == "Ubuntu")
        #expect(inventory.operatingSystem.version == "24.04")
        #expect(inventory.hardware.diskBytes == nil && inventory.hardware.cpuCores == nil)
    }

    @Test func readsOSRelease() throws {
        let os = try vm.collect(includeApps: false).operatingSystem
        #expect(os == OperatingSystemSection(platform: .linux, name: "Debian GNU/Linux", version: "12", kernelVersion: "6.1.0-18-amd64"))
    }

    @Test func listsInterfacesWithoutLoopback() throws {
        let network = try vm.collect(includeApps: false).network
        #expect(network.interfaces.map(\.name) == ["docker0", "eth0", "wlan0"])
        #expect(network.macAddresses == ["02:42:ac:11:00:01", "52:54:00:12:34:56", "a4:c3:f0:11:22:33"])
        #expect(network.interfaces[1].ipAddresses == ["192.168.122.10", "fe80::5054:ff:fe12:3456"])
        #expect(network.wifiMacAddress == "a4:c3:f0:11:22:33")
        #expect(!network.ipAddresses.contains("127.0.0.1"))
    }

    @Test func listsOnlyInstalledPackages() throws {
        let apps = try #require(try vm.collect(includeApps: true).apps)
        #expect(apps.map(\.appId) == ["bash:amd64", "libc6:amd64", "libc6:i386", "tzdata:all"])
        let bash = try #require(apps.first)
        #expect(bash.name == "bash")
        #expect(bash.version == "5.2.15-2+b7")
        #expect(bash.sizeBytes == Int64(7164 * 1024))
        // Files in /bin and /etc, documentation left out: spread over the tree.
        #expect(bash.installLocation == "/")
        #expect(apps[1].installLocation == "/usr/lib/x86_64-linux-gnu")
        #expect(apps[2].installLocation == nil, "no file list for the i386 package")
        #expect(apps[3].installLocation == "/usr/share/zoneinfo")
    }

    @Test func doesNotReadAppsWhenThePolicyForbidsThem() throws {
        #expect(try vm.collect(includeApps: false).apps == nil)
    }

    @Test func readsThisMachine() throws {
        // The real collector on the real machine: whatever it finds must be well-formed and valid
        // on the wire.
        let inventory = try makePlatformCollector().collect(includeApps: true)
        #expect(inventory.operatingSystem.platform == .linux)
        #expect(inventory.hardware.deviceName?.isEmpty == false)
        let request = CheckInRequest(
            agentVersion: "test", hashes: try InventoryHasher.hashes(of: inventory), hardware: inventory.hardware,
            operatingSystem: inventory.operatingSystem, network: inventory.network, apps: inventory.apps)
        try request.validate()
    }
}

@Suite struct AgentRequestTests {
    let inventory = SampleInventory.make(appCount: 20)

    @Test func sendsOnlyChangedSectionsAndSmallAppChangesAsDelta() throws {
        let hashes = try InventoryHasher.hashes(of: inventory)
        var changed = inventory
        changed.apps![3].version = "9.9"
        changed.apps!.removeLast()
        let acknowledged = AgentState.Acknowledged(
            hashes: hashes, apps: inventory.apps, policy: .init(collectApps: true, checkInIntervalSeconds: 60), lastCheckInAt: nil)

        let heartbeat = Agent.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: false)
        #expect(heartbeat.isHeartbeat)

        let delta = Agent.request(
            inventory: changed, hashes: try InventoryHasher.hashes(of: changed), acknowledged: acknowledged, full: false)
        #expect(delta.hardware == nil && delta.network == nil && delta.apps == nil)
        #expect(delta.appsDelta?.baseHash == hashes.apps)
        #expect(delta.appsDelta?.upserted.map(\.appId) == ["pkg3:amd64"])
        #expect(delta.appsDelta?.removed == ["pkg19:amd64"])

        let full = Agent.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: true)
        #expect(full.hardware != nil && full.apps?.count == 20 && full.appsDelta == nil)
    }

    @Test func hashesIgnoreAppOrder() throws {
        var shuffled = inventory
        shuffled.apps!.reverse()
        #expect(try InventoryHasher.hashes(of: shuffled) == InventoryHasher.hashes(of: inventory))
    }

    @Test func backsOffExponentiallyAndJittersTheInterval() {
        var schedule = CheckInSchedule(interval: 900)
        #expect(abs(schedule.nextDelay(random: 0) - 810) < 1e-6)
        #expect(abs(schedule.nextDelay(random: 1) - 990) < 1e-6)
        schedule.failures = 1
        #expect(schedule.nextDelay(random: 1) == 5)
        schedule.failures = 4
        #expect(schedule.nextDelay(random: 1) == 40)
        schedule.failures = 30
        #expect(schedule.nextDelay(random: 1) == 900, "never longer than the interval")
        #expect(schedule.nextDelay(random: 0) == 450)
    }
}

@Suite struct DpkgCacheTests {
    @Test func reusesInstallLocationsOfUnchangedPackagesOnly() throws {
        let collector = LinuxInventoryCollector(
            root: LinuxCollectorTests.fixtures.appendingPathComponent("linux-vm"), interfaceAddresses: FixedInterfaceAddresses([:]))
        var known = try #require(try collector.collect(includeApps: true).apps)
        known[0].installLocation = "/cached"           // bash, unchanged: the cached value is kept
        known[1].version = "older"                     // libc6:amd64 changed: derived afresh
        known[1].installLocation = "/stale"
        let apps = try #require(try collector.collect(includeApps: true, knownApps: known).apps)
        #expect(apps[0].installLocation == "/cached")
        #expect(apps[1].installLocation == "/usr/lib/x86_64-linux-gnu")
    }
}
