import Foundation

/// Group commit: writes that arrive while the store is busy are committed together, in one
/// transaction, and each caller is answered only after that transaction commits.
///
/// There is no timer and no window to wait out. A write that finds a batch slot free starts a
/// batch at once (alone, at low load); writes that arrive while every slot is committing queue
/// up, and the next batch takes all of them (up to `maxBatch`) — so batches grow exactly when
/// the store is the bound, and a quiet server answers as fast as before.
///
/// A batch that fails is rolled back whole (the store's `commit` is one transaction) and each of
/// its writes is then tried on its own: one device's bad write (a device deleted meanwhile, a
/// constraint, a deadlock) costs the others a retry, never their write, and its caller gets its
/// own error.
/// The store that writes is handed to each call (`on:`), so a store can hold its own group
/// commit without capturing itself.
public final class GroupCommit<Writer: Sendable, Item: Sendable, Output: Sendable>: @unchecked Sendable {
    public typealias Batch = @Sendable (Writer, [Item]) async throws -> [Output]
    public typealias Single = @Sendable (Writer, Item) async throws -> Output

    private struct Waiting {
        let writer: Writer
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private let maxBatch: Int
    private let maxConcurrentBatches: Int
    private let batch: Batch
    private let single: Single
    private let lock = NSLock()
    private var queue: [Waiting] = []
    private var running = 0
    private var statistics = GroupCommitStatistics()

    /// `batch` commits its items in one transaction and returns one output per item, in order;
    /// `single` commits one item alone (the fallback). `maxConcurrentBatches`: 1 for a store
    /// with one writer; more where the database takes writes in parallel.
    public init(maxBatch: Int, maxConcurrentBatches: Int = 1, batch: @escaping Batch, single: @escaping Single) {
        precondition(maxBatch >= 1 && maxConcurrentBatches >= 1)
        self.maxBatch = maxBatch
        self.maxConcurrentBatches = maxConcurrentBatches
        self.batch = batch
        self.single = single
    }

    /// Commits `item` (with whatever else is waiting) and returns its output once committed.
    public func commit(_ item: Item, on writer: Writer) async throws -> Output {
        if maxBatch == 1 { return try await single(writer, item) }
        return try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock {
                queue.append(Waiting(writer: writer, item: item, continuation: continuation))
                guard running < maxConcurrentBatches else { return false }
                running += 1
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Writes waiting for a batch slot.
    public var queued: Int { lock.withLock { queue.count } }

    /// Batches committed, writes in them, and batches that fell back to one write at a time.
    public var counts: GroupCommitStatistics { lock.withLock { statistics } }

    private func drain() async {
        while true {
            let next: [Waiting] = lock.withLock {
                guard !queue.isEmpty else {
                    running -= 1
                    return []
                }
                let taken = Array(queue.prefix(maxBatch))
                queue.removeFirst(taken.count)
                return taken
            }
            if next.isEmpty { return }
            await commitBatch(next)
        }
    }

    private func commitBatch(_ waiting: [Waiting]) async {
        if waiting.count == 1 {
            await commitAlone(waiting[0])
            record(items: 1, fellBack: false)
            return
        }
        do {
            let outputs = try await batch(waiting[0].writer, waiting.map(\.item))
            guard outputs.count == waiting.count else {
                throw StoreError.unavailable("a group commit returned \(outputs.count) results for \(waiting.count) writes")
            }
            record(items: waiting.count, fellBack: false)
            for (one, output) in zip(waiting, outputs) { one.continuation.resume(returning: output) }
        } catch {
            record(items: waiting.count, fellBack: true)
            for one in waiting { await commitAlone(one) }
        }
    }

    /// One write in its own transaction; its caller gets its output or its own error.
    private func commitAlone(_ one: Waiting) async {
        do { one.continuation.resume(returning: try await single(one.writer, one.item)) } catch { one.continuation.resume(throwing: error) }
    }

    private func record(items: Int, fellBack: Bool) {
        lock.withLock {
            statistics.batches += 1
            statistics.items += items
            statistics.largestBatch = max(statistics.largestBatch, items)
            if fellBack { statistics.fellBack += 1 }
        }
    }
}

public struct GroupCommitStatistics: Sendable, Equatable {
    public var batches = 0
    public var items = 0
    public var largestBatch = 0
    public var fellBack = 0

    public init(batches: Int = 0, items: Int = 0, largestBatch: Int = 0, fellBack: Int = 0) {
        (self.batches, self.items, self.largestBatch, self.fellBack) = (batches, items, largestBatch, fellBack)
    }
}
