import ArgumentParser
import Foundation
import Hummingbird
import Logging
import StewardModel
import StewardServer

/// `steward-bench wrk`: the server's own limit, measured by an external load generator (`wrk`,
/// in C, with its own cores' worth of efficiency) instead of this benchmark's Swift client — a
/// bare Hummingbird route (`steward-bench bare-server`, the same HTTP configuration as Steward),
/// Steward's `GET /health`, and heartbeats, app deltas and full inventories of enrolled devices (a
/// Lua script cycling through their secrets) — each as a share of the bare route measured right
/// before it, in one run; the heartbeat bodies also go to the bare process (`bare post`: the HTTP
/// floor of a check-in).
struct WrkBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrk",
        abstract: "wrk against a bare Hummingbird route, GET /health, heartbeats, deltas and fulls: each as a share of the bare route.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Simulated devices whose heartbeats wrk sends.") var devices = 1000
    @Option(help: "wrk connections.") var connections = 64
    @Option(help: "wrk threads.") var threads = 1
    @Option(help: "Seed of the simulated fleet.") var seed: UInt64 = 1
    @Option(help: "Apps changed by each delta (sent there and back).") var changedApps = 5
    @Option(help: "Corporate devices whose full inventory (300 apps) wrk sends again and again.") var fullDevices = 200
    @Option(help: "Phases after the bare route, comma-separated (to profile one; mixed is not in the default).")
    var phases = "health,heartbeat,delta,full"

    func validate() throws {
        guard devices > 0, connections > 0, threads > 0, connections >= threads else {
            throw ValidationError("--devices, --connections and --threads must be positive, connections at least threads")
        }
        guard Set(chosen).isSubset(of: ["health", "heartbeat", "delta", "full", "mixed"]), !chosen.isEmpty else {
            throw ValidationError("--phases: some of health, heartbeat, delta, full, mixed")
        }
    }

    private var chosen: [String] { phases.split(separator: ",").map { String($0) }
    }

    func run() async throws {
        guard let wrk = Wrk.executable() else { throw BenchFailure("wrk is needed (Debian package wrk)") }
        // Full inventories of 300 apps, as the issue's target counts them.
        let fleet = SyntheticFleet(devices: devices, apps: 300...300, personalShare: 0.2, poolSize: 3000, seed: seed).make()
        let seconds = max(1, Int(common.duration.rounded()))
        try await common.measure { server, runner in
            let bare = try await BareServer.start(logger: common.logger)
            do {
                let wrk = Wrk(executable: wrk, threads: threads, connections: connections, seconds: seconds)
                var results: [Measurement] = []
                // The bare route again right before every phase, and each phase's share taken
                // against that one: on a shared machine the rate moves by a third within minutes,
                // and a share against a rate measured before the others would measure the moment.
                func bareRate() async throws -> Double {
                    let measured = try await wrk.measure("bare route", url: bare.url + "/health", devices: 0, store: server.store, stats: bare.stats)
                    results.append(measured)
                    return measured.rate
                }
                let bareFirst = try await bareRate()
                if chosen.contains("health") {
                    results.append(try await wrk.measure(
                        "health", url: server.url + "/health", devices: 0, store: server.store, stats: server.stats, bare: bareFirst))
                }
                let driver = FleetDriver(fleet: fleet, server: server, runner: runner, ceiling: bareFirst, seed: seed)
                _ = try await driver.enroll()
                _ = try await driver.full()
                let path = APIRoute.checkIn.path
                let heartbeats = try Wrk.rotatingPosts(path: path, threads: threads, driver.heartbeatBodies())
                if chosen.contains("heartbeat") {
                    // The floor of a check-in under this HTTP server: the same bodies posted to
                    // the bare process, which reads each body and answers a heartbeat's bytes.
                    let bareBeforePost = try await bareRate()
                    results.append(try await wrk.measure(
                        "bare post", url: bare.url, devices: driver.fleet.count, store: server.store, stats: bare.stats,
                        bare: bareBeforePost, script: heartbeats))
                    let bareBeforeHeartbeats = try await bareRate()
                    results.append(try await wrk.measure(
                        "heartbeat", url: server.url, devices: driver.fleet.count, store: server.store, stats: server.stats,
                        bare: bareBeforeHeartbeats, script: heartbeats))
                }
                // A phase of check-ins that change what is stored: its share against the bare
                // route right before it, warmed up with heartbeats (its own script would leave
                // devices changed). `ordered`: each device's bodies apply in turn, so no two
                // connections may send the same device's.
                func storing(_ phase: String, _ bodies: [(secret: String, bodies: [String])], ordered: Bool) async throws {
                    guard !ordered || bodies.count >= connections else {
                        throw BenchFailure("fewer corporate devices than connections: \(phase) requests would overlap")
                    }
                    let bareBefore = try await bareRate()
                    results.append(try await wrk.measure(
                        phase, url: server.url, devices: bodies.count, store: server.store, stats: server.stats, bare: bareBefore,
                        script: try Wrk.rotatingPosts(path: path, threads: threads, bodies), warmUp: heartbeats))
                }
                if chosen.contains("delta") { try await storing("delta", try driver.deltaBodies(changedApps: changedApps), ordered: true) }
                if chosen.contains("full") { try await storing("full", try driver.fullBodies(devices: fullDevices), ordered: false) }
                if chosen.contains("mixed") {
                    // Each device in turn: its whole inventory again, a delta there, one back
                    // (releasing the rows the first added) — fulls among the releases of others.
                    try await storing("mixed", try driver.mixedBodies(changedApps: changedApps), ordered: true)
                }
                await bare.stop()
                return results
            } catch {
                await bare.stop()
                throw error
            }
        }
    }
}

