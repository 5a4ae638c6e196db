import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardModel

/// What went wrong talking to the server.
public enum AgentError: Error, CustomStringConvertible, Equatable {
    /// The server answered with an error body.
    case server(status: Int, code: String, message: String)
    /// The server could not be reached (retry later).
    case unreachable(String)
    case notEnrolled(String)
    case alreadyEnrolled(server: String)

    public var description: String {
        switch self {
        case .server(let status, let code, let message): "server answered \(status) \(code): \(message)"
        case .unreachable(let reason): "server unreachable: \(reason)"
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
    public let server: String
    let http: HTTPClient
    let timeout: TimeAmount

    public init(server: String, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(60)) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.http = http
        self.timeout = timeout
    }

    public func enroll(token: String, _ request: EnrollRequest) async throws -> EnrollResponse {
        try await post(APIRoute.enroll.path, bearer: token, body: request).value
    }

    /// Sends a check-in; returns the answer and how many bytes the request body had.
    public func checkIn(secret: String, _ request: CheckInRequest) async throws -> (value: CheckInResponse, bytes: Int) {
        try await post(APIRoute.checkIn.path, bearer: secret, body: request)
    }

    private func post<Body: Encodable, Answer: Decodable>(
        _ path: String, bearer: String, body: Body
    ) async throws -> (value: Answer, bytes: Int) {
        let data = try WireCoding.encoder().encode(body)
        var request = HTTPClientRequest(url: server + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "steward-agent/\(AgentVersion.current)")
        request.body = .bytes(ByteBuffer(bytes: data))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw AgentError.unreachable(String(describing: error))
        }
        let buffer = try await response.body.collect(upTo: 4 * 1024 * 1024)
        let payload = Data(buffer.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let error = try? WireCoding.decoder().decode(ErrorBody.self, from: payload)
            throw AgentError.server(
                status: Int(response.status.code), code: error?.error.code ?? "http_\(response.status.code)",
                message: error?.error.message ?? response.status.reasonPhrase)
        }
        return (try WireCoding.decoder().decode(Answer.self, from: payload), data.count)
    }
}

public enum AgentVersion {
    public static let current = "0.1.0"
}
