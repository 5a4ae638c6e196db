import Foundation
import StewardModel

/// The tenant's counts, maintained by the database as devices change.
public protocol ReportStore: Sendable {
    func deviceCounts(tenantID: TenantID) async throws -> DeviceCounts
    /// Device and user counts.
    func summary(tenantID: TenantID) async throws -> ReportSummary
}
