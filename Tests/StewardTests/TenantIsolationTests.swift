import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// Tenants never see each other's data: every admin route, called with another tenant's admin
/// token, answers as if tenant A's resources did not exist. The table must name every route.
@Suite struct TenantIsolationTests {
    @Test(arguments: StoreKind.available) func noRouteCrossesTenants(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            let tokenText = try await api.enrollmentToken(.corporate)
            let other = env.otherTenant.adminToken
            _ = try await api.enroll(.personal, admin: other)

            let world = try await AdminWorld(env, api)
            typealias Check = @Sendable () async throws -> Void

            // SCIM: tenant B's directory, with tenant A's user and group IDs.
            let scimA = SCIMClient(api: api, token: world.scimToken.token)
            let theirs: SCIMTokenCreated = try await api.created(
                .POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Globex directory"), token: other)
            let scimB = SCIMClient(api: api, token: theirs.token)
            let scimUser = try #require(try await scimA.send(
                .POST, APIRoute.scimCreateUser.path, SCIMClient.user("iso@example.test", externalId: "iso-ext")).id)
            let scimGroup = try #require(try await scimA.send(
                .POST, APIRoute.scimCreateGroup.path, SCIMClient.group("Isolated", members: [scimUser])).id)
            let aIDs = world.ids + [scimUser, scimGroup, env.tenant.tenantId.rawValue]
            @Sendable func showsNothingOfA(_ answer: SCIMClient.Answer, _ route: APIRoute) {
                let text = answer.document.map { String(decoding: $0.encoded(), as: UTF8.self) } ?? ""
                for id in aIDs { #expect(!text.contains(id), "\(route) shows tenant A's \(id) to tenant B") }
            }
            @Sendable func scimCheck(_ route: APIRoute) async throws {
                let (path, body) = scimB.call(route, userID: route.path.contains("Groups") ? scimGroup : scimUser, groupID: scimGroup)
                switch route {
                case .scimServiceProviderConfig, .scimResourceTypes, .scimSchemas:
                    let answer = try await scimB.send(.GET, path)
                    #expect(answer.status == .ok)
                    showsNothingOfA(answer, route)
                case .scimListUsers:
                    for filter in [nil, #"userName eq "iso@example.test""#, #"externalId eq "iso-ext""#] {
                        let answer = try await scimB.list("Users", filter: filter)
                        #expect(answer.status == .ok && (filter == nil || answer.total == 0), "B lists only its own: \(filter ?? "")")
                        showsNothingOfA(answer, route)
                    }
                case .scimListGroups:
                    let answer = try await scimB.list("Groups", filter: #"members[value eq "\#(scimUser)"]"#)
                    #expect(answer.total == 0)
                    showsNothingOfA(answer, route)
                case .scimCreateUser:
                    // The same userName in another tenant is another person.
                    let answer = try await scimB.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("iso@example.test"))
                    #expect(answer.status == .created && answer.id != scimUser)
                case .scimCreateGroup:
                    let answer = try await scimB.send(.POST, path, SCIMClient.group("Theirs", members: [scimUser]))
                    #expect(answer.status == .badRequest && answer.scimType == "invalidValue", "A's user cannot join B's group")
                default:
                    let answer = try await scimB.send(route.method, path, body)
                    #expect(answer.status == .notFound, "\(route) across tenants: \(answer.status)")
                    showsNothingOfA(answer, route)
                }
                // A's directory still sees its own, unchanged; a token re-labelled with B's tenant is refused.
                #expect(try await scimA.send(.GET, APIRoute.scimGetUser.path(scimUser)).document?["userName"] == .string("iso@example.test"))
                #expect(try await scimA.send(.GET, APIRoute.scimGetGroup.path(scimGroup)).document?["members"]?.array?.count == 1)
                let forged = world.scimToken.token.replacingOccurrences(
                    of: env.tenant.tenantId.rawValue, with: env.otherTenant.tenantId.rawValue)
                if route.access == .directoryToken {
                    #expect(try await SCIMClient(api: api, token: forged).send(route.method, path, body).status == .unauthorized)
                }
            }
            var checks: [APIRoute: Check] = [
                .health: {},
                .ready: {},
                .enroll: {
                    // An enrollment token enrolls into its own tenant only.
                    let answer = try await api.send(
                        .POST, APIRoute.enroll.path, token: tokenText,
                        json: EnrollRequest(platform: .linux, platformId: nil, deviceName: nil, agentVersion: nil))
                    let enrolled = try answer.decode(EnrollResponse.self)
                    #expect(try await api.device(enrolled.deviceId, admin: other).status == .notFound)
                },
                .checkIn: {
                    // A device secret names its tenant; rewriting the tenant part makes it invalid.
                    let forged = device.deviceSecret.replacingOccurrences(
                        of: env.tenant.tenantId.rawValue, with: env.otherTenant.tenantId.rawValue)
                    let answer = try await api.checkIn(forged, try SampleInventory.heartbeat(SampleInventory.make()))
                    #expect(answer.status == .unauthorized)
                },
                .uploadDiagnostics: {
                    // Diagnostics are stored in the device's own tenant, under its pseudonyms.
                    let forged = device.deviceSecret.replacingOccurrences(
                        of: env.tenant.tenantId.rawValue, with: env.otherTenant.tenantId.rawValue)
                    let event = DiagnosticEvent(kind: .featureUsed, name: "x", at: env.clock.now)
                    #expect(try await api.diagnostics(forged, [event]).status == .unauthorized)
                    #expect(try await api.diagnostics(device.deviceSecret, [event]).status == .ok)
                    let theirs = try await api.send(.GET, APIRoute.listDiagnostics.path, token: other)
                    #expect(try theirs.decode(Page<DiagnosticEventView>.self).items.isEmpty)
                },
                .agentTasks: {
                    // A device takes its own tasks only.
                    let forged = device.deviceSecret.replacingOccurrences(
                        of: env.tenant.tenantId.rawValue, with: env.otherTenant.tenantId.rawValue)
                    #expect(try await api.send(.GET, APIRoute.agentTasks.path, token: forged).status == .unauthorized)
                    let theirs = try await api.enroll(.corporate, platformId: "globex-tasks", admin: other)
                    let mine: RemoteTaskView = try await api.created(
                        .POST, APIRoute.createRemoteTask.path(device.deviceId.rawValue), RemoteTaskRequest(kind: .sync))
                    let taken = try await api.send(.GET, APIRoute.agentTasks.path, token: theirs.deviceSecret).decode(RemoteTaskInstructions.self)
                    #expect(taken.tasks.isEmpty)
                    let answer = try await api.send(
                        .POST, APIRoute.reportAgentTask.path(mine.id.rawValue), token: theirs.deviceSecret,
                        json: RemoteTaskReport(state: .succeeded))
                    #expect(answer.status == .notFound, "another tenant's device cannot report on this task")
                },
                .reportAgentTask: {},
                .metrics: {
                    // The service's metrics: no tenant, ID or concrete path in any label.
                    let answer = try await api.send(.GET, APIRoute.metrics.path, token: nil)
                    let text = String(decoding: answer.body, as: UTF8.self)
                    #expect(answer.status == .ok)
                    #expect(text.contains("steward_check_ins_total") && text.contains("hb_requests"))
                    #expect(text.contains("/api/v1/devices/{id}") || text.contains("/api/v1/check-in"))
                    for secret in [env.tenant.tenantId.rawValue, env.otherTenant.tenantId.rawValue, device.deviceId.rawValue, "-7000-8000-"] {
                        #expect(!text.contains(secret), "\(secret) in /metrics")
                    }
                },
                .signIn: {
                    // A user name signs in only in the tenant named with it.
                    let answer = try await api.send(
                        .POST, APIRoute.signIn.path, token: nil,
                        json: SignInRequest(
                            tenantId: env.otherTenant.tenantId, userName: world.secondAdmin.userName ?? "", password: AdminWorld.password))
                    #expect(answer.status == .unauthorized)
                },
            ]
            for route in APIRoute.scim { checks[route] = { try await scimCheck(route) } }
            // App protection: an instance's secret names its tenant; B's enrollment token makes
            // B's instances, for B's users only.
            checks[.registerAppInstance] = {
                let theirUser: UserView = try await api.created(
                    .POST, APIRoute.createUser.path, UserCreateRequest(displayName: "B", upn: "b@example.test"), token: other)
                let theirs = try await AdminWorld.registerApp(api, user: theirUser.id, admin: other)
                #expect(try await api.send(.GET, APIRoute.getAppInstance.path(theirs.instanceId.rawValue), token: api.adminToken).status == .notFound)
                let listed = try await api.send(.GET, APIRoute.listAppInstances.path, token: other).decode(Page<AppProtectionView>.self)
                #expect(listed.items.map(\.id) == [theirs.instanceId], "B sees only its own instance")
            }
            checks[.appInstanceCheckIn] = {
                let forged = world.appInstance.instanceSecret.replacingOccurrences(
                    of: env.tenant.tenantId.rawValue, with: env.otherTenant.tenantId.rawValue)
                let answer = try await api.send(
                    .POST, APIRoute.appInstanceCheckIn.path, token: forged, json: AppProtectionCheckIn(healthStatus: .healthy))
                #expect(answer.status == .unauthorized)
            }
            checks[.appInstanceKey] = {
                let forged = world.appInstance.instanceSecret.replacingOccurrences(
                    of: env.tenant.tenantId.rawValue, with: env.otherTenant.tenantId.rawValue)
                #expect(try await api.send(.GET, APIRoute.appInstanceKey.path, token: forged).status == .unauthorized)
                let key = try await api.send(.GET, APIRoute.appInstanceKey.path, token: world.appInstance.instanceSecret).decode(AppProtectionKey.self)
                #expect(key.dataKey == world.appInstance.dataKey)
            }
            #expect(Set(checks.keys) == Set(APIRoute.all.filter { !$0.isAdmin }), "every other route needs an isolation check")
            for route in APIRoute.all where !route.isAdmin { try await checks[route]?() }

            // Every admin route, called by the other tenant's Administrator with tenant A's IDs:
            // a resource named in the path is not found, no answer carries one of A's IDs, and
            // nothing lands in A's audit log.
            for route in APIRoute.all where route.isAdmin {
                let call = try await world.call(route, as: api.adminToken)
                // A token of B's per route: signing out revokes the one used.
                let made: APITokenView = try await api.created(
                    .POST, APIRoute.createOwnToken.path, SignInRequest.TokenRequest(name: "isolation"), token: other)
                let before = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count
                let answer = try await api.send(route.method, call, token: made.token)
                let body = String(decoding: answer.body, as: UTF8.self)
                if route.path.contains("{") { #expect(answer.status == .notFound, "\(route) across tenants: \(answer.status)") }
                for id in aIDs { #expect(!body.contains(id), "\(route) shows tenant A's \(id) to tenant B") }
                let after = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count
                #expect(after == before, "\(route) by tenant B wrote to tenant A's audit log")
            }

            // And tenant A's data is intact after all of that.
            let view = try await api.device(device.deviceId).decode(DeviceView.self)
            #expect(view.ownership == .corporate && view.appCount == 5)
            #expect(try await api.send(.GET, APIRoute.getUser.path(world.user.id.rawValue), token: api.adminToken).status == .ok)
        }
    }
}
