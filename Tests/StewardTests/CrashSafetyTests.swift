import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import Testing
import StewardAgent
import StewardModel

/// The real `steward serve` under a check-in load, killed with SIGKILL at seeded random moments
/// 20 times and started again: every check-in it answered 200 is in the database afterwards,
/// SQLite's integrity check passes and every audit chain verifies.
@Suite(.serialized) struct CrashSafetyTests {
    /// What the load learned: per device, the highest sequence number the server acknowledged;
    /// and whoever waits for a number of acknowledgements is woken when it is reached.
    final class Acknowledged: Sendable {
        private struct State {
            var last: [Int: Int] = [:]
            var count = 0
            var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        }
        private let box = NIOLockedValueBox(State())

        func record(device: Int, sequence: Int) {
            let due = box.withLockedValue { state in
                state.last[device] = max(state.last[device] ?? -1, sequence)
                state.count += 1
                let count = state.count
                let due = state.waiters.filter { $0.target <= count }
                state.waiters.removeAll { $0.target <= count }
                return due
            }
            for waiter in due { waiter.continuation.resume() }
        }

        /// Returns once `target` acknowledgements were counted, or when the load ends (`release`).
        func reached(_ target: Int) async {
            await withCheckedContinuation { continuation in
                let now = box.withLockedValue { state in
                    guard state.count < target else { return true }
                    state.waiters.append((target, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        }

        /// Wakes every waiter: the load is over.
        func release() {
            let due = box.withLockedValue { state in
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in due { waiter.continuation.resume() }
        }

        var all: [Int: Int] { box.withLockedValue { $0.last } }
        var count: Int { box.withLockedValue { $0.count } }
    }

    static func request(device: Int, sequence: Int) throws -> CheckInRequest {
        var inventory = SampleInventory.make(appCount: 20 + sequence % 7)
        inventory.hardware.deviceName = "crash-\(device)-\(sequence)"
        inventory.hardware.platformId = "crash-\(device)"
        inventory.hardware.serialNumber = "CRASH-\(device)"
        return try SampleInventory.fullRequest(inventory)
    }

    @Test(arguments: StoreKind.available) func acknowledgedCheckInsSurviveKill9(store: StoreKind) async throws {
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        let storeArguments = try await EndToEndTests.storeArguments(store, in: work)
        let initialised = try runCommand(steward, ["init", "--json"] + storeArguments)
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))

        // A client that gives up at once on a dead server (no reconnection attempts).
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var generator = SeededGenerator(seed: 20261205)
        let acknowledged = Acknowledged()
        var secrets: [String] = []
        var sent = 0
        do {
            for round in 0..<21 {
                // A flood from one machine is what the per-device limit stops: off for this load.
                let server = try RunningServer(
                    steward, ["serve", "--port", "0"] + storeArguments, environment: ["STEWARD_DEVICE_REQUESTS_PER_MINUTE": "0"],
                    logDirectory: work.url)
                let port = try await server.waitUntilServing()
                let base = "http://127.0.0.1:\(port)"
                if round == 0 {
                    let admin = AdminClient(server: base, token: tenant.adminToken, http: http)
                    for device in 0..<16 {
                        let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
                        let enrolled = try await StewardClient(server: base, http: http).enroll(
                            token: token, EnrollRequest(platform: .linux, platformId: "crash-\(device)", deviceName: "crash", agentVersion: "test"))
                        secrets.append(enrolled.deviceSecret)
                    }
                }
                if round == 20 {
                    // The last start: check what the 20 kills left.
                    try await Self.verify(base: base, adminToken: tenant.adminToken, http: http, acknowledged: acknowledged, devices: secrets.count)
                    #expect(try await server.stop() == 0)
                    break
                }
                // Load from 8 writers, two devices each.
                let client = StewardClient(server: base, http: http, timeout: .seconds(5))
                let start = sent
                let load = Task { [secrets] in
                    defer { acknowledged.release() }
                    return try await withThrowingTaskGroup(of: Int.self) { group in
                        for writer in 0..<8 {
                            group.addTask {
                                var count = 0
                                for step in 0..<10_000 {
                                    // Each device has one writer, so its check-ins arrive in order.
                                    let device = writer + 8 * (step % 2)
                                    let sequence = start + step * 8 + writer
                                    do {
                                        _ = try await client.checkIn(secret: secrets[device], try Self.request(device: device, sequence: sequence))
                                        acknowledged.record(device: device, sequence: sequence)
                                        count += 1
                                    } catch {
                                        return count  // the server is gone
                                    }
                                }
                                return count
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                }
                // The kill lands at a seeded moment of the load: after 1 to 300 more
                // acknowledgements, whatever the machine's speed.
                await acknowledged.reached(acknowledged.count + Int.random(in: 1...300, using: &generator))
                try await server.kill()
                let answered = try await load.value
                sent += 80_000
                #expect(answered > 0, "round \(round): no check-in answered before the kill")
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()

        let audit = try runCommand(steward, ["audit", "verify"] + storeArguments)
        #expect(audit.status == 0 && audit.stdout.contains("chain intact"), "\(audit.stdout)\(audit.stderr)")
        if store == .sqlite {
            let database = work.url.appendingPathComponent("data/steward.sqlite").path
            let check = try runCommand(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
                import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])
                """, database])
            #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(check.stdout)\(check.stderr)")
        }
    }

    /// Every device's stored inventory is at least as new as the last one acknowledged.
    static func verify(base: String, adminToken: String, http: HTTPClient, acknowledged: Acknowledged, devices: Int) async throws {
        let admin = AdminClient(server: base, token: adminToken, http: http)
        let stored = try await admin.devices(query: "?limit=100").items
        #expect(stored.count == devices)
        let acks = acknowledged.all
        #expect(acks.count == devices, "every device had a check-in acknowledged")
        var lost = 0
        for device in stored {
            let parts = (device.deviceName ?? "").split(separator: "-")
            guard parts.count == 3, parts[0] == "crash", let index = Int(parts[1]), let sequence = Int(parts[2]) else {
                Issue.record("device \(device.id) holds \(device.deviceName ?? "nothing")")
                continue
            }
            if sequence < acks[index] ?? -1 { lost += 1 }
        }
        #expect(lost == 0, "\(lost) devices lost an acknowledged check-in")
        print("crash safety: \(acknowledged.count) check-ins acknowledged across 20 kills; devices behind their last acknowledgement: \(lost)")
    }
}
