import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardModel

/// A small client of the admin API, for the quickstart and end-to-end tests: the same DTOs and
/// route table as the server.
public struct AdminClient: Sendable {
    let server: String
    let token: String
    let http: HTTPClient

    public init(server: String, token: String, http: HTTPClient = .shared) {
        self.server = server
        self.token = token
        self.http = http
    }

    public func createEnrollmentToken(_ request: EnrollmentTokenCreateRequest) async throws -> EnrollmentTokenView {
        try await send(.POST, APIRoute.createEnrollmentToken.path, body: request)
    }

    public func device(_ id: DeviceID) async throws -> DeviceView {
        try await send(.GET, APIRoute.getDevice.path(id.rawValue), body: Optional<DevicePatch>.none)
    }

    public func devices(query: String = "") async throws -> Page<DeviceView> {
        try await send(.GET, APIRoute.listDevices.path + query, body: Optional<DevicePatch>.none)
    }

    public func apps(_ id: DeviceID, limit: Int = 1000, cursor: String? = nil) async throws -> Page<AppRecord> {
        let query = "?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
        return try await send(.GET, APIRoute.listDeviceApps.path(id.rawValue) + query, body: Optional<DevicePatch>.none)
    }

    /// Every app of a device, following cursors.
    public func allApps(_ id: DeviceID) async throws -> [AppRecord] {
        var result: [AppRecord] = []
        var cursor: String?
        repeat {
            let page = try await apps(id, cursor: cursor)
            result += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return result
    }

    public func updateDevice(_ id: DeviceID, _ patch: DevicePatch) async throws -> DeviceView {
        try await send(.PATCH, APIRoute.updateDevice.path(id.rawValue), body: patch)
    }

    private func send<Body: Encodable, Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: Body?) async throws -> Answer {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try WireCoding.encoder().encode(body)))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let payload = Data(try await response.body.collect(upTo: 64 * 1024 * 1024).readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let error = try? WireCoding.decoder().decode(ErrorBody.self, from: payload)
            throw AgentError.server(
                status: Int(response.status.code), code: error?.error.code ?? "http_\(response.status.code)",
                message: error?.error.message ?? "")
        }
        return try WireCoding.decoder().decode(Answer.self, from: payload)
    }
}
