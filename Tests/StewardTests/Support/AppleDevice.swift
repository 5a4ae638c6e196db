import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import StewardAppleMDM
import StewardModel
import StewardTLS
import SwiftASN1
@_spi(CMS) import X509
import _CryptoExtras

/// A push certificate as Apple issues it for MDM: its subject's UID is the topic. Made here,
/// self-signed (as its own trust root, the local push service trusts exactly it).
struct TestPushCertificate {
    let topic: String
    let certificatePEM: String
    let keyPEM: String

    init(topic: String = "com.apple.mgmt.External.5d2f6c1e-8a4b-4e7a-9c1d-2b3e4f5a6b7c") throws {
        self.topic = topic
        let key = P256.Signing.PrivateKey()
        let subject = DistinguishedName([
            RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: [0, 9, 2342, 19200300, 100, 1, 1], utf8String: topic)),
            RelativeDistinguishedName(
                RelativeDistinguishedName.Attribute(type: .RDNAttributeType.commonName, utf8String: "APSP:5d2f6c1e-8a4b-4e7a-9c1d-2b3e4f5a6b7c")),
        ])
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: Date(timeIntervalSince1970: 1_600_000_000), notValidAfter: Date(timeIntervalSince1970: 2_200_000_000),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(key))
        certificatePEM = try certificate.serializeAsPEM().pemString
        keyPEM = key.pemRepresentation
    }
}

