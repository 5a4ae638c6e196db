import Foundation
import Testing
import StewardAgent
import StewardModel
import StewardServer

@Suite struct ErrorAPITests {
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
