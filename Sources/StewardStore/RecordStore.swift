import Foundation
import StewardModel

/// The admin-plane resources (admins, tokens, users, groups, roles, role assignments) through
/// one set of generic statements over `StoredRecord`s. Every write is audited in its transaction.
public protocol RecordStore: Sendable {
    func record<R: StoredRecord>(_ type: R.Type, tenantID: TenantID, key: String) async throws -> R?
    /// The credential and everything authorisation needs, in one read (it runs on every admin request).
    func adminCredential(tenantID: TenantID, tokenID: String) async throws -> AdminCredential?
    /// An admin's role assignments and the custom roles they name.
    func roleAssignments(tenantID: TenantID, adminID: AdminID) async throws -> (assignments: [RoleAssignmentRecord], customRoles: [RoleRecord])
    /// Records whose columns equal `filter`, ordered by key, after the key `after`.
    func records<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, filter: [String: StoreValue], after: String?, limit: Int
    ) async throws -> [R]
    /// Inserts and replaces (by key) in one transaction with the audit entry (nil only for a
    /// device's own bookkeeping, as its MDM commands are, audited where an admin acts). A
    /// unique constraint throws `conflict` with the table's name.
    func write(_ writes: [RecordWrite], audit: AuditEvent?) async throws
    /// Reads the record, lets `change` make the new one and its audit event, and writes both,
    /// all in one transaction (so the audited old values are the ones replaced; a nil event
    /// only for bookkeeping that is audited otherwise, as sign-in attempts are). `notFound`
    /// when there is no such record; an error thrown by `change` writes nothing.
    @discardableResult
    func update<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, _ change: @escaping @Sendable (R) throws -> (R, AuditEvent?)
    ) async throws -> R
    /// Deletes the record and its `dependents` with the audit event made from it.
    func delete<R: StoredRecord>(
        _ type: R.Type, tenantID: TenantID, key: String, audit: @escaping @Sendable (R) -> AuditEvent
    ) async throws
}

/// What an admin request is authenticated with, read at once: the token or session, its admin,
/// and the admin's role assignments with the custom roles they name.
public struct AdminCredential: Sendable {
    public var token: AdminTokenRecord
    public var admin: AdminRecord
    public var assignments: [RoleAssignmentRecord]
    public var customRoles: [RoleRecord]

    public init(token: AdminTokenRecord, admin: AdminRecord, assignments: [RoleAssignmentRecord], customRoles: [RoleRecord]) {
        self.token = token
        self.admin = admin
        self.assignments = assignments
        self.customRoles = customRoles
    }
}

public enum RecordWrite: Sendable {
    case insert(any StoredRecord)
    case replace(any StoredRecord)
}
