import Foundation

/// A third party the tenant connects Steward to. Each kind has its declared data flow
/// (`DataCatalog.flows`); the privacy statement lists the flows of the connectors a tenant has.
public enum ConnectorKind: String, WireEnum {
    /// The organisation's directory, provisioning users and groups over SCIM.
    case directory
    /// Apple's push notification service, with the tenant's push certificate and the Apple ID
    /// that created it.
    case applePush
}

public struct ConnectorView: Codable, Sendable, Equatable {
    public var id: ConnectorID
    public var kind: ConnectorKind
    public var name: String
    /// The tenant's ID at the third party (the directory's tenant ID, the push topic).
    public var thirdPartyTenantId: String?
    /// The account at the third party the connection was made with (the Apple ID).
    public var accountId: String?
    public var createdBy: AdminID?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ConnectorID, kind: ConnectorKind, name: String, thirdPartyTenantId: String?, accountId: String?, createdBy: AdminID?,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.thirdPartyTenantId = thirdPartyTenantId
        self.accountId = accountId
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /api/v1/connectors`.
public struct ConnectorCreateRequest: Codable, Sendable, Equatable {
    public var kind: ConnectorKind
    public var name: String
    public var thirdPartyTenantId: String?
    public var accountId: String?

    public init(kind: ConnectorKind, name: String, thirdPartyTenantId: String? = nil, accountId: String? = nil) {
        self.kind = kind
        self.name = name
        self.thirdPartyTenantId = thirdPartyTenantId
        self.accountId = accountId
    }

    public func validate() throws(WireError) {
        try Validator().required(name, "name", limit: 200)
        try Validator().string(thirdPartyTenantId, "thirdPartyTenantId", limit: 200)
        if let accountId { try EmailAddress.validate(accountId, field: "accountId") }
    }
}

/// `PATCH /api/v1/connectors/{id}`.
public struct ConnectorPatch: Codable, Sendable, Equatable {
    public var name: String?
    public var thirdPartyTenantId: String?
    public var accountId: String?

    public init(name: String? = nil, thirdPartyTenantId: String? = nil, accountId: String? = nil) {
        self.name = name
        self.thirdPartyTenantId = thirdPartyTenantId
        self.accountId = accountId
    }

    public func validate() throws(WireError) {
        if let name { try Validator().required(name, "name", limit: 200) }
        try Validator().string(thirdPartyTenantId, "thirdPartyTenantId", limit: 200)
        if let accountId { try EmailAddress.validate(accountId, field: "accountId") }
    }
}
