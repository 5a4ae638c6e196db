import Foundation
import Testing
import StewardModel
import StewardServer

/// Serial numbers and IMEIs a tenant registers as corporate make a device corporate at
/// enrollment, whatever its enrollment token says.
@Suite struct CorporateIdentifierTests {
    @Test(arguments: StoreKind.available) func registeredIdentifiersEnrollAsCorporate(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let admin = api.adminToken
            let csv = "kind,value\nserialNumber,PF2ABCDE\nimei, 356938035643809 \n\n"
            let upload = try await api.send(.POST, APIRoute.uploadCorporateIdentifiers.path, token: admin, raw: Data(csv.utf8))
            #expect(try upload.decode(CorporateIdentifierUpload.self) == CorporateIdentifierUpload(received: 2, added: 2))
            let again = try await api.send(.POST, APIRoute.uploadCorporateIdentifiers.path, token: admin, raw: Data(csv.utf8))
            #expect(try again.decode(CorporateIdentifierUpload.self).added == 0)
            let bad = try await api.send(.POST, APIRoute.uploadCorporateIdentifiers.path, token: admin, raw: Data("serialNumber,A\nmac,B\n".utf8))
            #expect(bad.status == .badRequest && String(decoding: bad.body, as: UTF8.self).contains("line 2"))
            let tooMany = (0...10_000).map { "serialNumber,S\($0)" }.joined(separator: "\n")
            let limited = try await api.send(.POST, APIRoute.uploadCorporateIdentifiers.path, token: admin, raw: Data(tooMany.utf8))
            #expect(limited.errorCode == "too_many_items")
            let listed = try await api.send(.GET, APIRoute.listCorporateIdentifiers.path + "?limit=1", token: admin)
                .decode(Page<CorporateIdentifierView>.self)
            #expect(listed.items.map(\.value) == ["356938035643809"] && listed.nextCursor != nil)

            func enroll(serial: String?, imei: String?, platformId: String) async throws -> EnrollResponse {
                let token = try await api.enrollmentToken(.personal)
                return try await api.send(
                    .POST, APIRoute.enroll.path, token: token,
                    json: EnrollRequest(platform: .linux, platformId: platformId, deviceName: "d", agentVersion: "t", serialNumber: serial, imei: imei)
                ).decode(EnrollResponse.self)
            }
            let bySerial = try await enroll(serial: "PF2ABCDE", imei: nil, platformId: "a")
            #expect(bySerial.ownership == .corporate && bySerial.policy.collectApps)
            #expect(try await api.device(bySerial.deviceId).decode(DeviceView.self).ownership == .corporate)
            #expect(try await enroll(serial: nil, imei: "356938035643809", platformId: "b").ownership == .corporate)
            let other = try await enroll(serial: "SOMETHING-ELSE", imei: nil, platformId: "c")
            #expect(other.ownership == .personal && !other.policy.collectApps)

            #expect(try await api.send(.DELETE, APIRoute.deleteCorporateIdentifier.path("serialNumber", "PF2ABCDE"), token: admin).status == .noContent)
            #expect(try await api.send(.DELETE, APIRoute.deleteCorporateIdentifier.path("serialNumber", "PF2ABCDE"), token: admin).status == .notFound)
            #expect(try await enroll(serial: "PF2ABCDE", imei: nil, platformId: "d").ownership == .personal)
        }
    }
}
