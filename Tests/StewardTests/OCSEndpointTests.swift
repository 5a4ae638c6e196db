import CompressNIO
import Foundation
import HTTPTypes
import NIOCore
import Testing
import StewardModel
import StewardOCS
import StewardServer
import StewardStore

/// `POST /ocsinventory` over the real router, on both stores: the agents' authentication dance,
/// PROLOG and INVENTORY in zlib, gzip or plain XML, the gate, what is dropped, and hostile bodies
/// that store nothing.
@Suite struct OCSEndpointTests {
    static func post(
        _ api: APIClient, _ body: [UInt8], token: String?, encoding: OCSBody.Encoding = .zlib
    ) async throws -> (status: HTTPResponse.Status, reply: XMLElement?, headers: HTTPFields) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Basic " + Data(":\(token)".utf8).base64EncodedString() }
        headers[.contentType] = "application/x-compress"
        var buffer = ByteBuffer(bytes: body)
        if encoding != .plain { buffer = try buffer.compress(with: encoding == .gzip ? .gzip() : .zlib()) }
        let answer = try await api.send(.POST, OCSController.path, headers: headers, raw: buffer)
        let inflated = try? OCSBody.inflate(ByteBuffer(bytes: answer.body), maxInflatedBytes: 1 << 20)
        return (answer.status, inflated.flatMap { try? BoundedXML.parse($0.bytes) }, answer.headers)
    }

    static func devices(_ api: APIClient) async throws -> [DeviceView] {
        try await api.send(.GET, APIRoute.listDevices.path, token: api.adminToken).decode(Page<DeviceView>.self).items
    }

    @Test(arguments: StoreKind.available) func anAgentIsChallengedThenEnrolledByItsFirstInventory(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let fixture = try OCSProtocolTests.fixture("ocs-agent-linux.xml")
            // First without credentials, as the agents do: a Basic challenge, nothing stored.
            let challenged = try await Self.post(api, fixture, token: nil)
            #expect(challenged.status == .unauthorized && challenged.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let wrong = try await Self.post(api, fixture, token: "ste.nonsense.x.y")
            #expect(wrong.status == .unauthorized)
            #expect(try await Self.devices(api).isEmpty)

            let token = try await api.enrollmentToken(.corporate, maxUses: 1)
            let prolog = try await Self.post(
                api, Array("<REQUEST><DEVICEID>vm-2026-12-05-10-00-00</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>".utf8), token: token)
            #expect(prolog.status == .ok && prolog.reply?.value("RESPONSE") == "SEND" && prolog.reply?.value("PROLOG_FREQ") != nil)
            let stored = try await Self.post(api, fixture, token: token)
            #expect(stored.status == .ok && stored.reply?.value("RESPONSE") == "NO_ACCOUNT_UPDATE")
            let devices = try await Self.devices(api)
            #expect(devices.count == 1)
            let device = try #require(devices.first)
            #expect(device.deviceName == "vm" && device.serialNumber == "VMW-5A1B-TEST-0001" && device.ownership == .corporate)
            #expect(device.operatingSystem == "Debian GNU/Linux" && device.appCount == 20 && !device.macAddresses.isEmpty)
            // Sent again (daily, by a one-use token): the same device, not a second one; gzip works too.
            let again = try await Self.post(api, fixture, token: token, encoding: .gzip)
            #expect(again.status == .ok)
            #expect(try await Self.devices(api).map(\.id) == [device.id])
            // The Windows laptop and the Mac with a token that has uses left: their platforms.
            let more = try await api.enrollmentToken(.corporate)
            _ = try await Self.post(api, try OCSProtocolTests.fixture("windows-agent.xml"), token: more, encoding: .plain)
            _ = try await Self.post(api, try OCSProtocolTests.fixture("macos-agent.xml"), token: more)
            let platforms = try await Self.devices(api).map(\.platform)
            #expect(Set(platforms) == [.linux, .windows, .macos])
            let windows = try await api.send(.GET, APIRoute.listDevices.path + "?platform=windows", token: api.adminToken)
                .decode(Page<DeviceView>.self).items
            #expect(windows.first?.model == "Latitude 7440" && windows.first?.appCount == 2)
        }
    }

    /// A machine reinstalled (a new agent device ID, a new UUID, its serial unread) is found by
    /// its physical MAC; a machine that shares only a virtual adapter's MAC is another machine.
    @Test(arguments: StoreKind.available) func aMachineIsRecognisedByItsPhysicalMACButNotByAVirtualOne(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let token = try await api.enrollmentToken(.corporate)
            let windows = String(decoding: try OCSProtocolTests.fixture("windows-agent.xml"), as: UTF8.self)
            _ = try await Self.post(api, Array(windows.utf8), token: token)
            let first = try #require(try await Self.devices(api).first)
            let reinstalled = windows
                .replacingOccurrences(of: "FIN-LT-042-2026-11-30-08-12-44", with: "FIN-LT-042-2026-12-05-09-00-00")
                .replacingOccurrences(of: "4C4C4544-0052-3510-8058-B4C04F4E3432", with: "11111111-2222-4333-8444-555555555555")
                .replacingOccurrences(of: "<SSN>7R5X3Z3</SSN>", with: "")
            #expect(try await Self.post(api, Array(reinstalled.utf8), token: token).status == .ok)
            #expect(try await Self.devices(api).map(\.id) == [first.id])
            // Another laptop: its own identity, only the Hyper-V adapter's (virtual) MAC in common.
            let another = reinstalled
                .replacingOccurrences(of: "FIN-LT-042-2026-12-05-09-00-00", with: "FIN-LT-043-2026-12-05-09-00-00")
                .replacingOccurrences(of: "11111111-2222-4333-8444-555555555555", with: "66666666-7777-4888-8999-aaaaaaaaaaaa")
                .replacingOccurrences(of: "A4:C3:F0:11:22:33", with: "A4:C3:F0:44:55:66")
            #expect(try await Self.post(api, Array(another.utf8), token: token).status == .ok)
            #expect(try await Self.devices(api).count == 2)
        }
    }

    /// Tenants never meet: the same machine reported with another tenant's token is that
    /// tenant's own device, and tenant A's stays as it was.
    @Test(arguments: StoreKind.available) func anotherTenantsTokenReachesOnlyItsTenant(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let fixture = try OCSProtocolTests.fixture("ocs-agent-linux.xml")
            _ = try await Self.post(api, fixture, token: try await api.enrollmentToken(.corporate))
            let mine = try #require(try await Self.devices(api).first)
            let other = env.otherTenant.adminToken
            let theirs = try await api.enrollmentToken(.personal, admin: other)
            #expect(try await Self.post(api, fixture, token: theirs).status == .ok)
            let theirDevices = try await api.send(.GET, APIRoute.listDevices.path, token: other).decode(Page<DeviceView>.self).items
            #expect(theirDevices.count == 1 && theirDevices[0].id != mine.id && theirDevices[0].ownership == .personal)
            let after = try #require(try await Self.devices(api).first)
            #expect(after.ownership == .corporate && after.appCount == mine.appCount && after.id == mine.id)
        }
    }

    @Test(arguments: StoreKind.available) func aPersonalTokenStoresNoSoftwareAndDroppedDataIsNowhere(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let token = try await api.enrollmentToken(.personal)
            let fixture = try OCSProtocolTests.fixture("fusion-agent-linux.xml")
            #expect(try await Self.post(api, fixture, token: token).status == .ok)
            let device = try #require(try await Self.devices(api).first)
            #expect(device.ownership == .personal && device.appCount == 0)
            #expect(try await env.rawRows("software").isEmpty)
            // What the catalog does not name never reached a table.
            for table in DataCatalog.tables {
                let rows = try await env.rawRows(table).joined(separator: "\n")
                for secret in ["envsecret-7f3a9c", "procsecret-51d2", "erinlocal", "Erin Localuser"] {
                    #expect(!rows.contains(secret), "\(secret) in \(table)")
                }
            }
        }
        guard store == .sqlite else { return }
        await env.storage.close()
        var bytes = Data()
        for file in try FileManager.default.contentsOfDirectory(atPath: env.directory.url.path) where file.hasPrefix("steward.sqlite") {
            bytes += try Data(contentsOf: env.directory.url.appendingPathComponent(file))
        }
        #expect(!bytes.isEmpty)
        for secret in ["envsecret-7f3a9c", "procsecret-51d2", "erinlocal", "Erin Localuser", "STEWARD_FIXTURE_SECRET"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is in the database files")
        }
    }

    @Test(arguments: StoreKind.available) func hostileBodiesAreRefusedAndStoreNothing(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let token = try await api.enrollmentToken(.corporate)
            let inventory = "<REQUEST><DEVICEID>evil</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT><HARDWARE><NAME>evil</NAME></HARDWARE></CONTENT></REQUEST>"
            // XXE, billion laughs, 100,000 nested elements, a zip bomb, an over-long body.
            let xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + inventory.replacingOccurrences(of: "<NAME>evil</NAME>", with: "<NAME>&x;</NAME>")
            let laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>" + inventory
            let deep = "<REQUEST><DEVICEID>evil</DEVICEID><QUERY>INVENTORY</QUERY><CONTENT>" + String(repeating: "<A>", count: 100_000)
                + String(repeating: "</A>", count: 100_000) + "</CONTENT></REQUEST>"
            for (name, body) in [("xxe", xxe), ("billion laughs", laughs), ("deep", deep)] {
                let answer = try await Self.post(api, Array(body.utf8), token: token)
                #expect(answer.status == .badRequest, "\(name): \(answer.status)")
                #expect(answer.reply?.value("RESPONSE") == "ERROR", "\(name) answers an error in kind")
            }
            // 64 MB of zeros compress to ~64 KB: the inflate stops at its limit.
            let bomb = [UInt8](repeating: 0x20, count: 64 * 1024 * 1024)
            let exploded = try await Self.post(api, Array("<REQUEST>".utf8) + bomb, token: token)
            #expect(exploded.status == .contentTooLarge)
            // A body beyond the limit before inflating.
            var headers = HTTPFields()
            headers[.authorization] = "Basic " + Data(":\(token)".utf8).base64EncodedString()
            let huge = try await api.send(.POST, OCSController.path, headers: headers, raw: ByteBuffer(repeating: 0x41, count: 50 * 1024 * 1024))
            #expect(huge.status == .contentTooLarge)
            #expect(try await Self.devices(api).isEmpty)
            // A well-formed inventory that fails the check-in's own checks enrolls nothing either.
            let bad = inventory.replacingOccurrences(of: "<NAME>evil</NAME>", with: "<NAME>\(String(repeating: "x", count: 5000))</NAME>")
            #expect(try await Self.post(api, Array(bad.utf8), token: token).status == .badRequest)
            #expect(try await Self.devices(api).isEmpty)
        }
    }
}
