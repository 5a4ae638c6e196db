import Foundation
import Logging
import Testing
import StewardAgent
import StewardModel
import GRDB
import HTTPTypes
import StewardServer
@testable import StewardSQLite
import StewardStore

@Suite struct CheckInAPITests {
    @Test(arguments: StoreKind.available) func fullCheckInThenHeartbeatThenDelta(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            #expect(device.policy.collectApps)
            let inventory = SampleInventory.make(appCount: 5)
            let full = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            #expect(full.status == .ok)
            let answer = try full.decode(CheckInResponse.self)
            #expect(answer.acknowledged == (try InventoryHasher.hashes(of: inventory)))
            #expect(!answer.fullInventoryRequested && !answer.appsRefused)

            let view = try await api.device(device.deviceId).decode(DeviceView.self)
            #expect(view.deviceName == "finance-laptop-7")
            #expect(view.serialNumber == "PF2ABCDE")
            #expect(view.operatingSystem == "Debian GNU/Linux" && view.osVersion == "12")
            #expect(view.macAddresses == ["52:54:00:12:34:56"] && view.ipAddresses == ["10.0.0.5"])
            #expect(view.phoneNumber == "+44 7700 900123", "a corporate device keeps the full number")
            #expect(view.appCount == 5)
            #expect(view.lastCheckInAt == env.clock.now)
            #expect(try await api.apps(device.deviceId) == inventory.apps)

            // A heartbeat writes nothing but is still seen as a check-in.
            env.clock.advance(60)
            let heartbeat = try await api.checkIn(device.deviceSecret, try SampleInventory.heartbeat(inventory))
            #expect(try heartbeat.decode(CheckInResponse.self).fullInventoryRequested == false)
            #expect(try await api.device(device.deviceId).decode(DeviceView.self).lastCheckInAt == env.clock.now)
            #expect(env.lastSeen.pendingCount == 1)
            await env.lastSeen.flush()
            #expect(try await env.storage.device(tenantID: env.tenant.tenantId, id: device.deviceId)?.lastCheckInAt == env.clock.now)

            // A delta against the acknowledged inventory.
            var changed = inventory
            changed.apps![0].version = "2.0"
            changed.apps!.append(AppRecord(appId: "new:amd64", name: "new", version: "1", sizeBytes: 1, installLocation: nil))
            changed.apps!.remove(at: 1)
            let hashes = try InventoryHasher.hashes(of: changed)
            let delta = CheckInRequest(
                agentVersion: "test", hashes: hashes,
                appsDelta: AppsDelta(baseHash: answer.acknowledged.apps!, upserted: [changed.apps![0], changed.apps!.last!], removed: ["pkg1:amd64"]))
            let deltaAnswer = try await api.checkIn(device.deviceSecret, delta).decode(CheckInResponse.self)
            #expect(deltaAnswer.acknowledged.apps == hashes.apps)
            #expect(Set(try await api.apps(device.deviceId)) == Set(changed.apps!))
            #expect(try await api.device(device.deviceId).decode(DeviceView.self).appCount == 5)

            // An app named twice in a delta is refused whole, as in a full inventory.
            for bent in [
                AppsDelta(baseHash: hashes.apps!, upserted: [changed.apps![0], changed.apps![0]], removed: []),
                AppsDelta(baseHash: hashes.apps!, upserted: [], removed: ["pkg2:amd64", "pkg2:amd64"]),
            ] {
                let refused = try await api.checkIn(device.deviceSecret, CheckInRequest(agentVersion: "test", hashes: hashes, appsDelta: bent))
                #expect(refused.status == .badRequest && refused.errorCode == "invalid_value")
            }
            #expect(Set(try await api.apps(device.deviceId)) == Set(changed.apps!))

            // The same delta again: its base is gone, so nothing is applied and a full inventory is asked for.
            let stale = try await api.checkIn(device.deviceSecret, delta).decode(CheckInResponse.self)
            #expect(stale.fullInventoryRequested)
            #expect(Set(try await api.apps(device.deviceId)) == Set(changed.apps!))
        }
    }

    /// A credential or content type named twice is ambiguous: refused as if absent, whatever
    /// the copies say (here both are the device's own).
    @Test func aHeaderNamedTwiceIsRefused() async throws {
        let env = try await TestEnvironment(.sqlite)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let inventory = SampleInventory.make(appCount: 2)
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            let body = String(decoding: try WireCoding.encoder().encode(try SampleInventory.heartbeat(inventory)), as: UTF8.self)
            func heartbeat(authorizations: Int, contentTypes: Int) async throws -> APIResponse {
                var headers = HTTPFields()
                for _ in 0..<authorizations { headers.append(HTTPField(name: .authorization, value: "Bearer \(device.deviceSecret)")) }
                for _ in 0..<contentTypes { headers.append(HTTPField(name: .contentType, value: "application/json")) }
                return try await api.send(.POST, APIRoute.checkIn.path, headers: headers, body: body)
            }
            #expect(try await heartbeat(authorizations: 1, contentTypes: 1).status == .ok)
            let twice = try await heartbeat(authorizations: 2, contentTypes: 1)
            #expect(twice.status == .unauthorized)
            let typedTwice = try await heartbeat(authorizations: 1, contentTypes: 2)
            #expect(typedTwice.status == .unsupportedMediaType && typedTwice.errorCode == "unsupported_media_type")
        }
    }

    /// `/metrics` shows the check-in writer's load as the store counts it: the check-ins that
    /// wrote (a heartbeat writes nothing), the transactions they took, none waiting once
    /// answered, and time spent writing.
    @Test(arguments: StoreKind.available) func metricsShowTheCheckInWritersLoad(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let inventory = SampleInventory.make(appCount: 5)
            for _ in 0..<2 {
                let device = try await api.enroll(.corporate)
                #expect(try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory)).status == .ok)
                #expect(try await api.checkIn(device.deviceSecret, try SampleInventory.heartbeat(inventory)).status == .ok)
            }
            let scraped = try await api.send(.GET, APIRoute.metrics.path, token: nil)
            let text = String(decoding: scraped.body, as: UTF8.self)
            func sample(_ name: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
            }
            #expect(text.contains("# TYPE steward_check_in_batched_writes_total counter\n"))
            #expect(sample("steward_check_in_batched_writes_total") == 2)
            let batches = sample("steward_check_in_batches_total") ?? 0
            #expect(batches >= 1 && batches <= 2)
            #expect(sample("steward_check_in_writes_waiting") == 0)
            #expect(sample("steward_check_in_batch_fallbacks_total") == 0)
            #expect((sample("steward_check_in_commit_seconds_total") ?? 0) > 0)
            // SQLite groups check-ins for its one writer; PostgreSQL by default writes each alone.
            #expect(sample("steward_check_in_writer_slots") == env.storage.checkInCommitLoad.slots.map(Double.init))
            #expect(store != .sqlite || sample("steward_check_in_writer_slots") == 1)
        }
    }

    /// A fleet checking in at once past what the one SQLite writer takes: beyond the waiting
    /// limit a check-in is answered at once with 503 `database_busy` and `Retry-After`, and
    /// writes nothing (its agent backs off and sends it again); those already waiting are written.
    /// The writer is held by another write until the test opens it (conditions, not times);
    /// were the limit not kept, the third check-in would wait behind it: the time limit (far
    /// above the test's seconds, even in a loaded full suite) fails it then instead of holding
    /// the suite.
    @Test(.timeLimit(.minutes(10))) func checkInsBeyondTheWritersQueueAreRefusedAndWriteNothing() async throws {
        let env = try await TestEnvironment(.sqlite, checkInQueueLimit: 1)
        let sqlite = try #require(env.storage as? SQLiteStorage)
        try await env.withClient { api in
            let inventory = SampleInventory.make(appCount: 5)
            var enrolled: [EnrollResponse] = []
            for _ in 0..<3 { enrolled.append(try await api.enroll(.corporate)) }
            let devices = enrolled
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let release = DispatchSemaphore(value: 0)
            // Waits on the writer's own dispatch queue, never on a cooperative thread.
            let holder = Task { try await sqlite.pool.write { _ in holding.yield(); release.wait() } }
            for await _ in held { break }
            let first = Task { try await api.checkIn(devices[0].deviceSecret, try SampleInventory.fullRequest(inventory)) }
            // Taken from the queue into a commit that waits for the writer.
            while !(sqlite.checkInCommitLoad.committing == 1 && sqlite.checkInCommitLoad.waiting == 0) { await Task.yield() }
            let second = Task { try await api.checkIn(devices[1].deviceSecret, try SampleInventory.fullRequest(inventory)) }
            while sqlite.checkInCommitLoad.waiting < 1 { await Task.yield() }

            let refused = try await api.checkIn(devices[2].deviceSecret, try SampleInventory.fullRequest(inventory))
            #expect(refused.status == .serviceUnavailable && refused.errorCode == "database_busy")
            #expect(refused.headers[.retryAfter] == "1")
            release.signal()
            try await holder.value
            #expect(try await first.value.status == .ok)
            #expect(try await second.value.status == .ok)
            #expect(try await api.appCount(devices[0].deviceId) == 5)
            #expect(try await api.appCount(devices[1].deviceId) == 5)
            #expect(try await api.appCount(devices[2].deviceId) == 0, "the refused check-in wrote nothing")
            #expect(sqlite.checkInCommitLoad.counts.refused == 1)
            let scraped = String(decoding: try await api.send(.GET, APIRoute.metrics.path, token: nil).body, as: UTF8.self)
            #expect(scraped.contains("\nsteward_check_in_refused_busy_total 1\n") && scraped.contains("\nsteward_check_in_waiting_limit 1\n"))
            // Sent again with the writer free: written.
            #expect(try await api.checkIn(devices[2].deviceSecret, try SampleInventory.fullRequest(inventory)).status == .ok)
            #expect(try await api.appCount(devices[2].deviceId) == 5)
        }
    }

    @Test(arguments: StoreKind.available) func asksForAFullInventoryWhenItLacksASection(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            // A heartbeat straight after enrolling: the server holds nothing yet.
            let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.heartbeat(SampleInventory.make()))
            #expect(try answer.decode(CheckInResponse.self).fullInventoryRequested)
        }
    }

    @Test(arguments: StoreKind.available) func personalDevicesAreGated(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.personal)
            #expect(!device.policy.collectApps, "the server tells the agent not to collect apps")
            // An agent that sends apps anyway: stored sections are kept, apps refused and counted.
            let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            #expect(answer.status == .ok)
            let decoded = try answer.decode(CheckInResponse.self)
            #expect(decoded.appsRefused && decoded.acknowledged.apps == nil && !decoded.policy.collectApps)
            let view = try await api.device(device.deviceId).decode(DeviceView.self)
            #expect(view.appCount == 0 && view.refusedAppReports == 1)
            #expect(view.phoneNumber == "••••0123", "a personal device keeps only the last four digits")
            #expect(view.deviceName == "finance-laptop-7")

            // The tenant's compliant-app feature opens the gate.
            let settings = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken,
                json: TenantSettingsPatch(compliantAppFeature: true))
            #expect(try settings.decode(TenantSettings.self).compliantAppFeature)
            let allowed = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            #expect(try allowed.decode(CheckInResponse.self).policy.collectApps)
            #expect(try await api.appCount(device.deviceId) == 5)
        }
    }

    /// Collected under the compliant-app feature, a personal device's apps serve compliance and
    /// counts: no admin lists them one by one (its managed apps stay visible).
    @Test(arguments: StoreKind.available) func aPersonalDevicesAppsAreNeverListed(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            try await api.setCompliantAppFeature(true)
            let personal = try await api.enroll(.personal)
            let corporate = try await api.enroll(.corporate)
            for device in [personal, corporate] {
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
                #expect(try await api.appCount(device.deviceId) == 5)
            }
            let listed = try await api.send(.GET, APIRoute.listDeviceApps.path(personal.deviceId.rawValue), token: api.adminToken)
            #expect(listed.status == .forbidden && listed.errorCode == "personal_device_app_inventory_hidden")
            #expect(try await api.apps(corporate.deviceId).count == 5)
            let managed = try await api.send(.GET, APIRoute.listDeviceManagedApps.path(personal.deviceId.rawValue), token: api.adminToken)
            #expect(managed.status == .ok)
        }
    }

    /// An app catalog row lives while a device holds it: an inventory change, a change to
    /// personal, a deletion or a stale-device removal lets the last holder go, and the row goes
    /// in the same transaction. After a change to personal and after the feature is turned
    /// off, a byte search of the SQLite files (WAL included, after a graceful stop) finds no app
    /// name or install location unique to that device.
    @Test(arguments: StoreKind.available) func appCatalogRowsGoWithTheirLastDevice(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        @Sendable func unique(_ tag: String) -> AppRecord {
            AppRecord(appId: "zz-\(tag):amd64", name: "zz-\(tag)-name", version: "1", sizeBytes: 1, installLocation: "/home/alice/zz-\(tag)-place")
        }
        try await env.withClient { api in
            var devices: [String: EnrollResponse] = [:]
            for tag in ["upgrade", "personal", "deleted", "stale", "feature"] {
                let device = try await api.enroll(tag == "feature" ? .personal : .corporate)
                devices[tag] = device
                if tag == "feature" {
                    try await api.setCompliantAppFeature(true)
                }
                var inventory = SampleInventory.make()
                inventory.apps?.append(unique(tag))
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
                #expect(try await api.appCount(device.deviceId) == 6)
            }
            func catalogHolds(_ tag: String) async throws -> Bool {
                // SQLite counts each app's holders: the counts must equal the rows at every step.
                if let sqlite = env.storage as? SQLiteStorage {
                    let wrong = try await sqlite.pool.read { db in
                        try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM software s WHERE holders <> (
                                SELECT count(*) FROM device_software d WHERE d.tenant_id = s.tenant_id AND d.software_id = s.id)
                            """) ?? -1
                    }
                    #expect(wrong == 0, "software rows whose holder count is wrong")
                }
                return try await env.rawRows("software").joined().contains("zz-\(tag)-name")
            }
            let rows = try await env.rawRows("software").count
            #expect(try await catalogHolds("upgrade") && rows == 10)

            // An inventory without the app: its row goes; the shared ones stay.
            _ = try await api.checkIn(devices["upgrade"]!.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            let after = try await env.rawRows("software").count
            #expect(try await !catalogHolds("upgrade") && after == 9)
            // Personal: its unique app goes at once.
            _ = try await api.send(
                .PATCH, APIRoute.updateDevice.path(devices["personal"]!.deviceId.rawValue), token: api.adminToken,
                json: DevicePatch(ownership: .personal))
            #expect(try await !catalogHolds("personal"))
            // Deleted.
            _ = try await api.send(.DELETE, APIRoute.deleteDevice.path(devices["deleted"]!.deviceId.rawValue), token: api.adminToken)
            #expect(try await !catalogHolds("deleted"))
            // The feature off: the personal device's unique app goes.
            try await api.setCompliantAppFeature(false)
            #expect(try await !catalogHolds("feature"))
            // Stale: every device but the last checked in later; the job removes that one.
            env.clock.advance(100 * 86_400)
            for tag in ["upgrade", "personal", "feature"] {
                _ = try await api.checkIn(devices[tag]!.deviceSecret, CheckInRequest(agentVersion: "t", hashes: SectionHashes(), managedAppsVersion: 0))
            }
            await env.lastSeen.flush()
            env.clock.advance(60 * 86_400)
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: Logger(label: "test"))
            try await jobs.runJobs()
            #expect(try await api.device(devices["stale"]!.deviceId).status == .notFound)
            #expect(try await !catalogHolds("stale"))
            #expect(try await env.rawRows("software").count == 5, "the sample's apps, still held")
        }
        guard store == .sqlite else { return }
        await env.storage.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: env.directory.url.path).filter { $0.hasPrefix("steward.sqlite") }
        var bytes = Data()
        for file in files { bytes += try Data(contentsOf: env.directory.url.appendingPathComponent(file)) }
        #expect(!bytes.isEmpty)
        for tag in ["personal", "feature"] {
            for text in ["zz-\(tag)-name", "/home/alice/zz-\(tag)-place"] {
                #expect(bytes.range(of: Data(text.utf8)) == nil, "\(text) survives in \(files)")
            }
        }
    }

    /// Turning the compliant-app feature off deletes what it let in, in the settings change's
    /// transaction, audited with counts; corporate devices keep theirs, and the app catalog
    /// rows only those personal devices held go too.
    @Test(arguments: StoreKind.available) func turningTheCompliantAppFeatureOffDeletesPersonalAppInventories(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            try await api.setCompliantAppFeature(true)
            let personal = try await api.enroll(.personal)
            let corporate = try await api.enroll(.corporate)
            var inventory = SampleInventory.make()
            _ = try await api.checkIn(corporate.deviceSecret, try SampleInventory.fullRequest(inventory))
            inventory.apps?.append(AppRecord(
                appId: "only-here:amd64", name: "only-here", version: "1", sizeBytes: 1, installLocation: "/home/alice/only-here"))
            _ = try await api.checkIn(personal.deviceSecret, try SampleInventory.fullRequest(inventory))
            #expect(try await api.appCount(personal.deviceId) == 6)
            #expect(try await env.rawRows("software").count == 6)

            let off = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(compliantAppFeature: false))
            #expect(off.status == .ok)
            #expect(try await api.appCount(personal.deviceId) == 0)
            #expect(try await api.appCount(corporate.deviceId) == 5)
            #expect(try await env.rawRows("software").count == 5, "the row only the personal device held went")
            let entries = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=TenantSettings", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items
            let changes = try #require(entries.first { $0.modifiedProperties.contains { $0.name == "compliantAppFeature" && $0.newValue == "false" } })
                .modifiedProperties
            #expect(changes.contains(ModifiedProperty(name: "personalDeviceAppInventoriesDeleted", oldValue: nil, newValue: "1")))
            #expect(changes.contains(ModifiedProperty(name: "appInventoryRowsDeleted", oldValue: nil, newValue: "6")))
            // The agent is told at its next check-in; apps it sends anyway are refused.
            let next = try await api.checkIn(personal.deviceSecret, try SampleInventory.fullRequest(inventory))
            #expect(try next.decode(CheckInResponse.self).appsRefused)
            #expect(try await api.appCount(personal.deviceId) == 0)
        }
    }

    @Test(arguments: StoreKind.available) func becomingPersonalDeletesAppsAndTheFullPhoneNumberAtOnce(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let inventory = SampleInventory.make()
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            #expect(try await api.apps(device.deviceId).count == 5)

            let patched = try await api.send(
                .PATCH, APIRoute.updateDevice.path(device.deviceId.rawValue), token: api.adminToken,
                json: DevicePatch(ownership: .personal))
            let view = try patched.decode(DeviceView.self)
            #expect(view.ownership == .personal && view.appCount == 0 && view.phoneNumber == "••••0123")

            // The agent's next check-in learns the policy and a forced full one still adds no apps.
            let next = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            #expect(try next.decode(CheckInResponse.self).policy.collectApps == false)
            #expect(try await api.appCount(device.deviceId) == 0)
            #expect(try await api.device(device.deviceId).decode(DeviceView.self).phoneNumber == "••••0123")
        }
    }

    // Re-enrolling a known machine: HostileClientTests.reEnrollmentNeedsProofAndNothingAcknowledgedIsLost,
    // against the real server.

    @Test(arguments: StoreKind.available) func enrollmentTokensExpireRunOutAndAreRevoked(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let request = EnrollRequest(platform: .linux, platformId: nil, deviceName: "x", agentVersion: nil)
            let once = try await api.enrollmentToken(.corporate, maxUses: 1)
            #expect(try await api.send(.POST, APIRoute.enroll.path, token: once, json: request).status == .created)
            let usedUp = try await api.send(.POST, APIRoute.enroll.path, token: once, json: request)
            #expect(usedUp.status == .forbidden && usedUp.errorCode == "enrollment_token_unusable")

            let expiring = try await api.send(
                .POST, APIRoute.createEnrollmentToken.path, token: api.adminToken,
                json: EnrollmentTokenCreateRequest(ownership: .personal, expiresAt: env.clock.now + 60))
            let token = try expiring.decode(EnrollmentTokenView.self)
            env.clock.advance(61)
            #expect(try await api.send(.POST, APIRoute.enroll.path, token: token.token, json: request).status == .forbidden)

            let revocable = try await api.enrollmentToken(.corporate)
            let id = String(revocable.split(separator: ".")[2])
            #expect(try await api.send(.DELETE, APIRoute.revokeEnrollmentToken.path(id), token: api.adminToken).status == .noContent)
            #expect(try await api.send(.POST, APIRoute.enroll.path, token: revocable, json: request).status == .forbidden)

            var forged = Array(revocable)
            forged[forged.count - 1] = forged.last == "A" ? "B" : "A"
            let wrong = try await api.send(.POST, APIRoute.enroll.path, token: String(forged), json: request)
            #expect(wrong.status == .unauthorized && wrong.errorCode == "invalid_enrollment_token")

            let listed = try await api.send(.GET, APIRoute.listEnrollmentTokens.path, token: api.adminToken)
                .decode(Page<EnrollmentTokenView>.self).items
            #expect(listed.count == 3 && listed.allSatisfy { $0.token == nil }, "a token is shown only once")
            #expect(listed.first?.useCount == 1)
        }
    }

    /// Enrollments racing for a token's last uses: exactly as many get in as it allows, and it
    /// counts them. The controller's check passes them all at once; the store's, under the
    /// token's lock as it is used, decides.
    @Test(arguments: StoreKind.available) func racingEnrollmentsTakeATokensUsesExactly(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let token = try await api.enrollmentToken(.corporate, maxUses: 3)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        try await api.send(
                            .POST, APIRoute.enroll.path, token: token,
                            json: EnrollRequest(platform: .linux, platformId: nil, deviceName: "r\(index)", agentVersion: nil)
                        ).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 3)
            #expect(statuses.allSatisfy { $0 == .created || $0 == .forbidden }, "\(statuses)")
            let listed = try await api.send(.GET, APIRoute.listEnrollmentTokens.path, token: api.adminToken)
                .decode(Page<EnrollmentTokenView>.self).items
            #expect(listed.map(\.useCount) == [3])
            #expect(try await env.storage.deviceCounts(tenantID: env.tenant.tenantId).total == 3)
        }
    }
}

/// A read while buffered heartbeat times are being written still sees them: between the batch
/// leaving the buffer and the write committing, the database has the older time.
@Suite struct LastSeenRecorderTests {
    @Test func aReadDuringAFlushSeesTheNewTime() async throws {
        let env = try await TestEnvironment()
        let gate = WriteGate()
        let recorder = LastSeenRecorder(store: GatedLastSeenStore(inner: env.storage, gate: gate), interval: .seconds(3600), logger: env.dependencies.logger)
        let device = try await env.withClient { api in try await api.enroll(.corporate).deviceId }
        let tenant = env.tenant.tenantId
        recorder.record(tenantID: tenant, deviceID: device, at: env.clock.now)
        async let flushed: Void = recorder.flush()
        await gate.waitUntilEntered()
        #expect(recorder.pendingTime(tenantID: tenant, deviceID: device) == env.clock.now, "mid-write, still overlaid")
        await gate.open()
        await flushed
        #expect(recorder.pendingTime(tenantID: tenant, deviceID: device) == nil)
        #expect(try await env.storage.device(tenantID: tenant, id: device)?.lastCheckInAt == env.clock.now)
    }
}

/// Holds `recordLastSeen` until opened; everything else goes to the real store.
struct GatedLastSeenStore: InventoryStore {
    let inner: any Storage
    let gate: WriteGate

    func checkIn(_ update: InventoryUpdate) async throws -> CheckInWritten { try await inner.checkIn(update) }
    func apps(tenantID: TenantID, deviceID: DeviceID, after: String?, limit: Int) async throws -> [AppRecord] {
        try await inner.apps(tenantID: tenantID, deviceID: deviceID, after: after, limit: limit)
    }
    func recordLastSeen(_ batch: [LastSeen]) async throws {
        await gate.enterAndWait()
        try await inner.recordLastSeen(batch)
    }
}

actor WriteGate {
    private var entered: [CheckedContinuation<Void, Never>] = []
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var isEntered = false
    private var isOpen = false

    func enterAndWait() async {
        isEntered = true
        for continuation in entered { continuation.resume() }
        entered = []
        if !isOpen { await withCheckedContinuation { waiting.append($0) } }
    }

    func waitUntilEntered() async {
        if !isEntered { await withCheckedContinuation { entered.append($0) } }
    }

    func open() {
        isOpen = true
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}

/// The report summary's check-ins per day (counted with the usage counts) and its inactive
/// devices (not checked in for `inactiveDays`, or never).
@Suite struct CheckInSummaryTests {
    @Test(arguments: StoreKind.available) func theSummaryCountsCheckInsPerDayAndInactiveDevices(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let active = try await api.enroll(.corporate, platformId: "active")
            let silent = try await api.enroll(.corporate, platformId: "silent")
            _ = try await api.enroll(.corporate, platformId: "never")
            let inventory = SampleInventory.make()
            _ = try await api.checkIn(silent.deviceSecret, try SampleInventory.fullRequest(inventory))
            env.clock.advance(10 * 86_400)
            _ = try await api.checkIn(active.deviceSecret, try SampleInventory.fullRequest(inventory))
            _ = try await api.checkIn(active.deviceSecret, try SampleInventory.heartbeat(inventory))
            await env.usage.flush()
            await env.lastSeen.flush()
            let summary = try await api.send(.GET, APIRoute.reportSummary.path, token: api.adminToken).decode(ReportSummary.self)
            let today = DiagnosticsDay.day(of: env.clock.now)
            let earlier = DiagnosticsDay.day(of: env.clock.now.addingTimeInterval(-10 * 86_400))
            #expect(summary.checkIns == [DayCount(day: earlier, count: 1), DayCount(day: today, count: 2)])
            // The silent one (10 days) and the one that never checked in.
            #expect(summary.inactiveDevices == 2 && summary.inactiveDays == ReportSummary.inactiveDaysDefault)
            // Another tenant's summary counts none of these.
            let theirs = try await api.send(.GET, APIRoute.reportSummary.path, token: env.otherTenant.adminToken).decode(ReportSummary.self)
            #expect(theirs.checkIns.isEmpty && theirs.inactiveDevices == 0)
        }
    }
}
