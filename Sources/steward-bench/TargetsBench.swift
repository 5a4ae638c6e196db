import ArgumentParser
import Foundation

/// `steward-bench targets`: issue #20's targets from one run — `wrk` against the bare route,
/// `/health`, heartbeats, deltas and fulls on SQLite (and on PostgreSQL with `--database`), then
/// the admin pages and the server's memory at each store size up to 1,000,000 devices on SQLite
/// — and, for each target, what was measured and whether it is met.
struct TargetsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "wrk on both stores and the 1M-device pages in one run, each target with what was measured and whether it is met.")

    @Option(help: "PostgreSQL URL of an empty database or schema for the PostgreSQL wrk run; without it SQLite only.")
    var database: String?
    @Option(help: "Upper bound of each timed phase, in seconds.") var duration = 10.0
    @Option(help: "Requests in flight of the benchmark's own client (enrolment, fills, pages).") var concurrency = 64
    @Option(help: "Write the verdicts as JSON to this file.") var json: String?
    @Option(help: "Simulated devices wrk drives.") var devices = 1000
    @Option(help: "wrk connections.") var connections = 64
    @Option(help: "wrk threads.") var threads = 1
    @Option(help: "Corporate devices whose full inventory wrk sends again and again.") var fullDevices = 200
    @Option(help: "Store sizes for the admin pages, ascending; the targets are read at the largest.") var sizes = "10000,100000,1000000"
    @Option(help: "Simulated agents that check in at every size.") var active = 500
    @Option(help: "Apps on every simulated agent at every size.") var apps = 300
    @Option(help: "Requests per admin page at every size (at most; --duration bounds the time).") var queries = 2000

    /// One target: what it asks, what was measured, and whether that meets it.
    struct Verdict: Codable {
        var target: String
        var store: String
        var goal: String
        var measured: String
        var value: Double
        var met: Bool
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steward-targets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["--duration", String(duration), "--concurrency", String(concurrency)]
        let wrk = common + [
            "--devices", String(devices), "--connections", String(connections), "--threads", String(threads),
            "--full-devices", String(fullDevices),
        ]
        func results(
            _ name: String, _ arguments: [String], _ command: ([String]) throws -> any AsyncParsableCommand
        ) async throws -> [Measurement] {
            let file = directory.appendingPathComponent(name + ".json").path
            var parsed = try command(arguments + ["--json", file])
            try await parsed.run()
            return try JSONDecoder().decode([Measurement].self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        }
        var verdicts: [Verdict] = []
        let sqliteWrk = try await results("wrk-sqlite", wrk) { try WrkBench.parse($0) }
        verdicts += Self.wrkVerdicts(sqliteWrk, store: "sqlite", fullsPerSecond: 1000)
        if let database {
            let postgresWrk = try await results("wrk-postgres", wrk + ["--database", database]) { try WrkBench.parse($0) }
            verdicts += Self.wrkVerdicts(postgresWrk, store: "postgres", fullsPerSecond: 300)
        }
        let scale = try await results("scale", common + [
            "--sizes", sizes, "--active", String(active), "--apps", String(apps), "--queries", String(queries),
        ]) { try ScaleBench.parse($0) }
        verdicts += Self.pageVerdicts(scale)

        print(Self.table(verdicts))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(verdicts).write(to: URL(fileURLWithPath: json))
        }
    }

    static func wrkVerdicts(_ rows: [Measurement], store: String, fullsPerSecond: Double) -> [Verdict] {
        func row(_ phase: String) -> Measurement? { rows.first { $0.phase == phase + " (wrk)" } }
        var verdicts: [Verdict] = []
        for (phase, share) in [("health", 0.70), ("heartbeat", 0.40), ("delta", 0.25)] {
            guard let measured = row(phase) else { continue }
            let value = measured.ofCeiling ?? 0
            var text = String(format: "%.1f%% (%.0f/s of %.0f/s)", value * 100, measured.rate, measured.rate / max(value, 1e-9))
            if phase == "heartbeat", let post = row("bare post") {
                // What HTTP alone allows a check-in: the same bodies posted to the bare process.
                text += String(format: "; the bare POST of the same bodies %.1f%%", (post.ofCeiling ?? 0) * 100)
            }
            verdicts.append(Verdict(
                target: "\(phase == "health" ? "/health" : phase + "s") under wrk", store: store,
                goal: String(format: "≥ %.0f%% of the bare route", share * 100), measured: text, value: value, met: value >= share))
        }
        if let full = row("full") {
            verdicts.append(Verdict(
                target: "full inventories (300 apps) under wrk", store: store, goal: String(format: "≥ %.0f/s", fullsPerSecond),
                measured: String(format: "%.0f/s (%.2f ms CPU each)", full.rate, full.serverCpuSecondsPer1000 ?? 0),
                value: full.rate, met: full.rate >= fullsPerSecond))
        }
        return verdicts
    }

    /// The admin pages (API and console) and the server's peak memory at the largest size.
    static func pageVerdicts(_ rows: [Measurement]) -> [Verdict] {
        guard let largest = rows.map(\.devices).max() else { return [] }
        let atLargest = rows.filter { $0.devices == largest }
        var verdicts: [Verdict] = []
        for phase in ["list first page", "list deep page", "device detail", "console devices page", "console device page"] {
            guard let page = atLargest.first(where: { $0.phase == phase }) else { continue }
            let cpu = page.serverCpuSecondsPer1000 ?? .infinity
            verdicts.append(Verdict(
                target: "\(phase) at \(largest) devices", store: page.store, goal: "p99 < 10 ms and < 1 ms server CPU",
                measured: String(format: "p99 %.1f ms, %.2f ms CPU", page.p99Ms, cpu), value: cpu,
                met: page.p99Ms < 10 && cpu < 1))
        }
        if let rss = atLargest.compactMap(\.serverPeakRssBytes).max() {
            let megabytes = Double(rss) / 1_048_576
            verdicts.append(Verdict(
                target: "server memory at \(largest) devices, agents ingesting", store: atLargest.first?.store ?? "sqlite",
                goal: "RSS < 150 MB", measured: String(format: "%.0f MB", megabytes), value: megabytes, met: megabytes < 150))
        }
        return verdicts
    }

    static func table(_ verdicts: [Verdict]) -> String {
        var lines = ["| target | store | goal | measured | met |", "|---|---|---|---|---|"]
        for verdict in verdicts {
            lines.append("| \(verdict.target) | \(verdict.store) | \(verdict.goal) | \(verdict.measured) | \(verdict.met ? "yes" : "**no**") |")
        }
        let met = verdicts.filter(\.met).count
        lines.append("")
        lines.append("\(met) of \(verdicts.count) targets met.")
        return lines.joined(separator: "\n")
    }
}
