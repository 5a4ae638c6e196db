import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import StewardAgent
import StewardModel

/// Measures Steward over real HTTP on loopback. Not part of the test suite: speed is measured
/// here, never asserted in tests (a smoke test runs every sub-command at a tiny size).
@main
struct StewardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-bench", abstract: "Measure Steward on this machine: ceiling, ingest, scale, tasks and the OCS protocol.",
        subcommands: [
            IngestBench.self, CeilingBench.self, WrkBench.self, ScaleBench.self, TargetsBench.self, TaskBench.self, OCSBench.self, OCSDecodeBench.self,
            ServerProcess.self, BareServerProcess.self,
        ])
}

/// What every sub-command shares: the server, the client, the load, the output.
struct CommonOptions: ParsableArguments {
    @OptionGroup var server: BenchServer.Options
    @Option(help: "Requests in flight.") var concurrency = 64
    @Option(help: "Upper bound of each timed phase, in seconds (it stops by itself).") var duration = 20.0
    @Option(help: "Write the results as JSON to this file.") var json: String?

    func validate() throws {
        guard concurrency > 0, duration > 0 else { throw ValidationError("--concurrency and --duration must be positive") }
    }

    var logger: Logger {
        var logger = Logger(label: "steward-bench")
        logger.logLevel = .error
        return logger
    }

    /// Runs `body` with a started server and a client sized for the concurrency, then prints
    /// and writes what it measured.
    func measure(_ body: (BenchServer, LoadRunner) async throws -> [Measurement]) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let runner = LoadRunner(http: http, concurrency: concurrency, duration: .milliseconds(Int(duration * 1000)))
        let results: [Measurement]
        do {
            results = try await BenchServer.with(server, logger: logger) { try await body($0, runner) }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        print(Report.table(results))
        try Report.write(results, to: json)
    }
}

/// Measures a phase and adds what the server spent on it.
func measured(
    _ phase: String, devices: Int, server: BenchServer, ceiling: Double?, _ run: () async throws -> LoadRunner.Outcome
) async throws -> Measurement {
    let before = server.stats()
    let outcome = try await run()
    let after = server.stats()
    var result = outcome.measurement(store: server.store, phase: phase, devices: devices)
    if let before, let after, outcome.completed > 0 {
        result.serverCpuSecondsPer1000 = (after.cpuSeconds - before.cpuSeconds) / Double(outcome.completed) * 1000
        result.serverPeakRssBytes = after.peakRssBytes
    }
    result.ofCeiling = ceiling.map { result.rate / $0 }
    Report.progress(result)
    return result
}

/// The ceiling: `GET /health`, the trivial route of the same server through the same client,
/// measured after 1,000 unmeasured requests warm the connections and the server.
func measureCeiling(server: BenchServer, runner: LoadRunner, requests: Int, devices: Int) async throws -> Measurement {
    let url = server.url + APIRoute.health.path
    let health: @Sendable (Int) -> LoadRunner.Request = { _ in .init(request: HTTPClientRequest(url: url), bytes: 0) }
    _ = try await runner.run(count: 1000, make: health)
    return try await measured("ceiling", devices: devices, server: server, ceiling: nil) {
        try await runner.run(count: requests, make: health)
    }
}

struct CeilingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling", abstract: "The request rate of a trivial route of the same server and client on this machine.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Requests to send (at most; --duration bounds the time).") var requests = 100_000

    func run() async throws {
        let requests = requests
        try await common.measure { server, runner in
            [try await measureCeiling(server: server, runner: runner, requests: requests, devices: 0)]
        }
    }
}

struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Simulated devices enroll and check in: full first inventories, app deltas, heartbeats.",
        aliases: ["checkin"])

    @OptionGroup var common: CommonOptions
    @Option(help: "Simulated devices.") var devices = 1000
    @Option(help: "Apps on every corporate device (default: 50 to 700, drawn per device).") var apps: Int?
    @Option(help: "Share of devices enrolled as personal (no app inventory).") var personal = 0.2
    @Option(help: "Packages in the pool the inventories are drawn from.") var pool = 3000
    @Option(help: "Apps changed per delta check-in.") var changedApps = 5
    @Option(help: "Delta check-ins per corporate device (at most; --duration bounds the time).") var deltaRounds = 3
    @Option(help: "Heartbeats per device (at most; --duration bounds the time).") var heartbeats = 30
    @Option(help: "Seed of the simulated fleet.") var seed: UInt64 = 1
    @Option(help: "Ceiling requests (at most; --duration bounds the time).") var ceilingRequests = 100_000

    func validate() throws {
        guard devices > 0, pool > 0, (0...1).contains(personal), changedApps >= 0, deltaRounds >= 0, heartbeats >= 0 else {
            throw ValidationError("--devices and --pool must be positive, --personal within 0…1, counts not negative")
        }
        if let apps, !(0...pool).contains(apps) { throw ValidationError("--apps must be within 0…--pool") }
    }

    func run() async throws {
        let fleet = SyntheticFleet(
            devices: devices, apps: apps.map { $0...$0 } ?? 50...min(700, pool), personalShare: personal, poolSize: pool,
            seed: seed)
        let plan = IngestPlan(
            changedApps: changedApps, deltaRounds: deltaRounds, heartbeats: heartbeats, seed: seed, ceilingRequests: ceilingRequests)
        try await common.measure { server, runner in
            try await plan.measure(fleet: fleet.make(), server: server, runner: runner)
        }
    }
}

/// The ingest phases, in the order a fleet lives them.
struct IngestPlan {
    let changedApps: Int
    let deltaRounds: Int
    let heartbeats: Int
    let seed: UInt64
    let ceilingRequests: Int

    func measure(fleet: [SimulatedDevice], server: BenchServer, runner: LoadRunner) async throws -> [Measurement] {
        let ceiling = try await measureCeiling(server: server, runner: runner, requests: ceilingRequests, devices: fleet.count)
        let driver = FleetDriver(fleet: fleet, server: server, runner: runner, ceiling: ceiling.rate, seed: seed)
        var results = [ceiling, try await driver.enroll(), try await driver.full()]
        if deltaRounds > 0, changedApps > 0, let delta = try await driver.deltas(rounds: deltaRounds, changedApps: changedApps) {
            results.append(delta)
        }
        if heartbeats > 0 { results.append(try await driver.heartbeats(heartbeats)) }
        return results
    }
}

/// Simulated devices and what each one's agent last had acknowledged, driven through the
/// phases over real HTTP. Requests are encoded before the clock starts (agents encode on their
/// own machines), so the server is what is measured; client and server still share the cores.
final class FleetDriver {
    private(set) var fleet: [SimulatedDevice]
    private var acknowledged: [AgentState.Acknowledged] = []
    private var generator: SeededGenerator
    let server: BenchServer
    let runner: LoadRunner
    let ceiling: Double
    /// Devices in the store, for the table (scale fills more than the simulated ones).
    var storeDevices: Int

    init(fleet: [SimulatedDevice], server: BenchServer, runner: LoadRunner, ceiling: Double, seed: UInt64) {
        self.fleet = fleet
        self.server = server
        self.runner = runner
        self.ceiling = ceiling
        generator = SeededGenerator(seed: seed &+ 7)
        storeDevices = fleet.count
    }

    /// Every device's first inventory (personal devices' agents send no apps), then the
    /// database's bytes per device.
    func full() async throws -> Measurement {
        let requests = try fleet.map { device in
            try Self.request(device, CheckInRequest(
                agentVersion: "bench", hashes: InventoryHasher.hashes(of: device.inventory), hardware: device.inventory.hardware,
                operatingSystem: device.inventory.operatingSystem, network: device.inventory.network, apps: device.inventory.apps))
        }
        let managedApps = NIOLockedValueBox([Int: ManagedAppsPolicy]())
        var result = try await checkIns("full", requests) { index, answer in
            if let policy = answer.managedApps { managedApps.withLockedValue { $0[index] = policy } }
        }
        fleet = Array(fleet.prefix(result.requests))
        let policies = managedApps.withLockedValue { $0 }
        acknowledged = try fleet.indices.map { index in
            let device = fleet[index]
            var state = AgentState.Acknowledged(
                hashes: try InventoryHasher.hashes(of: device.inventory), apps: device.inventory.apps,
                policy: .init(collectApps: device.ownership == .corporate, checkInIntervalSeconds: 900), lastCheckInAt: nil)
            // As an agent keeps it, and names its version in every check-in after.
            state.managedApps = policies[index]
            return state
        }
        if let bytes = try await server.databaseBytes() { result.dbBytesPerDevice = Int(bytes) / max(1, storeDevices) }
        return result
    }

