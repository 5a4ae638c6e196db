import Foundation
import StewardModel

/// Enrollment tokens and the enrollment of devices.
public protocol EnrollmentStore: Sendable {
    func createEnrollmentToken(_ token: EnrollmentTokenRecord, audit: AuditEvent) async throws
    func enrollmentTokens(tenantID: TenantID) async throws -> [EnrollmentTokenRecord]
    func enrollmentToken(tenantID: TenantID, id: CredentialID) async throws -> EnrollmentTokenRecord?
    /// Deletes the tenant's tokens that expired or were revoked before `endedBefore`; returns how many.
    /// Purges enrollment, SCIM and admin tokens (and console sessions) revoked or expired before the date.
    func purgeEnrollmentTokens(tenantID: TenantID, endedBefore: Date) async throws -> Int
    /// Registers serial numbers and IMEIs as corporate; returns how many were new.
    func addCorporateIdentifiers(
        tenantID: TenantID, _ identifiers: [(kind: CorporateIdentifierView.Kind, value: String)], at: Date, audit: AuditEvent
    ) async throws -> Int
    func corporateIdentifiers(tenantID: TenantID, after: String?, limit: Int) async throws -> [CorporateIdentifierView]
    /// `notFound` when not registered.
    func removeCorporateIdentifier(tenantID: TenantID, kind: CorporateIdentifierView.Kind, value: String, audit: AuditEvent) async throws
    /// Sets `revoked_at`; throws `notFound` when the tenant has no such token.
    func revokeEnrollmentToken(tenantID: TenantID, id: CredentialID, at: Date, audit: AuditEvent) async throws
    /// In one transaction: re-checks the token with `accept`, counts one use, and creates the
    /// device. A device whose serial number or IMEI the tenant registered as corporate is
    /// corporate. When the tenant already has a device with the same platform identifier,
    /// `reEnrollment` decides: nil refuses (`alreadyEnrolled`, nothing written); an audit event
    /// re-enrolls that device — new secret, acknowledged hashes forgotten, its ownership and
    /// user kept (a retired device takes the token's) — and is appended. Returns the device's
    /// ID and ownership.
    func enroll(
        _ device: NewDevice, tokenID: CredentialID, accept: @escaping @Sendable (EnrollmentTokenRecord) -> Bool,
        reEnrollment: @escaping @Sendable (EnrolledMachine) -> AuditEvent?
    ) async throws -> (id: DeviceID, ownership: Ownership)
}
