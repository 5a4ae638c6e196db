import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore
import Synchronization

/// Counts admin requests and devices' check-ins per tenant, day and route in memory and writes
/// the counts in one transaction per interval, so usage statistics add no write to any request.
/// Only the route template is kept, never the concrete path; the operator reads the counts only
/// across tenants, and a tenant reads only its own devices' check-ins per day.
public final class UsageRecorder: Service, Sendable {
    private struct Key: Hashable {
        let tenantID: TenantID
        let day: String
        let feature: String
    }

    private let store: any UsageStore
    private let interval: Duration
    private let clock: Clock
    private let logger: Logger
    /// Counted under a lock, not an actor: every check-in and admin request counts, and none
    /// should suspend for it.
    private let pending = Mutex<[Key: Int]>([:])

    public init(store: any UsageStore, interval: Duration, clock: Clock, logger: Logger) {
        self.store = store
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func record(tenantID: TenantID, route: APIRoute) {
        let key = Key(tenantID: tenantID, day: DiagnosticsDay.day(of: clock.now()), feature: route.description)
        pending.withLock { $0[key, default: 0] += 1 }
    }

    /// Writes every pending count; on failure they stay pending.
    public func flush() async {
        let batch = pending.withLock { counts in
            defer { counts = [:] }
            return counts
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.recordFeatureUsage(batch.map { FeatureUse(tenantID: $0.key.tenantID, day: $0.key.day, feature: $0.key.feature, calls: $0.value) })
        } catch {
            logger.warning("usage flush failed; will retry", metadata: ["component": "usage"])
            pending.withLock { counts in
                for (key, calls) in batch { counts[key, default: 0] += calls }
            }
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
