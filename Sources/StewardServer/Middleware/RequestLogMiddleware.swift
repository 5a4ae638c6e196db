import Hummingbird
import Logging

/// One log line per request: method, the route's pattern (never the concrete path, whose IDs and
/// query values may be personal), status, duration and request ID. Debug level, so a busy
/// check-in path does not flood an info log.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.debug(
            "request",
            metadata: [
                "component": "http", "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")",
                "status": "\(response.status.code)", "ms": "\(elapsed.components.attoseconds / 1_000_000_000_000_000 + elapsed.components.seconds * 1000)",
                "requestId": "\(context.requestID)",
            ])
        return response
    }
}
