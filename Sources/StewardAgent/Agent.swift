import Foundation
import Logging
import StewardModel

/// Enrollment and check-ins of this machine: collect, send what changed, remember what the
/// server acknowledged.
public struct Agent: Sendable {
    public let state: AgentState
    let collector: any InventoryCollector
    let clock: Clock
    let installer: any PackageInstaller
    /// nil: read `agent.json` in the state directory at each check-in.
    let configuration: AgentConfiguration?

    public init(
        state: AgentState, collector: any InventoryCollector = makePlatformCollector(), clock: Clock = .system,
        installer: any PackageInstaller = AptInstaller(), configuration: AgentConfiguration? = nil
    ) {
        self.state = state
        self.collector = collector
        self.clock = clock
        self.installer = installer
        self.configuration = configuration
    }

    public enum EnrollOutcome: Equatable, Sendable {
        case enrolled(DeviceID)
        /// The state directory already holds an identity for this server: nothing was sent.
        case alreadyEnrolled(DeviceID)
    }

    /// Enrolls this machine; idempotent for a state directory already enrolled with `server`.
    /// Enrolls with the token. An enrolled state directory is left as it is, unless `reEnroll`:
    /// then the machine enrolls again with the same server, proving who it is with its current
    /// device secret (the server keeps the record, its ownership and user).
    /// `trustedCertificate` (PEM) is the one certificate the server is trusted by from now on.
    public func enroll(
        server: String, token: String, reEnroll: Bool = false, trustedCertificate: String? = nil, client: StewardClient? = nil
    ) async throws -> EnrollOutcome {
        var currentSecret: String?
        if let identity = try state.identity() {
            guard identity.server == Self.normalised(server) else { throw AgentError.alreadyEnrolled(server: identity.server) }
            guard reEnroll else { return .alreadyEnrolled(identity.deviceId) }
            currentSecret = identity.deviceSecret
        }
        let client = try client ?? StewardClient(server: server, trusting: trustedCertificate)
        let hardware = try collector.collect(includeApps: false).hardware
        let answer = try await client.enroll(token: token, EnrollRequest(
            platform: collector.platform, platformId: hardware.platformId, deviceName: hardware.deviceName,
            agentVersion: AgentVersion.current, serialNumber: hardware.serialNumber, imei: hardware.imei,
            currentDeviceSecret: currentSecret))
        try state.save(AgentState.Identity(
            server: Self.normalised(server), deviceId: answer.deviceId, deviceSecret: answer.deviceSecret,
            trustedCertificate: trustedCertificate))
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
        /// Diagnostic events delivered after the check-in (this one's timings, earlier errors).
        public var diagnosticsSent: Int
        /// How many managed apps the device has, and their states as reported.
        public var managedApps: Int
        public var appStates: [AppStateReport]
        /// Remote tasks that came with the answer, and what was done with them.
        public var remoteTasks: [RemoteTaskInstruction]
        public var tasksPerformed: [PerformedTask] = []
    }

    /// Collects and sends one check-in. `full` sends every section whatever was acknowledged.
    /// Remote tasks that came with the answer are performed afterwards (unless `performTasks` is false).
    public func checkIn(full: Bool = false, client: StewardClient? = nil, performTasks: Bool = true) async throws -> CheckInReport {
        guard let identity = try state.identity() else { throw AgentError.notEnrolled(state.directory.path) }
        let client = try client ?? StewardClient(identity)
        var report: CheckInReport
        var events: [DiagnosticEvent] = []
        do {
            report = try await checkIn(identity: identity, full: full, client: client, events: &events)
        } catch {
            // Kept for the next check-in: the error's type only, never its message.
            let code = String(describing: type(of: error)).filter { $0.isLetter || $0.isNumber }.prefix(DiagnosticEvent.maxTokenLength)
            try? state.savePendingDiagnostics(
                state.pendingDiagnostics() + [DiagnosticEvent(kind: .agentError, name: "check-in", at: clock.now(), success: false, code: code.isEmpty ? "unknown" : String(code))])
            throw error
        }
        // Diagnostics are batched (a heartbeat stays one request) and never fail a check-in:
        // undelivered ones wait for the next.
        let now = clock.now()
        let outgoing = (state.pendingDiagnostics() + events).filter { $0.at > now.addingTimeInterval(-DiagnosticEvent.maxAge + 86_400) }
        guard full || Self.diagnosticsDue(outgoing, now: now) else {
            try? state.savePendingDiagnostics(outgoing)
            if performTasks, !report.remoteTasks.isEmpty {
                report.tasksPerformed = try await perform(report.remoteTasks, identity: identity, client: client)
            }
            return report
        }
        do {
            report.diagnosticsSent = try await client.uploadDiagnostics(secret: identity.deviceSecret, outgoing).accepted
            try? state.savePendingDiagnostics([])
        } catch {
            try? state.savePendingDiagnostics(outgoing)
        }
        if performTasks, !report.remoteTasks.isEmpty {
            report.tasksPerformed = try await perform(report.remoteTasks, identity: identity, client: client)
        }
        return report
    }

