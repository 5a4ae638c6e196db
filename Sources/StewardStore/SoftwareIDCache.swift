import Foundation
import StewardModel

/// Software IDs this process has seen committed, by tenant and exact app: a full inventory's
/// apps are mostly known, and a hash lookup here is far cheaper than building the fingerprint
/// and seeking the index. A `software` row goes when the last device holding it lets go (a
/// trigger). On SQLite its ID can then be given to another app: every write that may release
/// rows calls `forget()` inside its transaction, which empties the cache and moves its
/// generation, so IDs learned by a transaction that committed before it are not remembered
/// after it. On PostgreSQL IDs are never given twice (an identity), and a released one is
/// refused by the foreign key when a device would hold it again: the check-in then forgets and
/// runs again. Bounded: cleared when full.
public final class SoftwareIDCache: @unchecked Sendable {
    private let lock = NSLock()
    /// By tenant, then app: an inventory's hundreds of lookups hash the tenant once.
    private var ids: [String: [AppRecord: Int64]] = [:]
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
            guard let known = ids[tenant] else { return Array(repeating: nil, count: apps.count) }
            return apps.map { known[$0] }
        }
    }

    /// Called inside a write that may have released `software` rows.
    public func forget() {
        lock.withLock {
            ids.removeAll()
            count = 0
            currentGeneration += 1
        }
    }

    /// Remembers IDs a committed transaction resolved, unless a release happened since it read `generation`.
    public func remember(tenant: String, _ learned: [(AppRecord, Int64)], generation: Int) {
        guard !learned.isEmpty else { return }
        lock.withLock {
            guard generation == currentGeneration else { return }
            if count + learned.count > capacity {
                ids.removeAll()
                count = 0
            }
            for (app, id) in learned where ids[tenant, default: [:]].updateValue(id, forKey: app) == nil { count += 1 }
        }
    }
}
