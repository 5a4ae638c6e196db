import Foundation
import Logging
import StewardModel

/// Enrollment and check-ins of this machine: collect, send what changed, remember what the
/// server acknowledged.
public struct Agent: Sendable {
    public let state: AgentState
    let collector: any InventoryCollector
    let clock: Clock

    public init(state: AgentState, collector: any InventoryCollector = makePlatformCollector(), clock: Clock = .system) {
        self.state = state
        self.collector = collector
        self.clock = clock
    }

    public enum EnrollOutcome: Equatable, Sendable {
        case enrolled(DeviceID)
        /// The state directory already holds an identity for this server: nothing was sent.
        case alreadyEnrolled(DeviceID)
    }

    /// Enrolls this machine; idempotent for a state directory already enrolled with `server`.
    public func enroll(server: String, token: String, client: StewardClient? = nil) async throws -> EnrollOutcome {
        if let identity = try state.identity() {
            guard identity.server == Self.normalised(server) else { throw AgentError.alreadyEnrolled(server: identity.server) }
            return .alreadyEnrolled(identity.deviceId)
        }
        let client = client ?? StewardClient(server: server)
        let hardware = try collector.collect(includeApps: false).hardware
        let answer = try await client.enroll(token: token, EnrollRequest(
            platform: collector.platform, platformId: hardware.platformId, deviceName: hardware.deviceName,
            agentVersion: AgentVersion.current, serialNumber: hardware.serialNumber, imei: hardware.imei))
        try state.save(AgentState.Identity(
            server: Self.normalised(server), deviceId: answer.deviceId, deviceSecret: answer.deviceSecret))
        try state.save(AgentState.Acknowledged(hashes: SectionHashes(), apps: nil, policy: answer.policy, lastCheckInAt: nil))
        return .enrolled(answer.deviceId)
    }

    /// What one check-in sent and how it went.
    public struct CheckInReport: Sendable, Equatable {
        public var deviceId: DeviceID
        /// Names of the sections sent (`hardware`, `apps`, `appsDelta`, …); empty for a heartbeat.
        public var sectionsSent: [String]
        public var requestBytes: Int
        /// Apps the server now holds for this device; nil when the policy excludes app inventory.
        public var appCount: Int?
        public var fullInventoryResent: Bool
        public var policy: CollectionPolicy
        public var inventory: Inventory
    }

    /// Collects and sends one check-in. `full` sends every section whatever was acknowledged.
    public func checkIn(full: Bool = false, client: StewardClient? = nil) async throws -> CheckInReport {
        guard let identity = try state.identity() else { throw AgentError.notEnrolled(state.directory.path) }
        let client = client ?? StewardClient(server: identity.server)
        let acknowledged = state.acknowledged()
            ?? AgentState.Acknowledged(hashes: SectionHashes(), apps: nil, policy: .init(collectApps: false, checkInIntervalSeconds: 900), lastCheckInAt: nil)
        let inventory = try collector.collect(includeApps: acknowledged.policy.collectApps, knownApps: acknowledged.apps)
        let hashes = try InventoryHasher.hashes(of: inventory)

        var request = Self.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: full)
        var (answer, bytes) = try await client.checkIn(secret: identity.deviceSecret, request)
        var resent = false
        if answer.fullInventoryRequested && !full {
            // The server lacks something it should have (restored backup, lost delta base): resend all.
            request = Self.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: true)
            (answer, bytes) = try await client.checkIn(secret: identity.deviceSecret, request)
            resent = true
        }
        let appsAcknowledged = answer.acknowledged.apps != nil && answer.acknowledged.apps == hashes.apps
        try state.save(AgentState.Acknowledged(
            hashes: answer.acknowledged, apps: appsAcknowledged ? inventory.apps : nil, policy: answer.policy,
            lastCheckInAt: clock.now()))
        return CheckInReport(
            deviceId: identity.deviceId, sectionsSent: Self.sections(of: request), requestBytes: bytes,
            appCount: answer.policy.collectApps ? inventory.apps?.count : nil, fullInventoryResent: resent, policy: answer.policy, inventory: inventory)
    }

    /// Builds the request: every section whose hash differs from the acknowledged one; a changed
    /// app inventory as a delta when the server holds the base and the delta is small.
    public static func request(
        inventory: Inventory, hashes: SectionHashes, acknowledged: AgentState.Acknowledged, full: Bool
    ) -> CheckInRequest {
        let known = acknowledged.hashes
        var request = CheckInRequest(agentVersion: AgentVersion.current, hashes: hashes)
        if full || hashes.hardware != known.hardware { request.hardware = inventory.hardware }
        if full || hashes.operatingSystem != known.operatingSystem { request.operatingSystem = inventory.operatingSystem }
        if full || hashes.network != known.network { request.network = inventory.network }
        if let apps = inventory.apps, full || hashes.apps != known.apps {
            if !full, let base = known.apps, let baseApps = acknowledged.apps,
                let delta = delta(from: baseApps, to: apps, baseHash: base), delta.upserted.count + delta.removed.count <= apps.count / 2
            {
                request.appsDelta = delta
            } else {
                request.apps = apps
            }
        }
        return request
    }

    static func delta(from old: [AppRecord], to new: [AppRecord], baseHash: String) -> AppsDelta? {
        let before = Dictionary(old.map { ($0.appId, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Set(new.map(\.appId))
        let upserted = new.filter { before[$0.appId] != $0 }
        let removed = before.keys.filter { !after.contains($0) }.sorted()
        return AppsDelta(baseHash: baseHash, upserted: upserted, removed: removed)
    }

    static func sections(of request: CheckInRequest) -> [String] {
        [
            request.hardware.map { _ in "hardware" }, request.operatingSystem.map { _ in "operatingSystem" },
            request.network.map { _ in "network" }, request.apps.map { _ in "apps" }, request.appsDelta.map { _ in "appsDelta" },
        ].compactMap { $0 }
    }

    static func normalised(_ server: String) -> String {
        server.hasSuffix("/") ? String(server.dropLast()) : server
    }
}
