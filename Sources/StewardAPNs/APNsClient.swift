import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Apple's push notification service, for MDM: `POST /3/device/<token>` with `{"mdm": PushMagic}`
/// over HTTP/2, authenticated by the tenant's push certificate (TLS client certificate). One
/// HTTP/2 connection per certificate, kept and reused; nothing here knows Steward's storage.
public actor APNsClient {
    public struct Credentials: Sendable, Hashable {
        public var certificatePEM: String
        public var privateKeyPEM: String

        public init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    /// What Apple answered, in the terms its documentation uses.
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// 400 BadDeviceToken (or DeviceTokenNotForTopic): this token will never work.
        case badDeviceToken(String)
        /// 410 Unregistered: the device is no longer registered for the topic.
        case unregistered
        /// 429: too many pushes to this token; try again later.
        case tooManyRequests
        /// 500/503: Apple's trouble; try again later.
        case serverError(Int)
        /// Any other refusal (403 BadCertificate, 400 BadTopic, …): the configuration is wrong.
        case refused(Int, String)
        /// The request did not complete (connection, TLS, timeout).
        case transport(String)

        /// Worth sending again later.
        public var isTransient: Bool {
            switch self {
            case .tooManyRequests, .serverError, .transport: true
            default: false
            }
        }
    }

    /// Production: `https://api.push.apple.com`; tests pass a local server of the same protocol.
    let baseURL: String
    /// Extra roots to trust (a local server's certificate in tests); the system's otherwise.
    let trustRoots: [NIOSSLCertificate]?
    let timeout: TimeAmount
    private var clients: [Credentials: HTTPClient] = [:]

    public init(baseURL: String = "https://api.push.apple.com", trustRootsPEM: String? = nil, timeout: TimeAmount = .seconds(15)) throws {
        self.baseURL = baseURL
        self.trustRoots = try trustRootsPEM.map { try NIOSSLCertificate.fromPEMBytes(Array($0.utf8)) }
        self.timeout = timeout
    }

    public func push(token: Data, pushMagic: String, topic: String, credentials: Credentials) async -> Outcome {
        let client: HTTPClient
        do {
            client = try self.client(for: credentials)
        } catch {
            return .refused(0, "certificate unusable: \(error)")
        }
        let hex = token.map { String(format: "%02x", $0) }.joined()
        var request = HTTPClientRequest(url: "\(baseURL)/3/device/\(hex)")
        request.method = .POST
        request.headers.add(name: "apns-topic", value: topic)
        request.headers.add(name: "apns-push-type", value: "mdm")
        request.headers.add(name: "apns-priority", value: "10")
        request.headers.add(name: "content-type", value: "application/json")
        let body = try? JSONEncoder().encode(["mdm": pushMagic])
        request.body = .bytes(ByteBuffer(bytes: body ?? Data()))
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 16 * 1024)
            let reason = (try? JSONDecoder().decode([String: String].self, from: Data(bytes.readableBytesView)))?["reason"] ?? ""
            switch response.status.code {
            case 200: return .delivered
            case 410: return .unregistered
            case 429: return .tooManyRequests
            case 500, 503: return .serverError(Int(response.status.code))
            case 400 where reason == "BadDeviceToken" || reason == "DeviceTokenNotForTopic": return .badDeviceToken(reason)
            default: return .refused(Int(response.status.code), String(reason.prefix(64)))
            }
        } catch {
            return .transport(String(describing: type(of: error)))
        }
    }

    private func client(for credentials: Credentials) throws -> HTTPClient {
        if let client = clients[credentials] { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(credentials.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(credentials.privateKeyPEM.utf8), format: .pem))
        if let trustRoots { tls.trustRoots = .certificates(trustRoots) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        configuration.timeout = .init(connect: .seconds(10), read: timeout)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[credentials] = client
        return client
    }

    /// Closes every connection.
    public func shutdown() async {
        for client in clients.values { try? await client.shutdown() }
        clients = [:]
    }
}
