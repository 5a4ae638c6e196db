import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import StewardAgent
import StewardModel

/// The real `steward` binary serving on loopback, the real `steward-agent` enrolling this very
/// machine and reporting its real inventory.
@Suite(.serialized) struct EndToEndTests {
    @Test func enrollThisMachineSeeItsInventoryThenMakeItPersonal() async throws {
        let steward = try Executables.url("steward")
        let agentBinary = try Executables.url("steward-agent")
        let work = try TemporaryDirectory()
        let dataDir = work.url.appendingPathComponent("data").path
        let stateDir = work.url.appendingPathComponent("agent").path

        // steward init --json prints the tenant and its admin token once.
        let initialised = try runCommand(steward, ["init", "--data-dir", dataDir, "--json"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let again = try runCommand(steward, ["init", "--data-dir", dataDir, "--json"])
        #expect(again.status != 0 && again.stderr.contains("already initialised"))

        let server = try RunningServer(steward, ["serve", "--data-dir", dataDir, "--port", "0"], logDirectory: work.url)
        let port = try await server.waitUntilServing()
        let base = "http://127.0.0.1:\(port)"
        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(10))
        #expect(health.status == .ok)

        let admin = AdminClient(server: base, token: tenant.adminToken)
        let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
        let enrolled = try runCommand(
            agentBinary, ["enroll", "--server", base, "--token", token.token ?? "", "--state-dir", stateDir])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")

        // device.json: the identity, readable by its owner only.
        let identityPath = stateDir + "/device.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: identityPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let identity = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: identityPath))) as? [String: String]
        #expect(identity?["server"] == base)
        let deviceID = DeviceID(rawValue: try #require(identity?["deviceId"]))
        #expect(identity?["deviceSecret"]?.isEmpty == false)

        // Enrolling again with the same state directory changes nothing.
        let reEnrolled = try runCommand(
            agentBinary, ["enroll", "--server", base, "--token", token.token ?? "", "--state-dir", stateDir])
        #expect(reEnrolled.status == 0 && reEnrolled.stdout.contains("Already enrolled"))
        #expect(try await admin.devices().items.map(\.id) == [deviceID])

        // Exactly this machine's installed Debian packages, MAC addresses and OS version.
        let device = try await admin.device(deviceID)
        let apps = try await admin.allApps(deviceID)
        let dpkg = try runCommand(
            URL(fileURLWithPath: "/usr/bin/dpkg-query"), ["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"])
        let installed = Set(dpkg.stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].dropFirst().first == "i" else { return nil }
            return "\(fields[1]) \(fields[2])"
        })
        #expect(!installed.isEmpty)
        #expect(Set(apps.map { "\($0.name) \($0.version ?? "")" }) == installed)
        #expect(device.appCount == apps.count)
        #expect(Set(device.macAddresses) == Self.machineMACAddresses())
        #expect(device.osVersion == Self.osRelease("VERSION_ID"))
        #expect(device.operatingSystem == Self.osRelease("NAME"))
        #expect(device.ownership == .corporate && device.lastCheckInAt != nil)

        // A no-change check-in is a heartbeat.
        let heartbeat = try runCommand(agentBinary, ["check-in", "--state-dir", stateDir])
        #expect(heartbeat.status == 0 && heartbeat.stdout.contains("no change (heartbeat)"), "\(heartbeat.stdout)\(heartbeat.stderr)")

        // A malformed check-in is refused and the stored inventory is unchanged.
        let secret = try #require(identity?["deviceSecret"])
        var bad = HTTPClientRequest(url: base + APIRoute.checkIn.path)
        bad.method = .POST
        bad.headers.add(name: "Authorization", value: "Bearer \(secret)")
        bad.body = .bytes(ByteBuffer(string: #"{"hashes": {}, "apps": [{"appId": 42}]"#))
        let refused = try await HTTPClient.shared.execute(bad, timeout: .seconds(10))
        #expect(refused.status == .badRequest)
        let body = try WireCoding.decoder().decode(ErrorBody.self, from: Data(try await refused.body.collect(upTo: 65536).readableBytesView))
        #expect(body.error.code == "malformed_json" || body.error.code == "invalid_type")
        #expect(try await admin.allApps(deviceID) == apps)

        // Personal: the apps go at once, and new check-ins (even full ones) add none.
        let personal = try await admin.updateDevice(deviceID, DevicePatch(ownership: .personal))
        #expect(personal.ownership == .personal && personal.appCount == 0)
        #expect(try await admin.allApps(deviceID).isEmpty)
        for arguments in [["check-in"], ["check-in", "--full"]] {
            let result = try runCommand(agentBinary, arguments + ["--state-dir", stateDir])
            #expect(result.status == 0 && result.stdout.contains("apps not collected"), "\(result.stdout)\(result.stderr)")
        }
        let after = try await admin.device(deviceID)
        #expect(after.appCount == 0 && after.refusedAppReports == 0, "the agent obeyed the gate")
        #expect(try await admin.allApps(deviceID).isEmpty)

        // The periodic agent: two check-ins a second apart, then it stops by itself.
        let periodic = try runCommand(agentBinary, ["run", "--state-dir", stateDir, "--interval", "1", "--count", "2"])
        #expect(periodic.status == 0, "\(periodic.stderr)")
        #expect(periodic.stdout.components(separatedBy: "Checked in device").count == 3)

        // SIGTERM stops the server cleanly.
        #expect(try await server.stop() == 0)

        let dryRun = try runCommand(steward, ["migrate", "--dry-run", "--data-dir", dataDir])
        #expect(dryRun.status == 0 && dryRun.stdout.contains("Up to date"))
        let second = try runCommand(steward, ["tenant", "create", "Globex", "--data-dir", dataDir, "--json"])
        let other = try WireCoding.decoder().decode(TenantCreated.self, from: Data(second.stdout.utf8))
        #expect(other.tenantId != tenant.tenantId)
    }

    @Test func quickstartShowsThisMachine() throws {
        let work = try TemporaryDirectory()
        let result = try runCommand(
            try Executables.url("steward"),
            ["quickstart", "--exit", "--port", "0", "--data-dir", work.url.appendingPathComponent("qs").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("installed Debian packages"))
        #expect(result.stdout.contains(Self.osRelease("NAME") ?? "?"))
        for mac in Self.machineMACAddresses() { #expect(result.stdout.contains(mac)) }
    }

    static func machineMACAddresses() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []
        return Set(names.filter { $0 != "lo" }.compactMap { name in
            let mac = (try? String(contentsOfFile: "/sys/class/net/\(name)/address", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return mac == "00:00:00:00:00:00" || mac?.isEmpty == true ? nil : mac
        })
    }

    static func osRelease(_ key: String) -> String? {
        let text = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(key + "=") {
            return String(line.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}
