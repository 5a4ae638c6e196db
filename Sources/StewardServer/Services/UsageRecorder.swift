import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore

/// Counts admin requests per tenant, day and route in memory and writes the counts in one
/// transaction per interval, so usage statistics add no write to any request. Only the route
/// template is kept, never the concrete path, and the counts are read back only across tenants.
public actor UsageRecorder: Service {
    private struct Key: Hashable {
        let tenantID: TenantID
        let day: String
        let feature: String
    }

    private let store: any UsageStore
    private let interval: Duration
    private let clock: Clock
    private let logger: Logger
    private var pending: [Key: Int] = [:]

    public init(store: any UsageStore, interval: Duration, clock: Clock, logger: Logger) {
        self.store = store
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func record(tenantID: TenantID, route: APIRoute) {
        pending[Key(tenantID: tenantID, day: DiagnosticsDay.day(of: clock.now()), feature: route.description), default: 0] += 1
    }

    /// Writes every pending count; on failure they stay pending.
    public func flush() async {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = [:]
        do {
            try await store.recordFeatureUsage(batch.map { FeatureUse(tenantID: $0.key.tenantID, day: $0.key.day, feature: $0.key.feature, calls: $0.value) })
        } catch {
            logger.warning("usage flush failed; will retry", metadata: ["component": "usage"])
            for (key, calls) in batch { pending[key, default: 0] += calls }
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            await flush()
        }
        await flush()
    }
}
