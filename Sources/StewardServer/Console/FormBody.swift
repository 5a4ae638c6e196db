import Foundation
import Hummingbird
import NIOCore
import StewardModel

/// An `application/x-www-form-urlencoded` body, read with a size limit. Fields are strings; the
/// first of a repeated field counts.
struct FormBody: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    init(fields: [(String, String)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }

    static func read(_ request: Request, limit: Int = Limits.smallBodyBytes) async throws -> FormBody {
        guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/x-www-form-urlencoded") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge
        }
        return try parse(String(buffer: buffer))
    }

    static func parse(_ text: String) throws -> FormBody {
        var fields: [(String, String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw WireError.invalidValue(field: "body", reason: "not a well-formed form")
            }
            fields.append((name, value))
        }
        return FormBody(fields: fields)
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// The field trimmed, nil when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func required(_ name: String) throws -> String {
        guard let value = text(name) else { throw WireError.missingField(name) }
        return value
    }

    func int(_ name: String) throws -> Int? {
        try text(name).map { raw in
            guard let value = Int(raw) else { throw WireError.invalidValue(field: name, reason: "a whole number") }
            return value
        }
    }

    func bool(_ name: String) throws -> Bool? {
        try text(name).map { raw in
            switch raw {
            case "true", "on", "yes": return true
            case "false", "off", "no": return false
            default: throw WireError.invalidValue(field: name, reason: "true or false")
            }
        }
    }
}