    /// `rounds` app updates of `changedApps` apps on every corporate device, sent as deltas.
    func deltas(rounds: Int, changedApps: Int) async throws -> Measurement? {
        let corporate = fleet.indices.filter { fleet[$0].ownership == .corporate && fleet[$0].inventory.apps?.isEmpty == false }
        guard !corporate.isEmpty else { return nil }
        var requests: [LoadRunner.Request] = []
        var states: [(device: Int, inventory: Inventory, acknowledged: AgentState.Acknowledged)] = []
        var planned = acknowledged
        var inventories = fleet.map(\.inventory)
        for round in 0..<rounds {
            for index in corporate {
                let changed = SyntheticFleet.updatingApps(inventories[index], count: changedApps, round: round, generator: &generator)
                let hashes = try InventoryHasher.hashes(of: changed)
                requests.append(try Self.request(fleet[index], Self.checkIn(
                    inventory: changed, hashes: hashes, acknowledged: planned[index])))
                var next = AgentState.Acknowledged(hashes: hashes, apps: changed.apps, policy: planned[index].policy, lastCheckInAt: nil)
                next.managedApps = planned[index].managedApps
                planned[index] = next
                inventories[index] = changed
                states.append((index, changed, planned[index]))
            }
        }
        let result = try await checkIns("delta", requests)
        // Where each device stands after the deltas that were sent (the phase may stop early).
        for state in states.prefix(result.requests) {
            fleet[state.device].inventory = state.inventory
            acknowledged[state.device] = state.acknowledged
        }
        return result
    }

    /// Each device's secret and heartbeat body (JSON), for an external load generator.
    func heartbeatBodies() throws -> [(secret: String, bodies: [String])] {
        try fleet.indices.map { index in
            (fleet[index].secret, [try Self.json(heartbeat(index))])
        }
    }

    /// Each corporate device's secret and two deltas (JSON), for an external load generator:
    /// `changedApps` apps changed, then changed back — sent in turn, each applies to what the
    /// other left.
    func deltaBodies(changedApps: Int) throws -> [(secret: String, bodies: [String])] {
        try fleet.indices.filter { fleet[$0].ownership == .corporate && fleet[$0].inventory.apps?.isEmpty == false }.map { index in
            let original = fleet[index].inventory
            let changed = SyntheticFleet.updatingApps(original, count: changedApps, round: 0, generator: &generator)
            let hashes = try InventoryHasher.hashes(of: changed)
            let there = Self.checkIn(inventory: changed, hashes: hashes, acknowledged: acknowledged[index])
            var changedState = AgentState.Acknowledged(
                hashes: hashes, apps: changed.apps, policy: acknowledged[index].policy, lastCheckInAt: nil)
            changedState.managedApps = acknowledged[index].managedApps
            let back = Self.checkIn(inventory: original, hashes: acknowledged[index].hashes, acknowledged: changedState)
            guard there.appsDelta != nil, back.appsDelta != nil else { throw BenchFailure("a delta came out as a full inventory") }
            return (fleet[index].secret, [try Self.json(there), try Self.json(back)])
        }
    }

    /// Each corporate device's whole inventory and then its two deltas (`deltaBodies`), for an
    /// external load generator: the full first, so a device an earlier phase left changed starts
    /// from its inventory, and each delta applies to what the one before it left.
    func mixedBodies(changedApps: Int) throws -> [(secret: String, bodies: [String])] {
        let fulls = Dictionary(uniqueKeysWithValues: try fullBodies(devices: fleet.count).map { ($0.secret, $0.bodies) })
        return try deltaBodies(changedApps: changedApps).map { device in
            guard let full = fulls[device.secret] else { throw BenchFailure("a device with deltas and no full inventory") }
            return (device.secret, full + device.bodies)
        }
    }

