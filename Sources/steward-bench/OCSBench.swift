import ArgumentParser
import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import StewardAgent
import StewardModel
import StewardOCS

/// One real OCS inventory (an agent's `--local` file) posted as `--devices` distinct machines,
/// zlib-compressed like the agent, PROLOG then INVENTORY each — to Steward and, in the same run,
/// to a peer OCS Inventory NG server (`--peer`), so the two can be compared as a ratio.
struct OCSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocs", abstract: "Post a real OCS inventory as N machines to Steward (and to a peer OCS server).")

    @OptionGroup var common: CommonOptions
    @Option(help: "An OCS inventory file, as `ocsinventory-agent --local=DIR` writes it.") var inventory: String
    @Option(help: "Distinct machines to post it as.") var devices = 200
    @Option(help: "A peer OCS Inventory NG server's /ocsinventory URL (loopback), measured in the same run.") var peer: String?
    @Option(help: "Requests in flight against the peer (its server has few workers).") var peerConcurrency = 8

    func run() async throws {
        let template = try String(contentsOfFile: inventory, encoding: .utf8)
        let (count, peer, peerConcurrency) = (devices, peer, peerConcurrency)
        // Every machine distinct in everything OCS (and Steward) deduplicates by.
        let machines = Machines(template)
        let bodies = try (0..<count).map { index in try Self.compressed(machines.machine(index)) }
        let prologs = try (0..<count).map { index in
            try Self.compressed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REQUEST><DEVICEID>bench-\(index)-2026-01-01-00-00-00</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>\n")
        }
        let inventoryBytes = bodies.first?.readableBytes ?? 0  // compressed, as sent
        try await common.measure { server, runner in
            let admin = AdminClient(server: server.url, token: server.adminToken)
            let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
            let authorization = "Basic " + Data(":\(token)".utf8).base64EncodedString()
            let url = server.url + "/ocsinventory"
            var results: [Measurement] = []
            results.append(try await measured("ocs prolog", devices: count, server: server, ceiling: nil) {
                try await runner.run(count: count) { Self.post(url, prologs[$0], auth: authorization) }
            })
            results.append(try await measured("ocs inventory", devices: count, server: server, ceiling: nil) {
                try await runner.run(count: count) { Self.post(url, bodies[$0], auth: authorization) }
            })
            // The daily steady state: the same machines again, unchanged.
            results.append(try await measured("ocs inventory again", devices: count, server: server, ceiling: nil) {
                try await runner.run(count: count) { Self.post(url, bodies[$0], auth: authorization) }
            })
            if let peer {
                let peerRunner = LoadRunner(http: runner.http, concurrency: peerConcurrency, duration: runner.duration)
                for (phase, payloads) in [("peer prolog", prologs), ("peer inventory", bodies), ("peer inventory again", bodies)] {
                    let outcome = try await peerRunner.run(count: count) { Self.post(peer, payloads[$0], auth: nil) }
                    var row = outcome.measurement(store: "ocs-server", phase: phase, devices: count)
                    row.requestBytes = inventoryBytes
                    results.append(row)
                }
            }
            return results
        }
    }

    @Sendable static func post(_ url: String, _ body: ByteBuffer, auth: String?) -> LoadRunner.Request {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-compress")
        // The OCS server answers only a user agent it knows (400 otherwise); Steward ignores it.
        request.headers.add(name: "User-Agent", value: "OCS-NG_unified_unix_agent_v2.10.0")
        if let auth { request.headers.add(name: "Authorization", value: auth) }
        request.body = .bytes(body)
        return .init(request: request, bytes: body.readableBytes)
    }

    /// The template with a placeholder wherever a machine differs — its device ID, name,
    /// serial, UUID and MACs — split once, so each machine is one pass of appends (rewriting the
    /// half-megabyte text per machine took minutes for a few thousand).
    struct Machines {
        /// Literal text and placeholders alternating: even indices literal, odd ones a key.
        let parts: [String]

        init(_ template: String) {
            var text = template
            func replaceAll(_ tag: String, _ value: (String) -> String) {
                var result = ""
                var rest = Substring(text)
                while let open = rest.range(of: "<\(tag)>"), let close = rest[open.upperBound...].range(of: "</\(tag)>") {
                    result += rest[..<open.upperBound] + value(String(rest[open.upperBound..<close.lowerBound]))
                    rest = rest[close.lowerBound...]
                }
                text = result + rest
            }
            let mark = "\u{1}"
            replaceAll("DEVICEID") { _ in "bench-\(mark)index\(mark)-2026-01-01-00-00-00" }
            replaceAll("NAME") { $0 == "vm" ? "bench-\(mark)index\(mark)" : $0 }
            replaceAll("SSN") { _ in "BENCH-SN-\(mark)index\(mark)" }
            replaceAll("UUID") { _ in "00000000-0000-4000-8000-\(mark)uuid\(mark)" }
            replaceAll("MACADDR") { mac in
                let parts = mac.split(separator: ":")
                guard parts.count == 6 else { return mac }
                return parts.prefix(3).joined(separator: ":") + ":\(mark)mac\(mark)"
            }
            if !text.contains("<UUID>") {
                text = text.replacingOccurrences(of: "<HARDWARE>", with: "<HARDWARE>\n      <UUID>00000000-0000-4000-8000-\(mark)uuid\(mark)</UUID>")
            }
            if !text.contains("<SSN>") { text = text.replacingOccurrences(of: "<BIOS>", with: "<BIOS>\n      <SSN>BENCH-SN-\(mark)index\(mark)</SSN>") }
            parts = text.components(separatedBy: mark)
        }

        /// The template as machine `index`.
        func machine(_ index: Int) -> String {
            let values = [
                "index": String(index), "uuid": String(format: "%012x", index),
                "mac": String(format: "%02x:%02x:%02x", (index >> 16) & 255, (index >> 8) & 255, index & 255),
            ]
            var text = ""
            text.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count } + 64)
            for (position, part) in parts.enumerated() { text += position % 2 == 0 ? part : values[part] ?? part }
            return text
        }
    }

    static func compressed(_ text: String) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: text)
        return try buffer.compress(with: .zlib())
    }
}

