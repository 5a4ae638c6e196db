import Foundation
import Testing
import StewardModel
@testable import StewardSQLite
@testable import StewardPostgres
import StewardStore

/// What a test writer was asked to commit, and a gate that holds its first commit open.
private final class RecordingWriter: @unchecked Sendable {
    private let lock = NSLock()
    private var batchesSeen: [[Int]] = []
    private var singlesSeen: [Int] = []
    let started: AsyncStream<Void>
    private let startedContinuation: AsyncStream<Void>.Continuation
    private let gate: AsyncStream<Void>
    let open: AsyncStream<Void>.Continuation
    /// The item whose write fails, alone or in a batch.
    let failing: Int?

    init(failing: Int? = nil) {
        (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        (gate, open) = AsyncStream.makeStream(of: Void.self)
        self.failing = failing
    }

    struct Refused: Error, Equatable {}

    func batch(_ items: [Int]) throws -> [Int] {
        lock.withLock { batchesSeen.append(items) }
        if let failing, items.contains(failing) { throw Refused() }
        return items.map { $0 * 10 }
    }

    /// Item 0 holds the writer until the test opens the gate.
    func single(_ item: Int) async throws -> Int {
        lock.withLock { singlesSeen.append(item) }
        if item == 0 {
            startedContinuation.yield()
            for await _ in gate { break }
        }
        if item == failing { throw Refused() }
        return item * 10
    }

    var batches: [[Int]] { lock.withLock { batchesSeen } }
    var singles: [Int] { lock.withLock { singlesSeen } }

    static func commits(_ maxBatch: Int, maxWaiting: Int = .max) -> GroupCommit<RecordingWriter, Int, Int> {
        GroupCommit(
            maxBatch: maxBatch, maxWaiting: maxWaiting, batch: { writer, items in try writer.batch(items) },
            single: { writer, item in try await writer.single(item) })
    }
}

@Suite struct GroupCommitTests {
    /// Item 0 commits alone and holds the writer; `items` queue behind it meanwhile.
    private func queueBehindAHeldWrite(
        _ commits: GroupCommit<RecordingWriter, Int, Int>, _ writer: RecordingWriter, _ items: [Int]
    ) async throws -> [Int: Result<Int, RecordingWriter.Refused>] {
        let first = Task { try await commits.commit(0, on: writer) }
        for await _ in writer.started { break }
        let queued = items.map { item in
            Task { () -> (Int, Result<Int, RecordingWriter.Refused>) in
                do { return (item, .success(try await commits.commit(item, on: writer))) } catch let error as RecordingWriter.Refused {
                    return (item, .failure(error))
                }
            }
        }
        // Every write queued while the first one holds the writer (a condition, not a time).
        while commits.load.waiting < items.count { await Task.yield() }
        writer.open.yield()
        #expect(try await first.value == 0)
        var results: [Int: Result<Int, RecordingWriter.Refused>] = [:]
        for task in queued {
            let (item, result) = try await task.value
            results[item] = result
        }
        return results
    }

