import Foundation
import StewardModel

/// Devices as admins see and change them.
public protocol DeviceStore: Sendable {
    func checkInState(tenantID: TenantID, deviceID: DeviceID) async throws -> DeviceCheckInState?
    func device(tenantID: TenantID, id: DeviceID) async throws -> DeviceView?
    func devices(tenantID: TenantID, query: DeviceQuery) async throws -> [DeviceView]
    /// Changes ownership and/or the user the device belongs to (`.some(nil)`: nobody). To
    /// personal: deletes the app inventory and the full phone number in the same transaction.
    /// Throws `notFound` for a device not in the tenant.
    /// `reEnrollmentUntil` lets the machine enroll again without its secret until then.
    func updateDevice(
        tenantID: TenantID, id: DeviceID, ownership: Ownership?, userID: UserID??, reEnrollmentUntil: Date?, audit: AuditEvent
    ) async throws
    /// Removes the device, its group memberships and everything collected from it.
    func deleteDevice(tenantID: TenantID, id: DeviceID, audit: AuditEvent) async throws
    /// Removes the tenant's devices that have not checked in (or, never having checked in, not
    /// enrolled) since `before`, with everything collected from them and their group
    /// memberships, and — when there were any — the audit entry `audit` makes from their number,
    /// in one transaction. Returns how many.
    func removeStaleDevices(tenantID: TenantID, before: Date, audit: @escaping @Sendable (Int) -> AuditEvent) async throws -> Int
    /// Whether the device is a member of one of the groups (a scoped role's reach).
    func deviceIsMember(tenantID: TenantID, id: DeviceID, ofAnyOf groups: [GroupID]) async throws -> Bool
}
