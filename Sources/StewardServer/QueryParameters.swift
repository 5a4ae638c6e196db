import Foundation
import Hummingbird
import StewardModel

/// Query-string parsing with the same error codes as bodies. Unknown parameters are refused, so
/// a misspelt filter never silently returns everything.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, allowed: Set<String>) throws(WireError) {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let key = String(key)
            guard allowed.contains(key) else {
                throw .invalidValue(field: key, reason: "unknown query parameter; allowed: \(allowed.sorted().joined(separator: ", "))")
            }
            values[key] = String(value)
        }
        self.values = values
    }

    func value(_ name: String) -> String? { values[name] }

    func string(_ name: String) throws(WireError) -> String? {
        guard let value = values[name] else { return nil }
        try Validator().string(value, name)
        return value
    }

    func date(_ name: String) throws(WireError) -> Date? {
        guard let raw = values[name] else { return nil }
        guard let date = WireCoding.parseDate(raw) else {
            throw .invalidValue(field: name, reason: "expected an ISO 8601 time such as 2026-01-31T12:00:00Z")
        }
        return date
    }

    func limit() throws(WireError) -> Int {
        guard let raw = values["limit"] else { return Limits.defaultPageSize }
        guard let limit = Int(raw), (1...Limits.maxPageSize).contains(limit) else {
            throw .invalidValue(field: "limit", reason: "must be a whole number from 1 to \(Limits.maxPageSize)")
        }
        return limit
    }

    /// The opaque cursor of a page (`PageCursor`).
    func cursor() throws(WireError) -> String? {
        guard let raw = values["cursor"] else { return nil }
        guard let key = PageCursor.decode(raw) else {
            throw .invalidValue(field: "cursor", reason: "not a cursor of this list")
        }
        return key
    }
}
