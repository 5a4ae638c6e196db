import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// Role-based access, generated from the route table: every admin route denies an admin who
/// holds every permission but its own, allows one who holds only its own, and refuses anyone
/// without a credential.
@Suite struct PermissionTests {
    @Test(arguments: StoreKind.available) func everyRouteDeniesWithoutItsPermissionAndAllowsWithIt(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            for route in APIRoute.all where route.isAdmin {
                let anonymous = try await api.send(route.method, route.path.replacingOccurrences(of: "{", with: "x"), token: nil)
                #expect(anonymous.status == .unauthorized, "\(route) without a credential")
                if let permission = route.permission {
                    let (_, denied) = try await world.admin(holding: Permission.allCases.filter { $0 != permission })
                    let answer = try await api.send(route.method, try await world.call(route, as: denied), token: denied)
                    #expect(answer.status == .forbidden && answer.errorCode == "permission_denied", "\(route) without \(permission)")
                }
                let (_, allowed) = try await world.admin(holding: route.permission.map { [$0] } ?? [])
                let answer = try await api.send(route.method, try await world.call(route, as: allowed), token: allowed)
                #expect(
                    (200..<300).contains(answer.status.code),
                    "\(route) with only \(route.permission?.rawValue ?? "a sign-in"): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
            }
        }
    }

    /// SCIM routes take a directory's SCIM token and nothing else; a SCIM token opens no admin
    /// route; the discovery documents need no token.
    @Test(arguments: StoreKind.available) func scimRoutesTakeOnlyAnActiveSCIMToken(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let scim = SCIMClient(api: api, token: world.scimToken.token)
            let revoked: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "old"))
            _ = try await api.send(.DELETE, APIRoute.revokeSCIMToken.path(revoked.view.id.rawValue), token: api.adminToken)
            let expiring: SCIMTokenCreated = try await api.created(
                .POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "short", expiresInDays: 1))
            let device = try await api.enroll(.corporate, platformId: "scim-permission")
            env.clock.advance(86_400 + 1)
            for route in APIRoute.scim {
                let userID = try #require(try await scim.send(.POST, APIRoute.scimCreateUser.path, SCIMClient.user("\(UUID().uuidString.prefix(8))@example.test")).id)
                let groupID = try #require(try await scim.send(.POST, APIRoute.scimCreateGroup.path, SCIMClient.group("g \(UUID().uuidString.prefix(8))")).id)
                let (path, body) = scim.call(route, userID: userID, groupID: groupID)
                if route.access == .anyone {
                    #expect(try await SCIMClient(api: api, token: nil).send(route.method, path, body).status == .ok, "\(route) needs no token")
                    continue
                }
                #expect(route.access == .directoryToken)
                for (name, token) in [
                    ("none", nil), ("an admin token", api.adminToken), ("a device secret", device.deviceSecret),
                    ("a revoked SCIM token", revoked.token), ("an expired SCIM token", expiring.token),
                    ("an enrollment token", try await api.enrollmentToken(.corporate)),
                ] {
                    let answer = try await SCIMClient(api: api, token: token).send(route.method, path, body)
                    #expect(answer.status == .unauthorized && answer.document?["status"] == .string("401"), "\(route) with \(name)")
                }
                let answer = try await scim.send(route.method, path, body)
                #expect((200..<300).contains(answer.status.code), "\(route) with its SCIM token: \(answer.status)")
            }
            for route in APIRoute.all where route.isAdmin {
                let answer = try await api.send(route.method, route.path.replacingOccurrences(of: "{", with: "x"), token: world.scimToken.token)
                #expect(answer.status == .unauthorized, "\(route) with a SCIM token")
            }
        }
    }

    @Test(arguments: StoreKind.available) func aScopedHelpDeskOperatorReachesOnlyItsGroupsDevices(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let outside = try await api.enroll(.corporate, platformId: "outside")
            let helpDesk = try await world.admin(role: .helpDeskOperator, scope: [world.deviceGroup.id])

            let listed = try await api.send(.GET, APIRoute.listDevices.path, token: helpDesk).decode(Page<DeviceView>.self)
            #expect(listed.items.map(\.id) == [world.device.deviceId])
            #expect(try await api.device(world.device.deviceId, admin: helpDesk).status == .ok)
            for (method, path) in [
                (APIRoute.Method.GET, APIRoute.getDevice.path(outside.deviceId.rawValue)),
                (.GET, APIRoute.listDeviceApps.path(outside.deviceId.rawValue)),
            ] {
                #expect(try await api.send(method, path, token: helpDesk).status == .notFound)
            }
            let patch = try await api.send(
                .PATCH, APIRoute.updateDevice.path(outside.deviceId.rawValue), token: helpDesk, json: DevicePatch(ownership: .personal))
            #expect(patch.status == .notFound)
            #expect(try await api.device(outside.deviceId).decode(DeviceView.self).ownership == .corporate)
            // Inside the scope it may act; deleting is not a Help Desk Operator's permission at all.
            let inside = try await api.send(
                .PATCH, APIRoute.updateDevice.path(world.device.deviceId.rawValue), token: helpDesk, json: DevicePatch(userId: .some(world.user.id)))
            #expect(inside.status == .ok)
            #expect(try await api.send(.DELETE, APIRoute.deleteDevice.path(world.device.deviceId.rawValue), token: helpDesk).status == .forbidden)
            // An unscoped one sees both.
            let everywhere = try await world.admin(role: .helpDeskOperator)
            #expect(try await api.send(.GET, APIRoute.listDevices.path, token: everywhere).decode(Page<DeviceView>.self).items.count == 2)
        }
    }

    @Test(arguments: StoreKind.available) func aReadOnlyOperatorReadsTheAuditLogAndChangesNothing(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let reader = try await world.admin(role: .readOnlyOperator)
            let log = try await api.send(.GET, APIRoute.listAuditEntries.path, token: reader).decode(Page<AuditEntryView>.self)
            #expect(!log.items.isEmpty)
            let before = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count
            for route in APIRoute.all where route.isMutation && route.permission != nil {
                let answer = try await api.send(route.method, try await world.call(route, as: api.adminToken), token: reader)
                #expect(answer.status == .forbidden, "\(route) for a Read Only Operator")
            }
            // Nothing it tried changed anything: the log holds only the preparation of the calls.
            let me = try await api.send(.GET, APIRoute.me.path, token: reader).decode(MeView.self)
            let entries = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(afterSequence: Int64(before)))
            #expect(!entries.isEmpty && !entries.contains { $0.actorID == me.admin.id.rawValue })
            for route in APIRoute.all where !route.isMutation && route.permission != nil && route.permission != .privacyExport {
                let answer = try await api.send(route.method, try await world.call(route, as: reader), token: reader)
                #expect((200..<300).contains(answer.status.code), "\(route) for a Read Only Operator: \(answer.status)")
            }
        }
    }
}
