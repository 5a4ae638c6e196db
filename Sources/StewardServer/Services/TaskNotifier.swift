import Foundation
import Logging
import ServiceLifecycle
import StewardModel
import StewardStore

/// Wakes agents waiting for remote tasks (`GET /api/v1/agent/tasks?wait=…`) as soon as a task
/// is created — on this replica directly, and on any replica through the store's
/// notifications (PostgreSQL LISTEN/NOTIFY). A generation counter per device closes the race
/// between a waiter's look at the database and its wait.
public actor TaskNotifier: Service {
    private typealias Key = DeviceKey

    private let store: any RemoteTaskStore
    private let logger: Logger
    private var generations: [Key: Int] = [:]
    private var waiters: [Key: [UUID: CheckedContinuation<Void, Never>]] = [:]
    /// Requests parked per tenant, and the most one tenant may park (each holds memory and a
    /// connection): past it a poll is refused rather than parked.
    private var parked: [TenantID: Int] = [:]
    private let maxParkedPerTenant: Int
    /// Whoever waits for a tenant to have so many requests parked (`parked(tenantID:atLeast:)`).
    private var parkWatchers: [(tenantID: TenantID, count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    public init(store: any RemoteTaskStore, logger: Logger, maxParkedPerTenant: Int = 100_000) {
        self.store = store
        self.logger = logger
        self.maxParkedPerTenant = maxParkedPerTenant
    }

    /// Read before looking for tasks; pass to `wait` after finding none.
    public func generation(tenantID: TenantID, deviceID: DeviceID) -> Int {
        generations[Key(tenantID: tenantID, deviceID: deviceID), default: 0]
    }

    public func wake(tenantID: TenantID, deviceID: DeviceID) {
        let key = Key(tenantID: tenantID, deviceID: deviceID)
        generations[key, default: 0] += 1
        for continuation in (waiters.removeValue(forKey: key) ?? [:]).values { continuation.resume() }
    }

    /// Returns when the device is woken after `generation`, or after `timeout`: true; false at
    /// once, without waiting, when its tenant has the most requests parked it may have.
    @discardableResult
    public nonisolated func wait(tenantID: TenantID, deviceID: DeviceID, after generation: Int, timeout: Duration) async -> Bool {
        let key = Key(tenantID: tenantID, deviceID: deviceID)
        guard await park(tenantID) else { return false }
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask {
                await withTaskCancellationHandler {
                    await self.suspend(key, id: id, after: generation)
                } onCancel: {
                    Task { await self.resume(key, id: id) }
                }
            }
            await group.next()
            group.cancelAll()
        }
        await unpark(tenantID)
        return true
    }

    private func park(_ tenantID: TenantID) -> Bool {
        let count = parked[tenantID, default: 0]
        guard count < maxParkedPerTenant else { return false }
        parked[tenantID] = count + 1
        let due = parkWatchers.filter { $0.tenantID == tenantID && $0.count <= count + 1 }
        parkWatchers.removeAll { $0.tenantID == tenantID && $0.count <= count + 1 }
        for watcher in due { watcher.continuation.resume() }
        return true
    }

    private func unpark(_ tenantID: TenantID) {
        let count = parked[tenantID, default: 1] - 1
        parked[tenantID] = count > 0 ? count : nil
    }

    /// Requests parked for the tenant now.
    public func parkedRequests(tenantID: TenantID) -> Int { parked[tenantID, default: 0] }

    /// Returns once the tenant has at least `count` requests parked (at once if it has): what
    /// a caller waits on to know an agent's poll is waiting, not merely sent.
    public func parked(tenantID: TenantID, atLeast count: Int) async {
        await withCheckedContinuation { continuation in
            if parked[tenantID, default: 0] >= count {
                continuation.resume()
            } else {
                parkWatchers.append((tenantID, count, continuation))
            }
        }
    }

    private func suspend(_ key: Key, id: UUID, after generation: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if Task.isCancelled || generations[key, default: 0] != generation {
                continuation.resume()
            } else {
                waiters[key, default: [:]][id] = continuation
            }
        }
    }

    private func resume(_ key: Key, id: UUID) {
        waiters[key]?.removeValue(forKey: id)?.resume()
        if waiters[key]?.isEmpty == true { waiters[key] = nil }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.store.listenForRemoteTasks { tenantID, deviceID in
                        await self.wake(tenantID: tenantID, deviceID: deviceID)
                    }
                    // A store without notifications (one process): nothing to listen to.
                    try await gracefulShutdown()
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning("remote-task notifications interrupted; listening again", metadata: ["component": "tasks"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        for (_, continuations) in waiters { for continuation in continuations.values { continuation.resume() } }
        waiters = [:]
    }
}
