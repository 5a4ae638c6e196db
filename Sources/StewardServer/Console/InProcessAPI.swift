import Foundation
import Hummingbird
import NIOCore
import StewardModel

/// The API's own route handlers, called in-process by the console. A page reads and every form
/// changes through the same handler as its API route, behind the same permission check, so the
/// console can neither see more nor write a different audit entry than the API.
struct InProcessAPI: Sendable {
    typealias Handler = @Sendable (Request, StewardRequestContext) async throws -> Response
    let handlers: [APIRoute: Handler]

    /// Calls the route as the context's admin. `parameters` fill the path (`id`, `appId`, …);
    /// `query` is the query string without `?`; `body` is JSON.
    func call(
        _ route: APIRoute, _ context: StewardRequestContext, parameters: [String: String] = [:], query: String = "",
        body: Data? = nil, on original: Request? = nil
    ) async throws -> Response {
        guard let handler = handlers[route], route.isAdmin || route == .signIn else {
            preconditionFailure("the console calls admin routes and sign-in only")
        }
        if let permission = route.permission, !context.grants.allows(permission) {
            throw APIError(.forbidden, "permission_denied", "This needs the permission '\(permission.rawValue)'.")
        }
        var context = context
        var values = Parameters()
        for (name, value) in parameters { values[Substring(name)] = Substring(value) }
        context.coreContext.parameters = values
        let path = route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") ? parameters[String(segment.dropFirst().dropLast())] ?? "" : String(segment)
        }.joined(separator: "/")
        var head = HTTPRequest(method: .init(route.method.rawValue)!, scheme: nil, authority: nil, path: path + (query.isEmpty ? "" : "?" + query))
        head.headerFields[.contentType] = "application/json"
        if let original {
            // What the answer depends on of the browser's own request: whether it came over TLS
            // (here, or at a proxy that says so), for the session cookie's Secure flag.
            head.scheme = original.head.scheme
            head.headerFields[.init("X-Forwarded-Proto")!] = original.headers[.init("X-Forwarded-Proto")!]
        }
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body ?? Data())))
        return try await handler(request, context)
    }

    /// Calls the route and takes its answer: the handler's own value (no JSON in between), or
    /// for a handler that writes its body itself, that body decoded.
    func value<T: Decodable>(
        _ type: T.Type, _ route: APIRoute, _ context: StewardRequestContext, parameters: [String: String] = [:],
        query: String = "", body: (any Encodable)? = nil
    ) async throws -> T {
        var context = context
        let answer = InProcessAnswer()
        context.inProcessAnswer = answer
        let response = try await call(
            route, context, parameters: parameters, query: query, body: try body.map { try WireCoding.encoder().encode($0) })
        if let value = answer.value as? T { return value }
        return try WireCoding.decoder().decode(T.self, from: Data(buffer: try await Self.collect(response)))
    }

    /// Calls a route whose answer has no body the console needs (a change); `raw` is a body
    /// sent as it is (the corporate identifiers' CSV).
    func perform(
        _ route: APIRoute, _ context: StewardRequestContext, parameters: [String: String] = [:], body: (any Encodable)? = nil,
        raw: Data? = nil
    ) async throws {
        _ = try await call(route, context, parameters: parameters, body: try raw ?? body.map { try WireCoding.encoder().encode($0) })
    }

    /// The body of an in-process answer (a handler's buffer, or a streamed export).
    static func collect(_ response: Response) async throws -> ByteBuffer {
        let collector = Collector()
        try await response.body.write(collector)
        return collector.box.buffer
    }

    private final class Box: @unchecked Sendable {
        var buffer = ByteBuffer()
    }

    private struct Collector: ResponseBodyWriter {
        let box = Box()
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            box.buffer.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

/// Where an in-process call's typed answer lands (one call, one task: no concurrent access).
final class InProcessAnswer: @unchecked Sendable {
    var value: (any Sendable)?
}

/// An answer that can hand over its value instead of its JSON.
protocol InProcessAnswerable {
    var answerValue: any Sendable { get }
    var status: HTTPResponse.Status { get }
}

extension JSONResponse: InProcessAnswerable {
    var answerValue: any Sendable { value }
}
