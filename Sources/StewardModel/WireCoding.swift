import Foundation

/// The one JSON dialect of the API: camelCase keys, ISO 8601 times, sorted keys (so equal
/// values encode to equal bytes, which inventory hashes rely on).
public enum WireCoding {
    /// One encoder for every response: its options never change after this, and encoding with
    /// it from many tasks at once is safe (each call encodes into state of its own).
    public static let sharedEncoder = encoder()

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A time as the API writes it (ISO 8601, UTC, whole seconds).
    public static func format(_ date: Date) -> String {
        WireJSONWriter.iso8601(date)
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let raw = try container.decode(String.self)
            guard let date = parseDate(raw) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 time")
            }
            return date
        }
        return decoder
    }

    /// An ISO 8601 time, all of the text: `2026-01-31T12:00:00Z`, with optional fractional
    /// seconds and a `Z` or `±hh:mm` offset. Foundation's parser alone ignores trailing text.
    public static func parseDate(_ raw: String) -> Date? {
        guard raw.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})/) != nil else { return nil }
        return (try? Date(raw, strategy: .iso8601))
            ?? (try? Date(raw, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// Decodes a request body, turning every failure into a `WireError` with a stable code. A
    /// string holding a control character is refused (a NUL would otherwise cut the stored
    /// text short without a word).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(WireError) -> T {
        try refuseControlCharacters(data)
        return try genericallyDecode(type, from: data)
    }

    /// A request body with a hand-read path for its common shapes (no cast at run time to find
    /// it): read by hand when it can be, by the generic decoder otherwise, with the same checks.
    public static func decode<T: WireQuicklyDecodable>(_ type: T.Type, bytes: [UInt8]) throws(WireError) -> T {
        try refuseControlCharacters(bytes)
        if let value = T.quicklyDecoded(bytes) { return value }
        return try genericallyDecode(type, from: Data(bytes))
    }

    private static func refuseControlCharacters(_ body: some ContiguousBytes) throws(WireError) {
        if body.withUnsafeBytes(holdsControlCharacter) {
            throw .invalidValue(
                field: "body", reason: "control characters (U+0000 to U+001F other than tab, line feed and carriage return) are not accepted")
        }
    }

    private static func genericallyDecode<T: Decodable>(_ type: T.Type, from data: Data) throws(WireError) -> T {
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

    /// C0 controls other than tab, line feed and carriage return, as a UTF-8 byte (a C0
    /// control is one byte, and no byte of a longer sequence is below 0x80).
    public static func isRefusedControl(_ byte: UInt8) -> Bool {
        byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D
    }

    public static func isRefusedControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 && isRefusedControl(UInt8(scalar.value))
    }

    /// Whether the text holds a refused control character.
    public static func holdsRefusedControl(_ text: String) -> Bool {
        // The bytes in place when the string has them contiguous (native strings do): hundreds of
        // strings are checked per inventory, and the view's iterator cost more than the scan.
        text.utf8.withContiguousStorageIfAvailable { $0.contains(where: isRefusedControl) }
            ?? text.utf8.contains(where: isRefusedControl)
    }

    /// Whether JSON text holds a refused control character, raw or as a `\u00XX` escape (an
    /// escaped backslash followed by `u0000` is text, not a control).
    static func holdsControlCharacter(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isRefusedControl(byte) { return true }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return false }
            if bytes[index + 1] == UInt8(ascii: "u"), index + 5 < bytes.count, let value = Hex.value4(bytes[(index + 2)...(index + 5)]),
                let scalar = Unicode.Scalar(value), isRefusedControl(scalar)
            {
                return true
            }
            index += 2
        }
        return false
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

extension KeyedDecodingContainer {
    /// An optional field of a change: absent means unchanged, and an explicit `null` is refused
    /// (it used to be taken as "unchanged" too, hiding a client's mistake).
    public func decodeUnlessNull<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { throw WireError.invalidValue(field: key.stringValue, reason: "must not be null") }
        return try decode(type, forKey: key)
    }
}
