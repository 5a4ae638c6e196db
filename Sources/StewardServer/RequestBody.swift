import Foundation
import Hummingbird
import NIOCore
import StewardModel
import StewardStore

extension Request {
    /// Reads and decodes a JSON body of at most `limit` bytes: 413 past it, 400 with a stable
    /// code for anything malformed. Nothing is stored before this returns.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        try WireCoding.decode(type, from: Data(buffer: try await jsonBody(limit: limit)))
    }

    /// The same for a body with a hand-read path (a check-in): its bytes go to the reader
    /// without a copy into `Data` first.
    func decodeJSON<T: WireQuicklyDecodable>(_ type: T.Type, limit: Int) async throws -> T {
        var buffer = try await jsonBody(limit: limit)
        return try WireCoding.decode(type, bytes: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// The body, refused when empty, past `limit` or not sent as JSON.
    private func jsonBody(limit: Int) async throws -> ByteBuffer {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge
        }
        if buffer.readableBytes == 0 { throw WireError.malformedJSON }
        // JSON routes take JSON only: a form or text/plain body (what another site can make a
        // browser send with the session cookie) is refused before it is read as JSON.
        guard Self.isJSON(headers.single(.contentType)) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "Send the body as JSON, with Content-Type: application/json.")
        }
        return buffer
    }

    /// `application/json` or `application/<something>+json`, with any parameters.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        if contentType == "application/json" { return true }  // what agents send: no parsing
        let type = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}

/// JSON answers with the API's encoder.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    let value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        // The hottest answers (pages of devices and apps) are written by hand, to the same bytes.
        let buffer = if let writable = value as? any WireJSONWritable {
            ByteBuffer(bytes: writable.wireJSON())
        } else {
            ByteBuffer(bytes: try WireCoding.sharedEncoder.encode(value))
        }
        return Response(status: status, headers: jsonHeaders, body: .init(byteBuffer: buffer))
    }
}

/// The headers of every JSON answer.
private let jsonHeaders: HTTPFields = [.contentType: "application/json; charset=utf-8"]

/// An answer that never changes (`GET /health`), encoded once.
struct StaticJSONResponse: ResponseGenerator {
    let bytes: ByteBuffer

    init(_ value: some Encodable) {
        bytes = ByteBuffer(bytes: (try? WireCoding.sharedEncoder.encode(value)) ?? Data("{}".utf8))
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: bytes))
    }
}

extension StewardRequestContext {
    /// The authenticated admin's tenant (admin routes run behind `AdminAuthentication`).
    func requireTenant() throws -> TenantID {
        guard let tenantID else { throw APIError.unauthorized }
        return tenantID
    }

    func requireAdmin() throws -> (TenantID, AdminID, CredentialID) {
        guard let tenantID, let adminID, let credentialID else { throw APIError.unauthorized }
        return (tenantID, adminID, credentialID)
    }

    /// A path parameter naming a resource. A malformed ID names nothing: the same 404 as
    /// another tenant's resource.
    func id<ID: StewardIdentifier>(_ parameter: String, _ type: ID.Type, _ what: String) throws -> ID {
        let raw = parameters.get(parameter) ?? ""
        guard ID.isWellFormed(raw) else { throw APIError.notFound(what) }
        return ID(rawValue: raw)
    }
}

extension Page {
    /// One page from a fetch of `limit + 1` rows: the extra row only says that a next page
    /// exists, whose cursor is the key of this page's last row.
    static func of<Row>(_ rows: [Row], limit: Int, key: (Row) -> String, _ view: (Row) throws -> Item) rethrows -> Page<Item> {
        Page(items: try rows.prefix(limit).map(view), nextCursor: rows.count > limit ? PageCursor.encode(key(rows[limit - 1])) : nil)
    }

    /// One page of records, keyed by their primary key.
    static func of<R: StoredRecord>(_ records: [R], limit: Int, _ view: (R) throws -> Item) rethrows -> Page<Item> {
        try of(records, limit: limit, key: \.key, view)
    }
}

extension Request {
    /// Whether the client's request came over TLS: to this server itself, or to a proxy in
    /// front of it that says so (`X-Forwarded-Proto: https`).
    func cameOverTLS(servedOverTLS: Bool) -> Bool {
        servedOverTLS || head.scheme == "https" || headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}
