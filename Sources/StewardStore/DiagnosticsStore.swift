import Foundation
import StewardModel

/// Pseudonymized diagnostics: the tenants' pseudonym keys, the links from pseudonyms to devices
/// and users, the events (which hold pseudonyms only) and their daily roll-ups.
public protocol DiagnosticsStore: Sendable {
    /// The tenant's current pseudonym key; nil before its first.
    func pseudonymKey(tenantID: TenantID) async throws -> PseudonymKeyRecord?
    /// Stores the tenant's first key unless another request stored one first.
    func createFirstPseudonymKey(_ key: PseudonymKeyRecord) async throws
    /// Adds the next key version, destroys the sealed bytes of the older ones (their pseudonyms
    /// stay resolvable through the links, never recomputable) and appends the audit event.
    func rotatePseudonymKey(tenantID: TenantID, sealedKey: Data, at: Date, audit: @escaping @Sendable (Int) -> AuditEvent) async throws -> PseudonymKeyRecord
    /// In one transaction: finds or makes (with `pseudonymizer` and a fresh salt) the pseudonyms
    /// of the device and of its user, stores the events under them, and adds the events to the
    /// day's roll-ups. `notFound` for no such device.
    func recordDiagnostics(
        tenantID: TenantID, deviceID: DeviceID, events: [(id: String, event: DiagnosticEvent)], pseudonymizer: Pseudonymizer,
        at: Date
    ) async throws
    func diagnostics(tenantID: TenantID, query: DiagnosticsQuery) async throws -> [DiagnosticEventView]
    /// Roll-ups from the day `from` (`YYYY-MM-DD`) on, oldest first.
    func diagnosticsDays(tenantID: TenantID, from: String) async throws -> [DiagnosticsDay]
    /// Every pseudonym (all key versions) of these devices and users.
    func pseudonyms(tenantID: TenantID, subjectIDs: [String]) async throws -> [String]
    /// The device or user a pseudonym stands for; when there is one, the audit event made from
    /// it is appended in the same transaction.
    func reidentify(tenantID: TenantID, pseudonym: String, audit: @escaping @Sendable (PseudonymSubject) -> AuditEvent) async throws -> PseudonymSubject?
    /// Deletes the tenant's raw events older than `before` (their roll-ups stay) and the links of
    /// pseudonyms whose device or user no longer exists. Returns both counts.
    func purgeDiagnostics(tenantID: TenantID, before: Date) async throws -> (events: Int, links: Int)
}
