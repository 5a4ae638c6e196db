import Foundation
import StewardModel

/// Which admin features are used, per tenant and day: counted in memory and flushed in
/// batches; read back only across tenants, with small cells suppressed.
public protocol UsageStore: Sendable {
    func recordFeatureUsage(_ uses: [FeatureUse]) async throws
    /// Per day and feature from `from` on: how many tenants used it and how often, unsuppressed.
    func featureUsage(from: String) async throws -> [FeatureUsageCell]
    /// One tenant's calls of one feature per day from `from` on (its devices' check-ins, for
    /// its own dashboard), oldest first.
    func featureUsage(tenantID: TenantID, feature: String, from: String) async throws -> [DayCount]
}
