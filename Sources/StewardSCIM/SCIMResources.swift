import Foundation

/// A user as a directory provisions it: the attributes of the core User schema (and the
/// enterprise extension's employee number) that Steward keeps. Read from a POST or PUT body, or
/// a PATCH's result; anything else in the document is ignored.
public struct SCIMUser: Sendable, Equatable {
    public var userName: String
    public var externalId: String?
    public var displayName: String
    public var givenName: String?
    public var familyName: String?
    public var email: String?
    public var phone: String?
    public var active: Bool
    public var employeeNumber: String?

    public static let multiValued: Set<String> = ["emails", "phonenumbers", "addresses", "groups", "roles", "entitlements", "ims", "photos", "x509certificates"]

    public init(
        userName: String, externalId: String? = nil, displayName: String, givenName: String? = nil, familyName: String? = nil,
        email: String? = nil, phone: String? = nil, active: Bool = true, employeeNumber: String? = nil
    ) {
        self.userName = userName
        self.externalId = externalId
        self.displayName = displayName
        self.givenName = givenName
        self.familyName = familyName
        self.email = email
        self.phone = phone
        self.active = active
        self.employeeNumber = employeeNumber
    }

    public init(_ document: SCIMValue) throws(SCIMError) {
        let read = Reader(document)
        userName = try read.required("userName", limit: 254)
        externalId = try read.string("externalId", limit: 200)
        let name = try read.object("name")
        let nameReader = Reader(name ?? .object([:]), prefix: "name.")
        givenName = try nameReader.string("givenName", limit: 100)
        familyName = try nameReader.string("familyName", limit: 100)
        let formatted = try nameReader.string("formatted", limit: 200)
        let joined = [givenName, familyName].compactMap { $0 }.joined(separator: " ")
        displayName = try read.string("displayName", limit: 200) ?? formatted ?? (joined.isEmpty ? userName : joined)
        email = try read.preferred("emails", limit: 254)
        if let email, !email.contains("@") { throw .invalidValue("emails: \"\(email.prefix(40))\" is not an e-mail address.") }
        phone = try read.preferred("phoneNumbers", limit: 40)
        active = try read.boolean("active") ?? true
        let enterprise = document[SCIMSchema.enterpriseUser]
        let enterpriseReader = Reader(enterprise ?? .object([:]), prefix: "enterprise:")
        employeeNumber = try enterpriseReader.string("employeeNumber", limit: 100)
    }

    public func document(meta: SCIMMeta) -> SCIMValue {
        var members: [String: SCIMValue] = [
            "schemas": .array([.string(SCIMSchema.user)] + (employeeNumber == nil ? [] : [.string(SCIMSchema.enterpriseUser)])),
            "id": .string(meta.id), "userName": .string(userName), "displayName": .string(displayName),
            "active": .bool(active), "meta": meta.document(resourceType: "User"),
        ]
        if let externalId { members["externalId"] = .string(externalId) }
        var name: [String: SCIMValue] = [:]
        if let givenName { name["givenName"] = .string(givenName) }
        if let familyName { name["familyName"] = .string(familyName) }
        if !name.isEmpty {
            name["formatted"] = .string([givenName, familyName].compactMap { $0 }.joined(separator: " "))
            members["name"] = .object(name)
        }
        if let email { members["emails"] = .array([.object(["value": .string(email), "type": .string("work"), "primary": .bool(true)])]) }
        if let phone { members["phoneNumbers"] = .array([.object(["value": .string(phone), "type": .string("work"), "primary": .bool(true)])]) }
        if let employeeNumber { members[SCIMSchema.enterpriseUser] = .object(["employeeNumber": .string(employeeNumber)]) }
        return .object(members)
    }
}

/// A group of users as a directory provisions it. Groups of groups are refused.
public struct SCIMGroup: Sendable, Equatable {
    public static let maxMembers = 50_000
    public static let multiValued: Set<String> = ["members"]

    public var displayName: String
    public var externalId: String?
    /// The member users' IDs, each once, in the document's order.
    public var members: [String]

    public init(displayName: String, externalId: String? = nil, members: [String] = []) {
        self.displayName = displayName
        self.externalId = externalId
        self.members = members
    }

    public init(_ document: SCIMValue) throws(SCIMError) {
        let read = Reader(document)
        displayName = try read.required("displayName", limit: 200)
        externalId = try read.string("externalId", limit: 200)
        var seen = Set<String>()
        members = []
        guard let list = document["members"], !list.isNull else { return }
        guard let elements = list.array else { throw .invalidValue("members: an array.") }
        guard elements.count <= Self.maxMembers else { throw SCIMError(400, .tooMany, "A group holds at most 50,000 members.") }
        for element in elements {
            guard let value = element["value"]?.string, !value.isEmpty, value.count <= 64 else {
                throw .invalidValue("members: each member has a \"value\", the user's id.")
            }
            if let type = element["type"]?.string, type.lowercased() != "user" {
                throw .invalidValue("members: only users can be members (no groups of groups).")
            }
            if seen.insert(value).inserted { members.append(value) }
        }
    }

