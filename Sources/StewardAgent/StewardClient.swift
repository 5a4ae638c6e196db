import AsyncHTTPClient
import Foundation
import NIOCore
import StewardModel
import StewardTLS
import Synchronization

/// What went wrong talking to the server.
public enum AgentError: Error, CustomStringConvertible, Equatable {
    /// The server answered with an error body.
    case server(status: Int, code: String, message: String)
    /// The server could not be reached (retry later).
    case unreachable(String)
    case notEnrolled(String)
    case alreadyEnrolled(server: String)
    case badConfiguration(String)

    public var description: String {
        switch self {
        case .server(let status, let code, let message): "server answered \(status) \(code): \(message)"
        case .unreachable(let reason): "server unreachable: \(reason)"
        case .badConfiguration(let path): "cannot read the agent configuration \(path): expected {\"apps\": {\"install\": false, \"allow\": []}}"
        case .notEnrolled(let directory): "not enrolled: no device.json in \(directory); run `steward-agent enroll` first"
        case .alreadyEnrolled(let server): "this state directory is enrolled with another server (\(server)); use another --state-dir"
        }
    }

    /// True for failures worth retrying with back-off.
    public var isTransient: Bool {
        switch self {
        case .unreachable: true
        case .server(let status, _, _): status >= 500 || status == 429
        default: false
        }
    }
}

/// The agent's side of the wire: the same DTOs and route table as the server.
public struct StewardClient: Sendable {
    let transport: JSONTransport
    public var server: String { transport.server }
    public var http: HTTPClient { transport.http }

    public init(server: String, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(60)) {
        transport = JSONTransport(server: server, http: http, timeout: timeout, maxAnswerBytes: 4 * 1024 * 1024)
    }

    /// The agent's client: trusts the server by this certificate (PEM) only, or by the system's
    /// roots; a server that cannot be reached fails the request at once (the agent retries on
    /// its own schedule) instead of being retried for the whole timeout.
    public init(server: String, trusting certificate: String?) throws {
        self.init(server: server, http: try TrustingClients.client(certificate))
    }

    /// The client of an enrolled agent, trusting what it enrolled with.
    public init(_ identity: AgentState.Identity) throws {
        try self.init(server: identity.server, trusting: identity.trustedCertificate)
    }

    public func enroll(token: String, _ request: EnrollRequest) async throws -> EnrollResponse {
        try await transport.send(.POST, APIRoute.enroll.path, bearer: token, body: request).value
    }

    /// Sends a check-in; returns the answer and how many bytes the request body had.
    public func checkIn(secret: String, _ request: CheckInRequest) async throws -> (value: CheckInResponse, bytes: Int) {
        try await transport.send(.POST, APIRoute.checkIn.path, bearer: secret, body: request)
    }

    /// Pending tasks; with `wait`, the server holds the request until one arrives.
    public func tasks(secret: String, wait: Int) async throws -> [RemoteTaskInstruction] {
        let answer: RemoteTaskInstructions = try await transport.send(
            .GET, APIRoute.agentTasks.path + "?wait=\(wait)", bearer: secret, body: NoBody?.none).value
        return answer.tasks
    }

    public func reportTask(secret: String, id: RemoteTaskID, _ report: RemoteTaskReport) async throws -> RemoteTaskView {
        try await transport.send(.POST, APIRoute.reportAgentTask.path(id.rawValue), bearer: secret, body: report).value
    }

    public func uploadDiagnostics(secret: String, _ events: [DiagnosticEvent]) async throws -> DiagnosticsReceipt {
        try await transport.send(.POST, APIRoute.uploadDiagnostics.path, bearer: secret, body: DiagnosticsUpload(events: events)).value
    }
}

public enum AgentVersion {
    public static let current = "0.1.0"
}

/// One HTTP client per trusted certificate, for the life of the process (a client must be shut
/// down before it goes; these never go).
enum TrustingClients {
    /// By trusted certificate; "" for the system's roots.
    private static let clients = Mutex<[String: HTTPClient]>([:])

    static func client(_ certificate: String?) throws -> HTTPClient {
        try clients.withLock { clients in
            if let client = clients[certificate ?? ""] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = try ServerTrust.clientConfiguration(trusting: certificate)
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout.connect = .seconds(10)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[certificate ?? ""] = client
            return client
        }
    }
}
