import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// The tenant's account: the subscription and its limits, a sealed key, the billing reference,
/// and the closure that deletes every row the tenant owns.
@Suite struct TenantAccountTests {
    @Test(arguments: StoreKind.available) func theAccountKeepsItsKeySealedAndRefusesCardNumbers(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            var account = try await api.send(.GET, APIRoute.getTenantAccount.path, token: api.adminToken).decode(TenantAccountView.self)
            #expect(account.name == "Acme" && account.plan == .standard && account.licensedDevices == nil && !account.hasSubscriptionKey)
            account = try await api.send(
                .PATCH, APIRoute.updateTenantAccount.path, token: api.adminToken,
                json: TenantAccountPatch(ownerEmail: "owner@acme.test", subscriptionKey: "STEWARD-KEY-8842-ACME", billingReference: "cus_Q9x7Lm2")
            ).decode(TenantAccountView.self)
            #expect(account.ownerEmail == "owner@acme.test" && account.billingReference == "cus_Q9x7Lm2" && account.hasSubscriptionKey)
            let stored = try #require(try await env.storage.tenant(env.tenant.tenantId)?.account.sealedSubscriptionKey)
            #expect(try TestEnvironment.masterKey.open(stored) == Data("STEWARD-KEY-8842-ACME".utf8), "sealed under the master key")
            for bad in ["4111111111111111", "cus 123", "tok_4111111111111111"] {
                let answer = try await api.send(
                    .PATCH, APIRoute.updateTenantAccount.path, token: api.adminToken, json: TenantAccountPatch(billingReference: bad))
                #expect(answer.status == .badRequest, "\(bad)")
            }
            let log = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(targetID: env.tenant.tenantId.rawValue))
            let text = log.compactMap { $0.personal.map { String(decoding: $0, as: UTF8.self) } }.joined()
            #expect(text.contains("subscriptionKey") && !text.contains("STEWARD-KEY-8842"), "the key is named, never shown")
            if store == .sqlite {
                let files = try FileManager.default.contentsOfDirectory(at: env.directory.url, includingPropertiesForKeys: nil)
                for file in files { #expect(try Data(contentsOf: file).range(of: Data("STEWARD-KEY-8842".utf8)) == nil) }
            }
        }
    }

    @Test(arguments: StoreKind.available) func theSubscriptionLimitsDevicesAndUsers(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            // What `steward tenant subscription --devices 2 --users 1` does.
            try await env.storage.updateAccount(env.tenant.tenantId) { old in
                var new = old
                new.licensedDevices = 2
                new.licensedUsers = 1
                return (new, env.auditEvent(activity: "TenantAccount"))
            }
            let first = try await api.enroll(.corporate, platformId: "licensed-1")
            _ = try await api.enroll(.corporate, platformId: "licensed-2")
            let token = try await api.enrollmentToken(.corporate)
            let third = try await api.send(
                .POST, APIRoute.enroll.path, token: token,
                json: EnrollRequest(platform: .linux, platformId: "licensed-3", deviceName: nil, agentVersion: nil))
            #expect(third.status == .forbidden && third.errorCode == "license_limit_reached")
            // A machine the tenant has enrolls again.
            var again = EnrollRequest(platform: .linux, platformId: "licensed-1", deviceName: nil, agentVersion: nil)
            again.currentDeviceSecret = first.deviceSecret
            #expect(try await api.send(.POST, APIRoute.enroll.path, token: token, json: again).status == .created)
            let account = try await api.send(.GET, APIRoute.getTenantAccount.path, token: api.adminToken).decode(TenantAccountView.self)
            #expect(account.devices == 2 && account.licensedDevices == 2)

            _ = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "One", upn: "one@example.test")) as UserView
            let second = try await api.send(
                .POST, APIRoute.createUser.path, token: api.adminToken, json: UserCreateRequest(displayName: "Two", upn: "two@example.test"))
            #expect(second.status == .forbidden && second.errorCode == "license_limit_reached")
            let made: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Okta"))
            let scim = try await SCIMClient(api: api, token: made.token).send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("three@example.test"))
            #expect(scim.status == .forbidden)
        }
    }

    @Test(arguments: StoreKind.available) func aClosedTenantLosesEveryRowAfterItsGracePeriod(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            // Tenant A with a bit of everything.
            let world = try await AdminWorld(env, api)
            _ = try await api.checkIn(world.device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            _ = try await api.created(
                .POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Closing Person", upn: "closing.person@acme-closure.test")) as UserView
            // Tenant B, which stays.
            let other = env.otherTenant.adminToken
            _ = try await api.created(
                .POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Staying Person", upn: "staying.person@globex.test"), token: other)
                as UserView

            let wrong = try await api.send(.POST, APIRoute.closeTenant.path, token: api.adminToken, json: TenantClosureRequest(confirm: "acme"))
            #expect(wrong.status == .badRequest)
            var account = try await api.send(.POST, APIRoute.closeTenant.path, token: api.adminToken, json: TenantClosureRequest(confirm: "Acme"))
                .decode(TenantAccountView.self)
            #expect(account.closesAt == env.clock.now.addingTimeInterval(180 * 86_400))
            account = try await api.send(.DELETE, APIRoute.cancelTenantClosure.path, token: api.adminToken).decode(TenantAccountView.self)
            #expect(account.closesAt == nil)
            _ = try await api.send(.POST, APIRoute.closeTenant.path, token: api.adminToken, json: TenantClosureRequest(confirm: "Acme"))

            let jobs = DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger)
            env.clock.advance(180 * 86_400 - 60)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getTenantAccount.path, token: api.adminToken).status == .ok, "still in its grace period")
            env.clock.advance(120)
            try await jobs.runJobs()
            #expect(try await api.send(.GET, APIRoute.getTenantAccount.path, token: api.adminToken).status == .unauthorized)
            #expect(try await api.checkIn(world.device.deviceSecret, try SampleInventory.heartbeat(SampleInventory.make())).status == .unauthorized)
            #expect(try await env.storage.tenants().map(\.id) == [env.otherTenant.tenantId])
            let theirs = try await api.send(.GET, APIRoute.listUsers.path, token: other).decode(Page<UserView>.self)
            #expect(theirs.items.map(\.upn) == ["staying.person@globex.test"])
            #expect(try await env.storage.verifyAuditChain(tenantID: env.otherTenant.tenantId, chain: TestEnvironment.masterKey.auditChain).firstBroken == nil)

            // No row of A's anywhere, and none of its bytes in the files.
            let tenantA = env.tenant.tenantId.rawValue
            for table in DataCatalog.tables.sorted() {
                let rows = try await env.rawRows(table).joined(separator: "\n")
                #expect(!rows.contains(tenantA), "a row of the closed tenant in \(table)")
            }
            #expect(try await env.rawRows("users").joined().contains("staying.person@globex.test"), "the search finds what is there")
            if store == .sqlite {
                let files = try FileManager.default.contentsOfDirectory(at: env.directory.url, includingPropertiesForKeys: nil)
                for file in files {
                    let bytes = try Data(contentsOf: file)
                    for value in ["closing.person@acme-closure.test", "dana@example.test", "Enrollment fails", tenantA] {
                        #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) in \(file.lastPathComponent)")
                    }
                }
            }
        }
    }
}
