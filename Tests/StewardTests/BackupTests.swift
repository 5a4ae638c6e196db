import AsyncHTTPClient
import Foundation
import Testing
import StewardAgent
import StewardModel
import StewardSQLite
import StewardServer
import StewardStore

/// Backups of the SQLite database taken while check-ins keep writing, checked and restored.
@Suite struct BackupTests {
    @Test func aBackupTakenUnderLoadRestoresToADatabaseThatVerifies() async throws {
        let env = try await TestEnvironment(.sqlite)
        let storage = try #require(env.storage as? SQLiteStorage)
        let work = try TemporaryDirectory()
        let backup = work.url.appendingPathComponent("backup.sqlite").path
        try await env.withClient { api in
            // Devices enrolled and audited before the backup starts.
            for index in 0..<5 {
                let device = try await api.enroll(.corporate, platformId: "before-\(index)")
                var inventory = SampleInventory.make(appCount: 50)
                inventory.hardware.deviceName = "before-\(index)"
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            }
            // Load: enrollments and full check-ins go on while the copy is taken.
            let load = Task {
                var written = 0
                for index in 0..<40 {
                    let device = try await api.enroll(.corporate, platformId: "during-\(index)")
                    var inventory = SampleInventory.make(appCount: 50 + index)
                    inventory.hardware.deviceName = "during-\(index)"
                    let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
                    #expect(answer.status == .ok)
                    written += 1
                }
                return written
            }
            try await storage.backup(to: backup)
            #expect(try await load.value == 40)
            // A second backup to the same file is refused, and leaves the first intact.
            await #expect(throws: StoreError.self) { try await storage.backup(to: backup) }

            let check = try SQLiteBackup.check(backup)
            #expect(check.integrity == "ok" && check.restorable && check.pendingMigrations.isEmpty, "\(check)")
            #expect(check.tenants == 2)
            #expect((5...45).contains(check.devices), "\(check.devices) devices")
            let mode = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)

            // Restored, it opens as a server would and every tenant's audit chain holds.
            let restoredPath = work.url.appendingPathComponent("restored/steward.sqlite").path
            try FileManager.default.createDirectory(atPath: work.url.appendingPathComponent("restored").path, withIntermediateDirectories: true)
            try SQLiteBackup.restore(backup, to: restoredPath)
            #expect(throws: StoreError.self) { try SQLiteBackup.restore(backup, to: restoredPath) }
            let restored = try SQLiteStorage(path: restoredPath)
            try await restored.migrate()
            try await TestEnvironment.masterKey.ensureMatches(restored, describing: "test key")
            for tenant in try await restored.tenants() {
                let verification = try await restored.verifyAuditChain(tenantID: tenant.id, chain: TestEnvironment.masterKey.auditChain)
                #expect(verification.firstBroken == nil && verification.entries > 0)
            }
            let devices = try await restored.devices(tenantID: TenantID(rawValue: env.tenant.tenantId.rawValue), query: DeviceQuery(limit: 100))
            #expect(devices.count == check.devices)
            #expect(Set((0..<5).map { "before-\($0)" }).isSubset(of: Set(devices.compactMap(\.deviceName))))
            await restored.close()
        }
    }

    @Test func aDamagedBackupIsNotRestorable() async throws {
        let env = try await TestEnvironment(.sqlite)
        let storage = try #require(env.storage as? SQLiteStorage)
        let work = try TemporaryDirectory()
        let backup = work.url.appendingPathComponent("backup.sqlite").path
        try await env.withClient { api in
            for index in 0..<20 {
                let device = try await api.enroll(.corporate, platformId: "m-\(index)")
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make(appCount: 100)))
            }
        }
        try await storage.backup(to: backup)
        #expect(try SQLiteBackup.check(backup).restorable)
        // Zeros over the middle pages of the file: the b-trees no longer hold together.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: backup))
        let pageSize = 4096
        let middle = (bytes.count / pageSize / 2) * pageSize
        bytes.replaceSubrange(middle..<(middle + 3 * pageSize), with: Data(repeating: 0, count: 3 * pageSize))
        try bytes.write(to: URL(fileURLWithPath: backup))
        let damaged = try? SQLiteBackup.check(backup)
        #expect(damaged?.restorable != true, "\(String(describing: damaged))")
    }

    /// The real binaries: `steward backup` while `steward serve` serves this machine's agent,
    /// `steward backup verify`, `steward restore` into a new data directory, `steward audit verify`.
    @Test func theCommandsBackUpAServingServerAndRestoreIt() async throws {
        let steward = try Executables.url("steward")
        let agentBinary = try Executables.url("steward-agent")
        let work = try TemporaryDirectory()
        let data = work.url.appendingPathComponent("data").path
        let initialised = try runCommand(steward, ["init", "--json", "--data-dir", data])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let server = try RunningServer(steward, ["serve", "--port", "0", "--data-dir", data], logDirectory: work.url)
        let port = try await server.waitUntilServing()
        let base = "http://127.0.0.1:\(port)"
        let admin = AdminClient(server: base, token: tenant.adminToken)
        let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
        let state = work.url.appendingPathComponent("agent").path
        let enrolled = try runCommand(agentBinary, ["enroll", "--server", base, "--token", token, "--state-dir", state])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")

        let backup = work.url.appendingPathComponent("steward-backup.sqlite").path
        let taken = try runCommand(steward, ["backup", "--data-dir", data, "--to", backup])
        #expect(taken.status == 0 && taken.stdout.contains("master key"), "\(taken.stderr)")
        #expect(try runCommand(steward, ["backup", "--data-dir", data, "--to", backup]).status != 0)
        // The server went on serving: the agent checks in after the backup. A SIGHUP (what
        // `systemctl reload` sends) changes nothing on a plain-HTTP server: it goes on serving.
        kill(server.pid, SIGHUP)
        try await server.waitForLog("nothing to reload")
        #expect(try runCommand(agentBinary, ["check-in", "--state-dir", state]).status == 0)
        #expect(try await server.stop() == 0)

        let verified = try runCommand(steward, ["backup", "verify", backup, "--data-dir", data])
        #expect(verified.status == 0 && verified.stdout.contains("integrity: ok") && verified.stdout.contains("chain intact"), "\(verified.stdout)\(verified.stderr)")

        let other = work.url.appendingPathComponent("restored").path
        let keyless = try runCommand(steward, ["restore", "--from", backup, "--data-dir", other])
        #expect(keyless.status != 0 && keyless.stderr.contains("master key"), "\(keyless.stderr)")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/master.key", toPath: other + "/master.key")
        let restored = try runCommand(steward, ["restore", "--from", backup, "--data-dir", other])
        #expect(restored.status == 0 && restored.stdout.contains("1 devices"), "\(restored.stdout)\(restored.stderr)")
        #expect(try runCommand(steward, ["restore", "--from", backup, "--data-dir", other]).status != 0)
        let audit = try runCommand(steward, ["audit", "verify", "--data-dir", other])
        #expect(audit.status == 0 && audit.stdout.contains("chain intact"), "\(audit.stdout)\(audit.stderr)")
        // PostgreSQL is not backed up by steward.
        let refused = try runCommand(steward, ["backup", "--database", "postgres://u@127.0.0.1:1/d", "--to", work.url.appendingPathComponent("x").path])
        #expect(refused.status != 0 && refused.stderr.contains("pg_dump"))
    }

    /// PostgreSQL's own tools: a `pg_dump` of a Steward database restored into a new database
    /// with `psql`, then `steward audit verify` on it.
    @Test(.enabled(if: StoreKind.postgresURL != nil)) func aPgDumpRestoresIntoANewDatabaseThatVerifies() async throws {
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        let key = work.url.appendingPathComponent("master.key").path
        let source = try await TestPostgres.freshDatabaseURL()
        let target = try await TestPostgres.freshDatabaseURL()
        let initialised = try runCommand(steward, ["init", "--json", "--database", source, "--master-key-file", key])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let second = try runCommand(steward, ["tenant", "create", "Second", "--database", source, "--master-key-file", key])
        #expect(second.status == 0, "\(second.stderr)")
        let tools = ["/usr/bin/pg_dump", "/usr/bin/psql"].map { URL(fileURLWithPath: $0) }
        let dump = work.url.appendingPathComponent("steward.sql").path
        let dumped = try runCommand(tools[0], ["--no-owner", "--file", dump, source])
        #expect(dumped.status == 0, "\(dumped.stderr)")
        let loaded = try runCommand(tools[1], ["--quiet", "--set", "ON_ERROR_STOP=1", "--file", dump, target])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        let audit = try runCommand(steward, ["audit", "verify", "--database", target, "--master-key-file", key])
        #expect(audit.status == 0 && audit.stdout.components(separatedBy: "chain intact").count == 3, "\(audit.stdout)\(audit.stderr)")
    }
}
