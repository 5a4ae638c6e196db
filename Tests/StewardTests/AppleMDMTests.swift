import AsyncHTTPClient
import Foundation
import GRDB
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing
import StewardAPNs
import StewardAppleMDM
import StewardModel
import StewardServer
import StewardStore
@_spi(CMS) import X509
import _CryptoExtras

/// Apple's MDM protocol end to end: simulated iPhone, iPad (User Enrollment) and Mac enroll from
/// the profile Steward serves, report inventory, are woken through a local server of Apple's push
/// protocol, and take a lock; forged, foreign and malformed requests store nothing.
@Suite struct AppleMDMTests {
    /// A Steward on a loopback port with the push service pointed at a local one.
    struct World: Sendable {
        let env: TestEnvironment
        let base: String
        let http: HTTPClient
        let apns: LocalAPNs
        let push: TestPushCertificate
        let background: BackgroundServices

        func admin(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> (status: Int, body: Data) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(env.tenant.adminToken)")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await http.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), Data(try await response.body.collect(upTo: 4 * 1024 * 1024).readableBytesView))
        }

        func json<T: Decodable>(_ type: T.Type, _ path: String) async throws -> T {
            let (status, body) = try await admin(.GET, path)
            guard status == 200 else { throw TestFailure("\(path): \(status) \(String(decoding: body, as: UTF8.self))") }
            return try WireCoding.decoder().decode(T.self, from: body)
        }

        func uploadPushCertificate() async throws {
            let body = try WireCoding.encoder().encode(ApplePushCertificateRequest(
                certificate: push.certificatePEM, privateKey: push.keyPEM, appleId: "mdm-admin@acme.example"))
            let (status, answer) = try await admin(.POST, APIRoute.uploadApplePushCertificate.path, String(decoding: body, as: UTF8.self))
            guard status == 201 else { throw TestFailure("push certificate: \(status) \(String(decoding: answer, as: UTF8.self))") }
        }

        func token(_ ownership: Ownership) async throws -> String {
            let body = try WireCoding.encoder().encode(EnrollmentTokenCreateRequest(ownership: ownership))
            let (_, answer) = try await admin(.POST, APIRoute.createEnrollmentToken.path, String(decoding: body, as: UTF8.self))
            return try WireCoding.decoder().decode(EnrollmentTokenView.self, from: answer).token ?? ""
        }

        func profile(_ token: String) async throws -> (status: Int, body: Data) {
            let escaped = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
            let response = try await http.execute(HTTPClientRequest(url: "\(base)/mdm/enroll?token=\(escaped)"), timeout: .seconds(30))
            return (Int(response.status.code), Data(try await response.body.collect(upTo: 1024 * 1024).readableBytesView))
        }

        /// A device installs a new profile of a token of this ownership.
        func device(_ ownership: Ownership, udid: String?, enrollmentID: String?) async throws -> SimulatedAppleDevice {
            let (status, body) = try await profile(try await token(ownership))
            guard status == 200 else { throw TestFailure("profile: \(status)") }
            return try SimulatedAppleDevice(server: base, http: http, profile: body, udid: udid, enrollmentID: enrollmentID)
        }

        func devices() async throws -> [DeviceView] { try await json(Page<DeviceView>.self, APIRoute.listDevices.path).items }

        func enrollments() async throws -> [AppleMDMEnrollmentRecord] {
            try await env.storage.records(AppleMDMEnrollmentRecord.self, tenantID: env.tenant.tenantId, filter: [:], after: nil, limit: 100)
        }

        func commands() async throws -> [AppleMDMCommandRecord] {
            try await env.storage.records(AppleMDMCommandRecord.self, tenantID: env.tenant.tenantId, filter: [:], after: nil, limit: 100)
        }
    }

