import Foundation

/// A SCIM document as JSON values: resources are read and PATCHed as documents, then mapped to
/// the directory model (`SCIMUser`, `SCIMGroup`). Attribute names are case-insensitive
/// (RFC 7643 §2.1): every lookup here ignores case.
public enum SCIMValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SCIMValue])
    case object([String: SCIMValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([SCIMValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: SCIMValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { try container.encode(Int64(number)) } else { try container.encode(number) }
        case .string(let text): try container.encode(text)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }

    /// The member named `name`, whatever its case.
    public subscript(_ name: String) -> SCIMValue? {
        guard case .object(let members) = self else { return nil }
        if let exact = members[name] { return exact }
        return members.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The key as spelled in the document, whatever case `name` has.
    func key(_ name: String) -> String? {
        guard case .object(let members) = self else { return nil }
        return members.keys.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Sets (or with nil removes) the member named `name`, keeping the document's spelling.
    mutating func set(_ name: String, _ value: SCIMValue?) {
        guard case .object(var members) = self else { return }
        let existing = key(name)
        if let existing { members[existing] = nil }
        if let value { members[existing ?? name] = value }
        self = .object(members)
    }

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var array: [SCIMValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// Nesting depth (1 for a scalar), to refuse documents deeper than a resource can be.
    public var depth: Int {
        switch self {
        case .array(let items): 1 + (items.map(\.depth).max() ?? 0)
        case .object(let members): 1 + (members.values.map(\.depth).max() ?? 0)
        default: 1
        }
    }

    /// Decodes a request body: JSON, an object, at most `maxDepth` deep.
    public static func document(_ data: Data, maxDepth: Int = 8) throws(SCIMError) -> SCIMValue {
        let value: SCIMValue
        do {
            value = try JSONDecoder().decode(SCIMValue.self, from: data)
        } catch {
            throw SCIMError(400, .invalidSyntax, "The body is not a JSON object.")
        }
        guard case .object = value else { throw SCIMError(400, .invalidSyntax, "The body is not a JSON object.") }
        guard value.depth <= maxDepth else { throw SCIMError(400, .invalidSyntax, "The document is nested too deeply.") }
        return value
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

/// A SCIM error (RFC 7644 §3.12), answered in the protocol's own form.
public struct SCIMError: Error, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget, invalidValue, invalidVers, sensitive
    }

    public let status: Int
    public let scimType: Kind?
    public let detail: String

    public init(_ status: Int, _ scimType: Kind?, _ detail: String) {
        self.status = status
        self.scimType = scimType
        self.detail = detail
    }

    public static func notFound(_ resource: String) -> SCIMError { SCIMError(404, nil, "No such \(resource).") }
    public static func invalidValue(_ detail: String) -> SCIMError { SCIMError(400, .invalidValue, detail) }

    public var document: SCIMValue {
        var members: [String: SCIMValue] = [
            "schemas": .array([.string(SCIMSchema.error)]), "status": .string(String(status)), "detail": .string(detail),
        ]
        if let scimType { members["scimType"] = .string(scimType.rawValue) }
        return .object(members)
    }
}

public enum SCIMSchema {
    public static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    public static let group = "urn:ietf:params:scim:schemas:core:2.0:Group"
    public static let enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    public static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    public static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    public static let error = "urn:ietf:params:scim:api:messages:2.0:Error"
    public static let serviceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    public static let resourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    public static let schema = "urn:ietf:params:scim:schemas:core:2.0:Schema"
    /// The media type of every SCIM answer.
    public static let mediaType = "application/scim+json"
}