    @Test func writesArrivingDuringACommitGoTogetherInTheNext() async throws {
        let writer = RecordingWriter()
        let commits = RecordingWriter.commits(4)
        let results = try await queueBehindAHeldWrite(commits, writer, [1, 2, 3, 4, 5])
        for item in 1...5 { #expect(try results[item]?.get() == item * 10) }
        // Four together (the bound), then the one left alone; nothing written twice.
        #expect(writer.batches.map(\.count) == [4])
        #expect(Set(writer.batches[0] + writer.singles) == Set(0...5))
        #expect(writer.singles.count == 2)
        #expect(commits.load.counts == GroupCommitStatistics(batches: 3, items: 6, largestBatch: 4, fellBack: 0))
    }

    @Test func aFailingWriteCostsTheOthersARetryNotTheirWrite() async throws {
        let writer = RecordingWriter(failing: 2)
        let commits = RecordingWriter.commits(8)
        let results = try await queueBehindAHeldWrite(commits, writer, [1, 2, 3])
        #expect(try results[1]?.get() == 10)
        #expect(try results[3]?.get() == 30)
        #expect(results[2] == .failure(RecordingWriter.Refused()))
        // The batch was refused whole, then each of its writes went alone.
        #expect(writer.batches.map { Set($0) } == [[1, 2, 3]])
        #expect(Set(writer.singles) == [0, 1, 2, 3])
        #expect(commits.load.counts.fellBack == 1)
    }

    /// What an operator reads of the writer: the writes waiting while it is held, then none, and
    /// time spent committing that counts the held write's wait (a time measured, never waited for).
    @Test func theLoadShowsWhatWaitsAndTheTimeSpentWriting() async throws {
        let writer = RecordingWriter()
        let commits = RecordingWriter.commits(8)
        let began = ContinuousClock.now
        let first = Task { try await commits.commit(0, on: writer) }
        for await _ in writer.started { break }
        let queued = (1...3).map { item in Task { try await commits.commit(item, on: writer) } }
        while commits.load.waiting < 3 { await Task.yield() }
        let held = commits.load
        #expect(held.waiting == 3 && held.committing == 1 && held.counts == GroupCommitStatistics() && held.busy == .zero)
        #expect(held.slots == 1 && held.waitingLimit == nil)
        writer.open.yield()
        #expect(try await first.value == 0)
        for task in queued { _ = try await task.value }
        // The slot is given back once the drain finds the queue empty, after the answers.
        while commits.load.committing > 0 { await Task.yield() }
        let after = commits.load
        #expect(after.waiting == 0)
        #expect(after.counts == GroupCommitStatistics(batches: 2, items: 4, largestBatch: 3, fellBack: 0))
        // One slot: the two commits ran one after the other, both since `began`.
        #expect(after.busy > .zero && after.busy <= began.duration(to: .now))
        #expect(RecordingWriter.commits(1).load.slots == nil, "without group commit, no slots")
    }

    /// Past the waiting limit a write is refused at once, as the database too busy (a 503 at the
    /// edge), and never reaches the writer; those already waiting are written as before.
    @Test func aWriteBeyondTheWaitingLimitIsRefusedAtOnce() async throws {
        let writer = RecordingWriter()
        let commits = RecordingWriter.commits(8, maxWaiting: 2)
        let first = Task { try await commits.commit(0, on: writer) }
        for await _ in writer.started { break }
        let queued = [1, 2].map { item in Task { try await commits.commit(item, on: writer) } }
        while commits.load.waiting < 2 { await Task.yield() }
        await #expect(throws: StoreError.outage(.busy)) { try await commits.commit(3, on: writer) }
        #expect(commits.load.waiting == 2 && commits.load.waitingLimit == 2)
        writer.open.yield()
        #expect(try await first.value == 0)
        for (item, task) in zip([1, 2], queued) { #expect(try await task.value == item * 10) }
        #expect(!(writer.batches.flatMap { $0 } + writer.singles).contains(3), "the refused write never reached the writer")
        #expect(commits.load.counts == GroupCommitStatistics(batches: 2, items: 3, largestBatch: 2, fellBack: 0, refused: 1))
        // With room again, the next write is taken.
        #expect(try await commits.commit(4, on: writer) == 40)
    }

    @Test func aBatchOfOneIsNotABatch() async throws {
        let writer = RecordingWriter()
        let commits = RecordingWriter.commits(1)
        #expect(try await commits.commit(7, on: writer) == 70)
        #expect(writer.batches.isEmpty && writer.singles == [7])
    }
}

/// The stores' batches: one transaction for many check-ins, all of them or none.
@Suite struct CheckInBatchTests {
    /// A full app inventory written straight to the store, as the check-in hands it over.
    static func full(_ env: TestEnvironment, _ device: DeviceID, _ apps: [AppRecord], _ hash: String) async throws -> AppsOutcome {
        var update = InventoryUpdate(
            tenantID: env.tenant.tenantId, deviceID: device, at: env.clock.now, agentVersion: "test", hardware: nil,
            operatingSystem: nil, network: nil, apps: .replace(apps), hashes: SectionHashes())
        update.hashes.apps = hash
        return try await env.storage.checkIn(update).apps
    }

    private func batch(_ storage: any Storage, _ updates: [InventoryUpdate]) async throws -> [CheckInWritten] {
        switch storage {
        case let sqlite as SQLiteStorage: return try await sqlite.commitCheckIns(try updates.map(SQLiteStorage.PreparedCheckIn.init))
        case let postgres as PostgresStorage:
            return try await postgres.commitCheckIns(try updates.map(PostgresStorage.PreparedCheckIn.init))
        default: throw StoreError.unavailable("an unknown store")
        }
    }

    @Test(arguments: StoreKind.available) func aBatchCommitsEveryCheckInOrNone(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let tenant = env.tenant.tenantId
        try await env.withClient { api in
            var devices: [DeviceID] = []
            for _ in 0..<3 { devices.append(try await api.enroll(.corporate).deviceId) }
            // Apps the tenant has never seen, shared by the devices: the second device in a batch
            // must find the software row the first one added in the same transaction.
            var inventories: [Inventory] = []
            for index in 0..<3 {
                var inventory = SampleInventory.make(appCount: 4)
                inventory.apps = (inventory.apps ?? []).map {
                    AppRecord(appId: "new-\($0.appId)", name: $0.name, version: $0.version, sizeBytes: $0.sizeBytes, installLocation: $0.installLocation)
                } + [AppRecord(appId: "own-\(index):amd64", name: "own\(index)", version: "1", sizeBytes: nil, installLocation: nil)]
                inventories.append(inventory)
            }
            func full(_ index: Int) throws -> InventoryUpdate {
                let inventory = inventories[index]
                return InventoryUpdate(
                    tenantID: tenant, deviceID: devices[index], at: env.clock.now, agentVersion: "test", hardware: inventory.hardware,
                    operatingSystem: inventory.operatingSystem, network: inventory.network, apps: .replace(inventory.apps ?? []),
                    hashes: try InventoryHasher.hashes(of: inventory))
            }
            func apps(_ index: Int) async throws -> [AppRecord] {
                try await env.storage.apps(tenantID: tenant, deviceID: devices[index], after: nil, limit: 100)
            }
            try await env.storage.deleteDevice(tenantID: tenant, id: devices[1], audit: env.auditEvent())

            // One device gone: the whole batch is refused, and nothing of the others landed.
            await #expect(throws: StoreError.notFound) { _ = try await batch(env.storage, [try full(0), try full(1), try full(2)]) }
            #expect(try await apps(0).isEmpty)
            #expect(try await apps(2).isEmpty)

            // Through the group commit, each is told its own outcome.
            let storage = env.storage
            let outcomes = try [full(0), full(1), full(2)].map { update in Task { try await storage.checkIn(update).apps } }
            #expect(try await outcomes[0].value == .stored)
            #expect(try await outcomes[2].value == .stored)
            await #expect(throws: StoreError.notFound) { _ = try await outcomes[1].value }
            #expect(try await apps(0) == inventories[0].apps?.sorted { $0.appId < $1.appId })
            #expect(try await apps(2) == inventories[2].apps?.sorted { $0.appId < $1.appId })

            // A device twice in one batch: its delta sees the full written before it.
            var changed = inventories[0]
            changed.apps = Array((changed.apps ?? []).dropFirst()) + [AppRecord(appId: "later:amd64", name: "later", version: "2", sizeBytes: 1, installLocation: nil)]
            var refreshed = try full(0)
            refreshed.apps = .replace(changed.apps ?? [])
            refreshed.hashes = try InventoryHasher.hashes(of: changed)
            var delta = try full(0)
            (delta.hardware, delta.operatingSystem, delta.network) = (nil, nil, nil)
            delta.apps = .delta(
                baseHash: refreshed.hashes.apps ?? "", upserted: inventories[0].apps.map { [$0[0]] } ?? [], removed: ["later:amd64"])
            delta.hashes.apps = "after-the-delta"
            let written = try await batch(env.storage, [refreshed, full(2), delta])
            #expect(written.map(\.apps) == [.stored, .stored, .stored])
            #expect(try await apps(0) == inventories[0].apps?.sorted { $0.appId < $1.appId })
            #expect(try await env.storage.device(tenantID: tenant, id: devices[0])?.appCount == inventories[0].apps?.count)
        }
    }

    /// Full inventories (new, changed, sent again unchanged) and deltas over apps the devices
    /// share, so rows are released and IDs learned and forgotten: after every step each device
    /// holds exactly its apps and its count is theirs (the count is kept from what changed).
    @Test(arguments: StoreKind.available) func appsAndCountsFollowARandomWalk(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let tenant = env.tenant.tenantId
        try await env.withClient { api in
            var devices: [DeviceID] = []
            for _ in 0..<3 { devices.append(try await api.enroll(.corporate).deviceId) }
            var random = SeededGenerator(seed: 2026_12_06)
            func app(_ index: Int, _ version: Int) -> AppRecord {
                AppRecord(appId: "walk-\(index):amd64", name: "walk\(index)", version: "\(version)", sizeBytes: Int64(index), installLocation: nil)
            }
            var held: [[String: AppRecord]] = Array(repeating: [:], count: devices.count)
            var hashes: [String?] = Array(repeating: nil, count: devices.count)
            var stepsByKind = [0, 0, 0]
            for step in 0..<80 {
                let device = Int.random(in: 0..<devices.count, using: &random)
                let hash = "walk-hash-\(step)"
                var apps: InventoryUpdate.Apps
                let kind = hashes[device] == nil ? 0 : Int.random(in: 0..<3, using: &random)
                stepsByKind[kind] += 1
                switch kind {
                case 0:  // a new full inventory
                    var next: [String: AppRecord] = [:]
                    for index in 0..<12 where Bool.random(using: &random) {
                        let record = app(index, Int.random(in: 1...2, using: &random))
                        next[record.appId] = record
                    }
                    held[device] = next
                    apps = .replace(Array(next.values))
                case 1:  // the same full inventory again
                    apps = .replace(Array(held[device].values).shuffled(using: &random))
                default:  // a delta: a few apps upserted, a few removed
                    var upserted: [AppRecord] = []
                    for index in (0..<12).shuffled(using: &random).prefix(3) {
                        upserted.append(app(index, Int.random(in: 1...2, using: &random)))
                    }
                    let removed = Array(held[device].keys.filter { key in !upserted.contains { $0.appId == key } }.sorted().prefix(2))
                    for record in upserted { held[device][record.appId] = record }
                    for key in removed { held[device][key] = nil }
                    apps = .delta(baseHash: hashes[device] ?? "", upserted: upserted, removed: removed)
                }
                var update = InventoryUpdate(
                    tenantID: tenant, deviceID: devices[device], at: env.clock.now, agentVersion: "test", hardware: nil,
                    operatingSystem: nil, network: nil, apps: apps, hashes: SectionHashes())
                update.hashes.apps = hash
                #expect(try await env.storage.checkIn(update).apps == .stored, "step \(step)")
                hashes[device] = hash
                for (index, id) in devices.enumerated() {
                    let stored = try await env.storage.apps(tenantID: tenant, deviceID: id, after: nil, limit: 100)
                    #expect(stored == held[index].values.sorted { $0.appId < $1.appId }, "step \(step), device \(index)")
                    #expect(try await env.storage.device(tenantID: tenant, id: id)?.appCount == held[index].count, "step \(step)")
                }
            }
            #expect(stepsByKind.allSatisfy { $0 > 5 })
        }
    }

    /// An app whose software row was released after its ID was learned: a full inventory naming
    /// it again still lands whole (PostgreSQL's foreign key refuses the stale ID and the check-in
    /// runs again without the cache; SQLite forgets the released ID on release, and only it).
    @Test(arguments: StoreKind.available) func aReleasedSoftwareIDIsNeverReused(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let tenant = env.tenant.tenantId
        try await env.withClient { api in
            let first = try await api.enroll(.corporate).deviceId
            let second = try await api.enroll(.corporate).deviceId
            let kept = AppRecord(appId: "kept:amd64", name: "kept", version: "1", sizeBytes: 1, installLocation: nil)
            let released = AppRecord(appId: "released:amd64", name: "released", version: "7", sizeBytes: 2, installLocation: nil)
            // Learned twice (the second full is written from known IDs), then let go by its only holder.
            #expect(try await Self.full(env, first, [kept, released], "a") == .stored)
            #expect(try await Self.full(env, first, [kept, released], "a") == .stored)
            #expect(try await Self.full(env, first, [kept], "b") == .stored)
            if let sqlite = env.storage as? SQLiteStorage {
                // SQLite's cache forgets the released ID alone (it emptied itself on any release).
                #expect(sqlite.softwareIDs.ids(tenant: tenant.rawValue, apps: [kept, released]).map { $0 != nil } == [true, false])
            }
            // Another device names it: every ID is "known", one of them no longer exists.
            #expect(try await Self.full(env, second, [released, kept], "c") == .stored)
            #expect(try await env.storage.apps(tenantID: tenant, deviceID: second, after: nil, limit: 10) == [kept, released])
            #expect(try await env.storage.device(tenantID: tenant, id: second)?.appCount == 2)
            // And written from the cache again afterwards.
            #expect(try await Self.full(env, first, [kept, released], "d") == .stored)
            #expect(try await env.storage.apps(tenantID: tenant, deviceID: first, after: nil, limit: 10) == [kept, released])
            #expect(try await env.storage.device(tenantID: tenant, id: first)?.appCount == 2)
        }
    }

    /// Many devices' full inventories at once: whatever batches formed, each device holds its own.
    @Test(arguments: StoreKind.available) func concurrentCheckInsEachLandWhole(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            var devices: [(EnrollResponse, Inventory)] = []
            for index in 0..<24 {
                var inventory = SampleInventory.make(appCount: 3 + index % 5)
                inventory.hardware.deviceName = "host-\(index)"
                devices.append((try await api.enroll(.corporate), inventory))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (device, inventory) in devices {
                    group.addTask { _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory)) }
                }
                try await group.waitForAll()
            }
            for (device, inventory) in devices {
                let view = try #require(try await env.storage.device(tenantID: env.tenant.tenantId, id: device.deviceId))
                #expect(view.deviceName == inventory.hardware.deviceName)
                #expect(view.appCount == inventory.apps?.count)
            }
        }
    }
}
