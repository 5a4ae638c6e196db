import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore

/// One measured phase: what every sub-command prints as a table row and writes as JSON.
struct Measurement: Codable, Sendable {
    var store: String
    var phase: String
    /// Devices in the store while measuring (`scale`), or simulated devices (`ingest`).
    var devices: Int
    var requests: Int
    /// Requests per second over the phase's wall time.
    var rate: Double
    var p50Ms: Double
    var p95Ms: Double
    var p99Ms: Double
    var maxMs: Double
    /// The largest request body of the phase.
    var requestBytes: Int
    /// `rate` as a share of the ceiling measured in the same run.
    var ofCeiling: Double?
    var serverCpuSecondsPer1000: Double?
    var serverPeakRssBytes: Int?
    var dbBytesPerDevice: Int?
    /// Check-in answers that asked for a full inventory (under `wrk`: a device's next delta
    /// overtook its last one, held up past a whole turn of the devices).
    var askedForFull: Int?
}

/// Sends requests with a fixed number in flight over keep-alive connections, and records each
/// one's latency in an HdrHistogram (microseconds, three significant digits).
struct LoadRunner: Sendable {
    let http: HTTPClient
    let concurrency: Int
    /// No phase runs longer than this; requests in flight when it passes still complete.
    let duration: Duration

    struct Request: Sendable {
        var request: HTTPClientRequest
        var bytes: Int
    }

    struct Outcome: Sendable {
        var completed: Int
        var seconds: Double
        var histogram: Histogram<UInt64>
        var requestBytes: Int

        func measurement(store: String, phase: String, devices: Int) -> Measurement {
            func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
            return Measurement(
                store: store, phase: phase, devices: devices, requests: completed,
                rate: seconds > 0 ? Double(completed) / seconds : 0, p50Ms: ms(50), p95Ms: ms(95), p99Ms: ms(99),
                maxMs: Double(histogram.max) / 1000, requestBytes: requestBytes)
        }
    }

    /// Runs up to `count` requests (`make(i)` builds the i-th), stopping early when `duration`
    /// has passed; `check` sees every answer's body (with the request's index) and throws on a wrong one.
    func run(
        count: Int, make: @escaping @Sendable (Int) throws -> Request,
        check: @escaping @Sendable (_ index: Int, _ body: ByteBuffer) throws -> Void = { _, _ in }
    ) async throws -> Outcome {
        let start = ContinuousClock.now
        let deadline = start + duration
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var completed = 0
        var bytes = 0
        try await withThrowingTaskGroup(of: (UInt64, Int).self) { group in
            var next = 0
            func submit() {
                let index = next
                next += 1
                group.addTask {
                    let request = try make(index)
                    let sent = ContinuousClock.now
                    let response = try await http.execute(request.request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 8 << 20)
                    let elapsed = ContinuousClock.now - sent
                    guard (200..<300).contains(response.status.code) else {
                        throw BenchFailure("HTTP \(response.status.code) from \(request.request.url): \(String(buffer: body).prefix(300))")
                    }
                    try check(index, body)
                    return (UInt64(max(1, elapsed / .microseconds(1))), request.bytes)
                }
            }
            while next < min(concurrency, count) { submit() }
            while let (micros, size) = try await group.next() {
                _ = histogram.record(micros)
                completed += 1
                bytes = max(bytes, size)
                if next < count, ContinuousClock.now < deadline { submit() }
            }
        }
        let elapsed = ContinuousClock.now - start
        return Outcome(
            completed: completed, seconds: Double(elapsed / .milliseconds(1)) / 1000, histogram: histogram, requestBytes: bytes)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Report {
    /// The human table; ingest rates also as a share of the ceiling row of the same run.
    static func table(_ results: [Measurement]) -> String {
        var lines = [
            "store      phase              devices   requests   requests/s   of ceiling   p50 ms   p95 ms   p99 ms   max ms   body bytes   cpu s/1000   peak RSS MB   db bytes/device"
        ]
        for result in results {
            func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
            let share = result.ofCeiling.map { String(format: "%9.1f%%", 100 * $0) } ?? "        -"
            let cpu = result.serverCpuSecondsPer1000.map { String(format: "%10.2f", $0) } ?? "         -"
            let rss = result.serverPeakRssBytes.map { String(format: "%11.0f", Double($0) / 1_048_576) } ?? "          -"
            let db = result.dbBytesPerDevice.map { String(format: "%15d", $0) } ?? "              -"
            lines.append(
                pad(result.store, 11) + pad(result.phase, 17)
                    + String(format: "%9d   %8d   %10.0f   ", result.devices, result.requests, result.rate) + share
                    + String(format: "   %6.2f   %6.2f   %6.2f   %6.2f   %10d", result.p50Ms, result.p95Ms, result.p99Ms, result.maxMs, result.requestBytes)
                    + "   " + cpu + "   " + rss + "   " + db)
        }
        return lines.joined(separator: "\n")
    }

    /// One line on standard error as each phase ends, and as a long step starts: the table
    /// comes only when the run ends, and a 10-minute `targets` (or a script that profiles the
    /// server during one phase) needs to follow where it is.
    static func progress(_ result: Measurement) {
        var line = "\(result.store) \(result.phase), \(result.devices) devices: " + String(format: "%.0f/s", result.rate)
        if let share = result.ofCeiling, result.phase != "ceiling", result.phase != "bare route" {
            line += String(format: " (%.1f%%)", 100 * share)
        }
        line += String(format: ", p95 %.2f ms, max %.2f ms", result.p95Ms, result.maxMs)
        if let cpu = result.serverCpuSecondsPer1000 { line += String(format: ", server CPU %.3f ms each", cpu) }
        progress(line)
    }

    static func progress(_ text: String) {
        let second = Int(Date().timeIntervalSince1970) % 86_400
        let time = String(format: "%02d:%02d:%02d", second / 3600, second / 60 % 60, second % 60)
        FileHandle.standardError.write(Data("[\(time) UTC] \(text)\n".utf8))
    }

    /// Writes results as JSON when `--json` named a file.
    static func write(_ results: [Measurement], to path: String?) throws {
        guard let path else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: path))
    }
}
