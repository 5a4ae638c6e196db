import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster of one test's own, on 127.0.0.1 and a free port, that the test may stop,
/// restart and start again without touching the suite's shared server. Made with Debian's
/// `initdb`/`pg_ctl` (run as the `postgres` user when the suite runs as root); removed with the
/// object.
final class PrivatePostgres: @unchecked Sendable {
    let directory: TemporaryDirectory
    let port: Int
    private let bin: URL

    /// Debian's newest PostgreSQL binaries, if installed and usable by this user.
    static var binDirectory: URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let candidates = versions.compactMap(Int.init).sorted().reversed().map {
            root.appendingPathComponent("\($0)/bin")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("pg_ctl").path) }
    }

    /// The suite runs its PostgreSQL half and can run a cluster of its own here (as root it runs
    /// the binaries as `postgres`; as another user, as itself).
    static var available: Bool { StoreKind.postgresURL != nil && binDirectory != nil }

    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    init() throws {
        guard let bin = Self.binDirectory else { throw NoBinaries() }
        self.bin = bin
        directory = try TemporaryDirectory()
        port = try Self.freePort()
        if getuid() == 0 {
            let chown = try runCommand(URL(fileURLWithPath: "/bin/chown"), ["-R", "postgres:postgres", directory.url.path])
            guard chown.status == 0 else { throw Failed(step: "chown", output: chown.stderr) }
        }
        try run("initdb", ["-D", data, "--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C"])
        try start()
    }

    deinit {
        _ = try? run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
    }

    private var data: String { directory.url.appendingPathComponent("data").path }

    func start() throws {
        try run("pg_ctl", [
            "-D", data, "-l", directory.url.appendingPathComponent("server.log").path, "-w", "-o",
            "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.url.path) -c fsync=off",
            "start",
        ])
    }

    /// Stops the server the way an operator's restart does: sessions are ended, transactions in
    /// flight rolled back.
    func stop() throws {
        try run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"])
    }

    func restart() throws {
        try run("pg_ctl", ["-D", data, "-m", "fast", "-w", "restart"])
    }

    /// Runs a PostgreSQL tool, as `postgres` when the suite runs as root.
    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> CommandResult {
        let path = bin.appendingPathComponent(tool).path
        let result = getuid() == 0
            ? try runCommand(URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "postgres", "--", path] + arguments)
            : try runCommand(URL(fileURLWithPath: path), arguments)
        guard result.status == 0 else { throw Failed(step: tool, output: result.stdout + result.stderr) }
        return result
    }

    /// A TCP port nobody listens on now (the kernel's choice for port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(step: "socket", output: "") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failed(step: "bind", output: "") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct NoBinaries: Error {}
    struct Failed: Error, CustomStringConvertible {
        let step: String
        let output: String
        var description: String { "\(step) failed: \(output)" }
    }
}
