/// Why a request body or query was refused, before anything was stored.
/// Each case has a stable code that clients can match on.
public enum WireError: Error, Equatable, Sendable {
    case malformedJSON
    case missingField(String)
    case invalidType(field: String)
    case invalidValue(field: String, reason: String)
    case unknownEnumValue(field: String, allowed: [String])
    case stringTooLong(field: String, limit: Int)
    case tooManyItems(field: String, limit: Int)
    /// A field that cannot be changed this way (device-reported data is read-only for admins).
    case readOnlyField(String)

    public var code: String {
        switch self {
        case .malformedJSON: "malformed_json"
        case .missingField: "missing_field"
        case .invalidType: "invalid_type"
        case .invalidValue: "invalid_value"
        case .unknownEnumValue: "invalid_enum_value"
        case .stringTooLong: "string_too_long"
        case .tooManyItems(let field, _) where field == "apps" || field.hasPrefix("appsDelta"): "too_many_apps"
        case .tooManyItems: "too_many_items"
        case .readOnlyField: "read_only_field"
        }
    }

    public var message: String {
        switch self {
        case .malformedJSON: "The request body is not valid JSON."
        case .missingField(let field): "The field '\(field)' is required."
        case .invalidType(let field): "The field '\(field)' has the wrong type."
        case .invalidValue(let field, let reason): "The field '\(field)' is invalid: \(reason)."
        case .unknownEnumValue(let field, let allowed):
            "The field '\(field)' must be one of: \(allowed.joined(separator: ", "))."
        case .stringTooLong(let field, let limit): "The field '\(field)' is longer than \(limit) characters."
        case .tooManyItems(let field, let limit): "The field '\(field)' has more than \(limit) items."
        case .readOnlyField(let field):
            "The field '\(field)' cannot be changed here; device-reported data changes only when the device reports it."
        }
    }
}
