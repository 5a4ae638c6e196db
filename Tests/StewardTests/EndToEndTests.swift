import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import StewardAgent
import StewardModel
import StewardPostgres

/// The real `steward` binary serving on loopback, the real `steward-agent` enrolling this very
/// machine and reporting its real inventory.
@Suite(.serialized) struct EndToEndTests {
    /// The flags naming a fresh store: a data directory, or a new PostgreSQL database.
    static func storeArguments(_ store: StoreKind, in work: TemporaryDirectory) async throws -> [String] {
        switch store {
        case .sqlite: ["--data-dir", work.url.appendingPathComponent("data").path]
        case .postgres:
            ["--database", try await TestPostgres.freshDatabaseURL(), "--master-key-file", work.url.appendingPathComponent("master.key").path]
        }
    }

    @Test(arguments: StoreKind.available) func enrollThisMachineSeeItsInventoryThenMakeItPersonal(store: StoreKind) async throws {
        let steward = try Executables.url("steward")
        let agentBinary = try Executables.url("steward-agent")
        let work = try TemporaryDirectory()
        let storeArguments = try await Self.storeArguments(store, in: work)
        let stateDir = work.url.appendingPathComponent("agent").path

        // steward init --json prints the tenant and its admin token once.
        let initialised = try runCommand(steward, ["init", "--json"] + storeArguments)
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let again = try runCommand(steward, ["init", "--json"] + storeArguments)
        #expect(again.status != 0 && again.stderr.contains("already initialised"))

        let server = try RunningServer(steward, ["serve", "--port", "0"] + storeArguments, logDirectory: work.url)
        let port = try await server.waitUntilServing()
        let base = "http://127.0.0.1:\(port)"
        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(10))
        #expect(health.status == .ok)

        let admin = AdminClient(server: base, token: tenant.adminToken)
        let token = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
        let enrolled = try runCommand(
            agentBinary, ["enroll", "--server", base, "--token", token.token ?? "", "--state-dir", stateDir])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")