/// A local server of Apple's push protocol (HTTP/2 over TLS, the push certificate as client
/// certificate): answers each device token as scripted (200 by default) and hands every push
/// it receives to whoever waits for it.
actor LocalAPNs {
    struct Push: Sendable {
        let token: String
        let topic: String?
        let pushType: String?
        let magic: String?
        /// `https` only over HTTP/2 (HTTP/1.1 carries no scheme).
        let scheme: String?
    }

    private var scripts: [String: [(Int, String)]] = [:]
    private(set) var received: [Push] = []
    /// Pushes received that nobody has taken yet, and whoever waits for the next one.
    private var untaken: [Push] = []
    private var waiters: [CheckedContinuation<Push?, Never>] = []

    /// Apple's next answers to this token, in order; 200 once they are used up.
    func script(_ token: Data, _ answers: [(Int, String)]) { scripts[token.lowercaseHex, default: []] += answers }

    /// The next push received (waits for it; nil after 30 s without one, so a missing push
    /// fails the test instead of hanging it).
    nonisolated func next() async -> Push? {
        await withTaskGroup(of: Push?.self) { group in
            group.addTask { await self.take() }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                if !Task.isCancelled { await self.giveUp() }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func take() async -> Push? {
        if !untaken.isEmpty { return untaken.removeFirst() }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func giveUp() {
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters = []
    }

    func answer(_ push: Push) -> (Int, String) {
        received.append(push)
        if waiters.isEmpty { untaken.append(push) } else { waiters.removeFirst().resume(returning: push) }
        guard var queue = scripts[push.token], !queue.isEmpty else { return (200, "") }
        let first = queue.removeFirst()
        scripts[push.token] = queue
        return first
    }

    /// Serves on a loopback port for the duration of `body`, with a certificate of its own
    /// (handed to `body` to trust), asking for a client certificate signed by `trusting`.
    static func serve<T: Sendable>(
        trusting pushCertificatePEM: String, _ body: @Sendable (_ apns: LocalAPNs, _ url: String, _ serverCertificatePEM: String) async throws -> T
    ) async throws -> T {
        let apns = LocalAPNs()
        let served = try SelfSignedCertificate.make(names: ["127.0.0.1"], now: Date())
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(served.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(served.keyPEM.utf8), format: .pem)))
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pushCertificatePEM.utf8)))
        let router = Router()
        router.post("/3/device/:token") { request, context -> Response in
            let token = context.parameters.get("token") ?? ""
            let bytes = try await request.body.collect(upTo: 4_096)
            let magic = (try? JSONDecoder().decode([String: String].self, from: Data(bytes.readableBytesView)))?["mdm"]
            let (status, reason) = await apns.answer(Push(
                token: token, topic: request.headers[HTTPField.Name("apns-topic")!], pushType: request.headers[HTTPField.Name("apns-push-type")!],
                magic: magic, scheme: request.head.scheme))
            let text = reason.isEmpty ? "" : "{\"reason\":\"\(reason)\"}"
            return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        var logger = Logger(label: "local-apns")
        logger.logLevel = .critical
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, server: try .http2Upgrade(tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { announce.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("local APNs did not start") }
            do {
                let result = try await body(apns, "https://127.0.0.1:\(port)", served.certificatePEM)
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

/// An iPhone, iPad or Mac as Apple's MDM client behaves, written from the protocol: it installs
/// the enrollment profile (its PKCS #12 identity opened by `openssl`, as a real device's
/// keychain would), signs every message (`Mdm-Signature`) or goes through a TLS-terminating
/// proxy's header, and speaks check-in and connect in XML property lists.
struct SimulatedAppleDevice: Sendable {
    let server: String
    let http: HTTPClient
    let certificate: Certificate
    let privateKey: Certificate.PrivateKey
    let certificatePEM: String
    let udid: String?
    let enrollmentID: String?
    /// Sends its certificate as a proxy would (`X-Client-Cert`) instead of signing.
    var viaProxyHeader = false
    /// The certificate the proxy header carries, if not this device's own (a forgery).
    var proxyCertificatePEM: String?
    let profile: PropertyList

    /// Installs the profile: finds its identity payload, opens it with its password.
    init(server: String, http: HTTPClient, profile data: Data, udid: String?, enrollmentID: String?) throws {
        self.server = server
        self.http = http
        self.udid = udid
        self.enrollmentID = enrollmentID
        profile = try PropertyListCoding.decode(Array(data))
        let payloads = profile["PayloadContent"]?.array ?? []
        guard let identity = payloads.first(where: { $0["PayloadType"]?.string == "com.apple.security.pkcs12" }),
            let p12 = identity["PayloadContent"]?.data, let password = identity["Password"]?.string
        else { throw TestFailure("the profile has no identity payload") }
        let directory = try TemporaryDirectory()
        let p12File = directory.url.appendingPathComponent("identity.p12")
        try p12.write(to: p12File)
        let opened = try runCommand(
            URL(fileURLWithPath: "/usr/bin/openssl"), ["pkcs12", "-in", p12File.path, "-passin", "pass:\(password)", "-nodes"])
        guard opened.status == 0 else { throw TestFailure("openssl could not open the identity: \(opened.stderr)") }
        let pem = opened.stdout
        guard let certStart = pem.range(of: "-----BEGIN CERTIFICATE-----"), let certEnd = pem.range(of: "-----END CERTIFICATE-----"),
            let keyStart = pem.range(of: "-----BEGIN PRIVATE KEY-----"), let keyEnd = pem.range(of: "-----END PRIVATE KEY-----")
        else { throw TestFailure("openssl printed no certificate and key") }
        certificatePEM = String(pem[certStart.lowerBound..<certEnd.upperBound])
        certificate = try Certificate(pemEncoded: certificatePEM)
        privateKey = try Certificate.PrivateKey(pemEncoded: String(pem[keyStart.lowerBound..<keyEnd.upperBound]))
    }

    var mdmPayload: PropertyList? { profile["PayloadContent"]?.array?.first { $0["PayloadType"]?.string == "com.apple.mdm" } }

    /// The identity keys every message carries.
    var identityKeys: [String: PropertyList] {
        var keys: [String: PropertyList] = [:]
        if let udid { keys["UDID"] = .string(udid) }
        if let enrollmentID { keys["EnrollmentID"] = .string(enrollmentID) }
        return keys
    }

    func checkIn(_ type: String, _ fields: [String: PropertyList]) async throws -> (status: Int, body: Data) {
        var message = identityKeys.merging(fields) { $1 }
        message["MessageType"] = .string(type)
        return try await send("/mdm/checkin", PropertyListCoding.encodeXML(.dictionary(message)), contentType: "application/x-apple-aspen-mdm-checkin")
    }

    /// A report on the command channel; the command the server answers with, if any.
    func connect(_ status: String, uuid: String? = nil, _ fields: [String: PropertyList] = [:]) async throws -> (status: Int, command: PropertyList?) {
        var message = identityKeys.merging(fields) { $1 }
        message["Status"] = .string(status)
        if let uuid { message["CommandUUID"] = .string(uuid) }
        let (code, body) = try await send("/mdm/connect", PropertyListCoding.encodeXML(.dictionary(message)), contentType: "application/x-apple-aspen-mdm")
        return (code, body.isEmpty || code != 200 ? nil : try PropertyListCoding.decode(Array(body)))
    }

    /// Any body, signed by this device's identity unless `signature` says otherwise.
    func send(_ path: String, _ body: Data, contentType: String, signature: String? = nil) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: server + path)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: contentType)
        if viaProxyHeader {
            let pem = proxyCertificatePEM ?? certificatePEM
            let encoded = pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? pem
            request.headers.add(name: "X-Client-Cert", value: encoded)
        } else {
            request.headers.add(name: "Mdm-Signature", value: try signature ?? sign(body))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
        return (Int(response.status.code), Data(bytes.readableBytesView))
    }

    func sign(_ body: Data) throws -> String {
        Data(try CMS.sign(body, certificate: certificate, privateKey: privateKey, detached: true)).base64EncodedString()
    }
}

extension PropertyList {
    /// The command a connect answer carries: its UUID and request type.
    var commandUUID: String? { self["CommandUUID"]?.string }
    var requestType: String? { self["Command"]?["RequestType"]?.string }
}
