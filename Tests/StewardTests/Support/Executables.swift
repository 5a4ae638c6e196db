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

/// A long-running `steward serve`, stopped with SIGTERM.
final class RunningServer {
    let process = Process()
    let logFile: URL
    private(set) var port = 0

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], logDirectory: URL) throws {
        logFile = logDirectory.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Waits for the log line announcing the port (the server binds before it logs).
    func waitUntilServing(timeout: TimeInterval = 60) async throws -> Int {
        let deadline = Date() + timeout
        while Date() < deadline {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(log[range].dropFirst("port=".count)) ?? 0
                return port
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerDidNotStart(log: (try? String(contentsOf: logFile, encoding: .utf8)) ?? "")
    }

    /// Waits until the log holds `text` at least `count` times.
    func waitForLog(_ text: String, count: Int = 1, timeout: TimeInterval = 30) async throws {
        let deadline = Date() + timeout
        while Date() < deadline {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if log.components(separatedBy: text).count - 1 >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no \(text) in the log: \((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")
    }

    /// SIGTERM, then the exit status.
    func stop(timeout: TimeInterval = 20) async throws -> Int32? {
        process.terminate()
        let deadline = Date() + timeout
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    /// Dies without any clean-up, as a crashed or killed replica would.
    func kill() async throws {
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    }

    deinit { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) } }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "steward serve did not start:\n\(log)" }
    }
}
