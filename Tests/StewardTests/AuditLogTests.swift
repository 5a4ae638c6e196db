import Foundation
import GRDB
import Testing
import StewardModel
import StewardPostgres
import StewardSQLite
import StewardServer
import StewardStore

/// The audit log: one entry per admin change, written in the change's transaction, refused
/// changes by the database, and a keyed hash chain that names the first altered entry.
@Suite struct AuditLogTests {
    @Test(arguments: StoreKind.available) func everyAdminMutationWritesExactlyOneEntry(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let tenant = env.tenant.tenantId
            for route in APIRoute.all where route.isAdmin && route.isMutation {
                let (admin, token) = try await world.admin(holding: Permission.allCases)
                let call = try await world.call(route, as: token)
                let before = try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery()).count
                let answer = try await api.send(route.method, call, token: token)
                #expect((200..<300).contains(answer.status.code), "\(route): \(answer.status)")
                let after = try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery(afterSequence: Int64(before)))
                #expect(after.count == 1, "\(route) wrote \(after.count) audit entries")
                guard let entry = after.first?.view else { continue }
                #expect(entry.actorId == admin.id.rawValue && entry.actorType == .apiToken, "\(route) actor")
                #expect(entry.result == .success && entry.requestId != nil && entry.targetId != nil, "\(route)")
                #expect(!entry.modifiedProperties.isEmpty, "\(route) names its modified properties")
                #expect(!entry.modifiedProperties.contains { ($0.newValue ?? "").contains(AdminWorld.password) }, "no secrets")
            }
            // Signing in is audited too, failures included.
            let (someone, _) = try await world.admin(holding: [])
            let before = try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery()).count
            _ = try await world.signIn(someone.userName ?? "")
            let wrong = try await api.send(
                .POST, APIRoute.signIn.path, token: nil,
                json: SignInRequest(tenantId: tenant, userName: someone.userName ?? "", password: "not the password at all"))
            #expect(wrong.status == .unauthorized)
            await env.background.signInFailures.flush()  // failures are audited per account and window
            let signIns = try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery(afterSequence: Int64(before)))
            #expect(signIns.map(\.result) == [.success, .failure] && signIns.allSatisfy { $0.activity == "Session" && $0.operation == .manage })
            #expect(signIns.map(\.actorID) == [someone.id.rawValue, nil] && signIns.map(\.targetID) == [someone.id.rawValue, someone.id.rawValue])
            #expect(signIns.last?.actorType == .anonymous && signIns.last?.view.actorName == nil)

            var walk = AuditChain(masterKey: TestEnvironment.masterKey.key).walk(tenantID: tenant)
            for entry in try await env.storage.auditEntries(tenantID: tenant, query: AuditQuery(limit: 100_000)) { _ = walk.next(entry) }
            #expect(walk.firstBroken == nil && walk.entries > 100)
        }
    }

    @Test(arguments: StoreKind.available) func queriesFilterPageAndExport(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let patched = try await api.send(
                .PATCH, APIRoute.updateUser.path(world.user.id.rawValue), token: api.adminToken,
                json: UserPatch(displayName: "Dana K. Scully"))
            #expect(patched.status == .ok)
            let byTarget = try await api.send(
                .GET, APIRoute.listAuditEntries.path + "?targetId=\(world.user.id)", token: api.adminToken
            ).decode(Page<AuditEntryView>.self).items
            #expect(byTarget.map(\.operation) == [.update, .create])
            #expect(byTarget[0].modifiedProperties == [ModifiedProperty(name: "displayName", oldValue: "Dana Scully", newValue: "Dana K. Scully")])
            #expect(byTarget[0].actorType == .apiToken && byTarget[0].actorName == "Administrator")

            var sequences: [Int64] = []
            var cursor: String?
            repeat {
                let page = try await api.send(
                    .GET, APIRoute.listAuditEntries.path + "?activity=Group&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    token: api.adminToken
                ).decode(Page<AuditEntryView>.self)
                #expect(page.items.allSatisfy { $0.activity == "Group" })
                sequences += page.items.map(\.sequence)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(sequences.count == 3 && sequences == sequences.sorted(by: >), "create, create, add member — newest first")
            let future = try await api.send(.GET, APIRoute.listAuditEntries.path + "?from=2100-01-01T00:00:00Z", token: api.adminToken)
            #expect(try future.decode(Page<AuditEntryView>.self).items.isEmpty)
            #expect(try await api.send(.GET, APIRoute.listAuditEntries.path + "?cursor=bm9wZQ", token: api.adminToken).status == .badRequest)

            let all = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count
            let lines = try await api.send(.GET, APIRoute.exportAuditEntries.path, token: api.adminToken)
            let entries = try String(decoding: lines.body, as: UTF8.self).split(separator: "\n").map {
                try WireCoding.decoder().decode(AuditEntryView.self, from: Data($0.utf8))
            }
            #expect(entries.count == all && entries.map(\.sequence) == Array(1...Int64(all)))
            let csv = try await api.send(.GET, APIRoute.exportAuditEntries.path + "?format=csv&activity=User", token: api.adminToken)
            let rows = String(decoding: csv.body, as: UTF8.self).split(separator: "\r\n")
            #expect(rows.first == Substring(AuditExport.csvHeader.dropLast(1)))
            #expect(rows.count == 3 && rows[2].contains("displayName: Dana Scully -> Dana K. Scully"))
            #expect(try await api.send(.GET, APIRoute.exportAuditEntries.path + "?format=xml", token: api.adminToken).status == .badRequest)
        }
    }

    /// Formula-looking values are neutralised and separators quoted.
    @Test func csvFieldsAreQuotedAndNeverFormulas() {
        #expect(AuditExport.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(AuditExport.csvField("a,b") == "\"a,b\"")
        #expect(AuditExport.csvField("plain") == "plain")
    }

    @Test(arguments: StoreKind.available) func theDatabaseRefusesToChangeOrDeleteEntries(store: StoreKind) async throws {
        let tampering = try await Tampering(store)
        for sql in [
            "UPDATE audit_entries SET activity = 'Nothing' WHERE sequence = 1",
            "DELETE FROM audit_entries WHERE sequence = 1",
            "UPDATE audit_entries SET personal = '{}' WHERE sequence = 1",
            "UPDATE audit_entries SET personal = NULL, target_id = 'x' WHERE sequence = 1",
        ] {
            await #expect(throws: (any Error).self, "\(sql)") { try await tampering.execute(sql) }
        }
        if store == .postgres {
            await #expect(throws: (any Error).self) { try await tampering.execute("TRUNCATE audit_entries") }
        }
        #expect(try await tampering.verification().firstBroken == nil)
        // The one change allowed: an erasure blanking the personal fields.
        try await tampering.execute("UPDATE audit_entries SET personal = NULL WHERE sequence = 2")
        #expect(try await tampering.verification().firstBroken == nil)
    }

    @Test(arguments: StoreKind.available) func theChainNamesTheFirstAlteredRemovedOrReorderedEntry(store: StoreKind) async throws {
        // Altered: a non-personal field.
        var tampering = try await Tampering(store)
        try await tampering.bypassingTriggers("UPDATE audit_entries SET activity = 'Nothing' WHERE sequence = 3")
        #expect(try await tampering.verification().firstBroken?.sequence == 3)

        // Altered: a personal field.
        tampering = try await Tampering(store)
        try await tampering.bypassingTriggers(
            "UPDATE audit_entries SET personal = replace(personal, 'Dana', 'Fox') WHERE sequence = 4")
        let personal = try await tampering.verification().firstBroken
        #expect(personal?.sequence == 4 && personal?.reason.contains("personal") == true)

        // Removed.
        tampering = try await Tampering(store)
        try await tampering.bypassingTriggers("DELETE FROM audit_entries WHERE sequence = 2")
        let removed = try await tampering.verification().firstBroken
        #expect(removed?.sequence == 3 && removed?.reason.contains("missing") == true)

        // Re-ordered: two entries swap places.
        tampering = try await Tampering(store)
        try await tampering.bypassingTriggers("UPDATE audit_entries SET sequence = -2 WHERE sequence = 2")
        try await tampering.bypassingTriggers("UPDATE audit_entries SET sequence = 2 WHERE sequence = 3")
        try await tampering.bypassingTriggers("UPDATE audit_entries SET sequence = 3 WHERE sequence = -2")
        #expect(try await tampering.verification().firstBroken?.sequence == 2)

        // A rebuilt chain without the master key does not verify either: forge entry 2's hash.
        tampering = try await Tampering(store)
        try await tampering.bypassingTriggers("UPDATE audit_entries SET chain_hash = personal_digest WHERE sequence = 2")
        #expect(try await tampering.verification().firstBroken?.sequence == 2)

        // Blanking personal fields (what an erasure will do) keeps the chain whole.
        tampering = try await Tampering(store)
        try await tampering.bypassingTriggers("UPDATE audit_entries SET personal = NULL WHERE sequence = 4")
        #expect(try await tampering.verification().firstBroken == nil)
        let erased = try await tampering.storage.auditEntries(tenantID: tampering.tenant, query: AuditQuery(afterSequence: 3, limit: 1))
        #expect(erased.first?.view.personalFieldsErased == true && erased.first?.view.targetName == nil)
    }
}