        // device.json: the identity, readable by its owner only.
        let identityPath = stateDir + "/device.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: identityPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let identity = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: identityPath))) as? [String: String]
        #expect(identity?["server"] == base)
        let deviceID = DeviceID(rawValue: try #require(identity?["deviceId"]))
        #expect(identity?["deviceSecret"]?.isEmpty == false)

        // Enrolling again with the same state directory changes nothing.
        let reEnrolled = try runCommand(
            agentBinary, ["enroll", "--server", base, "--token", token.token ?? "", "--state-dir", stateDir])
        #expect(reEnrolled.status == 0 && reEnrolled.stdout.contains("Already enrolled"))
        #expect(try await admin.devices().items.map(\.id) == [deviceID])

        // Exactly this machine's installed Debian packages, MAC addresses and OS version.
        let device = try await admin.device(deviceID)
        let apps = try await admin.allApps(deviceID)
        let dpkg = try runCommand(
            URL(fileURLWithPath: "/usr/bin/dpkg-query"), ["-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"])
        let installed = Set(dpkg.stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].dropFirst().first == "i" else { return nil }
            return "\(fields[1]) \(fields[2])"
        })
        #expect(!installed.isEmpty)
        #expect(Set(apps.map { "\($0.name) \($0.version ?? "")" }) == installed)
        #expect(device.appCount == apps.count)
        #expect(Set(device.macAddresses) == Self.machineMACAddresses())
        #expect(device.osVersion == Self.osRelease("VERSION_ID"))
        #expect(device.operatingSystem == Self.osRelease("NAME"))
        #expect(device.ownership == .corporate && device.lastCheckInAt != nil)

        // A no-change check-in is a heartbeat.
        let heartbeat = try runCommand(agentBinary, ["check-in", "--state-dir", stateDir])
        #expect(heartbeat.status == 0 && heartbeat.stdout.contains("no change (heartbeat)"), "\(heartbeat.stdout)\(heartbeat.stderr)")

        // A malformed check-in is refused and the stored inventory is unchanged.
        let secret = try #require(identity?["deviceSecret"])
        var bad = HTTPClientRequest(url: base + APIRoute.checkIn.path)
        bad.method = .POST
        bad.headers.add(name: "Authorization", value: "Bearer \(secret)")
        bad.headers.add(name: "Content-Type", value: "application/json")
        bad.body = .bytes(ByteBuffer(string: #"{"hashes": {}, "apps": [{"appId": 42}]"#))
        let refused = try await HTTPClient.shared.execute(bad, timeout: .seconds(10))
        #expect(refused.status == .badRequest)
        let body = try WireCoding.decoder().decode(ErrorBody.self, from: Data(try await refused.body.collect(upTo: 65536).readableBytesView))
        #expect(body.error.code == "malformed_json" || body.error.code == "invalid_type")
        #expect(try await admin.allApps(deviceID) == apps)

        // Personal: the apps go at once, and new check-ins (even full ones) add none.
        let personal = try await admin.updateDevice(deviceID, DevicePatch(ownership: .personal))
        #expect(personal.ownership == .personal && personal.appCount == 0)
        await #expect(throws: (any Error).self, "a personal device's apps are not listed") { try await admin.allApps(deviceID) }
        for arguments in [["check-in"], ["check-in", "--full"]] {
            let result = try runCommand(agentBinary, arguments + ["--state-dir", stateDir])
            #expect(result.status == 0 && result.stdout.contains("apps not collected"), "\(result.stdout)\(result.stderr)")
        }
        let after = try await admin.device(deviceID)
        #expect(after.appCount == 0 && after.refusedAppReports == 0, "the agent obeyed the gate")

        // The agent's own timings went up with the full check-in, under a pseudonym only.
        let diagnostics = try await admin.diagnostics(query: "?limit=1000").items
        #expect(Set(diagnostics.map(\.name)).isSuperset(of: ["inventory.collect", "check-in.inventory", "check-in.heartbeat"]))
        #expect(diagnostics.allSatisfy { $0.devicePseudonym != nil && $0.devicePseudonym != deviceID.rawValue })
        #expect(diagnostics.filter { $0.name == "inventory.collect" }.allSatisfy { ($0.durationMs ?? -1) > 0 })
        #expect(try await admin.device(deviceID).appCount == 0)

        // The periodic agent: two check-ins a second apart, then it stops by itself.
        let periodic = try runCommand(agentBinary, ["run", "--state-dir", stateDir, "--interval", "1", "--count", "2"])
        #expect(periodic.status == 0, "\(periodic.stderr)")
        #expect(periodic.stdout.components(separatedBy: "Checked in device").count == 3)

        // SIGTERM stops the server cleanly.
        #expect(try await server.stop() == 0)

        let dryRun = try runCommand(steward, ["migrate", "--dry-run"] + storeArguments)
        #expect(dryRun.status == 0 && dryRun.stdout.contains("Up to date"))
        let second = try runCommand(steward, ["tenant", "create", "Globex", "--json"] + storeArguments)
        let other = try WireCoding.decoder().decode(TenantCreated.self, from: Data(second.stdout.utf8))
        #expect(other.tenantId != tenant.tenantId)
    }

    /// Two replicas against one PostgreSQL serve one set of devices, and the once-per-deployment
    /// jobs pass to the survivor when their holder is killed.
    @Test(.enabled(if: StoreKind.postgresURL != nil)) func replicasShareOneTruthAndHandOverJobs() async throws {
        let steward = try Executables.url("steward")
        let agentBinary = try Executables.url("steward-agent")
        let work = try TemporaryDirectory()
        let url = try await TestPostgres.freshDatabaseURL()
        // The replicas share the deployment's master key (made by init).
        let key = ["--master-key-file", work.url.appendingPathComponent("master.key").path]
        let initialised = try runCommand(steward, ["init", "--json", "--database", url] + key)
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))

        func replica(_ name: String) throws -> RunningServer {
            try RunningServer(
                steward, ["serve", "--port", "0", "--database", url] + key,
                environment: ["STEWARD_REPLICA_ID": name, "STEWARD_JOB_INTERVAL_SECONDS": "1"], logDirectory: work.url)
        }
        let replicas = ["a": try replica("a"), "b": try replica("b")]
        let a = "http://127.0.0.1:\(try await replicas["a"]!.waitUntilServing())"
        let b = "http://127.0.0.1:\(try await replicas["b"]!.waitUntilServing())"

        // Enrolled through A, checked in through B, read through A.
        let token = try await AdminClient(server: a, token: tenant.adminToken)
            .createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate))
        let stateDir = work.url.appendingPathComponent("agent")
        let enrolled = try runCommand(
            agentBinary, ["enroll", "--no-check-in", "--server", a, "--token", token.token ?? "", "--state-dir", stateDir.path])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")
        let identityURL = stateDir.appendingPathComponent("device.json")
        var identity = try JSONSerialization.jsonObject(with: Data(contentsOf: identityURL)) as? [String: String] ?? [:]
        identity["server"] = b
        try JSONSerialization.data(withJSONObject: identity).write(to: identityURL)
        let checkedIn = try runCommand(agentBinary, ["check-in", "--state-dir", stateDir.path])
        #expect(checkedIn.status == 0 && checkedIn.stdout.contains("apps"), "\(checkedIn.stderr)")
        let deviceID = DeviceID(rawValue: identity["deviceId"] ?? "")
        let throughA = try await AdminClient(server: a, token: tenant.adminToken).device(deviceID)
        let throughB = try await AdminClient(server: b, token: tenant.adminToken).device(deviceID)
        #expect(throughA.appCount > 0 && throughA == throughB)
        #expect(try await AdminClient(server: a, token: tenant.adminToken).allApps(deviceID).count == throughA.appCount)

        // One replica runs the jobs; kill it and the other takes over.
        let store = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
        func holder(after: Date) async throws -> String? {
            for _ in 0..<300 {
                if let run = try await store.jobRuns().first, run.ranAt > after { return run.holder }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }
        let first = try #require(try await holder(after: .distantPast))
        let killedAt = Date()
        try await replicas[first]!.kill()
        let second = try #require(try await holder(after: killedAt))
        #expect(Set([first, second]) == ["a", "b"], "the survivor took the jobs over")
        let survivor = first == "a" ? b : a
        #expect(try await AdminClient(server: survivor, token: tenant.adminToken).device(deviceID).appCount == throughA.appCount)
        await store.close()
        for (name, server) in replicas where name != first { #expect(try await server.stop() == 0) }
    }

    /// The benchmark cannot rot: every sub-command at a tiny size, on every store (speed is
    /// never asserted; that the phases ran, and what they must report, is).
    @Test(arguments: StoreKind.available) func benchmarkRunsAtATinySize(store: StoreKind) async throws {
        let work = try TemporaryDirectory()
        func run(_ arguments: [String]) async throws -> [[String: Any]] {
            let output = work.url.appendingPathComponent("\(arguments[0]).json")
            var all = arguments + ["--concurrency", "2", "--duration", "1", "--json", output.path]
            if store == .postgres { all += ["--database", try await TestPostgres.freshSchemaURL()] }
            let result = try runCommand(try Executables.url("steward-bench"), all)
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [[String: Any]] ?? []
        }
        func phases(_ rows: [[String: Any]]) -> [String] { rows.compactMap { $0["phase"] as? String } }

        // Without group commit (each check-in its own transaction), as a comparison runs it.
        let ingest = try await run(["ingest", "--devices", "4", "--pool", "60", "--heartbeats", "1", "--delta-rounds", "1", "--group-commit", "1"])
        #expect(phases(ingest) == ["ceiling", "enroll", "full", "delta", "heartbeat"])
        #expect(ingest.allSatisfy { ($0["rate"] as? Double ?? 0) > 0 && $0["store"] as? String == store.rawValue })
        for row in ingest {
            #expect(row["p50Ms"] is Double && row["p99Ms"] is Double)
            // Read from the server's own process (in clock ticks: a tiny phase may round to 0).
            #expect((row["serverCpuSecondsPer1000"] as? Double ?? -1) >= 0)
            #expect((row["serverPeakRssBytes"] as? Int ?? 0) > 1_000_000)
        }
        #expect((ingest.first?["serverCpuSecondsPer1000"] as? Double ?? 0) > 0, "a second of ceiling requests costs ticks")
        #expect((ingest.first { $0["phase"] as? String == "full" }?["dbBytesPerDevice"] as? Int ?? 0) > 0)

        // The server's own limit under wrk: the bare route, /health, heartbeats, deltas there and
        // back (none of them answered with a request for a full inventory) and fulls, each a
        // share of the bare route; then deltas and fulls mixed (not a default phase).
        // One connection: each device's deltas in order, so none may be answered with a request
        // for a full inventory.
        let wrk = try await run([
            "wrk", "--devices", "8", "--connections", "1", "--threads", "1", "--full-devices", "2",
            "--phases", "health,heartbeat,delta,full,mixed",
        ])
        // The bare route again before every phase (each phase's share is against the one before it).
        let bareRoute = "bare route (wrk)"
        #expect(phases(wrk) == [
            bareRoute, "health (wrk)", bareRoute, "bare post (wrk)", bareRoute, "heartbeat (wrk)", bareRoute, "delta (wrk)", bareRoute,
            "full (wrk)", bareRoute, "mixed (wrk)",
        ])
        #expect(wrk.allSatisfy { ($0["rate"] as? Double ?? 0) > 0 && ($0["ofCeiling"] as? Double ?? 0) > 0 })
        for (index, row) in wrk.enumerated() where row["phase"] as? String != bareRoute {
            let before = wrk[index - 1]["rate"] as? Double ?? 0, rate = row["rate"] as? Double ?? 0
            #expect(abs((row["ofCeiling"] as? Double ?? 0) - rate / before) < 1e-9, "\(row["phase"] ?? "?") against the bare route before it")
        }
        #expect(wrk.first { $0["phase"] as? String == "heartbeat (wrk)" }?["devices"] as? Int == 8)
        #expect(wrk.first { $0["phase"] as? String == "full (wrk)" }?["devices"] as? Int == 2)
        let corporate = wrk.first { $0["phase"] as? String == "delta (wrk)" }?["devices"] as? Int ?? 0
        #expect(corporate > 2 && wrk.last?["devices"] as? Int == corporate, "every corporate device mixes")
        #expect(wrk.filter { ["delta (wrk)", "full (wrk)", "mixed (wrk)"].contains($0["phase"] as? String) }.allSatisfy {
            $0["askedForFull"] as? Int == 0
        })

        let ceiling = try await run(["ceiling", "--requests", "50"])
        #expect(phases(ceiling) == ["ceiling"] && (ceiling.first?["rate"] as? Double ?? 0) > 0)

        let scale = try await run(["scale", "--sizes", "20,40", "--active", "3", "--apps", "20", "--queries", "3", "--heartbeats", "1"])
        let reports = [
            "list first page", "list deep page", "device detail", "filter by OS", "device apps", "tenant counts",
            "console dashboard", "console devices page", "console devices deep page", "console devices OS filter",
            "console device page",
        ]
        #expect(phases(scale) == ["ceiling"] + ["delta", "heartbeat"] + reports + ["delta", "heartbeat"] + reports)
        let perSize = 2 + reports.count
        #expect(scale.dropFirst().map { $0["devices"] as? Int } == Array(repeating: 20, count: perSize) + Array(repeating: 40, count: perSize))

        // Every target from one run: wrk on SQLite (and PostgreSQL, given a database), the pages
        // and memory at the largest size; each verdict names what it measured.
        let targets = try await run([
            "targets", "--devices", "8", "--connections", "1", "--threads", "1", "--full-devices", "2", "--sizes", "20",
            "--active", "3", "--apps", "20", "--queries", "3",
        ])
        let stores: [String] = store == .postgres ? ["sqlite", "postgres"] : ["sqlite"]
        let wrkTargets = ["/health under wrk", "heartbeats under wrk", "deltas under wrk", "full inventories (300 apps) under wrk"]
        let pageTargets = ["list first page", "list deep page", "device detail", "console devices page", "console device page"]
            .map { "\($0) at 20 devices" } + ["server memory at 20 devices, agents ingesting"]
        #expect(targets.compactMap { $0["target"] as? String } == stores.flatMap { _ in wrkTargets } + pageTargets)
        #expect(targets.compactMap { $0["store"] as? String } == stores.flatMap { Array(repeating: $0, count: 4) } + Array(repeating: "sqlite", count: 6))
        #expect(targets.allSatisfy { ($0["value"] as? Double ?? -1) >= 0 && $0["met"] is Bool && !($0["measured"] as? String ?? "").isEmpty })

        let fixture = OCSProtocolTests.fixtures.appendingPathComponent("ocs-agent-linux.xml").path
        let ocs = try await run(["ocs", "--inventory", fixture, "--devices", "3"])
        #expect(phases(ocs) == ["ocs prolog", "ocs inventory", "ocs inventory again"] && ocs.allSatisfy { ($0["rate"] as? Double ?? 0) > 0 })

        let decode = try runCommand(try Executables.url("steward-bench"), ["ocs-decode", "--inventory", fixture, "--iterations", "2"])
        let decodePhases = decode.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(decode.status == 0 && decode.stdout.contains("of 20 apps"), "\(decode.stdout)\(decode.stderr)")
        #expect(Array(decodePhases.dropFirst()) == ["inflate", "parse", "map", "hash", "validate", "total"], "\(decode.stdout)")

        var taskArguments = ["tasks", "--count", "3"]
        if store == .postgres { taskArguments += ["--database", try await TestPostgres.freshSchemaURL()] }
        let tasks = try runCommand(try Executables.url("steward-bench"), taskArguments)
        #expect(tasks.status == 0 && tasks.stdout.contains("remote-task delivery"), "\(tasks.stdout)\(tasks.stderr)")
    }

    @Test func quickstartShowsThisMachine() throws {
        let work = try TemporaryDirectory()
        let result = try runCommand(
            try Executables.url("steward"),
            ["quickstart", "--exit", "--port", "0", "--data-dir", work.url.appendingPathComponent("qs").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("installed Debian packages"))
        #expect(result.stdout.contains(Self.osRelease("NAME") ?? "?"))
        for mac in Self.machineMACAddresses() { #expect(result.stdout.contains(mac)) }
    }

    static func machineMACAddresses() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []
        return Set(names.filter { $0 != "lo" }.compactMap { name in
            let mac = (try? String(contentsOfFile: "/sys/class/net/\(name)/address", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return mac == "00:00:00:00:00:00" || mac?.isEmpty == true ? nil : mac
        })
    }

    static func osRelease(_ key: String) -> String? {
        let text = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(key + "=") {
            return String(line.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}

/// Debian's OCS Inventory and FusionInventory agents, unmodified, against a real `steward serve`
/// (`scripts/test` installs them; without them this test fails rather than passes empty).
@Suite struct RealOCSAgentTests {
    static func installed(_ path: String) -> URL? {
        FileManager.default.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
    }

    @Test func debiansOCSAndFusionInventoryAgentsPutThisMachineInSteward() async throws {
        guard let ocs = Self.installed("/usr/bin/ocsinventory-agent"), let fusion = Self.installed("/usr/bin/fusioninventory-agent") else {
            Issue.record("install Debian's ocsinventory-agent and fusioninventory-agent (scripts/test does)")
            return
        }
        let steward = try Executables.url("steward")
        let work = try TemporaryDirectory()
        let data = ["--data-dir", work.url.appendingPathComponent("data").path]
        let initialised = try runCommand(steward, ["init", "--json"] + data)
        let tenant = try WireCoding.decoder().decode(TenantCreated.self, from: Data(initialised.stdout.utf8))
        let server = try RunningServer(steward, ["serve", "--port", "0"] + data, logDirectory: work.url)
        let base = "http://127.0.0.1:\(try await server.waitUntilServing())"
        let admin = AdminClient(server: base, token: tenant.adminToken)

        // The OCS Unix agent: its password given base64-encoded, as its Debian package expects.
        let corporate = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .corporate)).token ?? ""
        let ran = try runCommand(ocs, [
            "--server", base + "/ocsinventory", "--password", Data(corporate.utf8).base64EncodedString(), "--nolocal",
            "--basevardir", work.url.appendingPathComponent("ocs").path,
        ])
        #expect(ran.status == 0, "\(ran.stderr.suffix(800))")
        let packages = try runCommand(URL(fileURLWithPath: "/usr/bin/dpkg-query"), ["-W", "-f", "${db:Status-Status}\n"])
        let installedPackages = packages.stdout.split(separator: "\n").filter { $0 == "installed" }.count
        let first = try #require(try await admin.devices().items.first)
        #expect(first.ownership == .corporate && first.platform == .linux)
        #expect(first.deviceName == ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init))
        #expect(first.operatingSystem?.contains("Debian") == true)
        #expect(first.appCount == installedPackages, "every dpkg package: \(first.appCount) of \(installedPackages)")
        let machineMACs = Set(try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net").compactMap { name -> String? in
            guard name != "lo" else { return nil }
            return try? String(contentsOfFile: "/sys/class/net/\(name)/address", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        })
        #expect(!Set(first.macAddresses).isDisjoint(with: machineMACs), "this machine's MACs \(machineMACs) in \(first.macAddresses)")

        // FusionInventory on the same machine is the same machine (its MACs), not a second device.
        func fusionInventory(_ token: String) throws {
            let fused = try runCommand(fusion, [
                "--server", base + "/ocsinventory", "--user", "steward", "--password", token, "--tasks", "inventory", "--no-httpd",
                "--force",
            ], environment: ["HOME": work.url.path])
            #expect(fused.status == 0, "\(fused.stderr.suffix(800))")
        }
        try fusionInventory(corporate)
        #expect(try await admin.devices().items.map(\.id) == [first.id])
        // Deleted, then reported with a personal token: the machine again, and no software.
        var delete = HTTPClientRequest(url: base + APIRoute.deleteDevice.path(first.id.rawValue))
        delete.method = .DELETE
        delete.headers.add(name: "Authorization", value: "Bearer \(tenant.adminToken)")
        #expect(try await HTTPClient.shared.execute(delete, timeout: .seconds(30)).status == .noContent)
        let personal = try await admin.createEnrollmentToken(EnrollmentTokenCreateRequest(ownership: .personal)).token ?? ""
        try fusionInventory(personal)
        let devices = try await admin.devices().items
        let second = try #require(devices.first)
        #expect(devices.count == 1 && second.ownership == .personal && second.appCount == 0)
        #expect(second.operatingSystem?.contains("Debian") == true)
        _ = try await server.stop()
        // The environment and the process list FusionInventory sent are in no database file.
        let environment = ProcessInfo.processInfo.environment
        var bytes = Data()
        let dataDir = work.url.appendingPathComponent("data")
        for file in try FileManager.default.contentsOfDirectory(atPath: dataDir.path) where file.hasPrefix("steward.sqlite") {
            bytes += try Data(contentsOf: dataDir.appendingPathComponent(file))
        }
        for (key, value) in environment where value.count >= 12 && key != "PATH" && !value.hasPrefix("/") {
            #expect(bytes.range(of: Data(value.utf8)) == nil, "the environment's \(key) is in the database")
        }
        #expect(bytes.range(of: Data("/usr/bin/fusioninventory-agent --server".utf8)) == nil, "a process command line is in the database")
    }
}