/// Runs `wrk` and reads its report.
struct Wrk {
    let executable: String
    let threads: Int
    let connections: Int
    let seconds: Int

    static func executable() -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/wrk"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Ends every run's script: the percentiles this benchmark reports (wrk's own `--latency`
    /// has no 95th) and how many check-in answers asked for a full inventory (a delta whose base
    /// the server no longer held: then the phase measured something else, and fails).
    static let percentiles = """
        done = function(summary, latency, requests)
          for _, p in ipairs({50, 95, 99}) do io.write(string.format("percentile %d %.1f\\n", p, latency:percentile(p))) end
          io.write(string.format("percentile max %.1f\\n", latency.max))
          local asked = 0
          for _, thread in ipairs(threads or {}) do asked = asked + (thread:get("askedForFull") or 0) end
          io.write(string.format("askedForFull %d\\n", asked))
        end
        """

    /// A Lua script that posts each device's bodies in turn with its bearer secret: every
    /// request takes the next device, every pass over the devices the next of its bodies (a
    /// delta there and one back, so each really changes what is stored). Each wrk thread takes
    /// its own share of the devices, so one device's requests never overlap while there are more
    /// devices per thread than connections.
    static func rotatingPosts(path: String, threads: Int, _ devices: [(secret: String, bodies: [String])]) throws -> String {
        var lines = ["local devices = {"]
        for (secret, bodies) in devices {
            guard !bodies.isEmpty, bodies.allSatisfy({ !$0.contains("]==]") }),
                secret.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\"" && $0 != "\\" })
            else {
                throw BenchFailure("a body or secret the script cannot quote")
            }
            lines.append("  {\"\(secret)\", {" + bodies.map { "[==[\($0)]==]" }.joined(separator: ", ") + "}},")
        }
        lines += [
            "}",
            "threads = {}",
            "local started = 0",
            "setup = function(thread)",
            "  thread:set(\"id\", started)",
            "  started = started + 1",
            "  table.insert(threads, thread)",
            "end",
            "local mine = {}",
            "local n = 0",
            "local verified = false",
            "askedForFull = 0",
            "init = function(args)",
            "  for i = 1, #devices do if (i - 1) % \(threads) == id then mine[#mine + 1] = devices[i] end end",
            "end",
            // wrk calls `request` once before sending anything, to check what it returns (seen
            // here: the first body generated was never sent, and its device's next delta then
            // found another base). That call gets a request that changes nothing.
            "request = function()",
            "  if not verified then",
            "    verified = true",
            "    return wrk.format(\"GET\", \"/health\")",
            "  end",
            "  local device = mine[n % #mine + 1]",
            "  local round = math.floor(n / #mine)",
            "  n = n + 1",
            "  local bodies = device[2]",
            "  return wrk.format(\"POST\", \"\(path)\", {[\"Authorization\"] = \"Bearer \" .. device[1], [\"Content-Type\"] = \"application/json\"}, bodies[round % #bodies + 1])",
            "end",
            "response = function(status, headers, body)",
            "  if string.find(body, '\"fullInventoryRequested\":true', 1, true) then askedForFull = askedForFull + 1 end",
            "end",
        ]
        return lines.joined(separator: "\n")
    }

    /// One wrk run, after a short unmeasured one that opens the connections and warms the server.
    func measure(
        _ phase: String, url: String, devices: Int, store: String, stats: () -> (cpuSeconds: Double, peakRssBytes: Int)?,
        bare: Double? = nil, script: String? = nil, warmUp: String? = nil
    ) async throws -> Measurement {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steward-wrk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Every run's script ends by printing the percentiles this benchmark reports (wrk's own
        // `--latency` has no 95th).
        let file = directory.appendingPathComponent("script.lua")
        try ((script ?? "") + "\n" + Self.percentiles).write(to: file, atomically: true, encoding: .utf8)
        let arguments = ["-t\(threads)", "-c\(connections)", "-s", file.path]
        // A phase that changes what is stored warms up with another script (its own would leave
        // the devices somewhere its measured run does not expect).
        let warmUpFile = directory.appendingPathComponent("warm-up.lua")
        try ((warmUp ?? script ?? "") + "\n" + Self.percentiles).write(to: warmUpFile, atomically: true, encoding: .utf8)
        _ = try run(["-t\(threads)", "-c\(connections)", "-s", warmUpFile.path, "-d1s", url], in: directory)
        let before = stats()
        let report = try run(arguments + ["-d\(seconds)s", url], in: directory)
        let after = stats()
        var result = try Self.parse(report, phase: phase, devices: devices, store: store)
        if let before, let after, result.requests > 0 {
            result.serverCpuSecondsPer1000 = (after.cpuSeconds - before.cpuSeconds) / Double(result.requests) * 1000
            result.serverPeakRssBytes = after.peakRssBytes
        }
        result.ofCeiling = bare.map { result.rate / $0 } ?? 1
        Report.progress(result)
        return result
    }

    private func run(_ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = directory.appendingPathComponent("wrk.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        guard process.terminationStatus == 0 else { throw BenchFailure("wrk failed: \(text)") }
        return text
    }

    /// The rate, the latency distribution and the count of wrk's report; any non-2xx answer fails the run.
    static func parse(_ report: String, phase: String, devices: Int, store: String) throws -> Measurement {
        // `percentile P MICROSECONDS` lines from the script's `done`.
        var percentiles: [String: Double] = [:]
        var rate = 0.0
        var requests = 0
        var askedForFull = 0
        for line in report.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let first = fields.first else { continue }
            if first == "percentile", fields.count == 3, let value = Double(fields[2]) {
                percentiles[String(fields[1])] = value / 1000
            } else if first == "Requests/sec:", fields.count == 2 {
                rate = Double(fields[1]) ?? 0
            } else if fields.count > 2, fields[1] == "requests", fields[2] == "in" {
                requests = Int(first) ?? 0
            } else if line.contains("Non-2xx or 3xx responses") {
                throw BenchFailure("\(phase): \(line.trimmingCharacters(in: .whitespaces))")
            } else if first == "askedForFull", fields.count == 2 {
                askedForFull = Int(fields[1]) ?? 0
            }
        }
        // No percentiles: the script did not run (wrk then sends plain GETs and says little).
        guard rate > 0, requests > 0, percentiles["99"] != nil, report.contains("askedForFull ") else {
            throw BenchFailure("\(phase): no rate or no script output in wrk's report: \(report)")
        }
        // One device's delta can overtake its previous one when that one is held up while every
        // other device takes a turn; then the server rightly asks for a full inventory. A few are
        // reported; more would mean the phase measured something else.
        if askedForFull * 100 > requests {
            throw BenchFailure("\(phase): \(askedForFull) of \(requests) answers asked for a full inventory")
        }
        return Measurement(
            store: store, phase: phase + " (wrk)", devices: devices, requests: requests, rate: rate, p50Ms: percentiles["50"] ?? 0,
            p95Ms: percentiles["95"] ?? 0, p99Ms: percentiles["99"] ?? 0, maxMs: percentiles["max"] ?? 0, requestBytes: 0,
            askedForFull: askedForFull)
    }
}

