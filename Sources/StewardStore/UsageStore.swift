import Foundation
import StewardModel

/// Which admin features are used, per tenant and day: counted in memory and flushed in
/// batches; read back only across tenants, with small cells suppressed.
public protocol UsageStore: Sendable {
    func recordFeatureUsage(_ uses: [FeatureUse]) async throws
    /// Per day and feature from `from` on: how many tenants used it and how often, unsuppressed.
    func featureUsage(from: String) async throws -> [FeatureUsageCell]
}
