/// Every HTTP route Steward serves, declared once. The server registers its handlers against this
/// table, clients build paths from it, and a test keeps docs/openapi.yaml in agreement with it.
public struct APIRoute: Sendable, Hashable, CustomStringConvertible {
    public enum Method: String, Sendable { case GET, POST, PATCH, DELETE }

    /// Who may call a route.
    public enum Access: Sendable, Hashable {
        case anyone
        case enrollmentToken
        case device
        case admin
    }

    public let method: Method
    /// Path with `{parameter}` placeholders, as in OpenAPI.
    public let path: String
    public let access: Access

    public init(_ method: Method, _ path: String, _ access: Access) {
        self.method = method
        self.path = path
        self.access = access
    }

    public var description: String { "\(method.rawValue) \(path)" }

    /// The same path in Hummingbird's `:parameter` syntax.
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    /// The concrete path for the given parameter values, in order.
    public func path(_ values: String...) -> String {
        var remaining = values[...]
        return path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix("{"), let value = remaining.popFirst() else { return String(segment) }
            return value
        }.joined(separator: "/")
    }

    public static let health = APIRoute(.GET, "/health", .anyone)
    public static let enroll = APIRoute(.POST, "/api/v1/enroll", .enrollmentToken)
    public static let checkIn = APIRoute(.POST, "/api/v1/check-in", .device)
    public static let createEnrollmentToken = APIRoute(.POST, "/api/v1/enrollment-tokens", .admin)
    public static let listEnrollmentTokens = APIRoute(.GET, "/api/v1/enrollment-tokens", .admin)
    public static let revokeEnrollmentToken = APIRoute(.DELETE, "/api/v1/enrollment-tokens/{id}", .admin)
    public static let listDevices = APIRoute(.GET, "/api/v1/devices", .admin)
    public static let getDevice = APIRoute(.GET, "/api/v1/devices/{id}", .admin)
    public static let updateDevice = APIRoute(.PATCH, "/api/v1/devices/{id}", .admin)
    public static let deleteDevice = APIRoute(.DELETE, "/api/v1/devices/{id}", .admin)
    public static let listDeviceApps = APIRoute(.GET, "/api/v1/devices/{id}/apps", .admin)
    public static let getTenantSettings = APIRoute(.GET, "/api/v1/tenant/settings", .admin)
    public static let updateTenantSettings = APIRoute(.PATCH, "/api/v1/tenant/settings", .admin)
    public static let reportSummary = APIRoute(.GET, "/api/v1/reports/summary", .admin)

    public static let all: [APIRoute] = [
        health, enroll, checkIn, createEnrollmentToken, listEnrollmentTokens, revokeEnrollmentToken, listDevices,
        getDevice, updateDevice, deleteDevice, listDeviceApps, getTenantSettings, updateTenantSettings, reportSummary,
    ]
}
