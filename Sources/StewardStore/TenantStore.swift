import Foundation
import StewardModel

/// What turning the compliant-app feature off deleted: personal devices' app inventories.
public struct AppInventoryRemoval: Sendable, Equatable {
    public var devices: Int
    public var appRows: Int

    public init(devices: Int, appRows: Int) {
        self.devices = devices
        self.appRows = appRows
    }
}

/// Tenants and their settings.
public protocol TenantStore: Sendable {
    /// Creates the tenant, its first admin, that admin's API token and Administrator role
    /// assignment, and the first audit entry, in one transaction.
    func createTenant(_ tenant: NewTenant) async throws
    func tenants() async throws -> [TenantRecord]
    func tenant(_ id: TenantID) async throws -> TenantRecord?
    /// Saves the settings. Turning the compliant-app feature off deletes the app inventory of
    /// the tenant's personal devices in the same transaction (collected only under the
    /// feature); `audit` is made from what was deleted.
    @discardableResult
    func updateSettings(
        _ id: TenantID, _ settings: TenantSettings, audit: @escaping @Sendable (AppInventoryRemoval) -> AuditEvent
    ) async throws -> AppInventoryRemoval
    /// Reads the account, lets `change` make the new one and its audit event, and writes both in
    /// one transaction. `notFound` for no such tenant.
    @discardableResult
    func updateAccount(
        _ id: TenantID, _ change: @escaping @Sendable (TenantAccount) throws -> (TenantAccount, AuditEvent)
    ) async throws -> TenantAccount
    /// Tenants whose closure's grace period ended by `at`.
    func tenantsDueForClosure(at: Date) async throws -> [TenantID]
    /// Deletes every row the tenant owns — its audit log and anchors included — and the tenant,
    /// in one transaction; then makes the bytes unrecoverable where the store can. The count of
    /// rows deleted from the tenant's own tables (the tenant row not counted).
    func closeTenant(_ id: TenantID) async throws -> Int
    /// Records a digest of the deployment's master key on first use; false when the database
    /// already holds a different one (a replica started with another key).
    func matchesKeyCheck(_ digest: Data) async throws -> Bool
}
