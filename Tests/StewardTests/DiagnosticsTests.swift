import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// Pseudonymized diagnostics: stored under pseudonyms only, rolled up per day as they arrive,
/// turned back into a device or user only with `privacy.reidentify` and an audit entry, and
/// kept 30 days; audit entries past the tenant's retention are purged behind a sealed anchor.
@Suite struct DiagnosticsTests {
    /// A user with a device enrolled for them.
    static func userWithDevice(_ api: APIClient, name: String = "Pat Example") async throws -> (UserView, EnrollResponse) {
        let user: UserView = try await api.created(
            .POST, APIRoute.createUser.path, UserCreateRequest(displayName: name, upn: "\(UUID().uuidString.prefix(8))@example.test"))
        let token: EnrollmentTokenView = try await api.created(
            .POST, APIRoute.createEnrollmentToken.path, EnrollmentTokenCreateRequest(ownership: .corporate, userId: user.id))
        let device = try await api.send(
            .POST, APIRoute.enroll.path, token: token.token,
            json: EnrollRequest(platform: .linux, platformId: "p-\(user.id)", deviceName: "laptop", agentVersion: "t")
        ).decode(EnrollResponse.self)
        return (user, device)
    }

    @Test(arguments: StoreKind.available) func rowsCarryNoDeviceOrUserIDInTheClear(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (user, device) = try await Self.userWithDevice(api)
            let now = env.clock.now
            let events = [
                DiagnosticEvent(kind: .command, name: "apt-get", at: now - 60, durationMs: 10, success: true),
                DiagnosticEvent(kind: .installOutcome, name: "firefox-esr", at: now - 30, success: false, code: "E_DPKG_LOCK"),
                DiagnosticEvent(kind: .featureUsed, name: "inventory.full", at: now),
            ]
            let receipt = try await api.diagnostics(device.deviceSecret, events)
            #expect(receipt.status == .ok)
            #expect(try receipt.decode(DiagnosticsReceipt.self).accepted == 3)

            // What someone reading the table sees: pseudonyms, never the IDs or the secret.
            let rows = try await env.rawRows("diagnostic_events")
            #expect(rows.count == 3)
            for row in rows {
                for secret in [device.deviceId.rawValue, user.id.rawValue, device.deviceSecret, "Pat Example"] {
                    #expect(!row.contains(secret), "\(row)")
                }
                #expect(row.contains("p1-"), "stored under version 1 pseudonyms")
            }
            let stored = try await api.storedDiagnostics()
            let devicePseudonym = try #require(stored.first?.devicePseudonym)
            let userPseudonym = try #require(stored.first?.userPseudonym)
            #expect(devicePseudonym != userPseudonym)
            #expect(stored.allSatisfy { $0.devicePseudonym == devicePseudonym && $0.userPseudonym == userPseudonym })
            #expect(stored.map(\.name) == ["apt-get", "firefox-esr", "inventory.full"])
            #expect(stored[1].code == "E_DPKG_LOCK" && stored[1].success == false)
            #expect(try await api.storedDiagnostics("?kind=command").map(\.name) == ["apt-get"])
            #expect(try await api.storedDiagnostics("?pseudonym=\(devicePseudonym)").count == 3)
            // Another device's events have their own pseudonym; another tenant sees nothing.
            let other = try await api.enroll(.corporate, platformId: "other")
            try await api.diagnostics(other.deviceSecret, [DiagnosticEvent(kind: .agentError, name: "collector", at: now, code: "EIO")])
            #expect(try await api.storedDiagnostics().last?.devicePseudonym != devicePseudonym)
            let globex = try await api.send(.GET, APIRoute.listDiagnostics.path, token: env.otherTenant.adminToken)
            #expect(try globex.decode(Page<DiagnosticEventView>.self).items.isEmpty)

            // Turning a pseudonym back needs privacy.reidentify, a reason, and leaves an audit entry.
            let subject = try await api.send(
                .POST, APIRoute.reidentify.path, token: api.adminToken,
                json: ReidentifyRequest(pseudonym: devicePseudonym, reason: "ticket 4711: agent keeps failing"))
            #expect(try subject.decode(PseudonymSubject.self) == PseudonymSubject(
                pseudonym: devicePseudonym, subjectType: .device, subjectId: device.deviceId.rawValue, keyVersion: 1))
            let userSubject = try await api.send(
                .POST, APIRoute.reidentify.path, token: api.adminToken, json: ReidentifyRequest(pseudonym: userPseudonym, reason: "same ticket"))
            #expect(try userSubject.decode(PseudonymSubject.self).subjectId == user.id.rawValue)
            let entry = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=Pseudonym&limit=2", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items.last
            #expect(entry?.targetType == "Device" && entry?.targetId == device.deviceId.rawValue)
            #expect(entry?.modifiedProperties.contains(ModifiedProperty(name: "reason", oldValue: nil, newValue: "ticket 4711: agent keeps failing")) == true)
            #expect(try await api.send(
                .POST, APIRoute.reidentify.path, token: api.adminToken, json: ReidentifyRequest(pseudonym: "p1-unknown", reason: "x")
            ).status == .notFound)
            #expect(try await api.send(
                .POST, APIRoute.reidentify.path, token: env.otherTenant.adminToken, json: ReidentifyRequest(pseudonym: devicePseudonym, reason: "x")
            ).status == .notFound, "another tenant's pseudonym is unknown here")
        }
    }

    @Test(arguments: StoreKind.available) func rotationStartsNewPseudonymsAndDestroysTheOldKey(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (_, device) = try await Self.userWithDevice(api)
            try await api.diagnostics(device.deviceSecret, [DiagnosticEvent(kind: .featureUsed, name: "before", at: env.clock.now)])
            let rotated = try await api.send(.POST, APIRoute.rotatePseudonymKey.path, token: api.adminToken)
            #expect(rotated.status == .created)
            #expect(try rotated.decode(PseudonymKeyView.self).version == 2)
            try await api.diagnostics(device.deviceSecret, [DiagnosticEvent(kind: .featureUsed, name: "after", at: env.clock.now)])
            let stored = try await api.storedDiagnostics()
            let (old, new) = (try #require(stored[0].devicePseudonym), try #require(stored[1].devicePseudonym))
            #expect(old.hasPrefix("p1-") && new.hasPrefix("p2-"), "events before and after cannot be joined without the links")
            for pseudonym in [old, new] {
                let subject = try await api.send(.POST, APIRoute.reidentify.path, token: api.adminToken, json: ReidentifyRequest(pseudonym: pseudonym, reason: "r"))
                #expect(try subject.decode(PseudonymSubject.self).subjectId == device.deviceId.rawValue, "old pseudonyms resolve through their links")
            }
            let keys = try await env.rawRows("pseudonym_keys")
            #expect(keys.count == 2)
            let destroyed = store == .sqlite ? "sealed_key:NULL" : ",1,,"
            #expect(keys.filter { $0.contains(destroyed) }.count == 1, "version 1's bytes are gone: \(keys)")
            let log = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=PseudonymKey", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items
            #expect(log.first?.modifiedProperties == [ModifiedProperty(name: "version", oldValue: "1", newValue: "2")])
        }
    }

    @Test func badUploadsAreRefusedAndStoreNothing() async throws {
        let env = try await TestEnvironment()
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let now = env.clock.now
            let cases: [([DiagnosticEvent], String)] = [
                ([DiagnosticEvent(kind: .command, name: "rm -rf /home/pat", at: now)], "invalid_value"),
                ([DiagnosticEvent(kind: .command, name: "ok", at: now, code: "pat@example.test has no space?")], "invalid_value"),
                ([DiagnosticEvent(kind: .command, name: "ok", at: now - 31 * 86_400)], "invalid_value"),
                ([DiagnosticEvent(kind: .command, name: "ok", at: now, durationMs: -1)], "invalid_value"),
                (Array(repeating: DiagnosticEvent(kind: .command, name: "ok", at: now), count: 1_001), "too_many_items"),
            ]
            for (events, code) in cases {
                #expect(try await api.diagnostics(device.deviceSecret, events).errorCode == code)
            }
            #expect(try await api.send(.POST, APIRoute.uploadDiagnostics.path, token: device.deviceSecret, raw: Data(#"{"events":[{"kind":"mood","name":"x","at":"2026-01-01T00:00:00Z"}]}"#.utf8)).errorCode == "invalid_enum_value")
            #expect(try await api.diagnostics("not-a-secret", [DiagnosticEvent(kind: .command, name: "ok", at: now)]).status == .unauthorized)
            #expect(try await api.diagnostics(env.tenant.adminToken, [DiagnosticEvent(kind: .command, name: "ok", at: now)]).status == .unauthorized)
            #expect(try await env.rawRows("diagnostic_events").isEmpty)
            #expect(try await env.rawRows("diagnostics_daily").isEmpty)
        }
    }

    /// The roll-ups are counted as events arrive; after a seeded random stream of uploads
    /// across days they equal a recount of the raw events, percentiles included.
    @Test(arguments: StoreKind.available) func dailyRollUpsMatchARecount(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            var devices: [EnrollResponse] = []
            for index in 0..<3 { devices.append(try await api.enroll(.corporate, platformId: "d\(index)")) }
            var random = SeededGenerator(seed: 42)
            let names = ["apt-get", "systemctl", "inventory"]
            let kinds: [DiagnosticEvent.Kind] = [.command, .responseTime, .installOutcome]
            let start = env.clock.now
            for _ in 0..<40 {
                let events = (0..<Int.random(in: 1...20, using: &random)).map { _ in
                    DiagnosticEvent(
                        kind: kinds.randomElement(using: &random)!, name: names.randomElement(using: &random)!,
                        at: start - Double.random(in: 0...(3 * 86_400), using: &random),
                        durationMs: Bool.random(using: &random) ? Double.random(in: 0.5...5_000, using: &random) : nil,
                        success: [true, false, nil].randomElement(using: &random)!)
                }
                #expect(try await api.diagnostics(devices.randomElement(using: &random)!.deviceSecret, events).status == .ok)
            }
            let raw = try await api.storedDiagnostics("?limit=1000")
            var recount: [String: (events: Int, succeeded: Int, failed: Int, buckets: [Int: Int])] = [:]
            for event in raw {
                let key = "\(DiagnosticsDay.day(of: event.at)) \(event.kind.rawValue) \(event.name)"
                var cell = recount[key] ?? (0, 0, 0, [:])
                cell.events += 1
                if event.success == true { cell.succeeded += 1 }
                if event.success == false { cell.failed += 1 }
                if let ms = event.durationMs { cell.buckets[LatencyBuckets.bucket(forMilliseconds: ms), default: 0] += 1 }
                recount[key] = cell
            }
            let expected = recount.map { key, cell in
                let parts = key.split(separator: " ").map(String.init)
                return DiagnosticsDay(
                    day: parts[0], kind: DiagnosticEvent.Kind(rawValue: parts[1])!, name: parts[2], events: cell.events,
                    succeeded: cell.succeeded, failed: cell.failed, latencyBuckets: cell.buckets)
            }.sorted { ($0.day, $0.kind.rawValue, $0.name) < ($1.day, $1.kind.rawValue, $1.name) }
            let summary = try await api.send(.GET, APIRoute.reportSummary.path + "?days=7", token: api.adminToken).decode(ReportSummary.self)
            #expect(summary.diagnostics == expected)
            #expect(summary.diagnostics.map(\.events).reduce(0, +) == raw.count)
            let today = try await api.send(.GET, APIRoute.reportSummary.path + "?days=1", token: api.adminToken).decode(ReportSummary.self)
            #expect(today.diagnostics.allSatisfy { $0.day == DiagnosticsDay.day(of: start) })
            #expect(try await api.send(.GET, APIRoute.reportSummary.path + "?days=0", token: api.adminToken).errorCode == "invalid_value")
        }
    }

    @Test func percentilesComeFromTheBuckets() throws {
        var buckets: [Int: Int] = [:]
        for ms in [10.0, 10, 10, 100] { buckets[LatencyBuckets.bucket(forMilliseconds: ms), default: 0] += 1 }
        let day = DiagnosticsDay(day: "2026-12-02", kind: .command, name: "x", events: 4, succeeded: 3, failed: 1, latencyBuckets: buckets)
        #expect(day.successRate == 0.75)
        let (p50, p99) = (try #require(day.p50Ms), try #require(day.p99Ms))
        #expect(p50 >= 10 && p50 <= 10 * 1.19)
        #expect(p99 >= 100 && p99 <= 100 * 1.19)
        #expect(DiagnosticsDay(day: "", kind: .command, name: "", events: 1, succeeded: 0, failed: 0, latencyBuckets: [:]).p50Ms == nil)
        #expect(DiagnosticsDay.day(of: Date(timeIntervalSince1970: 1_790_000_000)) == "2026-09-21")
    }

    /// Raw events go after 30 days (their roll-ups stay); links of removed devices go with them.
    @Test(arguments: StoreKind.available) func rawDiagnosticsArePurgedAfterThirtyDays(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (_, device) = try await Self.userWithDevice(api)
            let gone = try await api.enroll(.corporate, platformId: "gone")
            for enrolled in [device, gone] {
                try await api.diagnostics(enrolled.deviceSecret, [DiagnosticEvent(kind: .command, name: "old", at: env.clock.now, success: true)])
            }
            #expect(try await api.send(.DELETE, APIRoute.deleteDevice.path(gone.deviceId.rawValue), token: api.adminToken).status == .noContent)
            let rollUps = try await api.send(.GET, APIRoute.reportSummary.path, token: api.adminToken).decode(ReportSummary.self).diagnostics
            env.clock.advance(29 * 86_400)
            try await api.diagnostics(device.deviceSecret, [DiagnosticEvent(kind: .command, name: "recent", at: env.clock.now)])
            env.clock.advance(2 * 86_400)
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            try await jobs.runJobs()
            #expect(try await api.storedDiagnostics().map(\.name) == ["recent"])
            #expect(try await env.rawRows("pseudonyms").count == 2, "the device's and its user's; the removed device's link is gone")
            let later = try await api.send(.GET, APIRoute.reportSummary.path + "?days=60", token: api.adminToken).decode(ReportSummary.self).diagnostics
            #expect(later.first == rollUps.first, "roll-ups stay")
            #expect(try await env.storage.jobRuns().first { $0.job == DeploymentJobs.purgeDiagnostics }?.result == "purged 2 events, 1 pseudonym links")
        }
    }

    /// Entries past the tenant's audit retention are purged behind a sealed anchor: the rest
    /// still verifies, a forged anchor does not, and the database deletes nothing else.
    @Test(arguments: StoreKind.available) func auditEntriesPastRetentionArePurgedBehindAnAnchor(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let tenant = env.tenant.tenantId
            for index in 0..<3 {
                _ = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Old \(index)", upn: "old\(index)@example.test")) as UserView
            }
            let before = try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery(limit: 1000))
            env.clock.advance(200 * 86_400)
            _ = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Recent", upn: "recent@example.test")) as UserView
            _ = try await api.send(.PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(auditRetentionDays: 180))
            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            try await jobs.runJobs()

            let after = try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery(limit: 1000))
            #expect(after.first?.sequence == (before.last?.sequence ?? 0) + 1, "every entry older than 180 days is gone")
            #expect(after.last?.activity == "AuditLog")
            #expect(after.last?.view.modifiedProperties.first == ModifiedProperty(name: "entriesPurged", oldValue: nil, newValue: String(before.count)))
            let anchor = try #require(try await env.storage.auditAnchor(tenantID: tenant))
            #expect(anchor.sequence == before.last?.sequence)
            let chain = TestEnvironment.masterKey.auditChain
            let verified = try await env.storage.verifyAuditChain(tenantID: tenant, chain: chain)
            #expect(verified.firstBroken == nil && verified.entries == after.count)
            var forged = anchor
            forged.seal = Data(repeating: 1, count: 32)
            var walk = chain.walk(tenantID: tenant, anchor: forged)
            for entry in after { _ = walk.next(entry) }
            #expect(walk.firstBroken?.reason.contains("anchor") == true)
            var noAnchor = chain.walk(tenantID: tenant)
            for entry in after { _ = noAnchor.next(entry) }
            #expect(noAnchor.firstBroken?.reason.contains("missing") == true, "without the anchor the purge shows")

            // Idempotent, and the other tenant's log is untouched.
            try await jobs.runJobs()
            #expect(try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery(limit: 1000)).count == after.count)
            #expect(try await env.storage.verifyAuditChain(tenantID: env.otherTenant.tenantId, chain: chain).firstBroken == nil)
        }
    }

    /// The database itself deletes audit entries only behind an anchor, and anchors are
    /// append-only; an anchor forged with raw SQL lets a delete through but fails verification.
    @Test(arguments: StoreKind.available) func theDatabaseRefusesDeletesNotBehindAnAnchor(store: StoreKind) async throws {
        let tampering = try await Tampering(store)
        await #expect(throws: (any Error).self) {
            try await tampering.execute("DELETE FROM audit_entries WHERE sequence = 1")
        }
        let bytes = store == .sqlite ? "x'00'" : "'\\x00'::bytea"
        try await tampering.execute(
            "INSERT INTO audit_anchors (tenant_id, sequence, chain_hash, at, seal) VALUES ('\(tampering.tenant)', 1, \(bytes), 0, \(bytes))")
        try await tampering.execute("DELETE FROM audit_entries WHERE sequence = 1")
        let verified = try await tampering.storage.verifyAuditChain(tenantID: tampering.tenant, chain: TestEnvironment.masterKey.auditChain)
        #expect(verified.firstBroken?.reason.contains("anchor") == true)
        await #expect(throws: (any Error).self) { try await tampering.execute("UPDATE audit_anchors SET sequence = 5") }
        await #expect(throws: (any Error).self) { try await tampering.execute("DELETE FROM audit_anchors") }
        await #expect(throws: (any Error).self) { try await tampering.execute("DELETE FROM audit_entries WHERE sequence = 2") }
    }

    /// Admin feature usage across tenants, for the operator: route templates only, and any
    /// cell of fewer than five tenants or calls suppressed.
    @Test(arguments: StoreKind.available) func operatorUsageSuppressesSmallCells(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        let uses = [env.tenant.tenantId, env.otherTenant.tenantId].map {
            FeatureUse(tenantID: $0, day: "2026-09-21", feature: "GET /api/v1/devices", calls: 3)
        }
        try await env.storage.recordFeatureUsage(uses)
        try await env.storage.recordFeatureUsage(uses)
        let cells = try await env.storage.featureUsage(from: "2026-09-01")
        #expect(cells == [FeatureUsageCell(day: "2026-09-21", feature: "GET /api/v1/devices", tenants: 2, calls: 12)])
        #expect(cells[0].suppressed && cells[0].tenants == nil && cells[0].calls == nil, "two tenants: too few to show")
        #expect(!FeatureUsageCell(day: "d", feature: "f", tenants: 5, calls: 5).suppressed)
        #expect(FeatureUsageCell(day: "d", feature: "f", tenants: 9, calls: 4).suppressed)

        // Requests are counted per tenant, day and route template, and flushed in one write.
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            for _ in 0..<3 { #expect(try await api.device(device.deviceId).status == .ok) }
        }
        await env.usage.flush()
        let counted = try await env.storage.featureUsage(from: "2026-09-01")
        #expect(counted.contains { $0.feature == "GET /api/v1/devices/{id}" })
        #expect(!counted.contains { $0.feature.contains("-7000-") }, "never a concrete path")
    }
}
