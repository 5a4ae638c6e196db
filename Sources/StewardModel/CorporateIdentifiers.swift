import Foundation

/// A hardware identifier a tenant registered as corporate: a device that enrolls with it is
/// corporate, whatever its enrollment token says.
public struct CorporateIdentifierView: Codable, Sendable, Equatable {
    public enum Kind: String, WireEnum {
        case serialNumber, imei
    }

    public var kind: Kind
    public var value: String
    public var createdAt: Date

    public init(kind: Kind, value: String, createdAt: Date) {
        self.kind = kind
        self.value = value
        self.createdAt = createdAt
    }

    /// Reads `POST /api/v1/corporate-identifiers`: CSV lines `serialNumber,VALUE` or
    /// `imei,VALUE` (a `kind,value` header line is skipped), at most `limit` rows.
    public static func parseCSV(_ text: String, limit: Int = 10_000) throws(WireError) -> [(Kind, String)] {
        var rows: [(Kind, String)] = []
        for (index, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || (index == 0 && line.lowercased() == "kind,value") { continue }
            let fields = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
            guard fields.count == 2, let kind = Kind(rawValue: fields[0]), !fields[1].isEmpty, fields[1].utf8.count <= 128 else {
                throw .invalidValue(field: "line \(index + 1)", reason: "expected serialNumber,VALUE or imei,VALUE")
            }
            rows.append((kind, fields[1]))
            if rows.count > limit { throw .tooManyItems(field: "rows", limit: limit) }
        }
        return rows
    }
}

/// What an upload added.
public struct CorporateIdentifierUpload: Codable, Sendable, Equatable {
    public var received: Int
    public var added: Int

    public init(received: Int, added: Int) {
        self.received = received
        self.added = added
    }
}
