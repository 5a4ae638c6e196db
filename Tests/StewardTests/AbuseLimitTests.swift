import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import StewardModel
import StewardServer

#if canImport(Glibc)
import Glibc
#endif

/// The bounds that keep a flood from taking the server: the password-hashing queue, the
/// sign-in rate limits, and the time a connection may sit idle or send its request slowly.
@Suite struct AbuseLimitTests {
    /// One worker, one waiting place: a third job is refused at once; a waiting job whose
    /// client has gone is dropped without being hashed.
    @Test func theHashingQueueIsBoundedAndDropsAbandonedWork() async throws {
        let hashing = PasswordHashing(workers: 1, queueLimit: 1)
        let gate = DispatchSemaphore(value: 0)
        let (started, starter) = AsyncStream.makeStream(of: Void.self)
        // The worker is held by a job (on the thread pool) that waits for the test's word.
        let running = Task {
            try await hashing.run {
                starter.yield()
                gate.wait()
                return 1
            }
        }
        var startedIterator = started.makeAsyncIterator()
        _ = await startedIterator.next()
        let gone = ClientFlag()
        let waiting = Task { try await hashing.run(stillWanted: { gone.connected }) { 2 } }
        // Until the waiter is queued, a third job may still take its place; wait for the queue.
        while await hashing.waitingCount == 0 { await Task.yield() }
        await #expect(throws: PasswordHashing.Busy.self) { try await hashing.run { 3 } }
        gone.connected = false
        gate.signal()
        #expect(try await running.value == 1)
        await #expect(throws: PasswordHashing.ClientGone.self) { try await waiting.value }
        #expect(await hashing.completed == 1, "the abandoned job was never hashed")
        #expect(try await hashing.run { 4 } == 4, "the worker is free again")
    }

