import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore

/// Heartbeats change nothing but a device's last check-in time, and writing that time on every
/// check-in is what dominates a large fleet's database load. So heartbeat times are kept here and
/// written for all devices at once, in one transaction per flush interval. Reads overlay the
/// pending times, so the API never shows an older time than the last acknowledged check-in.
/// A lock, not an actor: every heartbeat records here, and an actor's hop cost more than the
/// dictionary write it guards.
public final class LastSeenRecorder: Service, @unchecked Sendable {
    private typealias Key = DeviceKey

    private let store: any InventoryStore
    private let interval: Duration
    private let logger: Logger
    private let lock = NSLock()
    private var pending: [Key: Date] = [:]
    /// The batch being written: still overlaid, or a read during the write would show an older time.
    private var flushing: [Key: Date] = [:]

    public init(store: any InventoryStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func record(tenantID: TenantID, deviceID: DeviceID, at: Date) {
        let key = Key(tenantID: tenantID, deviceID: deviceID)
        lock.withLock {
            if let existing = pending[key], existing >= at { return }
            pending[key] = at
        }
    }

    /// The buffered time of a device, if newer than what is stored.
    public func pendingTime(tenantID: TenantID, deviceID: DeviceID) -> Date? {
        lock.withLock { bufferedTime(Key(tenantID: tenantID, deviceID: deviceID)) }
    }

    /// The buffered times of a page of devices, under one lock.
    public func pendingTimes(tenantID: TenantID, deviceIDs: [DeviceID]) -> [DeviceID: Date] {
        lock.withLock {
            guard !pending.isEmpty || !flushing.isEmpty else { return [:] }
            var times: [DeviceID: Date] = [:]
            for id in deviceIDs {
                if let time = bufferedTime(Key(tenantID: tenantID, deviceID: id)) { times[id] = time }
            }
            return times
        }
    }

    /// Under the lock.
    private func bufferedTime(_ key: Key) -> Date? {
        switch (pending[key], flushing[key]) {
        case (let buffered?, let writing?): return max(buffered, writing)
        case (let buffered, let writing): return buffered ?? writing
        }
    }

    public var pendingCount: Int { lock.withLock { pending.count } }

    /// Writes every buffered time in one transaction. On failure the times stay buffered. One
    /// flush at a time (the service's loop, or a test after it).
    public func flush() async {
        let batch: [Key: Date] = lock.withLock {
            let batch = pending
            pending = [:]
            flushing = batch
            return batch
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.recordLastSeen(batch.map { LastSeen(tenantID: $0.key.tenantID, deviceID: $0.key.deviceID, at: $0.value) })
            lock.withLock { flushing = [:] }
        } catch {
            logger.warning("last-seen flush failed; will retry", metadata: ["component": "last-seen", "devices": "\(batch.count)"])
            lock.withLock {
                flushing = [:]
                for (key, at) in batch where (pending[key] ?? .distantPast) < at { pending[key] = at }
            }
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await gracefulShutdownAware(sleep: interval)
            await flush()
        }
        await flush()
    }

    private nonisolated func gracefulShutdownAware(sleep duration: Duration) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }
}

/// A device across tenants: what the in-memory services key their state by.
struct DeviceKey: Hashable, Sendable {
    let tenantID: TenantID
    let deviceID: DeviceID
}
