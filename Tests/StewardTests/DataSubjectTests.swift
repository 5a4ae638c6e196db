import Foundation
import Testing
import StewardModel
import StewardServer
import StewardStore

/// Data-subject requests: an export holds a user's data; after an erasure none of their values
/// is left in the database files, the audit chain still verifies, and counts simply no longer
/// include what was removed.
@Suite struct DataSubjectTests {
    @Test(arguments: StoreKind.available) func exportThenEraseLeavesNoTrace(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let admin = api.adminToken
            let zelda: UserView = try await api.created(
                .POST, APIRoute.createUser.path,
                UserCreateRequest(
                    displayName: "Zelda Quimby-Erasable", upn: "zelda.erasable@example.test", email: "zq.mail@example.test",
                    phone: "+15550198765", externalIds: ["appleId": "zelda.apple@example.test"]))
            _ = try await api.created(.PATCH, APIRoute.updateUser.path(zelda.id.rawValue), UserPatch(displayName: "Zelda Q. Erasable")) as UserView
            let token: EnrollmentTokenView = try await api.created(
                .POST, APIRoute.createEnrollmentToken.path, EnrollmentTokenCreateRequest(ownership: .corporate, userId: zelda.id))
            let device = try await api.send(
                .POST, APIRoute.enroll.path, token: token.token,
                json: EnrollRequest(platform: .linux, platformId: "zelda-laptop", deviceName: "zq-laptop", agentVersion: "t")
            ).decode(EnrollResponse.self)
            var inventory = SampleInventory.make(appCount: 3, phoneNumber: "+15550111222")
            inventory.hardware.serialNumber = "ZQ-SERIAL-7781"
            inventory.network.interfaces[0].macAddress = "02:5a:45:4c:44:41"
            inventory.apps = inventory.apps?.map { app in
                var app = app
                app.installLocation = "/home/zelda.erasable/apps"
                return app
            }
            #expect(try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory)).status == .ok)
            _ = try await api.created(.POST, APIRoute.addGroupMember.path(world.deviceGroup.id.rawValue), GroupMemberRequest(deviceId: device.deviceId)) as GroupMemberView
            _ = try await api.created(.POST, APIRoute.addGroupMember.path(world.userGroup.id.rawValue), GroupMemberRequest(userId: zelda.id)) as GroupMemberView
            try await api.diagnostics(device.deviceSecret, [
                DiagnosticEvent(kind: .command, name: "apt-get", at: env.clock.now, durationMs: 120, success: true),
                DiagnosticEvent(kind: .agentError, name: "collector.network", at: env.clock.now, code: "EIO"),
            ])
            let pseudonym = try #require(try await api.storedDiagnostics().first?.devicePseudonym)
            let before = try await api.send(.GET, APIRoute.reportSummary.path, token: admin).decode(ReportSummary.self)
            #expect(before.diagnostics.map(\.events).reduce(0, +) == 2)

            // The export holds everything identified about her.
            let exported = try await api.send(.POST, APIRoute.privacyExport.path, token: admin, json: DataSubjectRequest(userId: zelda.id))
            #expect(exported.status == .ok)
            let bundle = try exported.decode(PrivacyExportBundle.self)
            #expect(bundle.user.upn == "zelda.erasable@example.test" && bundle.user.externalIds["appleId"] == "zelda.apple@example.test")
            #expect(bundle.devices.map(\.device.serialNumber) == ["ZQ-SERIAL-7781"] && bundle.devices[0].apps.count == 3)
            #expect(Set(bundle.groupIds) == [world.deviceGroup.id, world.userGroup.id])
            #expect(bundle.auditEntries.contains { $0.activity == "User" && $0.operation == .update && $0.targetName == "Zelda Q. Erasable" })
            #expect(bundle.auditEntries.contains { $0.activity == "Group" } == false, "entries about her or her devices only")
            #expect(bundle.diagnostics.map(\.name) == ["apt-get", "collector.network"], "re-linked from her pseudonyms")
            #expect(bundle.diagnostics.allSatisfy { $0.devicePseudonym == pseudonym && $0.userPseudonym != nil })
            #expect(bundle.fields.contains { $0.table == "users" && $0.column == "upn" })
            #expect(!bundle.fields.contains { $0.column.contains("verifier") })

            // Erasure.
            let erased = try await api.send(.POST, APIRoute.privacyErasure.path, token: admin, json: DataSubjectRequest(userId: zelda.id))
            let result = try erased.decode(ErasureView.self)
            #expect(result.devicesDeleted == 1 && result.auditEntriesBlanked >= 3 && result.appCatalogRowsPurged == 3)
            #expect(result.pseudonymsUnlinked == 2, "her device's and her own")
            #expect(try await api.send(.GET, APIRoute.getUser.path(zelda.id.rawValue), token: admin).status == .notFound)
            #expect(try await api.device(device.deviceId).status == .notFound)
            #expect(try await api.send(.POST, APIRoute.privacyErasure.path, token: admin, json: DataSubjectRequest(userId: zelda.id)).status == .notFound)
            let after = try await api.send(.GET, APIRoute.reportSummary.path, token: admin).decode(ReportSummary.self)
            #expect(after.devices.total == before.devices.total - 1)
            #expect(after.diagnostics == before.diagnostics, "daily roll-ups unchanged")
            let anonymous = try await api.storedDiagnostics()
            #expect(anonymous.count == 2 && anonymous.allSatisfy { $0.devicePseudonym == nil && $0.userPseudonym == nil })
            #expect(try await api.send(
                .POST, APIRoute.reidentify.path, token: admin, json: ReidentifyRequest(pseudonym: pseudonym, reason: "after erasure")
            ).status == .notFound, "the link is cut")
            #expect(try await api.send(.GET, APIRoute.getUser.path(world.user.id.rawValue), token: admin).status == .ok, "nobody else")

            let log = try await api.send(.GET, APIRoute.listAuditEntries.path + "?targetId=\(zelda.id)", token: admin)
                .decode(Page<AuditEntryView>.self).items
            #expect(log.first?.activity == "PrivacyErasure" && log.first?.targetName == nil)
            #expect(log.dropFirst().allSatisfy { $0.personalFieldsErased || $0.activity == "PrivacyExport" })
            let verified = try await env.storage.verifyAuditChain(tenantID: env.tenant.tenantId, chain: TestEnvironment.masterKey.auditChain)
            #expect(verified.firstBroken == nil, "the chain still verifies")

            // Not a byte of her is left in the database files, WAL included.
            if store == .sqlite {
                let values = [
                    "Zelda Quimby-Erasable", "Zelda Q. Erasable", "zelda.erasable@example.test", "zq.mail@example.test", "+15550198765",
                    "zelda.apple@example.test", "ZQ-SERIAL-7781", "02:5a:45:4c:44:41", "+15550111222", "/home/zelda.erasable",
                ]
                let files = try FileManager.default.contentsOfDirectory(at: env.directory.url, includingPropertiesForKeys: nil)
                #expect(files.contains { $0.lastPathComponent == "steward.sqlite" })
                for file in files {
                    let bytes = try Data(contentsOf: file)
                    for value in values { #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) in \(file.lastPathComponent)") }
                }
                let stillThere = try Data(contentsOf: env.directory.url.appendingPathComponent("steward.sqlite"))
                #expect(stillThere.range(of: Data("dana@example.test".utf8)) != nil, "the search can find what is there")
            }
        }
    }
}
