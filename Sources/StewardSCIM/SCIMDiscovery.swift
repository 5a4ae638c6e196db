import Foundation

/// The discovery documents (RFC 7644 §4): what this service provider supports, its resource
/// types and the schemas of the attributes it keeps.
public enum SCIMDiscovery {
    /// Page size when the client names none, and the largest it may ask for.
    public static let defaultCount = 100
    public static let maxCount = 500

    public static func serviceProviderConfig(baseURL: String) -> SCIMValue {
        func supported(_ flag: Bool) -> SCIMValue { .object(["supported": .bool(flag)]) }
        return .object([
            "schemas": .array([.string(SCIMSchema.serviceProviderConfig)]),
            "documentationUri": .string("https://steward.invalid/docs/scim"),
            "patch": supported(true),
            "bulk": .object(["supported": .bool(false), "maxOperations": .number(0), "maxPayloadSize": .number(0)]),
            "filter": .object(["supported": .bool(true), "maxResults": .number(Double(maxCount))]),
            "changePassword": supported(false),
            "sort": supported(false),
            "etag": supported(false),
            "authenticationSchemes": .array([
                .object([
                    "type": .string("oauthbearertoken"), "name": .string("Bearer token"), "primary": .bool(true),
                    "description": .string("A SCIM token made by POST /api/v1/scim-tokens, sent as Authorization: Bearer."),
                ])
            ]),
            "meta": .object(["resourceType": .string("ServiceProviderConfig"), "location": .string(baseURL + "/ServiceProviderConfig")]),
        ])
    }

    public static func resourceTypes(baseURL: String) -> [SCIMValue] {
        [
            .object([
                "schemas": .array([.string(SCIMSchema.resourceType)]), "id": .string("User"), "name": .string("User"),
                "endpoint": .string("/Users"), "description": .string("End users, whom devices belong to."),
                "schema": .string(SCIMSchema.user),
                "schemaExtensions": .array([.object(["schema": .string(SCIMSchema.enterpriseUser), "required": .bool(false)])]),
                "meta": .object(["resourceType": .string("ResourceType"), "location": .string(baseURL + "/ResourceTypes/User")]),
            ]),
            .object([
                "schemas": .array([.string(SCIMSchema.resourceType)]), "id": .string("Group"), "name": .string("Group"),
                "endpoint": .string("/Groups"), "description": .string("Groups of users."), "schema": .string(SCIMSchema.group),
                "meta": .object(["resourceType": .string("ResourceType"), "location": .string(baseURL + "/ResourceTypes/Group")]),
            ]),
        ]
    }

    public static func schemas(baseURL: String) -> [SCIMValue] {
        func attribute(
            _ name: String, _ type: String = "string", multi: Bool = false, required: Bool = false, mutability: String = "readWrite",
            uniqueness: String = "none", caseExact: Bool = false, sub: [SCIMValue] = []
        ) -> SCIMValue {
            var members: [String: SCIMValue] = [
                "name": .string(name), "type": .string(type), "multiValued": .bool(multi), "required": .bool(required),
                "caseExact": .bool(caseExact), "mutability": .string(mutability), "returned": .string("default"),
                "uniqueness": .string(uniqueness), "description": .string(name),
            ]
            if !sub.isEmpty { members["subAttributes"] = .array(sub) }
            return .object(members)
        }
        func schema(_ id: String, _ name: String, _ attributes: [SCIMValue]) -> SCIMValue {
            .object([
                "schemas": .array([.string(SCIMSchema.schema)]), "id": .string(id), "name": .string(name),
                "description": .string(name), "attributes": .array(attributes),
                "meta": .object(["resourceType": .string("Schema"), "location": .string(baseURL + "/Schemas/" + id)]),
            ])
        }
        let typed = [attribute("value"), attribute("type"), attribute("primary", "boolean")]
        return [
            schema(SCIMSchema.user, "User", [
                attribute("userName", required: true, uniqueness: "server"),
                attribute("name", "complex", sub: [attribute("givenName"), attribute("familyName"), attribute("formatted")]),
                attribute("displayName"),
                attribute("emails", "complex", multi: true, sub: typed),
                attribute("phoneNumbers", "complex", multi: true, sub: typed),
                attribute("active", "boolean"),
            ]),
            schema(SCIMSchema.group, "Group", [
                attribute("displayName", required: true, uniqueness: "server"),
                attribute("members", "complex", multi: true, sub: [
                    attribute("value", mutability: "immutable", caseExact: true), attribute("type", mutability: "immutable"),
                ]),
            ]),
            schema(SCIMSchema.enterpriseUser, "EnterpriseUser", [attribute("employeeNumber")]),
        ]
    }

    /// A ListResponse of one page (`startIndex` is 1-based).
    public static func list(_ resources: [SCIMValue], total: Int, startIndex: Int) -> SCIMValue {
        .object([
            "schemas": .array([.string(SCIMSchema.listResponse)]), "totalResults": .number(Double(total)),
            "itemsPerPage": .number(Double(resources.count)), "startIndex": .number(Double(startIndex)),
            "Resources": .array(resources),
        ])
    }
}
