import Foundation

/// The one JSON dialect of the API: camelCase keys, ISO 8601 times, sorted keys (so equal
/// values encode to equal bytes, which inventory hashes rely on).
public enum WireCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A time as the API writes it (ISO 8601, UTC, whole seconds).
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Decodes a request body, turning every failure into a `WireError` with a stable code.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(WireError) -> T {
        do {
            return try decoder().decode(type, from: data)
        } catch let error as WireError {
            throw error
        } catch let error as DecodingError {
            throw wireError(error)
        } catch {
            throw .malformedJSON
        }
    }

    static func wireError(_ error: DecodingError) -> WireError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField((context.codingPath + [key]).fieldName)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .invalidType(field: context.codingPath.fieldName)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .malformedJSON }
            // A date or number in the wrong format.
            return .invalidValue(field: context.codingPath.fieldName, reason: "not in the expected format")
        @unknown default:
            return .malformedJSON
        }
    }
}
