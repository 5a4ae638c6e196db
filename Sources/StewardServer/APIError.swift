import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// An error answer: HTTP status plus the stable `{"error":{"code","message"}}` body.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var requestID: String?
    /// Seconds to send as `Retry-After` (a 429 or 503).
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorBody(code: code, message: message, requestId: requestID)
        let data = try WireCoding.encoder().encode(body)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let unauthorized = APIError(.unauthorized, "unauthorized", "A valid bearer token is required.")
    static let payloadTooLarge = APIError(.contentTooLarge, "payload_too_large", "The request body is too large.")
    static let routeNotFound = APIError(.notFound, "route_not_found", "No such route.")

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, "\(what)_not_found", "No such \(what.replacingOccurrences(of: "_", with: " ")).")
    }

    static func invalid(_ error: WireError) -> APIError {
        APIError(.badRequest, error.code, error.message)
    }

    /// 429 with `Retry-After`: a limit was reached; nothing was done.
    static func tooManyRequests(_ code: String, _ message: String, retryAfter: Duration) -> APIError {
        var error = APIError(.tooManyRequests, code, message)
        error.retryAfterSeconds = retryAfter.retryAfterSeconds
        return error
    }

    /// 503 with `Retry-After`: the database could not do the work; nothing was stored, and the
    /// same request can be sent again (a full disk needs an operator first, so it says a minute).
    static func outage(_ outage: StoreOutage) -> APIError {
        var error = switch outage {
        case .unavailable:
            APIError(.serviceUnavailable, "database_unavailable", "The database cannot be reached; nothing was changed. Try again shortly.")
        case .busy:
            APIError(.serviceUnavailable, "database_busy", "The database is too busy to take this now; nothing was changed. Try again shortly.")
        case .full:
            APIError(.serviceUnavailable, "storage_full", "The server's storage is full; nothing was changed. An operator needs to free space.")
        }
        error.retryAfterSeconds = switch outage {
        case .unavailable: 5
        case .busy: 1
        case .full: 60
        }
        return error
    }

    static func internalError() -> APIError {
        APIError(.internalServerError, "internal_error", "Something went wrong; the request ID identifies it in the logs.")
    }
}

extension Duration {
    /// As `Retry-After` says it: whole seconds, rounded up, at least 1.
    var retryAfterSeconds: Int {
        max(1, Int(components.seconds) + (components.attoseconds > 0 ? 1 : 0))
    }
}

extension APIError: CustomStringConvertible {
    /// What the `steward` commands print when they share an API path (`No such user.`).
    public var description: String { message }
}
