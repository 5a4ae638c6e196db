import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import StewardModel

/// The real `steward serve` on loopback, attacked the way a hostile client would: concurrent
/// guesses, a sign-in flood from another address, and a machine enrolling as another.
@Suite(.serialized) struct HostileClientTests {
    /// `steward init`, a password for the first admin, and `steward serve` on a free port.
    struct Served {
        let work: TemporaryDirectory
        let storeArguments: [String]
        let environment: [String: String]
        let tenant: TenantCreated
        let adminPassword: String
        var server: RunningServer
        var base: String

        init(_ store: StoreKind, environment: [String: String] = [:]) async throws {
            let steward = try Executables.url("steward")
            work = try TemporaryDirectory()
            var arguments = try await EndToEndTests.storeArguments(store, in: work)
            if store == .sqlite { arguments += ["--master-key-file", work.url.appendingPathComponent("key").path] }
            storeArguments = arguments
            self.environment = environment
            let initialised = try runCommand(steward, ["init", "--json"] + arguments)
            guard initialised.status == 0 else { throw TestFailure(initialised.stderr) }
            tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
            let reset = try runCommand(steward, ["admin", "reset-password", "admin"] + arguments)
            adminPassword = try #require(
                reset.stdout.split(separator: "\n").first { $0.hasPrefix("Password (shown once): ") }
                    .map { String($0.dropFirst("Password (shown once): ".count)) })
            server = try RunningServer(steward, ["serve", "--port", "0"] + arguments, environment: environment, logDirectory: work.url)
            base = "http://127.0.0.1:\(try await server.waitUntilServing())"
        }

        /// A graceful stop (SIGTERM) and a new server on the same data.
        mutating func restart() async throws {
            #expect(try await server.stop() == 0)
            server = try RunningServer(
                try Executables.url("steward"), ["serve", "--port", "0"] + storeArguments, environment: environment,
                logDirectory: work.url)
            base = "http://127.0.0.1:\(try await server.waitUntilServing())"
        }

        func send(_ method: HTTPMethod, _ path: String, token: String? = nil, json: (any Encodable)? = nil) async throws -> (UInt, Data) {
            try await HostileClientTests.send(base: base, method, path, token: token, json: json)
        }

        func signIn(_ userName: String, _ password: String) async throws -> (UInt, String?) {
            try await HostileClientTests.signIn(base: base, tenant: tenant.tenantId, userName, password)
        }

