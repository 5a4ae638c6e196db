import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardModel

/// A small client of the admin API, for the quickstart and end-to-end tests: the same DTOs and
/// route table as the server.
public struct AdminClient: Sendable {
    let transport: JSONTransport
    let token: String

    public init(server: String, token: String, http: HTTPClient = .shared) {
        transport = JSONTransport(server: server, http: http)
        self.token = token
    }

    public func createEnrollmentToken(_ request: EnrollmentTokenCreateRequest) async throws -> EnrollmentTokenView {
        try await send(.POST, APIRoute.createEnrollmentToken.path, body: request)
    }

    public func device(_ id: DeviceID) async throws -> DeviceView {
        try await send(.GET, APIRoute.getDevice.path(id.rawValue), body: NoBody?.none)
    }

    public func devices(query: String = "") async throws -> Page<DeviceView> {
        try await send(.GET, APIRoute.listDevices.path + query, body: NoBody?.none)
    }

    public func apps(_ id: DeviceID, limit: Int = 1000, cursor: String? = nil) async throws -> Page<AppRecord> {
        let query = "?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
        return try await send(.GET, APIRoute.listDeviceApps.path(id.rawValue) + query, body: NoBody?.none)
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

    /// The tenant's stored diagnostics (under pseudonyms).
    public func diagnostics(query: String = "") async throws -> Page<DiagnosticEventView> {
        try await send(.GET, APIRoute.listDiagnostics.path + query, body: NoBody?.none)
    }

    public func createRemoteTask(_ id: DeviceID, _ request: RemoteTaskRequest) async throws -> RemoteTaskView {
        try await send(.POST, APIRoute.createRemoteTask.path(id.rawValue), body: request)
    }

    public func remoteTask(_ device: DeviceID, _ id: RemoteTaskID) async throws -> RemoteTaskView {
        try await send(.GET, APIRoute.getRemoteTask.path(device.rawValue, id.rawValue), body: NoBody?.none)
    }

    public func updateDevice(_ id: DeviceID, _ patch: DevicePatch) async throws -> DeviceView {
        try await send(.PATCH, APIRoute.updateDevice.path(id.rawValue), body: patch)
    }

    private func send<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)?) async throws -> Answer {
        try await transport.send(method, path, bearer: token, body: body).value
    }
}
