import StewardModel
import StewardStore
import Testing

@Suite struct SoftwareIDCacheTests {
    private func app(_ name: String, _ version: String = "1") -> AppRecord {
        AppRecord(appId: "\(name):amd64", name: name, version: version, sizeBytes: nil, installLocation: nil)
    }

    /// A release forgets the rows it names in its tenant and nothing else; IDs learned before it
    /// (committed but not yet remembered) are refused, those learned after it are kept.
    @Test func aReleaseForgetsOnlyItsRows() {
        let cache = SoftwareIDCache()
        let (a, b, c) = (app("a"), app("b"), app("c"))
        cache.remember(tenant: "t1", [(a, 1), (b, 2), (c, 3)], generation: cache.generation)
        cache.remember(tenant: "t2", [(a, 2)], generation: cache.generation)
        #expect(cache.ids(tenant: "t1", apps: [a, b, c]) == [1, 2, 3])

        let before = cache.generation
        cache.forget(tenant: "t1", ids: [2, 99])
        #expect(cache.ids(tenant: "t1", apps: [a, b, c]) == [1, nil, 3])
        #expect(cache.ids(tenant: "t2", apps: [a]) == [2], "another tenant's ID 2 is its own")

        cache.remember(tenant: "t1", [(b, 4)], generation: before)
        #expect(cache.ids(tenant: "t1", apps: [b]) == [nil], "learned before the release")
        cache.remember(tenant: "t1", [(b, 4)], generation: cache.generation)
        #expect(cache.ids(tenant: "t1", apps: [b]) == [4])

        // Nothing released: nothing forgotten, the generation unmoved.
        let unmoved = cache.generation
        cache.forget(tenant: "t1", ids: [])
        #expect(cache.generation == unmoved)
        #expect(cache.ids(tenant: "t1", apps: [a, b, c]) == [1, 4, 3])

        cache.forget()
        #expect(cache.ids(tenant: "t1", apps: [a]) == [nil])
        #expect(cache.ids(tenant: "t2", apps: [a]) == [nil])
    }

    /// One ID per app and one app per ID: an ID given again to another app, or an app seen under
    /// a new ID, leaves no entry behind that a later release would miss.
    @Test func anIDGivenToAnotherAppReplacesTheOldEntry() {
        let cache = SoftwareIDCache()
        let (a, b) = (app("a"), app("b"))
        cache.remember(tenant: "t", [(a, 5)], generation: cache.generation)
        cache.remember(tenant: "t", [(b, 5)], generation: cache.generation)
        #expect(cache.ids(tenant: "t", apps: [a, b]) == [nil, 5])
        cache.remember(tenant: "t", [(b, 6)], generation: cache.generation)
        cache.forget(tenant: "t", ids: [5])
        #expect(cache.ids(tenant: "t", apps: [b]) == [6], "5 is no longer b's")
        cache.forget(tenant: "t", ids: [6])
        #expect(cache.ids(tenant: "t", apps: [a, b]) == [nil, nil])
    }

    /// Bounded: past its capacity the cache starts over with what was just learned; an app
    /// learned again is not counted twice.
    @Test func aFullCacheStartsOver() {
        let cache = SoftwareIDCache(capacity: 4)
        let apps = (0..<5).map { app("app\($0)") }
        cache.remember(tenant: "t", [(apps[0], 1), (apps[1], 2)], generation: cache.generation)
        cache.remember(tenant: "t", [(apps[0], 1)], generation: cache.generation)
        cache.remember(tenant: "t", [(apps[2], 3)], generation: cache.generation)
        cache.remember(tenant: "t", [(apps[3], 4)], generation: cache.generation)
        #expect(cache.ids(tenant: "t", apps: apps) == [1, 2, 3, 4, nil])
        cache.remember(tenant: "t", [(apps[4], 5)], generation: cache.generation)
        #expect(cache.ids(tenant: "t", apps: apps) == [nil, nil, nil, nil, 5])
    }
}
