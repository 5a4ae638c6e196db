import Foundation
import StewardModel

extension AgentConfiguration {
    /// Which machine-changing tasks the owner allows, and the commands that carry them out.
    public struct RemoteTasks: Codable, Sendable, Equatable {
        public var restart: Bool
        public var shutdown: Bool
        public var lock: Bool
        public var wipe: Bool
        /// Overrides of the commands, by task kind (`wipe` has no default: the owner names it).
        public var commands: [String: [String]]

        public init(restart: Bool = false, shutdown: Bool = false, lock: Bool = false, wipe: Bool = false, commands: [String: [String]] = [:]) {
            self.restart = restart
            self.shutdown = shutdown
            self.lock = lock
            self.wipe = wipe
            self.commands = commands
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            restart = try container.decodeIfPresent(Bool.self, forKey: .restart) ?? false
            shutdown = try container.decodeIfPresent(Bool.self, forKey: .shutdown) ?? false
            lock = try container.decodeIfPresent(Bool.self, forKey: .lock) ?? false
            wipe = try container.decodeIfPresent(Bool.self, forKey: .wipe) ?? false
            commands = try container.decodeIfPresent([String: [String]].self, forKey: .commands) ?? [:]
        }

        func allows(_ kind: RemoteTaskKind) -> Bool {
            switch kind {
            case .restart: restart
            case .shutdown: shutdown
            case .lock: lock
            case .wipe: wipe
            default: true
            }
        }

        func command(_ kind: RemoteTaskKind) -> [String]? {
            if let configured = commands[kind.rawValue], !configured.isEmpty { return configured }
            switch kind {
            case .restart: return ["/usr/bin/systemctl", "reboot"]
            case .shutdown: return ["/usr/bin/systemctl", "poweroff"]
            case .lock: return ["/usr/bin/loginctl", "lock-sessions"]
            default: return nil
            }
        }
    }
}

/// What the agent did with one task.
public struct PerformedTask: Sendable, Equatable {
    public var task: RemoteTaskInstruction
    public var state: RemoteTaskState
    public var code: String?
}

extension Agent {
    /// Waits up to `seconds` (30 at most) for tasks from the server — a long-poll — and performs them.
    public func waitForTasks(seconds: Int, client: StewardClient? = nil) async throws -> [PerformedTask] {
        guard let identity = try state.identity() else { throw AgentError.notEnrolled(state.directory.path) }
        let client = try client ?? StewardClient(identity)
        let tasks = try await client.tasks(secret: identity.deviceSecret, wait: min(max(seconds, 0), 30))
        return try await perform(tasks, identity: identity, client: client)
    }

    /// Acknowledges each task, carries it out where the owner allows, and reports the outcome.
    /// Tasks the owner did not enable answer `notSupported` and change nothing.
    func perform(_ tasks: [RemoteTaskInstruction], identity: AgentState.Identity, client: StewardClient) async throws -> [PerformedTask] {
        var performed: [PerformedTask] = []
        let configuration = try configuration ?? AgentConfiguration.load(state.configurationURL)
        let done = Dictionary(state.performedTasks().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for task in tasks {
            _ = try await client.reportTask(secret: identity.deviceSecret, id: task.id, RemoteTaskReport(state: .acknowledged))
            if let earlier = done[task.id] {
                // Handed out again: its acknowledgement or outcome was lost on the way. Report
                // what happened; never run it twice (an interrupted run is reported as failed).
                let report = earlier.state == .acknowledged
                    ? RemoteTaskReport(state: .failed, result: RemoteTaskResult(code: "interrupted"))
                    : RemoteTaskReport(state: earlier.state, result: earlier.code.map { RemoteTaskResult(code: $0) })
                _ = try await client.reportTask(secret: identity.deviceSecret, id: task.id, report)
                performed.append(PerformedTask(task: task, state: report.state, code: report.result?.code))
                continue
            }
            try state.recordPerformed(.init(id: task.id, state: .acknowledged))
            var report: RemoteTaskReport
            switch task.kind {
            case .sync:
                do {
                    _ = try await checkIn(client: client, performTasks: false)
                    report = RemoteTaskReport(state: .succeeded)
                } catch {
                    report = RemoteTaskReport(state: .failed, result: RemoteTaskResult(code: "check_in_failed"))
                }
            case .collectDiagnostics:
                report = RemoteTaskReport(state: .succeeded, bundle: diagnosticsBundle(identity: identity, configuration: configuration))
            case .retire:
                // Unenroll: report first (the secret stops working), then forget everything.
                _ = try await client.reportTask(secret: identity.deviceSecret, id: task.id, RemoteTaskReport(state: .succeeded))
                try state.erase()
                performed.append(PerformedTask(task: task, state: .succeeded))
                return performed
            case .restart, .shutdown, .lock, .wipe:
                report = run(task.kind, configuration.remoteTasks)
            }
            try state.recordPerformed(.init(id: task.id, state: report.state, code: report.result?.code))
            _ = try await client.reportTask(secret: identity.deviceSecret, id: task.id, report)
            performed.append(PerformedTask(task: task, state: report.state, code: report.result?.code))
        }
        return performed
    }

    private func run(_ kind: RemoteTaskKind, _ allowed: AgentConfiguration.RemoteTasks) -> RemoteTaskReport {
        guard allowed.allows(kind) else {
            return RemoteTaskReport(
                state: .notSupported, result: RemoteTaskResult(code: "disabled_by_owner", message: "The device owner has not enabled \(kind.rawValue)."))
        }
        guard let command = allowed.command(kind), let executable = command.first else {
            return RemoteTaskReport(state: .notSupported, result: RemoteTaskResult(code: "no_command"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return RemoteTaskReport(state: .failed, result: RemoteTaskResult(code: "cannot_run"))
        }
        return process.terminationStatus == 0
            ? RemoteTaskReport(state: .succeeded)
            : RemoteTaskReport(state: .failed, result: RemoteTaskResult(code: "exit_\(process.terminationStatus)"))
    }

    /// The agent's own state for support: version, configuration, what the server acknowledged
    /// and undelivered diagnostics — never the device secret. At most 256 KiB.
    func diagnosticsBundle(identity: AgentState.Identity, configuration: AgentConfiguration) -> String {
        struct Bundle: Encodable {
            var agentVersion: String
            var server: String
            var deviceId: DeviceID
            var collectedAt: Date
            var configuration: AgentConfiguration
            var acknowledged: AgentState.Acknowledged?
            var pendingDiagnostics: [DiagnosticEvent]
        }
        var acknowledged = state.acknowledged()
        acknowledged?.apps = nil
        var bundle = Bundle(
            agentVersion: AgentVersion.current, server: identity.server, deviceId: identity.deviceId, collectedAt: clock.now(),
            configuration: configuration, acknowledged: acknowledged, pendingDiagnostics: state.pendingDiagnostics())
        let encoder = WireCoding.encoder()
        encoder.outputFormatting = [.sortedKeys]
        while true {
            let text = String(decoding: (try? encoder.encode(bundle)) ?? Data("{}".utf8), as: UTF8.self)
            if text.utf8.count <= RemoteTaskReport.maxBundleBytes || bundle.pendingDiagnostics.isEmpty { return text }
            bundle.pendingDiagnostics.removeFirst(max(1, bundle.pendingDiagnostics.count / 2))
        }
    }
}