/// The bare route: a Hummingbird server with one trivial route and Steward's HTTP configuration,
/// in its own process (`steward-bench bare-server`), as Steward's server runs in its own.
final class BareServer: @unchecked Sendable {
    let url: String
    private let process: Process

    private init(url: String, process: Process) {
        self.url = url
        self.process = process
    }

    static func start(logger: Logger) async throws -> BareServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steward-bare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (process, port) = try await BenchServer.launchSelf(["bare-server"], log: directory.appendingPathComponent("bare.log"))
        return BareServer(url: "http://127.0.0.1:\(port)", process: process)
    }

    func stats() -> (cpuSeconds: Double, peakRssBytes: Int)? { BenchServer.stats(pid: process.processIdentifier) }

    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// `steward-bench bare-server`: the bare route's process (not for direct use).
struct BareServerProcess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare-server", abstract: "Serve one trivial route with Steward's HTTP configuration (for `wrk`).", shouldDisplay: false)

    func run() async throws {
        BenchServer.endWithLauncher()
        var logger = Logger(label: "steward-bench-bare")
        logger.logLevel = .error
        let router = Router()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        router.get("/health") { [headers] _, _ -> Response in
            Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        // A check-in's HTTP alone: the body read whole (as Steward reads it, with a limit), a
        // heartbeat answer's shape and size sent back; no authentication, parsing or store.
        let hash = String(repeating: "0", count: 64)
        let answer = ByteBuffer(string: """
            {"acknowledged":{"apps":"\(hash)","hardware":"\(hash)","network":"\(hash)","operatingSystem":"\(hash)"},\
            "appsRefused":false,"fullInventoryRequested":false,"policy":{"checkInIntervalSeconds":900,"collectApps":true}}
            """)
        let defaults = ServerConfiguration()
        let limit = defaults.maxBodyBytes
        router.post(.init(APIRoute.checkIn.path)) { [headers] request, _ -> Response in
            _ = try await request.body.collect(upTo: limit)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: answer))
        }
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .init(defaults.idleTimeout))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "Steward"),
            onServerRunning: { channel in FileHandle.standardOutput.write(Data("port=\(channel.localAddress?.port ?? 0)\n".utf8)) },
            logger: logger)
        try await app.runService()
    }
}
