import ArgumentParser
import Foundation
import Logging
import StewardAgent
import StewardModel
import StewardSQLite
import StewardServer
import StewardStore

/// The README's first command: a fresh data directory, a running server, this very machine
/// enrolled as a corporate device and checked in — then it prints what Steward now knows.
struct Quickstart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Initialise a demo data directory, serve it, enroll this machine and show its inventory.")

    @Option(help: "Demo data directory; replaced on every run.") var dataDir = "./steward-quickstart"
    @Option(help: "Port to serve on (0 picks a free one).") var port = 8080
    @Flag(help: "Stop after showing the inventory instead of serving until Ctrl-C.") var exit = false

    func run() async throws {
        let directory = URL(fileURLWithPath: dataDir).standardizedFileURL
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let storage = try SQLiteStorage(path: directory.appendingPathComponent("steward.sqlite").path)
        try await storage.migrate()
        let masterKey = try MasterKey.load(path: directory.appendingPathComponent("master.key").path, create: true)
        let tenant = try await TenantProvisioning(store: storage, masterKey: masterKey).createTenant(name: "Quickstart")

        StewardLogHandler.bootstrap()
        var logger = Logger(label: "steward")
        logger.logLevel = .warning
        let exit = exit
        // A password for the console, shown once (the first admin has none until one is set).
        let password = AdminCommand.password(fromStandardInput: false).password
        let ids = IdentifierGenerator.timeOrdered(clock: .system)
        try await AdminCommand.ResetPassword.set(
            password, userName: "admin", storage: storage, tenantID: tenant.tenantId,
            accounts: AdminAccounts(
                store: storage, configuration: ServerConfiguration(host: "127.0.0.1", port: port), masterKey: masterKey,
                clock: .system, ids: ids),
            auditor: Auditor(chain: masterKey.auditChain, clock: .system, ids: ids))
        do {
            try await serving(host: "127.0.0.1", port: port) {
                try await withInProcessServer(
                    configuration: ServerConfiguration(host: "127.0.0.1", port: port),
                    dependencies: ServerDependencies(storage: storage, masterKey: masterKey, logger: logger), serveAfterwards: !exit
                ) { port in
                    let server = "http://127.0.0.1:\(port)"
                    try await Self.enrollAndShow(server: server, tenant: tenant, password: password, directory: directory, serving: !exit)
                    if !exit { print("\nServing on \(server) — press Ctrl-C to stop.") }
                    // Shown now even into a pipe or a file (stdout is block-buffered there:
                    // nothing showed until the server stopped).
                    fflush(nil)
                }
            }
        } catch {
            await storage.close()
            throw error
        }
        // A clean stop: the WAL copied into the database and truncated.
        await storage.close()
    }

    private static func enrollAndShow(
        server: String, tenant: TenantCreated, password: String, directory: URL, serving: Bool
    ) async throws {
        let admin = AdminClient(server: server, token: tenant.adminToken)
        let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate, description: "quickstart"))
        let agent = Agent(state: AgentState(directory: directory.appendingPathComponent("agent")))
        let started = Date()
        _ = try await agent.enroll(server: server, token: token.token ?? "")
        let first = try await agent.checkIn()
        let firstSeconds = Date().timeIntervalSince(started)
        let secondStart = Date()
        let second = try await agent.checkIn()
        let secondSeconds = Date().timeIntervalSince(secondStart)
        let device = try await admin.device(first.deviceId)

        print("""
            Steward quickstart — this machine, as Steward now holds it

            Device \(device.id) (\(device.ownership.rawValue), \(device.platform.rawValue))
              Name          \(device.deviceName ?? "—")
              Hardware      \(device.manufacturer ?? "—") \(device.model ?? "")  serial \(device.serialNumber ?? "—")
              OS            \(device.operatingSystem ?? "—") \(device.osVersion ?? "") (kernel \(device.kernelVersion ?? "—"))
              CPU / memory  \(device.cpuCores.map(String.init) ?? "—") × \(device.cpuModel ?? "—"), \(Self.bytes(device.memoryBytes))
              Disk          \(Self.bytes(device.diskBytes))
              MAC addresses \(device.macAddresses.joined(separator: ", "))
              IP addresses  \(device.ipAddresses.joined(separator: ", "))
              Apps          \(device.appCount) installed Debian packages

            First check-in: \(first.requestBytes) bytes (\(first.sectionsSent.joined(separator: ", "))), enroll + check-in \(Self.millis(firstSeconds))
            No-change check-in: \(second.requestBytes) bytes, \(Self.millis(secondSeconds))
            """)
        guard serving else {
            print("""

                The server has stopped (--exit). Data directory: \(directory.path)
                Without --exit, quickstart keeps serving and prints the console's address and a password.
                """)
            return
        }
        print("""

            The console: \(server)/
              sign in as admin with the password \(password)   (shown once; change it in the console)

            The API (admin token below is shown once):
              export STEWARD_TOKEN='\(tenant.adminToken)'
              curl -s -H "Authorization: Bearer $STEWARD_TOKEN" \(server)/api/v1/devices
              curl -s -H "Authorization: Bearer $STEWARD_TOKEN" \(server)/api/v1/devices/\(device.id)
              curl -s -H "Authorization: Bearer $STEWARD_TOKEN" '\(server)/api/v1/devices/\(device.id)/apps?limit=20'
              curl -s -H "Authorization: Bearer $STEWARD_TOKEN" \(server)/api/v1/audit-entries   # who did what, hash-chained
            Data directory: \(directory.path)
            """)
    }

    static func bytes(_ value: Int64?) -> String {
        guard let value else { return "—" }
        return binaryBytes(value)
    }

    static func millis(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }
}
