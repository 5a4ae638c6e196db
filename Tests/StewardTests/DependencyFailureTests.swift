import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import Testing
import StewardAgent
import StewardModel

/// What production does to Steward's database, done to the real `steward serve`: PostgreSQL
/// restarted and stopped under a check-in load with two replicas, and SQLite's disk filled.
/// Every request gets an answer — 200, or 503 with a code saying what happened and
/// `Retry-After` — none hangs or gets a 500, every acknowledged check-in is kept, and the
/// service recovers by itself when the database does.
@Suite(.serialized) struct DependencyFailureTests {
    /// Every answer of a load, counted: "200", or "503 database_unavailable", or "transport …"
    /// when no HTTP answer came at all (a hang ends as a client timeout, counted here).
    final class Outcomes: Sendable {
        private let box = NIOLockedValueBox([String: Int]())
        func add(_ outcome: String) { box.withLockedValue { $0[outcome, default: 0] += 1 } }
        var all: [String: Int] { box.withLockedValue { $0 } }
        var failures: [String: Int] { all.filter { $0.key != "200" } }
    }

    /// Check-ins from `writers` writers (two devices each, writer `w` on server `w % servers.count`)
    /// until `stop` is set or each made `maxSteps`; acknowledged ones recorded as the crash
    /// campaign does, so its verification applies.
    static func load(
        servers: [String], secrets: [String], writers: Int, maxSteps: Int, http: HTTPClient,
        acknowledged: CrashSafetyTests.Acknowledged, outcomes: Outcomes, stop: NIOLockedValueBox<Bool>,
        stopOn: @escaping @Sendable (_ outcome: String) -> Bool = { _ in false },
        request: @escaping @Sendable (_ device: Int, _ sequence: Int) throws -> CheckInRequest = CrashSafetyTests.request
    ) -> Task<Void, Never> {
        Task {
            defer { acknowledged.release() }
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    let client = StewardClient(server: servers[writer % servers.count], http: http, timeout: .seconds(60))
                    group.addTask {
                        for step in 0..<maxSteps where !stop.withLockedValue({ $0 }) {
                            let device = writer + writers * (step % 2)
                            let sequence = step * writers + writer
                            let outcome: String
                            do {
                                _ = try await client.checkIn(secret: secrets[device], try request(device, sequence))
                                acknowledged.record(device: device, sequence: sequence)
                                outcome = "200"
                            } catch AgentError.server(let status, let code, _) {
                                outcome = "\(status) \(code)"
                            } catch {
                                outcome = "transport \(String(describing: error).prefix(80))"
                            }
                            outcomes.add(outcome)
                            if stopOn(outcome) { stop.withLockedValue { $0 = true } }
                        }
                    }
                }
            }
        }
    }

    /// Enrolls `count` corporate devices through `base`; their secrets.
    static func enroll(_ count: Int, base: String, adminToken: String, http: HTTPClient) async throws -> [String] {
        let admin = AdminClient(server: base, token: adminToken, http: http)
        var secrets: [String] = []
        for device in 0..<count {
            let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
            let enrolled = try await StewardClient(server: base, http: http).enroll(
                token: token, EnrollRequest(platform: .linux, platformId: "crash-\(device)", deviceName: "crash", agentVersion: "test"))
            secrets.append(enrolled.deviceSecret)
        }
        return secrets
    }

    /// One check-in's answer: "200" or "status code", with the Retry-After it carried.
    static func checkInAnswer(base: String, secret: String, device: Int, sequence: Int) async throws -> (String, String?) {
        var request = HTTPClientRequest(url: base + APIRoute.checkIn.path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(try WireCoding.encoder().encode(try CrashSafetyTests.request(device: device, sequence: sequence)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code != 200 else { return ("200", nil) }
        let error = try WireCoding.decoder().decode(ErrorBody.self, from: Data(buffer: body))
        return ("\(response.status.code) \(error.error.code)", response.headers.first(name: "Retry-After"))
    }

    /// `GET /ready`'s status.
    static func readiness(_ base: String) async throws -> UInt {
        try await HTTPClient.shared.execute(HTTPClientRequest(url: base + APIRoute.ready.path), timeout: .seconds(60)).status.code
    }

    @Test(.enabled(if: PrivatePostgres.available)) func postgresRestartedAndStoppedUnderLoad() async throws {
        let cluster = try PrivatePostgres()
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        let storeArguments = ["--database", cluster.url, "--master-key-file", work.url.appendingPathComponent("master.key").path]
        let initialised = try runCommand(steward, ["init", "--json"] + storeArguments)
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))

        // Two replicas; a request waits 3 s at most for a connection.
        let environment = ["STEWARD_DEVICE_REQUESTS_PER_MINUTE": "0", "STEWARD_DATABASE_WAIT_SECONDS": "3"]
        var servers: [RunningServer] = []
        var bases: [String] = []
        for replica in 0..<2 {
            let server = try RunningServer(
                steward, ["serve", "--port", "0"] + storeArguments,
                environment: environment.merging(["STEWARD_REPLICA_ID": "replica-\(replica)"]) { $1 }, logDirectory: work.url)
            servers.append(server)
            bases.append("http://127.0.0.1:\(try await server.waitUntilServing())")
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let secrets = try await Self.enroll(16, base: bases[0], adminToken: tenant.adminToken, http: http)

        // Under load from 8 writers across both replicas, PostgreSQL restarts.
        let acknowledged = CrashSafetyTests.Acknowledged()
        let outcomes = Outcomes()
        let stop = NIOLockedValueBox(false)
        let load = Self.load(
            servers: bases, secrets: secrets, writers: 8, maxSteps: 5_000, http: http, acknowledged: acknowledged,
            outcomes: outcomes, stop: stop)
        await acknowledged.reached(100)
        try cluster.restart()
        let atRestart = acknowledged.count
        // The load goes on through the new server's connections.
        await acknowledged.reached(atRestart + 200)
        stop.withLockedValue { $0 = true }
        await load.value
        #expect(acknowledged.count >= atRestart + 200, "check-ins resumed after the restart: \(outcomes.all)")
        // A wait for a connection that ends while others got theirs is "busy"; both say "again later".
        let unexpected = outcomes.failures.filter { !["503 database_unavailable", "503 database_busy"].contains($0.key) }
        #expect(unexpected.isEmpty, "answers other than 200 and 503 database_unavailable or _busy: \(unexpected)")
        print("postgres restart under load: \(outcomes.all)")

        // Stopped: each replica answers at once that the database is unavailable, with Retry-After.
        try cluster.stop()
        for (index, base) in bases.enumerated() {
            let (answer, retryAfter) = try await Self.checkInAnswer(base: base, secret: secrets[index], device: index, sequence: 1_000_000)
            #expect(answer == "503 database_unavailable" && retryAfter == "5", "\(answer) \(retryAfter ?? "-")")
            #expect(try await Self.readiness(base) == 503, "not ready without its database")
        }
        // Started again: both replicas become ready on their own (the pool reconnects after its
        // backoff from the failed attempts while the database was down: up to seconds, which is
        // what /ready is for), then serve, on connections of their own making.
        try cluster.start()
        let started = ContinuousClock.now
        for (index, base) in bases.enumerated() {
            var ready = try await Self.readiness(base)
            for _ in 0..<120 where ready != 200 {
                try await Task.sleep(for: .milliseconds(250))  // polling /ready, as a load balancer does
                ready = try await Self.readiness(base)
            }
            #expect(ready == 200, "replica \(index) ready again without a restart")
            let (answer, _) = try await Self.checkInAnswer(base: base, secret: secrets[index], device: index, sequence: 1_000_001)
            #expect(answer == "200")
            if answer == "200" { acknowledged.record(device: index, sequence: 1_000_001) }
        }
        print("postgres started again: both replicas ready and serving after \(ContinuousClock.now - started)")

        try await CrashSafetyTests.verify(
            base: bases[1], adminToken: tenant.adminToken, http: http, acknowledged: acknowledged, devices: secrets.count)
        for server in servers {
            let status = try await server.stop()
            #expect(status == 0, "the replica did not stop by itself: \(server.log.suffix(3000))")
        }
        try await http.shutdown()
        let audit = try runCommand(steward, ["audit", "verify"] + storeArguments)
        #expect(audit.status == 0 && audit.stdout.contains("chain intact"), "\(audit.stdout)\(audit.stderr)")
    }

    /// SQLite on a small tmpfs (a real full disk): check-ins that no longer fit are answered
    /// 503 `storage_full`, reads go on, the server writes again as soon as there is room (no
    /// restart), and the file passes SQLite's integrity check with every acknowledged check-in.
    @Test(.enabled(if: getuid() == 0)) func aFullDiskIsAClearErrorAndTheDatabaseSurvives() async throws {
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        let data = work.url.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let mount = try runCommand(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", data.path])
        try #require(mount.status == 0, "cannot mount a tmpfs here: \(mount.stderr)")
        defer { _ = try? runCommand(URL(fileURLWithPath: "/bin/umount"), ["-l", data.path]) }

        let storeArguments = ["--data-dir", data.path]
        let initialised = try runCommand(steward, ["init", "--json"] + storeArguments)
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let server = try RunningServer(
            steward, ["serve", "--port", "0"] + storeArguments, environment: ["STEWARD_DEVICE_REQUESTS_PER_MINUTE": "0"],
            logDirectory: work.url)
        let base = "http://127.0.0.1:\(try await server.waitUntilServing())"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let secrets = try await Self.enroll(4, base: base, adminToken: tenant.adminToken, http: http)

        // Inventories of 300 apps never seen before, until the disk is full.
        let acknowledged = CrashSafetyTests.Acknowledged()
        let outcomes = Outcomes()
        let stop = NIOLockedValueBox(false)
        let load = Self.load(
            servers: [base], secrets: secrets, writers: 2, maxSteps: 2_000, http: http, acknowledged: acknowledged,
            outcomes: outcomes, stop: stop, stopOn: { $0 == "503 storage_full" }
        ) { device, sequence in
            var inventory = SampleInventory.make(appCount: 300)
            inventory.apps = inventory.apps?.map { app in
                var app = app
                app.name = "\(app.name)-\(sequence)"
                app.appId = "\(app.appId)-\(sequence)"
                return app
            }
            inventory.hardware.deviceName = "crash-\(device)-\(sequence)"
            inventory.hardware.platformId = "crash-\(device)"
            return try SampleInventory.fullRequest(inventory)
        }
        // The load stops at the first sign of a full disk (or when its steps run out).
        await load.value
        #expect(outcomes.all["503 storage_full"] != nil, "the disk never filled: \(outcomes.all)")
        let unexpected = outcomes.failures.filter { $0.key != "503 storage_full" }
        #expect(unexpected.isEmpty, "answers other than 200 and 503 storage_full: \(unexpected)")
        print("sqlite full disk: \(outcomes.all)")

        // Reads still work on a full disk.
        let admin = AdminClient(server: base, token: tenant.adminToken, http: http)
        #expect(try await admin.devices().items.count == secrets.count)

        // Room again: the same server writes without a restart.
        let grow = try runCommand(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,size=64m", data.path])
        #expect(grow.status == 0, "\(grow.stderr)")
        let (answer, _) = try await Self.checkInAnswer(base: base, secret: secrets[0], device: 0, sequence: 1_000_000)
        #expect(answer == "200")
        acknowledged.record(device: 0, sequence: 1_000_000)

        try await CrashSafetyTests.verify(
            base: base, adminToken: tenant.adminToken, http: http, acknowledged: acknowledged, devices: secrets.count)
        #expect(try await server.stop() == 0)
        try await http.shutdown()
        let check = try runCommand(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])
            """, data.appendingPathComponent("steward.sqlite").path])
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(check.stdout)\(check.stderr)")
        let audit = try runCommand(steward, ["audit", "verify"] + storeArguments)
        #expect(audit.status == 0 && audit.stdout.contains("chain intact"), "\(audit.stdout)\(audit.stderr)")
    }
}
