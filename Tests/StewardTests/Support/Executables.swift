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

/// Runs a command to completion, capturing its output (through files, so large output never
/// blocks). Spawned with `posix_spawn` and reaped with `waitpid`, not Foundation's `Process`:
/// `Process.waitUntilExit` spins a run loop on the calling thread and learns of the exit from a
/// socket the child inherits (a daemon the command leaves running, such as `pg_ctl`'s server,
/// keeps it open for ever), and the suite's parallel tests crashed libdispatch's event loop
/// under it. The child gets only standard input (`/dev/null`), output and error, and default
/// signal handling.
func runCommand(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let directory = try TemporaryDirectory()
    let out = directory.url.appendingPathComponent("out")
    let err = directory.url.appendingPathComponent("err")
    let pid = try spawn(executable, arguments, environment: environment) { actions in
        posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
        guard errno == EINTR else { throw SpawnFailed(path: executable.path, code: errno) }
    }
    return CommandResult(
        status: exitCode(status), stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// Starts a child with standard input from /dev/null, the output `redirect` sets up, every
/// other descriptor closed, and default signal handling; its pid.
func spawn(
    _ executable: URL, _ arguments: [String], environment: [String: String], redirect: (inout posix_spawn_file_actions_t) -> Void
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    redirect(&actions)
    _ = closeFrom(&actions, 3)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw SpawnFailed(path: executable.path, code: spawned) }
    return pid
}

/// A `waitpid` status as a shell reports it: the exit code, or 128 + the signal
/// (WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import).
func exitCode(_ status: Int32) -> Int32 {
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does
/// not import: the child closes every descriptor from 3 up.
private let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
        fatalError("glibc 2.34 or newer is needed (posix_spawn_file_actions_addclosefrom_np)")
    }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

struct SpawnFailed: Error, CustomStringConvertible {
    let path: String
    let code: Int32
    var description: String { "cannot run \(path): \(String(cString: strerror(code)))" }
}

/// A long-running `steward serve`, stopped with SIGTERM. Spawned with `posix_spawn`, its output
/// read through a pipe by a thread of its own (blocking `read`), its exit reaped by another
/// (blocking `waitpid`): no libdispatch source watches any descriptor, so none can outlive one
/// (libdispatch's event loop crashed the suite when a watched descriptor closed under it, as
/// Foundation's `Process` and `FileHandle.readabilityHandler` do). Every wait (the port, a log
/// line, the exit) is woken by what arrives; the log is also kept in a file.
final class RunningServer: @unchecked Sendable {
    let pid: pid_t
    let logFile: URL
    private(set) var port = 0
    private let events = ServerEvents()
    private let status = NSLock()
    nonisolated(unsafe) private var exitStatus: Int32?

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], logDirectory: URL) throws {
        logFile = logDirectory.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnFailed(path: executable.path, code: errno) }
        // Ours only: no other child inherits them (ours close every descriptor from 3 anyway).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let child: pid_t
        do {
            child = try spawn(executable, arguments, environment: environment) { actions in
                posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
                posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            }
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        pid = child
        let spawnedPID = child
        let events = events
        let reading = fds[0]
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reading, $0.baseAddress, $0.count) }
                if count > 0 {
                    let data = Data(buffer[0..<count])
                    log.write(data)
                    events.append(String(decoding: data, as: UTF8.self))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(reading)
            try? log.close()
            events.ended()
        }.start()
        Thread { [self] in
            var raw: Int32 = 0
            while waitpid(spawnedPID, &raw, 0) == -1 && errno == EINTR {}
            status.withLock { exitStatus = exitCode(raw) }
            events.exited()
        }.start()
    }

    var log: String { events.text }
    private var exited: Int32? { status.withLock { exitStatus } }

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
        Glibc.kill(pid, SIGTERM)
        guard await events.waitForExit(timeout: timeout) else {
            Glibc.kill(pid, SIGKILL)
            _ = await events.waitForExit(timeout: 60)
            _ = await events.waitForEnd(timeout: 10)
            return nil
        }
        _ = await events.waitForEnd(timeout: 10)
        return exited
    }

    /// Dies without any clean-up, as a crashed or killed replica would.
    func kill() async throws {
        Glibc.kill(pid, SIGKILL)
        _ = await events.waitForExit(timeout: 60)
        _ = await events.waitForEnd(timeout: 10)
    }

    deinit { if exited == nil { Glibc.kill(pid, SIGKILL) } }

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
    func waitForExit(timeout: TimeInterval) async -> Bool {
        await wait(timeout: timeout) { events in events.exitedAlready ? true : nil }
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
