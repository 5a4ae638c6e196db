import Foundation
import StewardModel

/// The tenant's counts, maintained by the database as devices change.
public protocol ReportStore: Sendable {
    func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts
    /// Device and user counts.
    func summary(tenantID: TenantID) async throws -> ReportSummary
    /// Devices whose last check-in is before `before`, or that never checked in.
    func inactiveDeviceCount(tenantID: TenantID, before: Date) async throws -> Int
}