    /// A token bucket per address and per account: the burst, then a steady rate; another
    /// address or account is not affected.
    @Test func signInLimitsAreByAddressAndByAccount() async throws {
        let clock = ManualClock()
        let limiter = SignInLimiter(
            perAddress: .init(burst: 3, perMinute: 60), perAccount: .init(burst: 5, perMinute: 6), clock: clock.clock)
        for attempt in 0..<3 { #expect(await limiter.admit(address: "10.0.0.1", account: "t/a\(attempt)") == nil) }
        #expect(await limiter.admit(address: "10.0.0.1", account: "t/z") == .seconds(1))
        #expect(await limiter.admit(address: "10.0.0.2", account: "t/z") == nil, "another address")
        clock.advance(1)
        #expect(await limiter.admit(address: "10.0.0.1", account: "t/z") == nil, "a second later, one more")

        // An account's five from five addresses: the sixth waits ten seconds, whatever its address.
        let byAccount = SignInLimiter(
            perAddress: .init(burst: 100, perMinute: 100), perAccount: .init(burst: 5, perMinute: 6), clock: clock.clock)
        for index in 0..<5 { #expect(await byAccount.admit(address: "10.1.0.\(index)", account: "t/y") == nil) }
        #expect(await byAccount.admit(address: "10.2.0.1", account: "t/y") == .seconds(10))
        #expect(await byAccount.admit(address: "10.2.0.1", account: "t/x") == nil, "another account")
    }

    /// The router with a device's requests and a token's enrollments limited to 40 a minute each
    /// (a burst of 10, then one per 1.5 s), on the environment's manual clock.
    static func withLimits(_ body: @escaping @Sendable (TestEnvironment, APIClient) async throws -> Void) async throws {
        let env = try await TestEnvironment()
        var configuration = env.configuration
        configuration.deviceRequestsPerMinute = 40  // a burst of 10, then one per 1.5 s
        configuration.enrollmentsPerMinutePerToken = 40
        let background = BackgroundServices(configuration: configuration, dependencies: env.dependencies)
        let router = buildRouter(configuration: configuration, dependencies: env.dependencies, background: background)
        let app = Application(router: router, logger: env.dependencies.logger)
        try await app.test(.router) { client in
            try await body(env, APIClient(client: client, adminToken: env.tenant.adminToken))
        }
    }

    /// Per credential: a device's requests and a token's enrollments have their own buckets —
    /// past them 429 with Retry-After, other devices and tokens untouched, and time refills them.
    @Test func devicesAndEnrollmentTokensAreLimitedEachOnItsOwn() async throws {
        try await Self.withLimits { env, api in
            let token = try await api.enrollmentToken(.corporate)
            func enroll(_ token: String, _ index: Int) async throws -> APIResponse {
                try await api.send(.POST, APIRoute.enroll.path, token: token, json: EnrollRequest(
                    platform: .linux, platformId: "limit-\(token.suffix(6))-\(index)", deviceName: "h", agentVersion: "t"))
            }
            var secrets: [String] = []
            for index in 0..<10 {
                let answer = try await enroll(token, index)
                #expect(answer.status == .created)
                secrets.append(try answer.decode(EnrollResponse.self).deviceSecret)
            }
            let refused = try await enroll(token, 10)
            #expect(refused.status == .tooManyRequests && refused.errorCode == "too_many_enrollments")
            #expect(refused.headers[.retryAfter] == "2")
            #expect(try await enroll(try await api.enrollmentToken(.corporate), 11).status == .created, "another token")

            let full = try SampleInventory.fullRequest(SampleInventory.make(appCount: 3))
            for _ in 0..<10 { #expect(try await api.checkIn(secrets[0], full).status == .ok) }
            let flooded = try await api.checkIn(secrets[0], full)
            #expect(flooded.status == .tooManyRequests && flooded.errorCode == "too_many_requests")
            #expect(flooded.headers[.retryAfter] == "2")
            let poll = try await api.send(.GET, APIRoute.agentTasks.path + "?wait=0", token: secrets[0])
            #expect(poll.status == .tooManyRequests, "task polls count too")
            #expect(try await api.checkIn(secrets[1], full).status == .ok, "another device")

            env.clock.advance(2)
            #expect(try await api.checkIn(secrets[0], full).status == .ok, "refilled")
            #expect(try await enroll(token, 12).status == .created, "refilled")
        }
    }

    /// The OCS protocol's inventories under the same limits: a new machine's first inventory
    /// counts against its token's enrollments, a known machine's against its own device bucket;
    /// past either, 429 with `Retry-After` and nothing stored.
    @Test func ocsInventoriesAreLimitedPerTokenAndPerMachine() async throws {
        let fixture = String(decoding: try OCSProtocolTests.fixture("ocs-agent-linux.xml"), as: UTF8.self)
        @Sendable func machine(_ index: Int) -> [UInt8] {
            let byte = String(format: "%02x", index)
            return Array(fixture.replacingOccurrences(of: "vm-2026-12-05-10-00-00", with: "m\(index)-2026-12-05-10-00-00")
                .replacingOccurrences(of: "VMW-5A1B-TEST-0001", with: "LIMIT-\(index)")
                .replacingOccurrences(of: "2e:98:d5:1c:0b:00", with: "2e:98:d5:1c:0b:\(byte)")
                .replacingOccurrences(of: "8e:d3:b4:d5:dc:87", with: "8e:d3:b4:d5:dc:\(byte)")
                .replacingOccurrences(of: "02:fc:00:00:00:01", with: "02:fc:00:00:00:\(byte)").utf8)
        }
        try await Self.withLimits { env, api in
            let token = try await api.enrollmentToken(.corporate)
            for index in 0..<10 {
                #expect(try await OCSEndpointTests.post(api, machine(index), token: token).status == .ok)
            }
            let refused = try await OCSEndpointTests.post(api, machine(10), token: token)
            #expect(refused.status == .tooManyRequests && refused.reply?.value("ERROR") == "too_many_requests")
            #expect(refused.headers[.retryAfter] == "2")
            #expect(try await OCSEndpointTests.devices(api).count == 10, "the refused machine was not enrolled")
            #expect(try await OCSEndpointTests.post(api, machine(10), token: try await api.enrollmentToken(.corporate)).status == .ok,
                "another token")

            // Machine 0 again and again: its own bucket (its enrollment counted against the token).
            for _ in 0..<10 { #expect(try await OCSEndpointTests.post(api, machine(0), token: token).status == .ok) }
            let flooded = try await OCSEndpointTests.post(api, machine(0), token: token)
            #expect(flooded.status == .tooManyRequests && flooded.headers[.retryAfter] == "2")
            #expect(try await OCSEndpointTests.post(api, machine(1), token: token).status == .ok, "another machine")

            env.clock.advance(2)
            #expect(try await OCSEndpointTests.post(api, machine(0), token: token).status == .ok, "refilled")
            #expect(try await OCSEndpointTests.post(api, machine(11), token: token).status == .ok, "refilled")
        }
    }

    /// A tenant parks at most so many task long-polls: past it a poll is refused at once (the
    /// API answers 429 `too_many_waiting`), and another tenant is not affected.
    @Test func aTenantParksABoundedNumberOfLongPolls() async throws {
        let env = try await TestEnvironment()
        let notifier = TaskNotifier(store: env.storage, logger: env.dependencies.logger, maxParkedPerTenant: 2)
        let (tenant, other) = (env.tenant.tenantId, env.otherTenant.tenantId)
        let first = Task { await notifier.wait(tenantID: tenant, deviceID: DeviceID(rawValue: "d1"), after: 0, timeout: .seconds(120)) }
        let second = Task { await notifier.wait(tenantID: tenant, deviceID: DeviceID(rawValue: "d2"), after: 0, timeout: .seconds(120)) }
        while await notifier.parkedRequests(tenantID: tenant) < 2 { await Task.yield() }
        #expect(await notifier.wait(tenantID: tenant, deviceID: DeviceID(rawValue: "d3"), after: 0, timeout: .seconds(120)) == false)
        let theirs = Task { await notifier.wait(tenantID: other, deviceID: DeviceID(rawValue: "d9"), after: 0, timeout: .seconds(120)) }
        while await notifier.parkedRequests(tenantID: other) < 1 { await Task.yield() }
        // A woken poll leaves, and makes room.
        await notifier.wake(tenantID: tenant, deviceID: DeviceID(rawValue: "d1"))
        #expect(await first.value)
        #expect(await notifier.parkedRequests(tenantID: tenant) == 1)
        await notifier.wake(tenantID: tenant, deviceID: DeviceID(rawValue: "d2"))
        await notifier.wake(tenantID: other, deviceID: DeviceID(rawValue: "d9"))
        let (secondWoke, theirsWoke) = (await second.value, await theirs.value)
        #expect(secondWoke && theirsWoke)
        #expect(await notifier.parkedRequests(tenantID: tenant) == 0)
    }

    /// `/metrics` is open by default; with `metricsToken` it answers only that bearer token.
    @Test func metricsCanBeClosedWithAToken() async throws {
        let env = try await TestEnvironment()
        var configuration = env.configuration
        configuration.metricsToken = "scrape-me-0123456789"
        let router = buildRouter(configuration: configuration, dependencies: env.dependencies, background: env.background)
        try await Application(router: router, logger: env.dependencies.logger).test(.router) { client in
            let api = APIClient(client: client, adminToken: env.tenant.adminToken)
            #expect(try await api.send(.GET, APIRoute.metrics.path, token: nil).errorCode == "metrics_token_required")
            #expect(try await api.send(.GET, APIRoute.metrics.path, token: "scrape-me-0123456780").status == .unauthorized)
            #expect(try await api.send(.GET, APIRoute.metrics.path, token: env.tenant.adminToken).status == .unauthorized)
            let scraped = try await api.send(.GET, APIRoute.metrics.path, token: "scrape-me-0123456789")
            #expect(scraped.status == .ok && scraped.headers[.contentType]?.hasPrefix("text/plain") == true)
        }
        let open = try await env.withClient { api in try await api.send(.GET, APIRoute.metrics.path, token: nil) }
        #expect(open.status == .ok, "open without a token")
    }

    /// A client that opens a connection and sends its request slowly (or nothing) is cut off
    /// after the idle timeout instead of holding the connection for ever.
    @Test func aSlowClientIsCutOff() async throws {
        let env = try await TestEnvironment()
        var configuration = env.configuration
        configuration.port = 0
        configuration.idleTimeout = .seconds(1)
        try await withInProcessServer(configuration: configuration, dependencies: env.dependencies) { port in
            let started = Date()
            let closedAfter = try Self.sendHalfARequestAndWait(port: port, timeoutSeconds: 20)
            #expect(closedAfter != nil, "the server never closed the connection")
            #expect((closedAfter ?? 99) < 10 && Date().timeIntervalSince(started) < 15)
        }
    }

    /// Sends a request line and one header, never the blank line, then reads until the server
    /// closes the connection (nil: still open after `timeoutSeconds`).
    static func sendHalfARequestAndWait(port: Int, timeoutSeconds: Int) throws -> TimeInterval? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let partial = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        _ = partial.withCString { send(socket, $0, strlen($0), 0) }
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let read = recv(socket, &buffer, buffer.count, 0)
            if read == 0 { return Date().timeIntervalSince(start) }  // closed by the server
            if read < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? nil : Date().timeIntervalSince(start) }
        }
    }
}

/// Whether a client is still there, as a test sets it.
final class ClientFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = true
    var connected: Bool {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
