import ArgumentParser
import Foundation
import StewardAgent
import StewardModel
import StewardTLS

@main
struct StewardAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-agent",
        abstract: "Enrolls this machine with a Steward server and reports its inventory.",
        version: AgentVersion.current,
        subcommands: [Enroll.self, CheckIn.self, Run.self, ShowInventory.self])
}

struct StateOptions: ParsableArguments {
    @Option(help: "Directory holding the device identity and secret (device.json, mode 0600), and the owner's agent.json.")
    var stateDir = "/var/lib/steward-agent"

    @Option(help: ArgumentHelp(
        "What the agent may change on this machine (default: agent.json in the state directory; without one, nothing).",
        discussion: #"{"apps": {"install": true, "allow": ["htop"]}} lets it install and remove the listed Debian packages with apt."#))
    var config: String?

    var agent: Agent {
        get throws {
            let state = AgentState(directory: URL(fileURLWithPath: stateDir))
            guard let config else { return Agent(state: state) }
            guard FileManager.default.fileExists(atPath: config) else { throw ValidationError("no agent configuration at \(config)") }
            return Agent(state: state, configuration: try AgentConfiguration.load(URL(fileURLWithPath: config)))
        }
    }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enroll this machine (idempotent for an enrolled state directory).")
    @Option(help: "Server URL, e.g. http://127.0.0.1:8080.") var server: String
    @Option(help: "Enrollment token from an admin.") var token: String
    @OptionGroup var state: StateOptions
    @Flag(help: "Do not check in right after enrolling.") var noCheckIn = false
    @Flag(help: "Enroll an enrolled machine again, proving it with its current device secret.") var reEnroll = false
    @Option(help: "Trust the server by this PEM certificate (its CA's, or its own) instead of the system's roots.")
    var caFile: String?
    @Option(help: "Trust the server by its key's pin (sha256//BASE64, as `steward init --self-signed` prints it).")
    var pinSha256: String?
    @Flag(help: "Allow plain http:// to a server that is not on this machine (the token and device secret travel unencrypted).")
    var insecureHttp = false

    func run() async throws {
        guard let url = URL(string: server), let scheme = url.scheme, scheme == "http" || scheme == "https", let host = url.host else {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
        if scheme == "http", !Self.isLoopback(host), !insecureHttp {
            throw ValidationError("--server is plain http:// to another machine: use https://, or --insecure-http to send the token unencrypted")
        }
        if caFile != nil || pinSha256 != nil {
            guard scheme == "https" else { throw ValidationError("--ca-file and --pin-sha256 need an https:// server") }
            guard caFile == nil || pinSha256 == nil else { throw ValidationError("give --ca-file or --pin-sha256, not both") }
        }
        var trusted: String?
        if let caFile {
            do {
                trusted = try ServerTrust.certificate(file: caFile)
            } catch {
                throw ValidationError("--ca-file \(error)")
            }
        } else if let pinSha256 {
            guard let pin = TLSPin.normalised(pinSha256) else {
                throw ValidationError("--pin-sha256 must be sha256// and the base64 of 32 bytes")
            }
            let found: String?
            do {
                found = try await ServerTrust.certificate(pinned: pin, host: host, port: url.port ?? 443)
            } catch {
                throw AgentError.unreachable("\(host):\(url.port ?? 443): \(error)")
            }
            guard let found else {
                throw ValidationError("the server at \(host) presents no certificate with the key \(pin): not enrolled")
            }
            trusted = found
        }
        let agent = try state.agent
        switch try await agent.enroll(server: server, token: token, reEnroll: reEnroll, trustedCertificate: trusted) {
        case .alreadyEnrolled(let id):
            print("Already enrolled as device \(id); nothing to do.")
        case .enrolled(let id):
            print("Enrolled as device \(id).")
            if !noCheckIn {
                let report = try await agent.checkIn()
                print(CheckIn.describe(report))
            }
        }
    }
}

extension Enroll {
    /// This machine: a token sent in the clear to it crosses no network.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

struct CheckIn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-in", abstract: "Collect this machine's inventory and send what changed.")
    @OptionGroup var state: StateOptions
    @Flag(help: "Send every section, changed or not.") var full = false
    @Flag(help: "Print the inventory sent as JSON.") var json = false

    func run() async throws {
        let report = try await state.agent.checkIn(full: full)
        if json {
            let encoder = WireCoding.encoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: try encoder.encode(report.inventory), as: UTF8.self))
        } else {
            print(CheckIn.describe(report))
        }
    }

    static func describe(_ report: Agent.CheckInReport) -> String {
        let sections = report.sectionsSent.isEmpty ? "no change (heartbeat)" : report.sectionsSent.joined(separator: ", ")
        let apps = report.appCount.map { "\($0) apps" } ?? "apps not collected (policy)"
        let diagnostics = report.diagnosticsSent > 0 ? " \(report.diagnosticsSent) diagnostic events sent." : ""
        let tasks = report.tasksPerformed.map { " Remote task \($0.task.kind.rawValue): \($0.state.rawValue)." }.joined()
        let states = Dictionary(grouping: report.appStates, by: \.state).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
        let managed = report.managedApps > 0 ? " Managed apps: \(states.joined(separator: ", "))." : ""
        return "Checked in device \(report.deviceId): sent \(sections); \(report.requestBytes) bytes; \(apps).\(managed)\(diagnostics)\(tasks)"
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check in periodically: the server's interval with jitter, back-off while it is unreachable.")
    @OptionGroup var state: StateOptions
    @Option(help: "Seconds between check-ins, overriding the server's policy.") var interval: Double?
    @Option(help: "Stop after this many check-ins (default: run until stopped).") var count: Int?

    func run() async throws {
        let agent = try state.agent
        var schedule = CheckInSchedule(interval: interval ?? 900)
        var done = 0
        while count.map({ done < $0 }) ?? true {
            do {
                let report = try await agent.checkIn()
                schedule.failures = 0
                schedule.interval = interval ?? Double(report.policy.checkInIntervalSeconds)
                say(CheckIn.describe(report))
            } catch let error as AgentError where error.isTransient {
                schedule.failures += 1
                FileHandle.standardError.write(Data("check-in failed (\(error)); retrying\n".utf8))
            }
            done += 1
            if let count, done >= count { break }
            // Until the next check-in, hold a long-poll for remote tasks: they arrive in seconds.
            let next = ContinuousClock.now + .seconds(schedule.nextDelay())
            while ContinuousClock.now < next {
                let remaining = Int((next - ContinuousClock.now).components.seconds)
                do {
                    for done in try await agent.waitForTasks(seconds: min(30, remaining)) {
                        say("Remote task \(done.task.kind.rawValue) (\(done.task.id)): \(done.state.rawValue)\(done.code.map { " (\($0))" } ?? "")")
                        if done.task.kind == .retire && done.state == .succeeded { return }
                    }
                } catch let error as AgentError where error.isTransient {
                    try await Task.sleep(for: .seconds(min(remaining, 30)))
                }
                if remaining <= 0 { break }
            }
        }
    }

    /// A service's output goes to a journal or a file: written line by line, as it happens
    /// (`print` would buffer it until exit).
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

struct ShowInventory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Print what this agent would report, without sending anything.")
    @Flag(help: "Include the app inventory.") var apps = false

    func run() async throws {
        let inventory = try makePlatformCollector().collect(includeApps: apps)
        let encoder = WireCoding.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        print(String(decoding: try encoder.encode(inventory), as: UTF8.self))
    }
}