        func auditEntries(_ query: String) async throws -> [AuditEntryView] {
            let (_, body) = try await send(.GET, APIRoute.listAuditEntries.path + query, token: tenant.adminToken)
            return try WireCoding.decoder().decode(Page<AuditEntryView>.self, from: body).items
        }
    }

    static func send(
        base: String, _ method: HTTPMethod, _ path: String, token: String? = nil, json: (any Encodable)? = nil
    ) async throws -> (UInt, Data) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: try WireCoding.encoder().encode(json)))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            return (response.status.code, Data(try await response.body.collect(upTo: 1 << 22).readableBytesView))
    }

    static func signIn(base: String, tenant: TenantID, _ userName: String, _ password: String) async throws -> (UInt, String?) {
        let (status, body) = try await send(
            base: base, .POST, APIRoute.signIn.path, json: SignInRequest(tenantId: tenant, userName: userName, password: password))
        return (status, (try? WireCoding.decoder().decode(ErrorBody.self, from: body))?.error.code)
    }

    /// 60 wrong passwords at once: the lock is claimed before any password is checked, so
    /// exactly 5 are verified, the right password afterwards is refused like the rest, and the
    /// whole burst is one aggregated audit entry (written when the server stops).
    @Test(arguments: StoreKind.available) func concurrentGuessesNeverPassTheLockout(store: StoreKind) async throws {
        var served = try await Served(store, environment: [
            "STEWARD_PASSWORD_HASH_COST": "4", "STEWARD_SIGN_IN_PER_MINUTE_BY_ADDRESS": "100000",
            "STEWARD_SIGN_IN_PER_MINUTE_BY_ACCOUNT": "100000",
        ])
        let (base, tenant) = (served.base, served.tenant.tenantId)
        let answers = try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
            for _ in 0..<60 { group.addTask { try await Self.signIn(base: base, tenant: tenant, "admin", "not the password at all") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 60 && answers.allSatisfy { $0 == (401, "invalid_credentials") })
        #expect(try await served.signIn("admin", served.adminPassword) == (401, "invalid_credentials"), "locked")

        try await served.restart()  // flushes the aggregated failures
        let failures = try await served.auditEntries("?activity=Session").filter { $0.result == .failure }
        let tally = try #require(failures.first { $0.modifiedProperties.contains { $0.name == "failedSignIns" && $0.newValue == "61" } })
        #expect(tally.modifiedProperties.filter { $0.name == "reason" }.map(\.newValue) == ["locked: 56", "wrong password: 5"])
        #expect(failures.filter { $0.modifiedProperties.contains { $0.name == "lockedUntil" } }.count == 1)
        #expect(failures.count == 2, "one entry for the burst, one for the lockout")
        #expect(try await served.server.stop() == 0)
    }

    /// Unauthenticated sign-ins flooding from another loopback address: they are limited by
    /// address before any hashing (and answered a second late), so the real admin still signs
    /// in meanwhile. (Nothing here is timed: how long a sign-in takes under a flood depends on
    /// the machine's load, and the suite asserts outcomes, not durations.)
    @Test func aSignInFloodDoesNotLockTheAdminOut() async throws {
        let served = try await Served(.sqlite)  // the default limits and bcrypt cost
        #expect(try await served.send(.GET, "/health").0 == 200)  // the client's connection, made before the flood
        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let port = served.base.split(separator: ":").last.map(String.init) ?? ""
        flood.arguments = ["python3", "-c", Self.floodScript, port, served.tenant.tenantId.rawValue, "6"]
        let output = Pipe()
        flood.standardOutput = output
        flood.standardError = output
        try flood.run()
        // The admin signs in once the flood says the server has refused it ten times (its
        // address's allowance is spent and the limit engaged).
        var report = try await Self.read(output.fileHandleForReading, until: "limited")
        #expect(report.contains("limited"), "the flood ended before it was limited: \(report)")
        for _ in 0..<3 {
            let (status, _) = try await served.signIn("admin", served.adminPassword)
            #expect(status == 201, "the admin is signed in during the flood")
        }
        flood.waitUntilExit()
        report += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // The flood itself was mostly answered 429 with Retry-After, fast.
        let counts = Dictionary(uniqueKeysWithValues: report.split(separator: "\n").compactMap { line -> (String, Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let count = Int(parts[1]) else { return nil }
            return (String(parts[0]), count)
        })
        #expect((counts["429"] ?? 0) > 20 && (counts["retry-after"] ?? 0) == (counts["429"] ?? 0), "\(report)")
        #expect((counts["401"] ?? 0) <= 30, "only the address's allowance reached the password check: \(report)")
        #expect(try await served.server.stop() == 0)
    }

    /// What a process wrote until `marker` (or its end), read off the cooperative pool: the
    /// test waits on the flood's own word, not on a time.
    static func read(_ handle: FileHandle, until marker: String) async throws -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var text = ""
                while true {
                    let data = handle.availableData
                    text += String(decoding: data, as: UTF8.self)
                    if data.isEmpty || text.contains(marker) { break }
                }
                continuation.resume(returning: text)
            }
        }
    }

    /// Threads posting sign-ins for unknown user names from 127.0.0.2 for N seconds; prints a
    /// count per status and how many 429s carried Retry-After.
    static let floodScript = #"""
        import http.client, json, sys, threading, time
        port, tenant, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
        counts, lock = {}, threading.Lock()
        end = time.time() + seconds
        def run(worker):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
            n = 0
            while time.time() < end:
                n += 1
                body = json.dumps({"tenantId": tenant, "userName": "guess-%d-%d" % (worker, n), "password": "hunter2 hunter2"})
                try:
                    connection.request("POST", "/api/v1/sessions", body, {"Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    key = str(response.status)
                    with lock:
                        counts[key] = counts.get(key, 0) + 1
                        if response.status == 429 and response.getheader("Retry-After"):
                            counts["retry-after"] = counts.get("retry-after", 0) + 1
                        if counts.get("429", 0) == 10:
                            print("limited", flush=True)
                except Exception:
                    with lock:
                        counts["error"] = counts.get("error", 0) + 1
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        for key, value in sorted(counts.items()): print(key, value)
        """#

    /// A machine Steward knows enrolls again only with proof (its current secret, or an admin's
    /// allowance), keeps its record and ownership, and is audited; without proof nothing
    /// changes. A check-in without `platformId` keeps the stored one. Heartbeats acknowledged
    /// before a graceful stop are written by it.
    @Test(arguments: StoreKind.available) func reEnrollmentNeedsProofAndNothingAcknowledgedIsLost(store: StoreKind) async throws {
        var served = try await Served(store)
        let admin = served.tenant.adminToken
        func token(_ ownership: Ownership) async throws -> String {
            let (_, body) = try await served.send(
                .POST, APIRoute.createEnrollmentToken.path, token: admin, json: EnrollmentTokenCreateRequest(ownership: ownership))
            return try WireCoding.decoder().decode(EnrollmentTokenView.self, from: body).token ?? ""
        }
        func enroll(_ token: String, secret: String? = nil) async throws -> (UInt, Data) {
            try await served.send(
                .POST, APIRoute.enroll.path, token: token,
                json: EnrollRequest(platform: .linux, platformId: "machine-1", deviceName: "host", agentVersion: "t", currentDeviceSecret: secret))
        }
        func device(_ id: DeviceID) async throws -> DeviceView {
            let (_, body) = try await served.send(.GET, APIRoute.getDevice.path(id.rawValue), token: admin)
            return try WireCoding.decoder().decode(DeviceView.self, from: body)
        }
        let (created, body) = try await enroll(try await token(.corporate))
        #expect(created == 201)
        let first = try WireCoding.decoder().decode(EnrollResponse.self, from: body)
        var inventory = SampleInventory.make()
        inventory.hardware.platformId = "machine-1"
        #expect(try await served.send(.POST, APIRoute.checkIn.path, token: first.deviceSecret, json: try SampleInventory.fullRequest(inventory)).0 == 200)
        #expect(try await device(first.deviceId).appCount == 5)

        // Another token, personal, names the same machine: refused, nothing changes.
        let (refused, refusal) = try await enroll(try await token(.personal))
        #expect(refused == 409)
        #expect((try? WireCoding.decoder().decode(ErrorBody.self, from: refusal))?.error.code == "device_already_enrolled")
        var view = try await device(first.deviceId)
        #expect(view.ownership == .corporate && view.appCount == 5)
        let heartbeat = try SampleInventory.heartbeat(inventory)
        #expect(try await served.send(.POST, APIRoute.checkIn.path, token: first.deviceSecret, json: heartbeat).0 == 200)

        // With its current secret: the same record, ownership kept whatever the token says, audited.
        let (proved, provedBody) = try await enroll(try await token(.personal), secret: first.deviceSecret)
        #expect(proved == 201)
        let second = try WireCoding.decoder().decode(EnrollResponse.self, from: provedBody)
        #expect(second.deviceId == first.deviceId && second.ownership == .corporate)
        #expect(try await served.send(.POST, APIRoute.checkIn.path, token: first.deviceSecret, json: heartbeat).0 == 401)
        let audited = try await served.auditEntries("?activity=Device")
        #expect(audited.contains { $0.targetId == first.deviceId.rawValue && $0.modifiedProperties.contains { $0.name == "reEnrolled" && $0.newValue == "device secret" } })

        // An admin's allowance lets a reinstalled agent (no secret) in once.
        #expect(try await served.send(
            .PATCH, APIRoute.updateDevice.path(first.deviceId.rawValue), token: admin, json: DevicePatch(allowReEnrollmentHours: 1)).0 == 200)
        let (allowed, allowedBody) = try await enroll(try await token(.personal))
        #expect(allowed == 201)
        let third = try WireCoding.decoder().decode(EnrollResponse.self, from: allowedBody)
        #expect(third.deviceId == first.deviceId && third.ownership == .corporate)
        #expect(try await enroll(try await token(.personal)).0 == 409, "the allowance is used up")

        // A hardware section without platformId keeps the stored one: the machine stays one device.
        var hardwareOnly = try SampleInventory.fullRequest(inventory)
        hardwareOnly.hardware?.platformId = nil
        hardwareOnly.hashes.hardware = String(repeating: "ab", count: 32)
        #expect(try await served.send(.POST, APIRoute.checkIn.path, token: third.deviceSecret, json: hardwareOnly).0 == 200)
        view = try await device(first.deviceId)
        #expect(view.platformId == "machine-1")

        // Heartbeats are buffered in memory; a graceful stop writes them.
        #expect(try await served.send(.POST, APIRoute.checkIn.path, token: third.deviceSecret, json: try SampleInventory.heartbeat(inventory)).0 == 200)
        let beforeStop = Date()
        try await served.restart()
        let lastSeen = try #require(try await device(first.deviceId).lastCheckInAt)
        #expect(lastSeen.timeIntervalSince(beforeStop) > -5 && lastSeen <= Date())
        #expect(try await served.server.stop() == 0)
    }
}