    static func withWorld(_ store: StoreKind, retryDelays: [Duration] = [.milliseconds(1), .milliseconds(1), .milliseconds(1)], _ body: @escaping @Sendable (World) async throws -> Void) async throws {
        let env = try await TestEnvironment(store)
        let push = try TestPushCertificate()
        try await LocalAPNs.serve(trusting: push.certificatePEM) { apns, apnsURL, apnsCertificate in
            var configuration = env.configuration
            configuration.port = 0
            configuration.publicURL = "https://mdm.acme.example"
            configuration.apnsURL = apnsURL
            configuration.apnsTrustRootsPEM = apnsCertificate
            configuration.apnsRetryDelays = retryDelays
            // The tests run the deployment's jobs themselves, at the clock's times.
            configuration.runsDeploymentJobs = false
            let background = BackgroundServices(configuration: configuration, dependencies: env.dependencies)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                try await withInProcessServer(configuration: configuration, dependencies: env.dependencies, background: background) { port in
                    try await body(World(
                        env: env, base: "http://127.0.0.1:\(port)", http: http, apns: apns, push: push, background: background))
                }
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
    }

    // MARK: The protocol's parts

    @Test func propertyListsAreReadStrictlyInBothForms() throws {
        let xml = Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0"><dict><key>a</key><integer>1</integer><key>b</key><array><true/><string>x &amp; y</string>
            <data>AAEC</data><real>2.5</real><date>2026-12-06T05:00:00Z</date></array></dict></plist>
            """.utf8)
        let value = try PropertyListCoding.decode(xml)
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .array([.bool(true), .string("x & y"), .data(Data([0, 1, 2])), .real(2.5), .date(Date(timeIntervalSince1970: 1_796_533_200))]))
        // What Steward writes reads back the same.
        #expect(try PropertyListCoding.decode(Array(PropertyListCoding.encodeXML(value))) == value)
        // {"a": 1} in the binary form, byte by byte.
        var binary = Array("bplist00".utf8) + [0xD1, 0x01, 0x02, 0x51, 0x61, 0x10, 0x01, 0x08, 0x0B, 0x0D]
        binary += [0, 0, 0, 0, 0, 0, 1, 1] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 15]
        #expect(try PropertyListCoding.decode(binary) == .dictionary(["a": .integer(1)]))

        // Refused, each with bounded work.
        let internalSubset = "<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY x \"y\">]><plist><string>&x;</string></plist>"
        #expect(throws: PropertyListError.xml(.declarationRefused)) { try PropertyListCoding.decode(Array(internalSubset.utf8)) }
        let external = "<?xml version=\"1.0\"?><!DOCTYPE plist SYSTEM \"file:///etc/passwd\" [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><plist/>"
        #expect(throws: PropertyListError.xml(.declarationRefused)) { try PropertyListCoding.decode(Array(external.utf8)) }
        let deep = "<plist>" + String(repeating: "<array>", count: 40) + String(repeating: "</array>", count: 40) + "</plist>"
        #expect(throws: (any Error).self) { try PropertyListCoding.decode(Array(deep.utf8)) }
        #expect(throws: PropertyListError.tooLarge) {
            try PropertyListCoding.decode(Array(repeating: 0x20, count: 10), limits: .init(maxBytes: 8))
        }
        var outOfRange = binary
        outOfRange[outOfRange.count - 1] = 0xF0
        #expect(throws: (any Error).self) { try PropertyListCoding.decode(outOfRange) }
        var selfReferencing = Array("bplist00".utf8) + [0xA1, 0x00, 0x08]  // an array holding itself
        selfReferencing += [0, 0, 0, 0, 0, 0, 1, 1] + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 10]
        #expect(throws: PropertyListError.tooDeep) { try PropertyListCoding.decode(selfReferencing) }
        // A known key of the wrong type refuses the message; an unknown key is ignored.
        let wrongType = PropertyListCoding.encodeXML(.dictionary([
            "MessageType": .string("TokenUpdate"), "UDID": .string("A"), "Topic": .string("t"), "Token": .string("not data"),
            "PushMagic": .string("m"),
        ]))
        #expect(throws: PropertyListError.wrongType(key: "Token", expected: "data")) { try MDMCheckIn.parse(Array(wrongType)) }
        let unknownKey = PropertyListCoding.encodeXML(.dictionary([
            "MessageType": .string("CheckOut"), "UDID": .string("A"), "SomethingNew": .integer(1),
        ]))
        #expect(try MDMCheckIn.parse(Array(unknownKey)) == .checkOut(try MDMCheckIn.parse(Array(unknownKey)).identity))
    }

    /// Apple's schema decides what a User Enrollment may be asked and keep: driven by its table.
    @Test(arguments: Array(UserEnrollmentRules.forbiddenQueryKeys).sorted())
    func aUserEnrollmentIsNeverAskedForNorKeeps(key: String) throws {
        #expect(!MDMInventory.queries(userEnrollment: true).contains(key))
        let value = "FORBIDDEN-\(key)-4711"
        let answer = PropertyList.dictionary([
            "QueryResponses": .dictionary([key: .string(value), "DeviceName": .string("Kim's iPad"), "ProductName": .string("iPad13,4")])
        ])
        let mapped = try MDMInventory.deviceInformation(answer, userEnrollment: true, fallbackPlatform: .ipados)
        let stored = String(decoding: try JSONEncoder().encode([
            try InventoryHasher.hash(mapped.hardware), try InventoryHasher.hash(mapped.network),
        ]), as: UTF8.self) + String(describing: mapped.hardware) + String(describing: mapped.network)
        #expect(!stored.contains(value))
        #expect(mapped.dropped[key] == 1)
        #expect(mapped.hardware.deviceName == "Kim's iPad" && mapped.operatingSystem.platform == .ipados)
    }

    @Test func userEnrollmentCommandsFollowTheSchema() {
        for command in ["EraseDevice", "RestartDevice", "ShutDownDevice"] {
            #expect(!UserEnrollmentRules.allows(command, on: .ios) && !UserEnrollmentRules.allows(command, on: .macos))
        }
        #expect(UserEnrollmentRules.allows("DeviceLock", on: .ios) && !UserEnrollmentRules.allows("DeviceLock", on: .macos))
        // A personal iPad is asked for its information only (managed apps come with the compliant-app feature).
        #expect(MDMInventory.commands(userEnrollment: true, platform: .ipados, appsAllowed: false).map(\.requestType) == ["DeviceInformation"])
        #expect(MDMInventory.commands(userEnrollment: false, platform: .ios, appsAllowed: true).map(\.requestType)
            == ["DeviceInformation", "InstalledApplicationList"])
    }

    @Test func theIdentityIsAPKCS12OpenSSLOpensAndTheCASignaturesHold() async throws {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let (pem, key) = try MDMCertificateAuthority.create(tenantID: "t1", now: now)
        let ca = try MDMCertificateAuthority(certificatePEM: pem, privateKey: key)
        let (certificate, privateKey) = try ca.issueIdentity(tenantID: "t1", enrollment: "e1", now: now)
        #expect(ca.issued(certificate, now: now) && MDMIdentity.names(certificate)! == ("t1", "e1"))
        #expect(!ca.issued(certificate, now: now.addingTimeInterval(3 * 365 * 86_400)))
        let other = try MDMCertificateAuthority(certificatePEM: try MDMCertificateAuthority.create(tenantID: "t1", now: now).certificatePEM, privateKey: key)
        #expect(!other.issued(certificate, now: now))
        let p12 = try PKCS12.build(certificate: certificate, privateKeyPKCS8: privateKey.pkcs8DERRepresentation, password: "s3cret")
        let directory = try TemporaryDirectory()
        let file = directory.url.appendingPathComponent("id.p12")
        try p12.write(to: file)
        let opened = try runCommand(URL(fileURLWithPath: "/usr/bin/openssl"), ["pkcs12", "-in", file.path, "-passin", "pass:s3cret", "-nodes"])
        #expect(opened.status == 0 && opened.stdout.contains("BEGIN PRIVATE KEY") && opened.stdout.contains("BEGIN CERTIFICATE"))
        let wrong = try runCommand(URL(fileURLWithPath: "/usr/bin/openssl"), ["pkcs12", "-in", file.path, "-passin", "pass:wrong", "-nodes"])
        #expect(wrong.status != 0)
        // A detached signature by the identity verifies against the CA, for this body only.
        let body = Array("<plist/>".utf8)
        let signature = try CMS.sign(body, certificate: certificate, privateKey: .init(privateKey), detached: true)
        #expect(ca.signer(ofSignature: signature, body: body, now: now) == certificate)
        #expect(ca.signer(ofSignature: signature, body: Array("<plist></plist>".utf8), now: now) == nil)
        #expect(other.signer(ofSignature: signature, body: body, now: now) == nil)
        #expect(MDMIdentity.certificates(inSignature: signature) == [certificate])
        // As OpenSSL signs (`rsaEncryption` as the signature algorithm, as Apple's Security
        // framework names it too), with signed attributes (its default) and without.
        try Data(body).write(to: directory.url.appendingPathComponent("body"))
        try certificate.serializeAsPEM().pemString.write(to: directory.url.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try privateKey.pemRepresentation.write(to: directory.url.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        for attributes in [[], ["-noattr"]] {
            let signed = try runCommand(
                URL(fileURLWithPath: "/usr/bin/openssl"),
                ["cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-in", directory.url.appendingPathComponent("body").path,
                 "-signer", directory.url.appendingPathComponent("cert.pem").path, "-inkey", directory.url.appendingPathComponent("key.pem").path,
                 "-out", directory.url.appendingPathComponent("sig").path] + attributes)
            #expect(signed.status == 0, "\(signed.stderr)")
            let openssl = Array(try Data(contentsOf: directory.url.appendingPathComponent("sig")))
            #expect(ca.signer(ofSignature: openssl, body: body, now: now) == certificate, "openssl cms \(attributes)")
            #expect(ca.signer(ofSignature: openssl, body: body + [0x20], now: now) == nil)
        }
    }

    // MARK: End to end

    static func deviceInformation(_ values: [String: String], capacity: Double = 128) -> [String: PropertyList] {
        var responses = values.mapValues(PropertyList.string)
        responses["DeviceCapacity"] = .real(capacity)
        return ["QueryResponses": .dictionary(responses)]
    }

    /// Enroll → Authenticate → TokenUpdate (a push arrives) → inventory commands answered.
    static func enrollAndReport(
        _ world: World, _ device: SimulatedAppleDevice, authenticate: [String: PropertyList], information: [String: String],
        apps: [[String: PropertyList]]? = nil, token: Data
    ) async throws {
        let authenticated = try await device.checkIn("Authenticate", authenticate.merging(["Topic": .string(world.push.topic)]) { $1 })
        #expect(authenticated.status == 200)
        let updated = try await device.checkIn("TokenUpdate", [
            "Topic": .string(world.push.topic), "Token": .data(token), "PushMagic": .string("magic-\(token.lowercaseHex.prefix(8))"),
            "UnlockToken": .data(Data(repeating: 0x55, count: 64)),
        ])
        #expect(updated.status == 200)
        // Its first token: Steward wakes it through Apple's service at once.
        let push = try #require(await world.apns.next())
        #expect(push.token == token.lowercaseHex && push.topic == world.push.topic && push.pushType == "mdm")
        #expect(push.magic == "magic-\(token.lowercaseHex.prefix(8))" && push.scheme == "https")  // HTTP/2
        var answer = try await device.connect("Idle")
        while let command = answer.command {
            let uuid = try #require(command.commandUUID)
            switch command.requestType {
            case "DeviceInformation":
                let asked = command["Command"]?["Queries"]?.array?.compactMap(\.string) ?? []
                if device.enrollmentID != nil { #expect(asked.allSatisfy { !UserEnrollmentRules.forbiddenQueryKeys.contains($0) }) }
                answer = try await device.connect("Acknowledged", uuid: uuid, deviceInformation(information))
            case "InstalledApplicationList":
                answer = try await device.connect("Acknowledged", uuid: uuid, ["InstalledApplicationList": .array((apps ?? []).map(PropertyList.dictionary))])
            default:
                answer = try await device.connect("Error", uuid: uuid, ["ErrorChain": .array([.dictionary(["ErrorCode": .integer(12_021), "ErrorDomain": .string("MCMDMErrorDomain")])])])
            }
            #expect(answer.status == 200)
        }
    }

    @Test(arguments: StoreKind.available) func anIPhoneAnIPadAndAMacEnrollReportAndTakeALock(store: StoreKind) async throws {
        try await Self.withWorld(store) { world in
            // Without a push certificate there is nothing to serve a profile for.
            #expect(try await world.profile(try await world.token(.corporate)).status == 409)
            try await world.uploadPushCertificate()
            let shown = try await world.json(ApplePushCertificateView.self, APIRoute.getApplePushCertificate.path)
            #expect(shown.topic == world.push.topic && shown.appleId == "mdm-admin@acme.example")
            #expect(try await world.profile("ste.nonsense.x.y").status == 401)

            // The corporate iPhone: a device enrollment.
            let iPhone = try await world.device(.corporate, udid: "00008110-000A1B2C3D4E801E", enrollmentID: nil)
            let mdm = try #require(iPhone.mdmPayload)
            #expect(mdm["ServerURL"]?.string == "https://mdm.acme.example/mdm/connect" && mdm["CheckInURL"]?.string == "https://mdm.acme.example/mdm/checkin")
            #expect(mdm["Topic"]?.string == world.push.topic && mdm["SignMessage"] == .bool(true) && mdm["AccessRights"] == .integer(8_191))
            #expect(mdm["EnrollmentMode"] == nil)
            try await Self.enrollAndReport(
                world, iPhone,
                authenticate: ["SerialNumber": .string("F2LXK0ABHG7F"), "ProductName": .string("iPhone15,2"), "Model": .string("MQ9X3ZD/A"), "DeviceName": .string("Sam's iPhone")],
                information: [
                    "DeviceName": "Sam's iPhone", "OSVersion": "18.1", "ProductName": "iPhone15,2", "ModelName": "iPhone", "SerialNumber": "F2LXK0ABHG7F",
                    "UDID": "00008110-000A1B2C3D4E801E", "IMEI": "353917082844112", "ICCID": "89490200001234567890", "PhoneNumber": "+4915123456789",
                    "WiFiMAC": "a4:83:e7:11:22:33", "BluetoothMAC": "a4:83:e7:11:22:34", "BuildVersion": "22B83",
                ],
                apps: [
                    ["Identifier": .string("com.apple.mobilesafari"), "Name": .string("Safari"), "ShortVersion": .string("18.1"), "BundleSize": .integer(1_234_567)],
                    ["Identifier": .string("com.acme.expenses"), "Name": .string("Expenses"), "Version": .string("412"), "BundleSize": .integer(42_000_000)],
                ],
                token: Data(repeating: 0xA1, count: 32))

            // The personal iPad: a User Enrollment. It sends forbidden identifiers anyway; none is kept.
            let iPad = try await world.device(.personal, udid: nil, enrollmentID: "EA7C3E09-2A4B-4C5D-8E9F-0A1B2C3D4E5F")
            #expect(iPad.mdmPayload?["EnrollmentMode"]?.string == "BYOD" && iPad.mdmPayload?["AccessRights"] == nil)
            let forbidden = [
                "SerialNumber": "DMPXQ1ZZZZ9A", "UDID": "00008103-001122334455667E", "IMEI": "351234567890123", "WiFiMAC": "f0:18:98:aa:bb:cc",
                "BluetoothMAC": "f0:18:98:aa:bb:cd", "PhoneNumber": "+491709876543", "ICCID": "89490200009876543210", "MEID": "A1000012345678",
            ]
            try await Self.enrollAndReport(
                world, iPad,
                authenticate: ["SerialNumber": .string(forbidden["SerialNumber"]!), "UDID": .string(forbidden["UDID"]!), "ProductName": .string("iPad13,4"), "DeviceName": .string("Kim's iPad")],
                information: forbidden.merging(["DeviceName": "Kim's iPad", "OSVersion": "18.1", "ProductName": "iPad13,4", "ModelName": "iPad"]) { $1 },
                token: Data(repeating: 0xB2, count: 32))

            // The corporate Mac, through a TLS-terminating proxy's client-certificate header.
            var mac = try await world.device(.corporate, udid: "564D9A3C-1F2E-4B5A-9C8D-7E6F5A4B3C2D", enrollmentID: nil)
            mac.viaProxyHeader = true
            try await Self.enrollAndReport(
                world, mac, authenticate: ["ProductName": .string("Mac14,2"), "SerialNumber": .string("C02ZX1YZMD6T")],
                information: ["DeviceName": "Build Mac", "OSVersion": "15.1", "ProductName": "Mac14,2", "SerialNumber": "C02ZX1YZMD6T", "EthernetMAC": "3c:22:fb:01:02:03"],
                apps: [["Identifier": .string("com.apple.Safari"), "Name": .string("Safari"), "ShortVersion": .string("18.1")]],
                token: Data(repeating: 0xC3, count: 32))

            // Every poll is a check-in: a device that only polls is seen (never removed as stale).
            world.env.clock.advance(60)
            #expect(try await iPhone.connect("Idle").command == nil)
            await world.background.lastSeen.flush()
            let devices = try await world.devices()
            #expect(devices.count == 3)
            #expect(devices.first { $0.platform == .ios }?.lastCheckInAt == world.env.clock.now)
            let phone = try #require(devices.first { $0.platform == .ios })
            #expect(phone.deviceName == "Sam's iPhone" && phone.serialNumber == "F2LXK0ABHG7F" && phone.imei == "353917082844112")
            #expect(phone.osVersion == "18.1" && phone.model == "iPhone15,2" && phone.manufacturer == "Apple" && phone.appCount == 2)
            #expect(phone.wifiMacAddress == "a4:83:e7:11:22:33" && phone.diskBytes == 128_000_000_000 && phone.ownership == .corporate)
            let tablet = try #require(devices.first { $0.platform == .ipados })
            #expect(tablet.ownership == .personal && tablet.deviceName == "Kim's iPad" && tablet.osVersion == "18.1")
            #expect(tablet.serialNumber == nil && tablet.imei == nil && tablet.macAddresses.isEmpty && tablet.phoneNumber == nil && tablet.appCount == 0)
            let computer = try #require(devices.first { $0.platform == .macos })
            #expect(computer.deviceName == "Build Mac" && computer.macAddresses == ["3c:22:fb:01:02:03"] && computer.appCount == 1)

            // None of the iPad's forbidden identifiers is anywhere in the database's files.
            if store == .sqlite {
                for (_, value) in forbidden {
                    for file in try FileManager.default.contentsOfDirectory(atPath: world.env.directory.url.path) {
                        let bytes = try Data(contentsOf: world.env.directory.url.appendingPathComponent(file))
                        #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) found in \(file)")
                    }
                }
            }
            // The push tokens are sealed: not in any file either, nor in any view.
            if store == .sqlite {
                for file in try FileManager.default.contentsOfDirectory(atPath: world.env.directory.url.path) {
                    let bytes = try Data(contentsOf: world.env.directory.url.appendingPathComponent(file))
                    #expect(bytes.range(of: Data("magic-a1a1a1a1".utf8)) == nil && bytes.range(of: Data(repeating: 0xA1, count: 32)) == nil)
                }
            }

            // A lock from the API: a push, a poll, NotNow (not re-sent in the same exchange), then done.
            let (created, body) = try await world.admin(
                .POST, APIRoute.createRemoteTask.path.replacingOccurrences(of: "{id}", with: phone.id.rawValue), #"{"kind":"lock"}"#)
            #expect(created == 201)
            let task = try WireCoding.decoder().decode(RemoteTaskView.self, from: body)
            let woken = try #require(await world.apns.next())
            #expect(woken.token == Data(repeating: 0xA1, count: 32).lowercaseHex)
            let lock = try #require(try await iPhone.connect("Idle").command)
            #expect(lock.requestType == "DeviceLock")
            let putOff = try await iPhone.connect("NotNow", uuid: lock.commandUUID)
            #expect(putOff.status == 200 && putOff.command == nil)
            let again = try #require(try await iPhone.connect("Idle").command)
            #expect(again.requestType == "DeviceLock" && again.commandUUID == lock.commandUUID)
            let done = try await iPhone.connect("Acknowledged", uuid: again.commandUUID)
            #expect(done.status == 200 && done.command == nil)
            let finished = try await world.json(
                RemoteTaskView.self,
                APIRoute.getRemoteTask.path.replacingOccurrences(of: "{id}", with: phone.id.rawValue).replacingOccurrences(of: "{taskId}", with: task.id.rawValue))
            #expect(finished.state == .succeeded)
            let audit = try await world.json(Page<AuditEntryView>.self, APIRoute.listAuditEntries.path + "?limit=200").items
            #expect(audit.contains { $0.activity == "RemoteTask" && $0.actorType == .device && $0.actorId == phone.id.rawValue
                && $0.modifiedProperties.contains { $0.name == "state" && $0.newValue == "succeeded" } })

            // How each is managed, as the API shows it: the command that carried the lock, the UDID of
            // the corporate phone only.
            let phoneMDM = try await world.json(
                AppleMDMEnrollmentView.self, APIRoute.getAppleMDMEnrollment.path.replacingOccurrences(of: "{id}", with: phone.id.rawValue))
            #expect(phoneMDM.enrollmentType == .device && phoneMDM.udid == "00008110-000A1B2C3D4E801E" && phoneMDM.checkedOutAt == nil)
            #expect(phoneMDM.commands.contains { $0.requestType == "DeviceLock" && $0.state == .acknowledged && $0.taskId == task.id })
            #expect(phoneMDM.commands.contains { $0.requestType == "DeviceInformation" && $0.state == .acknowledged })
            let tabletMDM = try await world.json(
                AppleMDMEnrollmentView.self, APIRoute.getAppleMDMEnrollment.path.replacingOccurrences(of: "{id}", with: tablet.id.rawValue))
            #expect(tabletMDM.enrollmentType == .user && tabletMDM.udid == nil)
            #expect(tabletMDM.commands.map(\.requestType) == ["DeviceInformation"])
            let noMDM = try await world.admin(.GET, APIRoute.getAppleMDMEnrollment.path.replacingOccurrences(of: "{id}", with: "00000000-0000-7000-8000-000000000000"))
            #expect(noMDM.status == 404)

            // A wipe is forbidden in a User Enrollment: the task ends as not supported, never sent.
            let (wipeStatus, wipeBody) = try await world.admin(
                .POST, APIRoute.createRemoteTask.path.replacingOccurrences(of: "{id}", with: tablet.id.rawValue), #"{"kind":"wipe","confirm":"wipe"}"#)
            #expect(wipeStatus == 201)
            _ = await world.apns.next()
            #expect(try await iPad.connect("Idle").command == nil)
            let wipe = try WireCoding.decoder().decode(RemoteTaskView.self, from: wipeBody)
            let wipeState = try await world.json(
                RemoteTaskView.self,
                APIRoute.getRemoteTask.path.replacingOccurrences(of: "{id}", with: tablet.id.rawValue).replacingOccurrences(of: "{taskId}", with: wipe.id.rawValue))
            #expect(wipeState.state == .notSupported)

            // The privacy statement lists Apple's push service as an outbound flow, with the topic.
            let statement = String(decoding: try await world.admin(.GET, APIRoute.privacyStatement.path).body, as: UTF8.self)
            #expect(statement.contains(world.push.topic))

            // Retiring the Mac removes the profile it enrolled with; its CheckOut then ends the
            // enrollment, and its certificate opens nothing afterwards.
            let (retireStatus, retireBody) = try await world.admin(
                .POST, APIRoute.createRemoteTask.path.replacingOccurrences(of: "{id}", with: computer.id.rawValue),
                #"{"kind":"retire","confirm":"retire"}"#)
            #expect(retireStatus == 201)
            _ = await world.apns.next()
            let remove = try #require(try await mac.connect("Idle").command)
            #expect(remove.requestType == "RemoveProfile" && remove["Command"]?["Identifier"]?.string == mac.profile["PayloadIdentifier"]?.string)
            #expect(try await mac.connect("Acknowledged", uuid: remove.commandUUID).command == nil)
            let retire = try WireCoding.decoder().decode(RemoteTaskView.self, from: retireBody)
            let retired = try await world.json(
                RemoteTaskView.self,
                APIRoute.getRemoteTask.path.replacingOccurrences(of: "{id}", with: computer.id.rawValue).replacingOccurrences(of: "{taskId}", with: retire.id.rawValue))
            #expect(retired.state == .succeeded)
            #expect(try await world.devices().first { $0.id == computer.id }?.retiredAt != nil)
            #expect(try await mac.checkIn("CheckOut", [:]).status == 200)
            #expect(try await mac.connect("Idle").status == 403)
        }
    }

    @Test(arguments: StoreKind.available) func forgedForeignAndMalformedRequestsAreRefusedStoringNothing(store: StoreKind) async throws {
        try await Self.withWorld(store) { world in
            try await world.uploadPushCertificate()
            let iPhone = try await world.device(.corporate, udid: "00008110-AAAA", enrollmentID: nil)
            try await Self.enrollAndReport(
                world, iPhone, authenticate: ["ProductName": .string("iPhone15,2")], information: ["DeviceName": "Phone", "ProductName": "iPhone15,2"],
                token: Data(repeating: 0x11, count: 32))
            let iPad = try await world.device(.personal, udid: nil, enrollmentID: "ENROLL-BBBB")
            try await Self.enrollAndReport(
                world, iPad, authenticate: ["ProductName": .string("iPad13,4")], information: ["DeviceName": "Pad", "ProductName": "iPad13,4"],
                token: Data(repeating: 0x22, count: 32))
            let before = (try await world.devices(), try await world.enrollments(), try await world.commands())
            let auditBefore = try await world.json(Page<AuditEntryView>.self, APIRoute.listAuditEntries.path + "?limit=500").items.count
            let authenticate = PropertyListCoding.encodeXML(.dictionary([
                "MessageType": .string("Authenticate"), "UDID": .string("00008110-AAAA"), "Topic": .string(world.push.topic),
            ]))

            // No identity at all.
            var request = HTTPClientRequest(url: world.base + "/mdm/checkin")
            request.method = .PUT
            request.body = .bytes(ByteBuffer(bytes: authenticate))
            #expect(try await world.http.execute(request, timeout: .seconds(30)).status.code == 401)
            // A signature over another body.
            #expect(try await iPhone.send("/mdm/checkin", authenticate, contentType: "application/x-apple-aspen-mdm-checkin", signature: try iPhone.sign(Data("<plist/>".utf8))).0 == 403)
            // A look-alike certificate, naming the iPhone's enrollment but signed by nobody Steward knows.
            let forgedKey = Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
            let forged = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: forgedKey.publicKey, notValidBefore: iPhone.certificate.notValidBefore,
                notValidAfter: iPhone.certificate.notValidAfter, issuer: iPhone.certificate.issuer, subject: iPhone.certificate.subject,
                signatureAlgorithm: .sha256WithRSAEncryption, extensions: iPhone.certificate.extensions, issuerPrivateKey: forgedKey)
            let forgedSignature = Data(try CMS.sign(authenticate, certificate: forged, privateKey: forgedKey, detached: true)).base64EncodedString()
            #expect(try await iPhone.send("/mdm/checkin", authenticate, contentType: "x", signature: forgedSignature).0 == 403)
            let forgedProxy = SimulatedAppleDeviceForgery.replacingCertificate(iPhone, with: forged)
            #expect(try await forgedProxy.checkIn("Authenticate", ["Topic": .string(world.push.topic)]).status == 403)
            // The iPad's identity naming the iPhone (a certificate of another enrollment).
            let impostor = try await iPad.send(
                "/mdm/connect", PropertyListCoding.encodeXML(.dictionary(["Status": .string("Idle"), "UDID": .string("00008110-AAAA")])),
                contentType: "application/x-apple-aspen-mdm")
            #expect(impostor.0 == 403)
            let sameKind = try await iPad.send(
                "/mdm/connect", PropertyListCoding.encodeXML(.dictionary(["Status": .string("Idle"), "EnrollmentID": .string("ENROLL-OTHER")])),
                contentType: "application/x-apple-aspen-mdm")
            #expect(sameKind.0 == 403)
            // Malformed and hostile bodies from a genuine device.
            let hostile: [String] = [
                "<plist><dict><key>MessageType</key>",
                "<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY big \"\(String(repeating: "x", count: 1000))\">]><plist><dict><key>MessageType</key><string>&big;</string></dict></plist>",
                "<plist><dict><key>MessageType</key><string>TokenUpdate</string><key>UDID</key><string>00008110-AAAA</string><key>Topic</key><string>\(world.push.topic)</string><key>Token</key><string>not data</string><key>PushMagic</key><string>m</string></dict></plist>",
                "<plist><array>" + String(repeating: "<array>", count: 64) + "</array></plist>",
                "bplist00\u{0}",
            ]
            for body in hostile {
                let (status, _) = try await iPhone.send("/mdm/checkin", Data(body.utf8), contentType: "application/x-apple-aspen-mdm-checkin")
                #expect(status == 400, "\(body.prefix(40))")
            }
            let badAnswer = try await iPhone.connect("Acknowledged", uuid: "no-such-command", ["QueryResponses": .string("not a dict")])
            #expect(badAnswer.status == 200)
            let huge = Data(repeating: 0x20, count: 5 * 1024 * 1024)
            #expect(try await iPhone.send("/mdm/connect", huge, contentType: "application/x-apple-aspen-mdm").0 == 413)

            // Nothing changed, and the refusals that named this tenant's enrollments were audited.
            #expect(try await world.devices() == before.0)
            #expect(try await world.enrollments() == before.1)
            #expect(try await world.commands() == before.2)
            let audit = try await world.json(Page<AuditEntryView>.self, APIRoute.listAuditEntries.path + "?limit=500").items
            let refusals = audit.filter { $0.activity == "AppleMDM" && $0.result == .failure }
            #expect(audit.count > auditBefore && refusals.count >= 4)
            #expect(Set(refusals.flatMap { $0.modifiedProperties.compactMap(\.newValue) }).isSuperset(of: ["signature_invalid", "enrollment_mismatch", "certificate_not_trusted"]))

            // A client-certificate header from an address that is not a trusted proxy is ignored.
            try await world.env.withClient { api in
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Client-Cert")!] = iPhone.certificatePEM.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
                let answer = try await api.send(.PUT, "/mdm/checkin", headers: headers, raw: ByteBuffer(bytes: authenticate))
                #expect(answer.status == .unauthorized)
            }
        }
    }

    @Test func pushesFollowApplesAnswers() async throws {
        try await Self.withWorld(.sqlite) { world in
            try await world.uploadPushCertificate()
            let token = Data(repeating: 0x33, count: 32)
            let iPhone = try await world.device(.corporate, udid: "00008110-PUSH", enrollmentID: nil)
            try await Self.enrollAndReport(
                world, iPhone, authenticate: ["ProductName": .string("iPhone15,2")], information: ["DeviceName": "Phone", "ProductName": "iPhone15,2"],
                token: token)
            let device = try #require(try await world.devices().first)
            let sender = world.background.applePush
            let tenant = world.env.tenant.tenantId
            func pushes() async -> Int { await world.apns.received.count }

            // 429, then 500: retried (three waits at most), then delivered.
            await world.apns.script(token, [(429, "TooManyRequests"), (500, "InternalServerError")])
            var sent = await pushes()
            #expect(await sender.wake(tenantID: tenant, deviceID: device.id) == .delivered)
            #expect(await pushes() == sent + 3)
            // Failing past every retry: given up (the device still finds its commands at its next poll).
            await world.apns.script(token, Array(repeating: (503, "ServiceUnavailable"), count: 4))
            sent = await pushes()
            #expect(await sender.wake(tenantID: tenant, deviceID: device.id) == .gaveUp(.serverError(503)))
            #expect(await pushes() == sent + 4)
            // 400 BadDeviceToken: the token is never used again…
            await world.apns.script(token, [(400, "BadDeviceToken")])
            #expect(await sender.wake(tenantID: tenant, deviceID: device.id) == .refused(.badDeviceToken("BadDeviceToken")))
            sent = await pushes()
            #expect(await sender.wake(tenantID: tenant, deviceID: device.id) == .notPushable("no usable push token"))
            #expect(await pushes() == sent)
            // …until the device sends a new one.
            #expect(try await iPhone.checkIn("TokenUpdate", ["Topic": .string(world.push.topic), "Token": .data(token), "PushMagic": .string("m2")]).status == 200)
            #expect(await sender.wake(tenantID: tenant, deviceID: device.id) == .delivered)
            // 410 Unregistered: the same.
            await world.apns.script(token, [(410, "Unregistered")])
            #expect(await sender.wake(tenantID: tenant, deviceID: device.id) == .refused(.unregistered))
            let enrollment = try #require(try await world.enrollments().first)
            #expect(enrollment.pushTokenRefusedAt != nil)
            // A device that is not enrolled over MDM is passed over.
            #expect(await sender.wake(tenantID: tenant, deviceID: DeviceID(rawValue: "not-apple")) == .notPushable("not an Apple MDM device"))
        }
    }
}

extension AppleMDMTests {
    /// The deployment's jobs wake Apple devices whose inventory is due (they poll only when
    /// pushed), and purge answered commands and identities that never enrolled a device.
    @Test(arguments: StoreKind.available) func jobsWakeDueDevicesAndPurgeWhatIsDone(store: StoreKind) async throws {
        try await Self.withWorld(store) { world in
            try await world.uploadPushCertificate()
            let token = Data(repeating: 0x44, count: 32)
            let iPhone = try await world.device(.corporate, udid: "00008110-JOBS", enrollmentID: nil)
            try await Self.enrollAndReport(
                world, iPhone, authenticate: ["ProductName": .string("iPhone15,2")], information: ["DeviceName": "Phone", "ProductName": "iPhone15,2"],
                token: token)
            _ = try await world.profile(try await world.token(.corporate))  // served, never installed
            #expect(try await world.enrollments().count == 2)
            let answered = try await world.commands().filter { $0.state == .acknowledged }.count
            #expect(answered == 2)

            var jobs = DeploymentJobs(
                store: world.env.storage, auditor: world.env.auditor, interval: .seconds(60), replicaID: "r", clock: world.env.clock.clock,
                logger: world.env.dependencies.logger)
            jobs.applePush = world.background.applePush
            jobs.appleInventorySeconds = 600
            let configured = jobs
            func run() async throws -> [String: String] {
                try await configured.runJobs()
                return Dictionary(uniqueKeysWithValues: try await world.env.storage.jobRuns().map { ($0.job, $0.result) })
            }
            // Inventory not yet due: nobody is woken.
            #expect(try await run()[DeploymentJobs.wakeAppleDevices] == "woke 0")
            // Due: the iPhone is pushed, and its next poll asks for inventory.
            world.env.clock.advance(601)
            #expect(try await run()[DeploymentJobs.wakeAppleDevices] == "woke 1")
            #expect(await world.apns.next()?.token == token.lowercaseHex)
            #expect(try await iPhone.connect("Idle").command?.requestType == "DeviceInformation")
            // A week later: the answered commands and the unused identity are gone; the enrollment stays.
            world.env.clock.advance(8 * 86_400)
            #expect(try await run()[DeploymentJobs.purgeAppleMDM] == "purged 2 commands, 1 unused enrollments")
            #expect(try await world.enrollments().map(\.deviceID) == [try await world.devices().first?.id])
            #expect(try await world.commands().allSatisfy { !$0.state.isAnswered })
            _ = await world.apns.next()  // the week-late wake of the same pass
        }
    }
}

/// A device whose certificate is replaced by a forgery, presented through the proxy header.
enum SimulatedAppleDeviceForgery {
    static func replacingCertificate(_ device: SimulatedAppleDevice, with certificate: Certificate) -> SimulatedAppleDevice {
        var copy = device
        copy.viaProxyHeader = true
        copy.proxyCertificatePEM = try? certificate.serializeAsPEM().pemString
        return copy
    }
}
