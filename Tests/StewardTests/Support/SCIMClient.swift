import Foundation
import Hummingbird
import StewardModel
import StewardSCIM

/// A SCIM 2.0 client written from RFC 7644 (what a directory's provisioning service does):
/// `application/scim+json` bodies, the bearer token, ListResponses and SCIM errors read back.
struct SCIMClient: Sendable {
    let api: APIClient
    let token: String?

    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let document: SCIMValue?
        let headers: HTTPFields

        var contentType: String? { headers[.contentType] }
        var scimType: String? { document?["scimType"]?.string }
        var id: String? { document?["id"]?.string }
        var total: Int? {
            if case .number(let number)? = document?["totalResults"] { return Int(number) }
            return nil
        }
        var resources: [SCIMValue] { document?["Resources"]?.array ?? [] }
        func require() throws -> SCIMValue {
            guard let document, (200..<300).contains(status.code) else {
                throw TestFailure("SCIM answered \(status): \(document.map { String(decoding: $0.encoded(), as: UTF8.self) } ?? "")")
            }
            return document
        }
    }

    func send(_ method: APIRoute.Method, _ path: String, _ body: SCIMValue? = nil, rawBody: String? = nil) async throws -> Answer {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.accept] = SCIMSchema.mediaType
        let text = rawBody ?? body.map { String(decoding: $0.encoded(), as: UTF8.self) }
        if text != nil { headers[.contentType] = SCIMSchema.mediaType }
        let answer = try await api.send(method, path, headers: headers, body: text)
        let document = answer.body.isEmpty ? nil : try? JSONDecoder().decode(SCIMValue.self, from: answer.body)
        return Answer(status: answer.status, document: document, headers: answer.headers)
    }

    func list(_ resource: String, filter: String? = nil, query: [String: String] = [:]) async throws -> Answer {
        var components = URLComponents()
        components.path = "/scim/v2/\(resource)"
        var items = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        if let filter { items.append(URLQueryItem(name: "filter", value: filter)) }
        components.queryItems = items.isEmpty ? nil : items
        // `+` is a space in a query: a filter value holding one is sent escaped.
        return try await send(.GET, components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? ""))
    }

    static func user(
        _ userName: String, externalId: String? = nil, given: String = "Ada", family: String = "Lovelace", email: String? = nil,
        phone: String? = nil, active: Bool = true, employeeNumber: String? = nil
    ) -> SCIMValue {
        var members: [String: SCIMValue] = [
            "schemas": .array([.string(SCIMSchema.user), .string(SCIMSchema.enterpriseUser)]),
            "userName": .string(userName), "active": .bool(active),
            "name": .object(["givenName": .string(given), "familyName": .string(family), "formatted": .string("\(given) \(family)")]),
            "displayName": .string("\(given) \(family)"),
        ]
        if let externalId { members["externalId"] = .string(externalId) }
        if let email { members["emails"] = .array([.object(["value": .string(email), "type": .string("work"), "primary": .bool(true)])]) }
        if let phone { members["phoneNumbers"] = .array([.object(["value": .string(phone), "type": .string("mobile")])]) }
        if let employeeNumber { members[SCIMSchema.enterpriseUser] = .object(["employeeNumber": .string(employeeNumber)]) }
        return .object(members)
    }

    static func group(_ name: String, externalId: String? = nil, members: [String] = []) -> SCIMValue {
        var document: [String: SCIMValue] = [
            "schemas": .array([.string(SCIMSchema.group)]), "displayName": .string(name),
            "members": .array(members.map { .object(["value": .string($0)]) }),
        ]
        if let externalId { document["externalId"] = .string(externalId) }
        return .object(document)
    }

    static func patch(_ operations: [SCIMValue]) -> SCIMValue {
        .object(["schemas": .array([.string(SCIMSchema.patchOp)]), "Operations": .array(operations)])
    }

    static func op(_ op: String, _ path: String? = nil, _ value: SCIMValue? = nil) -> SCIMValue {
        var members: [String: SCIMValue] = ["op": .string(op)]
        if let path { members["path"] = .string(path) }
        if let value { members["value"] = value }
        return .object(members)
    }

    /// A call that succeeds for `route` (a SCIM route) with this client's token: what the
    /// permission and isolation tests send.
    func call(_ route: APIRoute, userID: String, groupID: String) -> (path: String, body: SCIMValue?) {
        let unique = UUID().uuidString.prefix(8).lowercased()
        switch route {
        case .scimCreateUser: return (route.path, Self.user("p\(unique)@example.test"))
        case .scimReplaceUser: return (route.path(userID), Self.user("put\(unique)@example.test"))
        case .scimPatchUser: return (route.path(userID), Self.patch([Self.op("replace", "displayName", .string("P \(unique)"))]))
        case .scimCreateGroup: return (route.path, Self.group("G \(unique)"))
        case .scimReplaceGroup: return (route.path(groupID), Self.group("H \(unique)"))
        case .scimPatchGroup: return (route.path(groupID), Self.patch([Self.op("replace", "displayName", .string("I \(unique)"))]))
        case .scimGetUser, .scimDeleteUser: return (route.path(userID), nil)
        case .scimGetGroup, .scimDeleteGroup: return (route.path(groupID), nil)
        default: return (route.path, nil)
        }
    }
}