/// A store with a few audit entries (tenant created, a user created and renamed) and raw SQL
/// access to it, the way someone with the database's credentials would have.
struct Tampering {
    let storage: any Storage
    let tenant: TenantID
    let execute: @Sendable (String) async throws -> Void
    let dropTriggers: [String]
    let createTriggers: [String]

    init(_ store: StoreKind) async throws {
        let directory = try TemporaryDirectory()
        switch store {
        case .sqlite:
            let path = directory.url.appendingPathComponent("steward.sqlite").path
            storage = try SQLiteStorage(path: path)
            execute = { sql in
                _ = directory
                let queue = try DatabaseQueue(path: path)
                try await queue.write { try $0.execute(sql: sql) }
            }
            dropTriggers = ["DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete"]
            createTriggers = []
        case .postgres:
            let url = try await TestPostgres.freshSchemaURL()
            storage = try PostgresStorage(url: url, maximumConnections: 2, logger: TestPostgres.logger)
            execute = { sql in try await TestPostgres.execute(sql, url: url) }
            dropTriggers = ["ALTER TABLE audit_entries DISABLE TRIGGER USER"]
            createTriggers = []
        }
        try await storage.migrate()
        let clock = ManualClock()
        let ids = IdentifierGenerator.sequential()
        tenant = try await TenantProvisioning(store: storage, masterKey: TestEnvironment.masterKey, clock: clock.clock, ids: ids)
            .createTenant(name: "Acme").tenantId
        let auditor = Auditor(chain: TestEnvironment.masterKey.auditChain, clock: clock.clock, ids: ids)
        let user = UserRecord(
            tenantID: tenant, id: ids(), displayName: "Dana Scully", upn: "dana@example.test", email: nil, phone: nil,
            externalIDs: [:], createdAt: clock.now)
        try await storage.write(
            [.insert(user)],
            audit: auditor.cliEvent(
                tenantID: tenant, activity: "User", operation: .create, targetID: user.id.rawValue, targetName: user.displayName,
                changes: [ModifiedProperty(name: "displayName", oldValue: nil, newValue: user.displayName)]))
        for name in ["Dana K. Scully", "Dana Katherine Scully"] {
            try await storage.update(UserRecord.self, tenantID: tenant, key: user.id.rawValue) { old in
                var new = old
                new.displayName = name
                return (new, auditor.cliEvent(
                    tenantID: old.tenantID, activity: "User", operation: .update, targetID: old.id.rawValue, targetName: name,
                    changes: [ModifiedProperty(name: "displayName", oldValue: old.displayName, newValue: name)]))
            }
        }
    }

    /// What the database's owner could do: lift the append-only triggers, then change rows.
    func bypassingTriggers(_ sql: String) async throws {
        for drop in dropTriggers { try? await execute(drop) }
        try await execute(sql)
    }

    func verification() async throws -> AuditVerification {
        var walk = TestEnvironment.masterKey.auditChain.walk(tenantID: tenant)
        for entry in try await storage.auditEntries(tenantID: tenant, query: AuditQuery()) where !walk.next(entry) { break }
        return walk.verification
    }
}
