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
/// Past `maxWaiting` writes waiting, the next is refused at once (`StoreError.outage(.busy)`, a
/// 503 with `Retry-After` at the edge; nothing written): a fleet that checks in all at once —
/// agents coming back after an outage — backs off instead of piling up requests, memory and
/// latency behind a writer that cannot catch up.
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
    private let maxWaiting: Int
    private let batch: Batch
    private let single: Single
    private let lock = NSLock()
    private var queue: [Waiting] = []
    private var running = 0
    private var statistics = GroupCommitStatistics()
    /// Time spent in `batch` and `single`, summed over batches running at once.
    private var busy = Duration.zero

    /// `batch` commits its items in one transaction and returns one output per item, in order;
    /// `single` commits one item alone (the fallback). `maxConcurrentBatches`: 1 for a store
    /// with one writer; more where the database takes writes in parallel. `maxWaiting`: writes
    /// that may wait for a slot (without group commit nothing waits here).
    public init(
        maxBatch: Int, maxConcurrentBatches: Int = 1, maxWaiting: Int = .max, batch: @escaping Batch, single: @escaping Single
    ) {
        precondition(maxBatch >= 1 && maxConcurrentBatches >= 1 && maxWaiting >= 1)
        self.maxBatch = maxBatch
        self.maxConcurrentBatches = maxConcurrentBatches
        self.maxWaiting = maxWaiting
        self.batch = batch
        self.single = single
    }

    /// Commits `item` (with whatever else is waiting) and returns its output once committed.
    public func commit(_ item: Item, on writer: Writer) async throws -> Output {
        if maxBatch == 1 {
            let start = ContinuousClock.now
            defer { record(items: 1, fellBack: false, since: start) }
            return try await single(writer, item)
        }
        return try await withCheckedThrowingContinuation { continuation in
            let start: Bool? = lock.withLock {
                guard queue.count < maxWaiting else {
                    statistics.refused += 1
                    return nil
                }
                queue.append(Waiting(writer: writer, item: item, continuation: continuation))
                guard running < maxConcurrentBatches else { return false }
                running += 1
                return true
            }
            switch start {
            case nil: continuation.resume(throwing: StoreError.outage(.busy))
            case true?: Task { await self.drain() }
            case false?: break
            }
        }
    }

    /// Batches committed, writes in them, batches that fell back to one write at a time and
    /// writes refused, with what the writer is doing now (the tests, and `/metrics`).
    public var load: GroupCommitLoad {
        lock.withLock {
            GroupCommitLoad(
                counts: statistics, waiting: queue.count, committing: running, busy: busy,
                slots: maxBatch == 1 ? nil : maxConcurrentBatches, waitingLimit: maxBatch == 1 || maxWaiting == .max ? nil : maxWaiting)
        }
    }

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
        let start = ContinuousClock.now
        if waiting.count == 1 {
            // Counted before its caller hears back, as a batch is: a caller that reads the
            // counts after its answer sees its own write in them.
            let result = await written(alone: waiting[0])
            record(items: 1, fellBack: false, since: start)
            waiting[0].continuation.resume(with: result)
            return
        }
        do {
            let outputs = try await batch(waiting[0].writer, waiting.map(\.item))
            guard outputs.count == waiting.count else {
                throw StoreError.unavailable("a group commit returned \(outputs.count) results for \(waiting.count) writes")
            }
            record(items: waiting.count, fellBack: false, since: start)
            for (one, output) in zip(waiting, outputs) { one.continuation.resume(returning: output) }
        } catch {
            record(items: waiting.count, fellBack: true, since: start)
            let retries = ContinuousClock.now
            for one in waiting { one.continuation.resume(with: await written(alone: one)) }
            let spent = retries.duration(to: .now)
            lock.withLock { busy += spent }
        }
    }

    /// One write in its own transaction: its output or its own error, for its caller.
    private func written(alone one: Waiting) async -> Result<Output, any Error> {
        do { return .success(try await single(one.writer, one.item)) } catch { return .failure(error) }
    }

    private func record(items: Int, fellBack: Bool, since start: ContinuousClock.Instant) {
        let spent = start.duration(to: .now)
        lock.withLock {
            busy += spent
            statistics.batches += 1
            statistics.items += items
            statistics.largestBatch = max(statistics.largestBatch, items)
            if fellBack { statistics.fellBack += 1 }
        }
    }
}

/// A group commit's counts and what it is doing now: how many writes wait for a batch slot, and
/// the time spent committing since the process started. On a store with one writer (SQLite,
/// `slots` 1) the busy time's rate is the writer's utilisation: near 1 s per second, check-ins
/// queue and batches grow — the store is the bound. Where batches run in parallel (PostgreSQL)
/// the busy time is summed over them, so divide its rate by `slots`.
public struct GroupCommitLoad: Sendable, Equatable {
    public var counts: GroupCommitStatistics
    public var waiting: Int
    /// Slots taken now (a batch being written, or about to be).
    public var committing: Int
    public var busy: Duration
    /// Batches that may commit at once; nil without group commit (each write alone, in parallel).
    public var slots: Int?
    /// Writes that may wait before the next is refused; nil when unbounded or without group commit.
    public var waitingLimit: Int?

    public init(counts: GroupCommitStatistics, waiting: Int, committing: Int, busy: Duration, slots: Int?, waitingLimit: Int?) {
        (self.counts, self.waiting, self.committing, self.busy) = (counts, waiting, committing, busy)
        (self.slots, self.waitingLimit) = (slots, waitingLimit)
    }
}

public struct GroupCommitStatistics: Sendable, Equatable {
    public var batches = 0
    public var items = 0
    public var largestBatch = 0
    public var fellBack = 0
    /// Writes refused because `maxWaiting` were waiting already.
    public var refused = 0

    public init(batches: Int = 0, items: Int = 0, largestBatch: Int = 0, fellBack: Int = 0, refused: Int = 0) {
        (self.batches, self.items, self.largestBatch, self.fellBack, self.refused) = (batches, items, largestBatch, fellBack, refused)
    }
}

/// How many check-ins may wait for the writer before the next is refused (`GroupCommit`'s
/// `maxWaiting`). At SQLite's ~2,000 deltas or ~1,000 full inventories a second here, 512 is a
/// quarter to half a second of work queued; at most 512 decoded check-ins held in memory.
public enum CheckInQueue {
    public static let defaultLimit = 512
}
