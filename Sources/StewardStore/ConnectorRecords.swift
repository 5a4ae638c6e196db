import Foundation
import StewardModel

/// `connectors`: a third party the tenant connected, with its IDs there; each kind opens its
/// declared data flow (`DataCatalog.flows`).
public struct ConnectorRecord: StoredRecord, Equatable {
    public static let table = "connectors"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("kind", .text), ("name", .text), ("third_party_tenant_id", .text), ("account_id", .text), ("created_by", .text),
        ("created_at", .integer), ("updated_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: ConnectorID
    public var kind: ConnectorKind
    public var name: String
    public var thirdPartyTenantID: String?
    public var accountID: String?
    public var createdBy: AdminID?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        tenantID: TenantID, id: ConnectorID, kind: ConnectorKind, name: String, thirdPartyTenantID: String?, accountID: String?,
        createdBy: AdminID?, createdAt: Date, updatedAt: Date
    ) {
        self.tenantID = tenantID
        self.id = id
        self.kind = kind
        self.name = name
        self.thirdPartyTenantID = thirdPartyTenantID
        self.accountID = accountID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var key: String { id.rawValue }
    public var values: [StoreValue] {
        [.text(kind.rawValue), .text(name), .text(thirdPartyTenantID), .text(accountID), .text(createdBy?.rawValue), .date(createdAt), .date(updatedAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: ConnectorID(rawValue: key), kind: ConnectorKind(rawValue: row.string("kind")) ?? .directory,
            name: row.string("name"), thirdPartyTenantID: row.text("third_party_tenant_id"), accountID: row.text("account_id"),
            createdBy: row.text("created_by").map(AdminID.init(rawValue:)), createdAt: row.date("created_at") ?? .distantPast,
            updatedAt: row.date("updated_at") ?? .distantPast)
    }

    public var view: ConnectorView {
        ConnectorView(
            id: id, kind: kind, name: name, thirdPartyTenantId: thirdPartyTenantID, accountId: accountID, createdBy: createdBy,
            createdAt: createdAt, updatedAt: updatedAt)
    }

    public static func of(_ kind: ConnectorKind) -> [String: StoreValue] { ["kind": .text(kind.rawValue)] }

    /// Apple's push connector takes its push certificate with it.
    public static let dependents: [DependentRows] = [.remove(table: AppleMDMCertificateRecord.table, column: "connector_id")]
}

extension PrivacyStatement.Settings {
    public init(_ tenant: TenantRecord, connectors: [ConnectorRecord]) {
        self.init(tenant)
        self.connectors = connectors.map(\.view)
    }
}
