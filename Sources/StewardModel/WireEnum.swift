/// A closed set of string values on the wire. Decoding an unknown value throws
/// `WireError.unknownEnumValue`, which the HTTP edge answers with `invalid_enum_value`.
public protocol WireEnum: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension WireEnum {
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw WireError.unknownEnumValue(
                field: decoder.codingPath.fieldName, allowed: Self.allCases.map(\.rawValue))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Parses a query-string value, with the same error as the JSON body would give.
    public static func parse(_ raw: String, field: String) throws(WireError) -> Self {
        guard let value = Self(rawValue: raw) else {
            throw WireError.unknownEnumValue(field: field, allowed: allCases.map(\.rawValue))
        }
        return value
    }
}

/// Who owns a device. Decides what Steward may collect and what views show.
public enum Ownership: String, WireEnum {
    case corporate
    case personal
}

/// The operating system family of a device.
public enum Platform: String, WireEnum {
    case linux, macos, windows, ios, ipados, android
}