    public func document(meta: SCIMMeta, includeMembers: Bool = true) -> SCIMValue {
        var members: [String: SCIMValue] = [
            "schemas": .array([.string(SCIMSchema.group)]), "id": .string(meta.id), "displayName": .string(displayName),
            "meta": meta.document(resourceType: "Group"),
        ]
        if let externalId { members["externalId"] = .string(externalId) }
        if includeMembers {
            members["members"] = .array(self.members.map { .object(["value": .string($0), "type": .string("User")]) })
        }
        return .object(members)
    }
}

/// A resource's `meta`: its ID, times, location and version.
public struct SCIMMeta: Sendable, Equatable {
    public var id: String
    public var created: Date
    public var lastModified: Date
    public var location: String

    public init(id: String, created: Date, lastModified: Date, location: String) {
        self.id = id
        self.created = created
        self.lastModified = lastModified
        self.location = location
    }

    func document(resourceType: String) -> SCIMValue {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return .object([
            "resourceType": .string(resourceType), "created": .string(created.formatted(format)),
            "lastModified": .string(lastModified.formatted(format)), "location": .string(location),
            "version": .string("W/\"\(Int64(lastModified.timeIntervalSince1970 * 1000))\""),
        ])
    }
}

/// `attributes` and `excludedAttributes` (RFC 7644 §3.9), at the level of top-level attributes.
public struct SCIMProjection: Sendable {
    var attributes: Set<String>?
    var excluded: Set<String>

    public init(attributes: String?, excludedAttributes: String?) {
        func names(_ text: String?) -> Set<String>? {
            text.map { Set($0.split(separator: ",").map { Self.topLevel($0.trimmingCharacters(in: .whitespaces)) }) }
        }
        self.attributes = names(attributes)
        self.excluded = names(excludedAttributes) ?? []
    }

    /// `name.givenName` → `name`; an extension's URN-prefixed attribute → the URN.
    static func topLevel(_ text: String) -> String {
        var name = text
        if text.lowercased().hasPrefix("urn:"), let colon = text.lastIndex(of: ":") {
            let urn = String(text[..<colon])
            guard [SCIMSchema.user, SCIMSchema.group].contains(where: { $0.caseInsensitiveCompare(urn) == .orderedSame }) else {
                return urn.lowercased()
            }
            name = String(text[text.index(after: colon)...])
        }
        return (name.split(separator: ".").first.map(String.init) ?? name).lowercased()
    }

    public func excludes(_ attribute: String) -> Bool {
        let name = attribute.lowercased()
        if let attributes { return !attributes.contains(name) }
        return excluded.contains(name)
    }

    public func apply(_ document: SCIMValue) -> SCIMValue {
        guard case .object(let members) = document else { return document }
        return .object(members.filter { key, _ in
            let name = key.lowercased()
            if name == "id" || name == "schemas" { return true }
            if let attributes { return attributes.contains(name) }
            return !excluded.contains(name)
        })
    }
}

/// Reads typed attributes, each wrong type a 400 naming the attribute.
struct Reader {
    let document: SCIMValue
    let prefix: String

    init(_ document: SCIMValue, prefix: String = "") {
        self.document = document
        self.prefix = prefix
    }

    func string(_ name: String, limit: Int) throws(SCIMError) -> String? {
        guard let value = document[name], !value.isNull else { return nil }
        guard let text = value.string else { throw .invalidValue("\(prefix)\(name): a string.") }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= limit else { throw .invalidValue("\(prefix)\(name): at most \(limit) characters.") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidValue("\(prefix)\(name): no control characters.")
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    func required(_ name: String, limit: Int) throws(SCIMError) -> String {
        guard let text = try string(name, limit: limit) else { throw .invalidValue("\(prefix)\(name) is required.") }
        return text
    }

    func object(_ name: String) throws(SCIMError) -> SCIMValue? {
        guard let value = document[name], !value.isNull else { return nil }
        guard case .object = value else { throw .invalidValue("\(prefix)\(name): an object.") }
        return value
    }

    /// A boolean; `"True"`/`"False"` too, as some directories send them.
    func boolean(_ name: String) throws(SCIMError) -> Bool? {
        switch document[name] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case .string(let text)? where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        default: throw .invalidValue("\(prefix)\(name): true or false.")
        }
    }

    /// The `value` of the primary element of a multi-valued attribute (else the first).
    func preferred(_ name: String, limit: Int) throws(SCIMError) -> String? {
        guard let list = document[name], !list.isNull else { return nil }
        guard let elements = list.array else { throw .invalidValue("\(name): an array.") }
        guard elements.count <= 100 else { throw SCIMError(400, .tooMany, "\(name): at most 100 values.") }
        for element in elements {
            guard case .object = element else { throw .invalidValue("\(name): each value is an object.") }
            if let primary = element["primary"], primary != .bool(true), primary != .bool(false), !primary.isNull {
                throw .invalidValue("\(name).primary: true or false.")
            }
        }
        guard let chosen = elements.first(where: { $0["primary"] == .bool(true) }) ?? elements.first else { return nil }
        return try Reader(chosen, prefix: name + ".").string("value", limit: limit)
    }
}