    /// The first `devices` corporate devices' secrets and full inventories (JSON), for an
    /// external load generator: each sent again is a whole inventory compared with the stored one.
    func fullBodies(devices: Int) throws -> [(secret: String, bodies: [String])] {
        try fleet.indices.filter { fleet[$0].ownership == .corporate }.prefix(devices).map { index in
            let inventory = fleet[index].inventory
            return (fleet[index].secret, [try Self.json(CheckInRequest(
                agentVersion: "bench", hashes: InventoryHasher.hashes(of: inventory), hardware: inventory.hardware,
                operatingSystem: inventory.operatingSystem, network: inventory.network, apps: inventory.apps))])
        }
    }

    /// A heartbeat as the agent sends it: the acknowledged hashes and managed-apps version.
    private func heartbeat(_ index: Int) -> CheckInRequest {
        var request = CheckInRequest(agentVersion: "bench", hashes: acknowledged[index].hashes)
        request.managedAppsVersion = acknowledged[index].managedApps?.version
        return request
    }

    /// A check-in with changes, as the agent builds it.
    private static func checkIn(inventory: Inventory, hashes: SectionHashes, acknowledged: AgentState.Acknowledged) -> CheckInRequest {
        var request = Agent.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: false)
        request.managedAppsVersion = acknowledged.managedApps?.version
        return request
    }

    private static func json(_ request: CheckInRequest) throws -> String {
        String(decoding: try WireCoding.encoder().encode(request), as: UTF8.self)
    }

    /// `count` heartbeats per device: nothing changed, hashes only.
    func heartbeats(_ count: Int) async throws -> Measurement {
        let beats = try fleet.indices.map { try Self.request(fleet[$0], heartbeat($0)) }
        return try await checkIns("heartbeat", (0..<count).flatMap { _ in beats })
    }

    /// Enrolls every device over HTTP (corporate or personal token), timed as its own phase.
    func enroll() async throws -> Measurement {
        let admin = AdminClient(server: server.url, token: server.adminToken, http: runner.http)
        var tokens: [Ownership: String] = [:]
        for ownership in [Ownership.corporate, .personal] {
            tokens[ownership] = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: ownership)).token
        }
        let encoder = WireCoding.encoder()
        let url = server.url + APIRoute.enroll.path
        let requests = try fleet.map { device -> LoadRunner.Request in
            let body = try encoder.encode(EnrollRequest(
                platform: .linux, platformId: device.inventory.hardware.platformId, deviceName: device.inventory.hardware.deviceName,
                agentVersion: "bench"))
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(tokens[device.ownership] ?? "")")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            return .init(request: request, bytes: body.count)
        }
        let answers = NIOLockedValueBox([Int: EnrollResponse]())
        let result = try await measured("enroll", devices: storeDevices, server: server, ceiling: ceiling) {
            try await runner.run(count: requests.count, make: { requests[$0] }) { index, body in
                let answer = try WireCoding.decoder().decode(EnrollResponse.self, from: Data(body.readableBytesView))
                answers.withLockedValue { $0[index] = answer }
            }
        }
        for (index, answer) in answers.withLockedValue({ $0 }) {
            fleet[index].secret = answer.deviceSecret
            fleet[index].deviceID = answer.deviceId.rawValue
        }
        fleet = fleet.filter { !$0.secret.isEmpty }
        return result
    }

    static func request(_ device: SimulatedDevice, _ checkIn: CheckInRequest) throws -> LoadRunner.Request {
        let body = try WireCoding.encoder().encode(checkIn)
        var request = HTTPClientRequest(url: "")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(device.secret)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        return .init(request: request, bytes: body.count)
    }

    /// Sends prepared check-ins (encoded before the clock starts: agents encode on their own
    /// machines) and fails on any answer that asks for a full inventory.
    func checkIns(
        _ phase: String, _ requests: [LoadRunner.Request], answered: @escaping @Sendable (Int, CheckInResponse) -> Void = { _, _ in }
    ) async throws -> Measurement {
        let url = server.url + APIRoute.checkIn.path
        return try await measured(phase, devices: storeDevices, server: server, ceiling: ceiling) {
            try await runner.run(count: requests.count, make: { index in
                var request = requests[index]
                request.request.url = url
                return request
            }) { index, body in
                let answer = try WireCoding.decoder().decode(CheckInResponse.self, from: Data(body.readableBytesView))
                if answer.fullInventoryRequested { throw BenchFailure("the server asked for a full inventory in the \(phase) phase") }
                answered(index, answer)
            }
        }
    }
}