    /// Upload when enough has gathered, when the oldest has waited an hour, or after an error.
    static func diagnosticsDue(_ events: [DiagnosticEvent], now: Date) -> Bool {
        guard let oldest = events.map(\.at).min() else { return false }
        return events.count >= 25 || oldest < now.addingTimeInterval(-3_600) || events.contains { $0.kind == .agentError }
    }

    private func checkIn(
        identity: AgentState.Identity, full: Bool, client: StewardClient, events: inout [DiagnosticEvent]
    ) async throws -> CheckInReport {
        var acknowledged = state.acknowledged()
            ?? AgentState.Acknowledged(hashes: SectionHashes(), apps: nil, policy: .init(collectApps: false, checkInIntervalSeconds: 900), lastCheckInAt: nil)
        let evaluator = ManagedAppEvaluator(
            platform: collector.platform, configuration: try configuration ?? AgentConfiguration.load(state.configurationURL),
            installer: installer)
        let started = ContinuousClock.now
        // Managed apps are detected on every device (they are what the gate allows); the app
        // inventory itself is sent only where the policy allows it.
        let managed = acknowledged.managedApps?.apps ?? []
        var inventory = try collector.collect(
            includeApps: acknowledged.policy.collectApps || !managed.isEmpty, knownApps: acknowledged.apps)
        let installed = ManagedAppEvaluator.packages(inventory.apps)
        if !acknowledged.policy.collectApps { inventory.apps = nil }
        events.append(DiagnosticEvent(kind: .responseTime, name: "inventory.collect", at: clock.now(), durationMs: Self.milliseconds(since: started)))
        let hashes = try InventoryHasher.hashes(of: inventory)
        let redetect = { ManagedAppEvaluator.packages(try collector.collect(includeApps: true, knownApps: nil).apps) }
        var states = evaluator.states(of: managed, installed: installed, redetect: redetect)
        let sent = ContinuousClock.now

        var request = Self.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: full)
        request.managedAppsVersion = acknowledged.managedApps?.version
        if states != acknowledged.appStates { request.appStates = states }
        var (answer, bytes) = try await client.checkIn(secret: identity.deviceSecret, request)
        // Tasks come once (the server marks them sent): keep those of every answer.
        var receivedTasks = answer.remoteTasks ?? []
        var resent = false
        if answer.fullInventoryRequested && !full {
            // The server lacks something it should have (restored backup, lost delta base): resend all.
            let appStates = request.appStates
            request = Self.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: true)
            request.managedAppsVersion = acknowledged.managedApps?.version
            request.appStates = appStates
            (answer, bytes) = try await client.checkIn(secret: identity.deviceSecret, request)
            receivedTasks += answer.remoteTasks ?? []
            resent = true
        }
        let sections = Self.sections(of: request)
        events.append(DiagnosticEvent(
            kind: .command, name: sections.isEmpty ? "check-in.heartbeat" : "check-in.inventory", at: clock.now(),
            durationMs: Self.milliseconds(since: sent), success: true))
        let appsAcknowledged = answer.acknowledged.apps != nil && answer.acknowledged.apps == hashes.apps
        var saved = AgentState.Acknowledged(
            hashes: answer.acknowledged, apps: appsAcknowledged ? inventory.apps : nil, policy: answer.policy,
            lastCheckInAt: clock.now())
        saved.managedApps = answer.managedApps ?? acknowledged.managedApps
        saved.appStates = states
        try state.save(saved)

        // A new list of managed apps: apply it and, when that changes the states, report them
        // at once, so an assignment shows in the install summary after one check-in.
        if let policy = answer.managedApps, policy != acknowledged.managedApps {
            let packages = managed.isEmpty && !policy.apps.isEmpty ? try redetect() : installed
            let newStates = evaluator.states(of: policy.apps, installed: packages, redetect: redetect)
            if newStates != states {
                states = newStates
                acknowledged = saved
                var followUp = Self.request(inventory: inventory, hashes: hashes, acknowledged: acknowledged, full: false)
                followUp.managedAppsVersion = policy.version
                followUp.appStates = states
                let (again, _) = try await client.checkIn(secret: identity.deviceSecret, followUp)
                receivedTasks += again.remoteTasks ?? []
                saved.managedApps = again.managedApps ?? policy
                saved.appStates = states
                try state.save(saved)
            }
        }
        return CheckInReport(
            deviceId: identity.deviceId, sectionsSent: sections, requestBytes: bytes,
            appCount: answer.policy.collectApps ? inventory.apps?.count : nil, fullInventoryResent: resent, policy: answer.policy,
            inventory: inventory, diagnosticsSent: 0, managedApps: saved.managedApps?.apps.count ?? 0,
            appStates: saved.appStates ?? [], remoteTasks: receivedTasks)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
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
