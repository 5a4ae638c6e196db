import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardModel

/// JSON over HTTP in the API's one dialect: encodes the body, maps error answers to
/// `AgentError.server` with their stable code, bounds the answer's size.
struct JSONTransport: Sendable {
    let server: String
    let http: HTTPClient
    let timeout: TimeAmount
    let maxAnswerBytes: Int

    init(server: String, http: HTTPClient, timeout: TimeAmount = .seconds(60), maxAnswerBytes: Int = 64 * 1024 * 1024) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.http = http
        self.timeout = timeout
        self.maxAnswerBytes = maxAnswerBytes
    }

    /// Sends and decodes; returns the answer and the size of the request body.
    func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, bearer: String, body: (some Encodable)?
    ) async throws -> (value: Answer, bytes: Int) {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        request.headers.add(name: "User-Agent", value: "steward-agent/\(AgentVersion.current)")
        var bytes = 0
        if let body {
            let data = try WireCoding.encoder().encode(body)
            bytes = data.count
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw AgentError.unreachable(Self.reason(error, server: server))
        }
        let payload = Data(try await response.body.collect(upTo: maxAnswerBytes).readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let error = try? WireCoding.decoder().decode(ErrorBody.self, from: payload)
            throw AgentError.server(
                status: Int(response.status.code), code: error?.error.code ?? "http_\(response.status.code)",
                message: error?.error.message ?? response.status.reasonPhrase)
        }
        return (try WireCoding.decoder().decode(Answer.self, from: payload), bytes)
    }
}

extension JSONTransport {
    /// One line a person can act on, for the usual ways a server is out of reach.
    static func reason(_ error: any Error, server: String) -> String {
        let text = String(describing: error)
        if text.contains("Connection refused") { return "nothing answers at \(server) (connection refused): is the server running, on that port?" }
        if text.contains("connectTimeout") || text.contains("Timed out") || text.contains("deadlineExceeded") {
            return "no answer from \(server) in time"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("handshakeFailed") {
            return "\(server) presented a certificate this agent does not trust (--ca-file or --pin-sha256 at enrollment)"
        }
        if text.contains("NXDOMAIN") || text.contains("Name or service not known") || text.contains("No address") {
            return "\(server): the host name does not resolve"
        }
        return "\(server): \(text)"
    }
}

/// The body of a request that has none.
struct NoBody: Encodable {}
