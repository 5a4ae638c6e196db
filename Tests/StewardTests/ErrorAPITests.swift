import Foundation
import Hummingbird
import Testing
import StewardAgent
import StewardModel
import StewardServer

@Suite struct ErrorAPITests {
    /// A control character in any string is refused with 400 and stores nothing — a NUL used
    /// to cut the stored text short while the answer said 200. Escaped backslashes are text.
    @Test(arguments: StoreKind.available) func controlCharactersAreRefusedNotCut(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (device, before, _) = try await enrolledWithInventory(api)
            let nul = #"{"hashes": {"hardware": "\#(String(repeating: "c", count: 64))"}, "hardware": {"deviceName": "x\u0000y"}}"#
            let refused = try await api.send(.POST, APIRoute.checkIn.path, token: device.deviceSecret, raw: Data(nul.utf8))
            #expect(refused.status == .badRequest && refused.errorCode == "invalid_value")
            #expect(try await api.device(device.deviceId).decode(DeviceView.self) == before)
            for name in [#"a\u0001b"#, #"a\u001Fb"#, #"a\u0000"#] {
                let answer = try await api.send(
                    .POST, APIRoute.createGroup.path, token: api.adminToken, raw: Data(#"{"name": "\#(name)", "kind": "device"}"#.utf8))
                #expect(answer.status == .badRequest && answer.errorCode == "invalid_value", "\(name)")
            }
            // A backslash followed by u0000 is six characters of text, stored exactly.
            let text = try await api.send(
                .POST, APIRoute.createGroup.path, token: api.adminToken, raw: Data(#"{"name": "a\\u0000b\tc", "kind": "device"}"#.utf8))
            #expect(text.status == .created)
            #expect(try text.decode(GroupView.self).name == "a\\u0000b\tc")
            let query = try await api.send(.GET, APIRoute.listDevices.path + "?namePrefix=a%00", token: api.adminToken)
            #expect(query.status == .badRequest && query.errorCode == "invalid_value")
        }
    }

    /// The store's "no such row" is mapped once, to the route's own resource.
    @Test func aMissingResourceIsNamedByItsRoute() async throws {
        #expect(APIRoute.updateUser.resource == "user" && APIRoute.cancelRemoteTask.resource == "task")
        #expect(APIRoute.deleteRoleAssignment.resource == "role_assignment" && APIRoute.listDevices.resource == nil)
        let env = try await TestEnvironment()
        try await env.withClient { api in
            let unknown = "01a24639-0000-7000-8000-000000000000"
            let user = try await api.send(.DELETE, APIRoute.deleteUser.path(unknown), token: api.adminToken)
            #expect(user.status == .notFound && user.errorCode == "user_not_found")
            let group = try await api.send(.DELETE, APIRoute.deleteGroup.path(unknown), token: api.adminToken)
            #expect(group.status == .notFound && group.errorCode == "group_not_found")
            let device = try await api.enroll(.corporate)
            let task = try await api.send(.DELETE, APIRoute.cancelRemoteTask.path(device.deviceId.rawValue, unknown), token: api.adminToken)
            #expect(task.status == .notFound && task.errorCode == "task_not_found")
        }
    }

    /// Times are the whole text or nothing, and a change's field is a value or absent, never null.
    @Test(arguments: StoreKind.available) func datesAndNullsAreStrict(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            for query in ["lastCheckInAfter=2026-01-01T00:00:00Zgarbage", "lastCheckInAfter=2026-01-01T00:00:00Z%20x", "lastCheckInAfter=2026-01-01"] {
                let answer = try await api.send(.GET, APIRoute.listDevices.path + "?" + query, token: api.adminToken)
                #expect(answer.status == .badRequest && answer.errorCode == "invalid_value", "\(query)")
            }
            #expect(try await api.send(.GET, APIRoute.listDevices.path + "?lastCheckInAfter=2026-01-01T00:00:00.250%2B01:00", token: api.adminToken).status == .ok)
            let late = try await api.send(
                .POST, APIRoute.createEnrollmentToken.path, token: api.adminToken,
                raw: Data(#"{"ownership": "corporate", "expiresAt": "2099-01-01T00:00:00Zjunk"}"#.utf8))
            #expect(late.status == .badRequest)
            for body in [#"{"auditRetentionDays": null}"#, #"{"compliantAppFeature": null}"#] {
                let answer = try await api.send(.PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, raw: Data(body.utf8))
                #expect(answer.status == .badRequest && answer.errorCode == "invalid_value", "\(body)")
            }
            let settings = try await api.send(.GET, APIRoute.getTenantSettings.path, token: api.adminToken).decode(TenantSettings.self)
            #expect(settings.auditRetentionDays == 730)
        }
    }

    /// A page elsewhere cannot use a signed-in admin's cookie: JSON routes take JSON only, and a
    /// cookie-authenticated change from a foreign origin is refused. Every answer says nosniff
    /// and no-store; the SQLite file is its owner's only.
    @Test(arguments: StoreKind.available) func cookieSessionsRefuseOtherSitesAndAnswersAreNotKept(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, _) = try await world.admin(holding: [.groupsManage, .groupsRead])
            let session = try await api.send(
                .POST, APIRoute.signIn.path, token: nil,
                json: SignInRequest(tenantId: env.tenant.tenantId, userName: admin.userName ?? "", password: AdminWorld.password))
            #expect(session.headers[.setCookie]?.contains("HttpOnly") == true)
            #expect(session.headers[.setCookie]?.contains("Secure") == false, "plain HTTP here")
            var behindTLS = HTTPFields()
            behindTLS[.contentType] = "application/json"
            behindTLS[.init("X-Forwarded-Proto")!] = "https"
            let secure = try await api.send(
                .POST, APIRoute.signIn.path, headers: behindTLS,
                body: String(decoding: try WireCoding.encoder().encode(
                    SignInRequest(tenantId: env.tenant.tenantId, userName: admin.userName ?? "", password: AdminWorld.password)), as: UTF8.self))
            #expect(secure.headers[.setCookie]?.contains("Secure") == true)
            let cookie = "steward_session=" + (try session.decode(APITokenView.self).token ?? "")
            let body = #"{"name": "made from elsewhere", "kind": "device"}"#
            func post(_ extra: [(String, String)]) async throws -> APIResponse {
                var headers = HTTPFields()
                headers[.cookie] = cookie
                for (name, value) in extra { headers[.init(name)!] = value }
                return try await api.send(.POST, APIRoute.createGroup.path, headers: headers, body: body)
            }
            let plain = try await post([("Content-Type", "text/plain"), ("Origin", "https://evil.example")])
            #expect(plain.status == .forbidden && plain.errorCode == "cross_origin_request")
            let foreign = try await post([("Content-Type", "application/json"), ("Origin", "https://evil.example")])
            #expect(foreign.status == .forbidden && foreign.errorCode == "cross_origin_request")
            let crossSite = try await post([("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")])
            #expect(crossSite.status == .forbidden)
            let form = try await post([("Content-Type", "application/x-www-form-urlencoded")])
            #expect(form.status == .unsupportedMediaType && form.errorCode == "unsupported_media_type")
            let groups = try await api.send(.GET, APIRoute.listGroups.path, token: api.adminToken).decode(Page<GroupView>.self).items
            #expect(!groups.contains { $0.name == "made from elsewhere" })
            // A bearer token is not sent by browsers on their own: no origin rule for it.
            let ours = try await post([("Content-Type", "application/json"), ("Sec-Fetch-Site", "same-origin")])
            #expect(ours.status == .created)
            #expect(ours.headers[.init("X-Content-Type-Options")!] == "nosniff" && ours.headers[.cacheControl] == "no-store")
            #expect(session.headers[.cacheControl] == "no-store", "an answer carrying a secret is never cached")
        }
        if store == .sqlite {
            let path = env.directory.url.appendingPathComponent("steward.sqlite").path
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
        }
    }

    /// Enrolls a corporate device, stores a full inventory and returns what a rejected check-in must not change.
    func enrolledWithInventory(_ api: APIClient) async throws -> (EnrollResponse, DeviceView, [AppRecord]) {
        let device = try await api.enroll(.corporate)
        _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
        return (device, try await api.device(device.deviceId).decode(DeviceView.self), try await api.apps(device.deviceId))
    }

    @Test(arguments: StoreKind.available, [
        (#"{"hashes": {"#, "malformed_json"),
        (#"[1, 2]"#, "invalid_type"),
        (#"{}"#, "missing_field"),
        (#"{"hashes": {}, "hardware": {"cpuCores": "eight"}}"#, "invalid_type"),
        (#"{"hashes": {}, "operatingSystem": {"platform": "beos"}}"#, "invalid_enum_value"),
        (#"{"hashes": {"hardware": "xyz"}}"#, "invalid_value"),
        (#"{"hashes": {}, "hardware": {"memoryBytes": -1}}"#, "invalid_value"),
        (#"{"hashes": {}, "hardware": {"deviceName": "\#(String(repeating: "x", count: 600))"}}"#, "string_too_long"),
        (#"{"hashes": {"apps": "\#(String(repeating: "a", count: 64))"}, "apps": [{"appId": "", "name": "x"}]}"#, "invalid_value"),
        (#"{"hashes": {}, "apps": []}"#, "missing_field"),
    ])
    func malformedCheckInsAreRefusedAndChangeNothing(store: StoreKind, input: (body: String, code: String)) async throws {
        let (body, code) = input
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (device, before, appsBefore) = try await enrolledWithInventory(api)
            env.clock.advance(30)
            let answer = try await api.send(.POST, APIRoute.checkIn.path, token: device.deviceSecret, raw: Data(body.utf8))
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == code)
            #expect(try await api.device(device.deviceId).decode(DeviceView.self) == before)
            #expect(try await api.apps(device.deviceId) == appsBefore)
        }
    }

    @Test(arguments: StoreKind.available) func tooManyAppsIsRefused(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (device, before, _) = try await enrolledWithInventory(api)
            let huge = SampleInventory.make(appCount: Limits.maxApps + 1)
            let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(huge))
            #expect(answer.status == .badRequest && answer.errorCode == "too_many_apps")
            #expect(try await api.device(device.deviceId).decode(DeviceView.self) == before)
        }
    }

    @Test(arguments: StoreKind.available) func oversizedBodiesGet413(store: StoreKind) async throws {
        let env = try await TestEnvironment(store, maxBodyBytes: 64 * 1024)
        try await env.withClient { api in
            let (device, before, _) = try await enrolledWithInventory(api)
            let big = SampleInventory.make(appCount: 2_000)
            let answer = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(big))
            #expect(answer.status == .contentTooLarge && answer.errorCode == "payload_too_large")
            #expect(try await api.device(device.deviceId).decode(DeviceView.self) == before)
        }
    }

    @Test(arguments: StoreKind.available) func checkInsNeedTheDeviceSecret(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (device, _, _) = try await enrolledWithInventory(api)
            let request = try SampleInventory.fullRequest(SampleInventory.make())
            for token in [nil, "nonsense", api.adminToken, String(device.deviceSecret.dropLast()) + "Z"] {
                let answer = try await api.send(.POST, APIRoute.checkIn.path, token: token, json: request)
                #expect(answer.status == .unauthorized && answer.errorCode == "unauthorized")
            }
        }
    }

    @Test(arguments: StoreKind.available) func everyAdminRouteNeedsAnAdminToken(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let (device, _, _) = try await enrolledWithInventory(api)
            for route in APIRoute.all where route.isAdmin {
                let path = route.path(device.deviceId.rawValue)
                for token in [nil, "sta.garbage", device.deviceSecret] {
                    let answer = try await api.send(route.method, path, token: token, raw: Data("{}".utf8))
                    #expect(answer.status == .unauthorized, "\(route) with \(token ?? "no token")")
                    #expect(answer.errorCode == "unauthorized")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available) func queryParametersAreValidated(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            for (query, code) in [
                ("?ownership=borrowed", "invalid_enum_value"), ("?limit=0", "invalid_value"), ("?limit=abc", "invalid_value"),
                ("?cursor=***", "invalid_value"), ("?ownrship=personal", "invalid_value"),
                ("?lastCheckInAfter=yesterday", "invalid_value"),
            ] {
                let answer = try await api.send(.GET, APIRoute.listDevices.path + query, token: api.adminToken)
                #expect(answer.status == .badRequest && answer.errorCode == code, "\(query)")
            }
            let unknown = try await api.send(.GET, "/api/v1/nothing-here", token: api.adminToken)
            #expect(unknown.status == .notFound && unknown.errorCode == "route_not_found")
            let patch = try await api.send(
                .PATCH, APIRoute.updateDevice.path("00000000-0000-7000-8000-0000000000ff"), token: api.adminToken,
                raw: Data(#"{"ownership":"borrowed"}"#.utf8))
            #expect(patch.status == .badRequest && patch.errorCode == "invalid_enum_value")
            let device = try await api.enroll(.corporate)
            let rename = try await api.send(
                .PATCH, APIRoute.updateDevice.path(device.deviceId.rawValue), token: api.adminToken,
                raw: Data(#"{"deviceName":"renamed"}"#.utf8))
            #expect(rename.status == .badRequest && rename.errorCode == "read_only_field")
        }
    }
}
