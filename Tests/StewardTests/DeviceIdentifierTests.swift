import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// The identifiers other systems know a device by: a management ID Steward makes at
/// enrollment, and the directory's, Exchange ActiveSync's and Windows' IDs an agent reports;
/// each one a filter of the device list.
@Suite struct DeviceIdentifierTests {
    @Test(arguments: StoreKind.available) func devicesCarryAndAreFoundByTheirOtherIdentifiers(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let enrolled = try await api.enroll(.corporate, platformId: "ids-1")
            let other = try await api.enroll(.corporate, platformId: "ids-2")
            let first = try await api.device(enrolled.deviceId).decode(DeviceView.self)
            let second = try await api.device(other.deviceId).decode(DeviceView.self)
            let management = try #require(first.managementId)
            #expect(management != first.id.rawValue && management != second.managementId, "its own, per device")

            var inventory = SampleInventory.make()
            inventory.hardware.directoryDeviceId = "aad-device-5c1e"
            inventory.hardware.easDeviceId = "EAS3F9A0C11"
            inventory.hardware.windowsDeviceId = "win-7d2e-0042"
            _ = try await api.checkIn(enrolled.deviceSecret, try SampleInventory.fullRequest(inventory))
            let view = try await api.device(enrolled.deviceId).decode(DeviceView.self)
            #expect(view.directoryDeviceId == "aad-device-5c1e" && view.easDeviceId == "EAS3F9A0C11" && view.windowsDeviceId == "win-7d2e-0042")
            #expect(view.managementId == management, "a check-in keeps it")

            for (parameter, value) in [
                ("managementId", management), ("directoryDeviceId", "aad-device-5c1e"), ("easDeviceId", "EAS3F9A0C11"),
                ("windowsDeviceId", "win-7d2e-0042"),
            ] {
                let found = try await api.send(.GET, APIRoute.listDevices.path + "?\(parameter)=\(value)", token: api.adminToken)
                    .decode(Page<DeviceView>.self)
                #expect(found.items.map(\.id) == [enrolled.deviceId], "\(parameter)")
            }
            let none = try await api.send(.GET, APIRoute.listDevices.path + "?easDeviceId=nothing", token: api.adminToken)
                .decode(Page<DeviceView>.self)
            #expect(none.items.isEmpty)
            inventory.hardware.windowsDeviceId = String(repeating: "x", count: 129)
            #expect(try await api.checkIn(enrolled.deviceSecret, try SampleInventory.fullRequest(inventory)).status == .badRequest)
        }
    }
}
