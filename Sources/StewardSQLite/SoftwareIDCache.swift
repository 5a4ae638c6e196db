import Foundation
import StewardModel

/// Software IDs this process has seen committed, by tenant and exact app: a full inventory's
/// apps are mostly known, and a hash lookup here is far cheaper than building the fingerprint
/// and seeking the index. Rows of `software` never change once written, so an entry stays true
/// until an erasure purges rows (it clears the cache inside its write); entries are added only
/// after their transaction committed. Bounded: cleared when full.
final class SoftwareIDCache: @unchecked Sendable {
    private struct Key: Hashable {
        let tenant: String
        let app: AppRecord
    }

    private let lock = NSLock()
    private var ids: [Key: Int64] = [:]
    private let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    func id(tenant: String, app: AppRecord) -> Int64? {
        lock.withLock { ids[Key(tenant: tenant, app: app)] }
    }

    func removeAll() {
        lock.withLock { ids.removeAll(keepingCapacity: true) }
    }

    func remember(tenant: String, _ learned: [(AppRecord, Int64)]) {
        guard !learned.isEmpty else { return }
        lock.withLock {
            if ids.count + learned.count > capacity { ids.removeAll(keepingCapacity: true) }
            for (app, id) in learned { ids[Key(tenant: tenant, app: app)] = id }
        }
    }
}
