import Foundation
import Testing
import StewardModel
import StewardServer

/// Tenants never see each other's data: every admin route, called with another tenant's admin
/// token, answers as if tenant A's resources did not exist. The table must name every route.
@Suite struct TenantIsolationTests {
    @Test(arguments: StoreKind.available) func noRouteCrossesTenants(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(SampleInventory.make()))
            let tokenText = try await api.enrollmentToken(.corporate)
            let tokenID = String(tokenText.split(separator: ".")[2])
            let id = device.deviceId.rawValue
            let other = env.otherTenant.adminToken
            _ = try await api.enroll(.personal, admin: other)

            typealias Check = @Sendable () async throws -> Void
            let checks: [APIRoute: Check] = [
                .health: {},
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
                .createEnrollmentToken: {
                    let created = try await api.enrollmentToken(.corporate, admin: other)
                    #expect(created.contains(env.otherTenant.tenantId.rawValue))
                },
                .listEnrollmentTokens: {
                    let items = try await api.send(.GET, APIRoute.listEnrollmentTokens.path, token: other)
                        .decode(Page<EnrollmentTokenView>.self).items
                    #expect(!items.contains { $0.id == tokenID })
                },
                .revokeEnrollmentToken: {
                    let answer = try await api.send(.DELETE, APIRoute.revokeEnrollmentToken.path(tokenID), token: other)
                    #expect(answer.status == .notFound)
                },
                .listDevices: {
                    let items = try await api.send(.GET, APIRoute.listDevices.path, token: other).decode(Page<DeviceView>.self).items
                    #expect(items.count == 1 && !items.contains { $0.id == device.deviceId })
                },
                .getDevice: {
                    let answer = try await api.device(device.deviceId, admin: other)
                    #expect(answer.status == .notFound && answer.errorCode == "device_not_found")
                },
                .updateDevice: {
                    let answer = try await api.send(
                        .PATCH, APIRoute.updateDevice.path(id), token: other, json: DevicePatch(ownership: .personal))
                    #expect(answer.status == .notFound && answer.errorCode == "device_not_found")
                },
                .deleteDevice: {
                    let answer = try await api.send(.DELETE, APIRoute.deleteDevice.path(id), token: other)
                    #expect(answer.status == .notFound)
                },
                .listDeviceApps: {
                    let answer = try await api.send(.GET, APIRoute.listDeviceApps.path(id), token: other)
                    #expect(answer.status == .notFound)
                },
                .getTenantSettings: {},
                .reportSummary: {
                    // The other tenant counts its own personal device only.
                    let theirs = try await api.send(.GET, APIRoute.reportSummary.path, token: other).decode(ReportSummary.self)
                    #expect(theirs.devices.total == 1 && theirs.devices.byOwnership == ["personal": 1])
                },
                .updateTenantSettings: {
                    _ = try await api.send(
                        .PATCH, APIRoute.updateTenantSettings.path, token: other, json: TenantSettingsPatch(compliantAppFeature: true))
                    let mine = try await api.send(.GET, APIRoute.getTenantSettings.path, token: api.adminToken).decode(TenantSettings.self)
                    #expect(!mine.compliantAppFeature)
                },
            ]
            #expect(Set(checks.keys) == Set(APIRoute.all), "every route needs an isolation check")
            for route in APIRoute.all { try await checks[route]?() }

            // And tenant A's data is intact after all of that.
            let view = try await api.device(device.deviceId).decode(DeviceView.self)
            #expect(view.ownership == .corporate && view.appCount == 5)
        }
    }
}
