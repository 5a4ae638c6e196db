import HTTPTypes
import Hummingbird
import Logging
import StewardModel
import StewardStore

/// Maps every error to the stable JSON error body, once, at the edge. Unknown errors become a
/// bare 500 carrying the request ID; their details go to the log by type only, never with
/// payloads or statement arguments. Every answer also says `nosniff` and `no-store`: API
/// answers carry personal data and secrets, and no cache or browser guess should keep them.
/// Served over TLS, every answer tells browsers to come back only over HTTPS (HSTS, a year).
/// The database unreachable, too busy or full (as the store recognises its driver's errors) is
/// a 503 with its own code and `Retry-After`, never a 500: the request did nothing; the log says
/// so once per kind and interval (`OutageReporter`).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext
    /// The store's reading of an error it threw (`Storage.outage(causedBy:)`), and its log.
    let outages: OutageReporter
    var servesTLS = false
    static let requestIDHeader = HTTPField.Name("X-Request-ID")!
    static let noSniffHeader = HTTPField.Name("X-Content-Type-Options")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Self.answer(for: error, context: context, component: "http", outages: outages)
                .response(from: request, context: context)
        }
        response.headers[Self.requestIDHeader] = context.requestID
        response.headers[Self.noSniffHeader] = "nosniff"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if servesTLS { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }

    /// The error as answered, carrying the request's ID; an unexpected one is logged, by type only.
    static func answer(for error: any Error, context: Context, component: String, outages: OutageReporter) -> APIError {
        if let outage = outages.outage(error, context: context, component: component) {
            var apiError = APIError.outage(outage)
            apiError.requestID = context.requestID
            return apiError
        }
        var apiError = apiError(for: error)
        apiError.requestID = context.requestID
        if apiError.status == .internalServerError {
            context.logger.error(
                "request failed",
                metadata: ["component": "\(component)", "requestId": "\(context.requestID)", "error": "\(String(reflecting: type(of: error)))"])
        }
        return apiError
    }

    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as WireError: return .invalid(error)
        case StoreError.notFound: return .notFound("resource")
        case StoreError.conflict(let what): return APIError(.conflict, "conflict", what)
        case StoreError.outage(let outage): return .outage(outage)
        case StoreError.alreadyEnrolled: return APIError(.conflict, "device_already_enrolled", "This machine is enrolled already.")
        case let error as HTTPError where error.status == .notFound: return .routeNotFound
        case let error as HTTPError where error.status == .methodNotAllowed:
            return APIError(.methodNotAllowed, "method_not_allowed", "This route does not accept that method.")
        case let error as any HTTPResponseError where error.status == .contentTooLarge: return .payloadTooLarge
        default: return .internalError()
        }
    }
}
