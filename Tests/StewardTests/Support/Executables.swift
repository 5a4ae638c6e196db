import Foundation
import Testing

/// The built `steward` and `steward-agent` binaries (scripts/test builds them before the tests).
enum Executables {
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["STEWARD_TEST_BIN_DIR"] {
            return URL(fileURLWithPath: path)
        }
        // The test bundle lives in the same build folder as the executables.
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    static func url(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ExecutableMissing(path: url.path)
        }
        return url
    }

    struct ExecutableMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is not built: run scripts/test (it builds the executables first)" }
    }
}

/// The outcome of a finished command.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a command to completion, capturing its output (through files, so large output never blocks).
func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let directory = try TemporaryDirectory()
    let out = directory.url.appendingPathComponent("out")
    let err = directory.url.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// A long-running `steward serve`, stopped with SIGTERM. Its output comes through a pipe: kept
/// in a log file, and every wait (the port, a log line, the exit) is woken by what arrives.
final class RunningServer: @unchecked Sendable {
    let process = Process()
    let logFile: URL
    private(set) var port = 0
    private let events = ServerEvents()

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], logDirectory: URL) throws {
        logFile = logDirectory.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: logFile)
        let pipe = Pipe()
        Self.keep(pipe)
        process.standardOutput = pipe
        process.standardError = pipe
        let events = events
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                try? log.close()
                events.ended()
            } else {
                log.write(data)
                events.append(String(decoding: data, as: UTF8.self))
            }
        }
        process.terminationHandler = { _ in events.exited() }
        try process.run()
    }

    var log: String { events.text }

    /// Waits for the log line announcing the port (the server binds before it logs).
    func waitUntilServing(timeout: TimeInterval = 60) async throws -> Int {
        guard await events.wait(timeout: timeout, until: { $0.range(of: #"port=\d+"#, options: .regularExpression) != nil }),
            let range = log.range(of: #"port=(\d+)"#, options: .regularExpression)
        else { throw ServerDidNotStart(log: log) }
        port = Int(log[range].dropFirst("port=".count)) ?? 0
        return port
    }

    /// Waits until the log holds `text` at least `count` times.
    func waitForLog(_ text: String, count: Int = 1, timeout: TimeInterval = 30) async throws {
        guard await events.wait(timeout: timeout, until: { $0.components(separatedBy: text).count - 1 >= count }) else {
            throw TestFailure("no \(text) in the log: \(log)")
        }
    }

    /// SIGTERM, then the exit status (nil when it had to be killed).
    func stop(timeout: TimeInterval = 20) async throws -> Int32? {
        process.terminate()
        guard await events.waitForExit(timeout: timeout, process) else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            _ = await events.waitForExit(timeout: 60, process)
            _ = await events.waitForEnd(timeout: 10)
            return nil
        }
        _ = await events.waitForEnd(timeout: 10)
        return process.terminationStatus
    }

    /// Dies without any clean-up, as a crashed or killed replica would.
    func kill() async throws {
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = await events.waitForExit(timeout: 60, process)
        _ = await events.waitForEnd(timeout: 10)
    }

    /// Every server's pipe stays open for the life of the test process: libdispatch crashes
    /// when a descriptor is closed while the read source watching it is still registered (its
    /// cancellation is asynchronous), and a server's pipe would otherwise close with the object.
    private static let pipes = NSLock()
    nonisolated(unsafe) private static var kept: [Pipe] = []
    private static func keep(_ pipe: Pipe) { pipes.withLock { kept.append(pipe) } }

    deinit { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) } }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "steward serve did not start:\n\(log)" }
    }
}

/// A server's output so far and whether it has exited, with waiters woken as either changes.
/// A wait's timeout bounds it; it is not what it waits for.
final class ServerEvents: @unchecked Sendable {
    /// Answers true or false to end a wait, nil to go on waiting; asked under the lock.
    typealias Check = (ServerEvents) -> Bool?

    private let lock = NSLock()
    private var output = ""
    private var over = false
    private var exitedAlready = false
    private var waiters: [UUID: (check: Check, continuation: CheckedContinuation<Bool, Never>)] = [:]

    var text: String { lock.withLock { output } }

    func append(_ chunk: String) { change { $0.output += chunk } }
    func ended() { change { $0.over = true } }
    func exited() { change { $0.exitedAlready = true } }

    /// True once `until` holds for the output; false when the output ends first or time runs out.
    func wait(timeout: TimeInterval, until: @escaping (String) -> Bool) async -> Bool {
        await wait(timeout: timeout) { events in until(events.output) ? true : (events.over ? false : nil) }
    }

    /// True once the output has ended (the read side saw end of file).
    func waitForEnd(timeout: TimeInterval) async -> Bool {
        await wait(timeout: timeout) { events in events.over ? true : nil }
    }

    /// True once the process has exited.
    func waitForExit(timeout: TimeInterval, _ process: Process) async -> Bool {
        await wait(timeout: timeout) { events in events.exitedAlready || !process.isRunning ? true : nil }
    }

    private func wait(timeout: TimeInterval, _ check: @escaping Check) async -> Bool {
        let id = UUID()
        let expiry = Task { [weak self] in
            try? await Task.sleep(for: .seconds(timeout))
            self?.finish(id, false)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = lock.withLock {
                if let answer = check(self) { return answer }
                waiters[id] = (check, continuation)
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    private func finish(_ id: UUID, _ answer: Bool) {
        lock.withLock { waiters.removeValue(forKey: id) }?.continuation.resume(returning: answer)
    }

    private func change(_ apply: (ServerEvents) -> Void) {
        let due = lock.withLock { () -> [(CheckedContinuation<Bool, Never>, Bool)] in
            apply(self)
            var due: [(CheckedContinuation<Bool, Never>, Bool)] = []
            for (id, waiter) in waiters {
                guard let answer = waiter.check(self) else { continue }
                waiters[id] = nil
                due.append((waiter.continuation, answer))
            }
            return due
        }
        for (continuation, answer) in due { continuation.resume(returning: answer) }
    }
}