/// The server-side decoding of one OCS inventory, phase by phase, in this process: inflate,
/// XML, mapping, hashing, validation — the CPU an inventory costs before any database work,
/// repeated so each phase's time per inventory is steady enough to compare two builds.
struct OCSDecodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocs-decode", abstract: "Time the decoding of one OCS inventory, phase by phase, without a server.")

    @Option(help: "An OCS inventory file, as `ocsinventory-agent --local=DIR` writes it.") var inventory: String
    @Option(help: "Times to decode it.") var iterations = 200

    func run() throws {
        let body = try OCSBench.compressed(try String(contentsOfFile: inventory, encoding: .utf8))
        var totals: [String: Duration] = [:]
        var apps = 0
        let clock = ContinuousClock()
        func timed<T>(_ phase: String, _ work: () throws -> T) rethrows -> T {
            let start = clock.now
            let result = try work()
            totals[phase, default: .zero] += clock.now - start
            return result
        }
        for _ in 0..<iterations {
            let inflated = try timed("inflate") { try OCSBody.inflate(body, maxInflatedBytes: 32 * 1024 * 1024) }
            let request = try timed("parse") { try OCSRequest.parse(inflated.bytes) }
            let report = try timed("map") { try OCSInventoryMapping.map(request, collectApps: true) }
            let hashes = try timed("hash") { try InventoryHasher.hashes(of: report.inventory) }
            try timed("validate") {
                var checked = CheckInRequest(agentVersion: "bench", hashes: hashes)
                checked.hardware = report.inventory.hardware
                checked.operatingSystem = report.inventory.operatingSystem
                checked.network = report.inventory.network
                checked.apps = report.inventory.apps
                try checked.validate()
            }
            apps = report.inventory.apps?.count ?? 0
        }
        print("one inventory of \(apps) apps, decoded \(iterations) times (µs per inventory)")
        var total = Duration.zero
        for phase in ["inflate", "parse", "map", "hash", "validate"] {
            let each = (totals[phase] ?? .zero) / iterations
            total += each
            print(phase.padding(toLength: 10, withPad: " ", startingAt: 0), String(format: "%8.1f", Self.microseconds(each)))
        }
        print("total".padding(toLength: 10, withPad: " ", startingAt: 0), String(format: "%8.1f", Self.microseconds(total)))
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }
}
