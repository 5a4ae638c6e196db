import Foundation
import StewardModel

/// Software IDs this process has seen committed, by tenant and exact app: a full inventory's
/// apps are mostly known, and a hash lookup here is far cheaper than building the fingerprint
/// and seeking the index. A `software` row goes when the last device holding it lets go (a
/// trigger). On SQLite its ID can then be given to another app: a write that releases rows tells
/// the cache which (`forget(tenant:ids:)`) inside its transaction, and a write that may release
/// rows it cannot name (an erasure, a device deleted) calls `forget()`, which empties it.
/// Either moves the generation, so IDs learned by a transaction that committed before it are not
/// remembered after it. On PostgreSQL IDs are never given twice (an identity), and a released one
/// is refused by the foreign key when a device would hold it again: the check-in then forgets and
/// runs again. Bounded: cleared when full.
public final class SoftwareIDCache: @unchecked Sendable {
    private struct Tenant {
        var ids: [AppRecord: Int64] = [:]
        /// The same entries by ID: a release forgets its rows without walking the tenant's apps.
        var apps: [Int64: AppRecord] = [:]
    }

    private let lock = NSLock()
    /// By tenant, then app: an inventory's hundreds of lookups hash the tenant once.
    private var tenants: [String: Tenant] = [:]
    private var count = 0
    private var currentGeneration = 0
    private let capacity: Int

    public init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// Read inside a write transaction, before any ID is looked up.
    public var generation: Int {
        lock.withLock { currentGeneration }
    }

    /// The known IDs of these apps, in order (nil for an app not seen), under one lock.
    public func ids(tenant: String, apps: [AppRecord]) -> [Int64?] {
        lock.withLock {
            guard let known = tenants[tenant]?.ids else { return Array(repeating: nil, count: apps.count) }
            return apps.map { known[$0] }
        }
    }

    /// Called inside a write that may have released `software` rows it cannot name.
    public func forget() {
        lock.withLock {
            tenants.removeAll()
            count = 0
            currentGeneration += 1
        }
    }

    /// Called inside a write that released these rows of the tenant: only they are forgotten.
    public func forget(tenant: String, ids released: [Int64]) {
        guard !released.isEmpty else { return }
        lock.withLock {
            currentGeneration += 1
            guard var known = tenants[tenant] else { return }
            tenants[tenant] = nil  // uniquely referenced while it changes
            for id in released {
                guard let app = known.apps.removeValue(forKey: id) else { continue }
                known.ids[app] = nil
                count -= 1
            }
            tenants[tenant] = known
        }
    }

    /// Remembers IDs a committed transaction resolved, unless a release happened since it read `generation`.
    public func remember(tenant: String, _ learned: [(AppRecord, Int64)], generation: Int) {
        guard !learned.isEmpty else { return }
        lock.withLock {
            guard generation == currentGeneration else { return }
            if count + learned.count > capacity {
                tenants.removeAll()
                count = 0
            }
            var known = tenants.removeValue(forKey: tenant) ?? Tenant()
            // One ID per app and one app per ID, whatever was known before.
            for (app, id) in learned where known.ids[app] != id {
                if let previousID = known.ids.removeValue(forKey: app) {
                    known.apps[previousID] = nil
                    count -= 1
                }
                if let previousApp = known.apps.removeValue(forKey: id) {
                    known.ids[previousApp] = nil
                    count -= 1
                }
                known.ids[app] = id
                known.apps[id] = app
                count += 1
            }
            tenants[tenant] = known
        }
    }
}
