import Foundation
import Testing
import StewardModel
import StewardSCIM
import StewardServer
import StewardStore

/// App protection without enrollment, and the erasure of a person the directory provisioned,
/// with a support case and an app-protection record.
@Suite struct AppProtectionTests {
    @Test(arguments: StoreKind.available) func theDataKeyGoesOnlyToItsInstanceAndAWipeDestroysIt(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let user: UserView = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Ann", upn: "ann@example.test"))
            // A token for no user makes no instance.
            let anonymous = try await api.enrollmentToken(.personal)
            let refused = try await api.send(
                .POST, APIRoute.registerAppInstance.path, token: anonymous,
                json: AppProtectionRegistration(appId: "com.example.mail", appVersion: "1", sdkVersion: "1", deviceTag: "t", platform: .ios))
            #expect(refused.status == .badRequest && refused.errorCode == "user_required")

            let mail = try await AdminWorld.registerApp(api, user: user.id)
            let notes = try await AdminWorld.registerApp(api, user: user.id, appId: "com.example.notes")
            #expect(mail.dataKey != notes.dataKey && Data(base64Encoded: mail.dataKey)?.count == 32)
            // Released again to the same instance only; stored sealed, never in the clear.
            let key = try await api.send(.GET, APIRoute.appInstanceKey.path, token: mail.instanceSecret).decode(AppProtectionKey.self)
            #expect(key.dataKey == mail.dataKey)
            #expect(try await api.send(.GET, APIRoute.appInstanceKey.path, token: notes.instanceSecret).decode(AppProtectionKey.self).dataKey == notes.dataKey)
            let wrong = mail.instanceSecret.dropLast(4) + "AAAA"
            #expect(try await api.send(.GET, APIRoute.appInstanceKey.path, token: String(wrong)).status == .unauthorized)
            if store == .sqlite {
                let file = try Data(contentsOf: env.directory.url.appendingPathComponent("steward.sqlite"))
                    + ((try? Data(contentsOf: env.directory.url.appendingPathComponent("steward.sqlite-wal"))) ?? Data())
                #expect(file.range(of: try #require(Data(base64Encoded: mail.dataKey))) == nil, "the key is sealed at rest")
            }

            // Check-in: health and versions.
            let fine = try await api.send(
                .POST, APIRoute.appInstanceCheckIn.path, token: mail.instanceSecret,
                json: AppProtectionCheckIn(appVersion: "7.2", healthStatus: .compromised)
            ).decode(AppProtectionInstructions.self)
            #expect(fine == AppProtectionInstructions(status: .enrolled, wipe: false))
            var view = try await api.send(.GET, APIRoute.getAppInstance.path(mail.instanceId.rawValue), token: api.adminToken).decode(AppProtectionView.self)
            #expect(view.appVersion == "7.2" && view.healthStatus == .compromised && view.userId == user.id)

            // Wipe: the key is withheld at once, the app is told, its confirmation destroys the key.
            let wiping = try await api.send(.POST, APIRoute.wipeAppInstance.path(mail.instanceId.rawValue), token: api.adminToken)
            let pending = try wiping.decode(AppProtectionView.self)
            #expect(wiping.status == .accepted && pending.status == .wipePending)
            let gone = try await api.send(.GET, APIRoute.appInstanceKey.path, token: mail.instanceSecret)
            #expect(gone.status == .gone && gone.errorCode == "key_withdrawn")
            let told = try await api.send(
                .POST, APIRoute.appInstanceCheckIn.path, token: mail.instanceSecret, json: AppProtectionCheckIn(healthStatus: .healthy)
            ).decode(AppProtectionInstructions.self)
            #expect(told.wipe)
            let done = try await api.send(
                .POST, APIRoute.appInstanceCheckIn.path, token: mail.instanceSecret, json: AppProtectionCheckIn(healthStatus: .healthy, wiped: true)
            ).decode(AppProtectionInstructions.self)
            #expect(done == AppProtectionInstructions(status: .wiped, wipe: false))
            view = try await api.send(.GET, APIRoute.getAppInstance.path(mail.instanceId.rawValue), token: api.adminToken).decode(AppProtectionView.self)
            #expect(view.status == .wiped && view.wipedAt == env.clock.now)
            let stored = try #require(try await env.storage.record(AppProtectionRecord.self, tenantID: env.tenant.tenantId, key: mail.instanceId.rawValue))
            #expect(stored.sealedKey == nil, "the key is destroyed")
            let log = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(targetID: mail.instanceId.rawValue))
            #expect(log.map(\.actorType) == [.device, .apiToken, .device], "registered, wipe asked, wipe confirmed")

            // An instance that stops checking in goes after the tenant's staleDeviceDays.
            let listed = try await api.send(.GET, APIRoute.listAppInstances.path + "?userId=\(user.id)", token: api.adminToken)
                .decode(Page<AppProtectionView>.self)
            #expect(listed.items.count == 2)
            env.clock.advance(91 * 86_400)
            _ = try await api.send(.POST, APIRoute.appInstanceCheckIn.path, token: notes.instanceSecret, json: AppProtectionCheckIn(healthStatus: .healthy))
            try await DeploymentJobs(
                store: env.storage, auditor: env.auditor, interval: .seconds(60), replicaID: "r", clock: env.clock.clock,
                logger: env.dependencies.logger
            ).runJobs()
            let left = try await api.send(.GET, APIRoute.listAppInstances.path, token: api.adminToken).decode(Page<AppProtectionView>.self)
            #expect(left.items.map(\.id) == [notes.instanceId])
            // And deleting the user deletes their instances.
            #expect(try await api.send(.DELETE, APIRoute.deleteUser.path(user.id.rawValue), token: api.adminToken).status == .noContent)
            #expect(try await api.send(.GET, APIRoute.appInstanceKey.path, token: notes.instanceSecret).status == .unauthorized)
        }
    }

    /// A person the directory provisioned, with a support case about them (and them as its
    /// contact) and an app-protection record: exported whole, then erased to the last byte.
    @Test(arguments: StoreKind.available) func erasingADirectoryUserLeavesNoneOfTheirBytes(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let scimToken: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Entra ID"))
            let scim = SCIMClient(api: api, token: scimToken.token)
            let id = try #require(try await scim.send(
                .POST, APIRoute.scimCreateUser.path,
                SCIMClient.user(
                    "quentin.erasable@example.test", externalId: "aad-9f3e-erasable", given: "Quentin", family: "Erasablewitz",
                    email: "quentin.mail@example.test", phone: "+15550177331", employeeNumber: "EMP-884422")).id)
            let userID = UserID(rawValue: id)
            _ = try #require(try await scim.send(
                .POST, APIRoute.scimCreateGroup.path, SCIMClient.group("Erasure squad", members: [id])).id)
            let attachment = Data("quentin-private-log-line 7731".utf8)
            let opened: SupportCaseView = try await api.created(
                .POST, APIRoute.createSupportCase.path,
                SupportCaseCreateRequest(
                    subject: "Quentin's phone lost", contactName: "Quentin Erasablewitz", contactEmail: "quentin.mail@example.test",
                    contactPhone: "+15550177331", message: "Quentin lost the phone at the Erasablewitz party.", userId: userID,
                    attachment: SupportAttachmentUpload(name: "quentin-notes.txt", data: attachment)))
            let app = try await AdminWorld.registerApp(api, user: userID, appId: "com.example.quentin-mail")

            // Exported whole first.
            let bundle = try await api.send(.POST, APIRoute.privacyExport.path, token: api.adminToken, json: DataSubjectRequest(userId: userID))
                .decode(PrivacyExportBundle.self)
            #expect(bundle.user.directoryId == "aad-9f3e-erasable" && bundle.user.givenName == "Quentin")
            #expect(bundle.supportCases.map(\.id) == [opened.id])
            #expect(bundle.supportCases.first?.messages?.first?.attachment?.data == attachment.base64EncodedString())
            #expect(bundle.appInstances.map(\.id) == [app.instanceId])

            let result = try await api.send(.POST, APIRoute.privacyErasure.path, token: api.adminToken, json: DataSubjectRequest(userId: userID))
                .decode(ErasureView.self)
            #expect(result.supportCasesDeleted == 1 && result.appInstancesDeleted == 1)
            #expect(try await api.send(.GET, APIRoute.getSupportCase.path(opened.id.rawValue), token: api.adminToken).status == .notFound)
            #expect(try await api.send(.GET, APIRoute.appInstanceKey.path, token: app.instanceSecret).status == .unauthorized)
            #expect(try await scim.list("Users", filter: #"externalId eq "aad-9f3e-erasable""#).total == 0)
            let verified = try await env.storage.verifyAuditChain(tenantID: env.tenant.tenantId, chain: TestEnvironment.masterKey.auditChain)
            #expect(verified.firstBroken == nil)

            let values = [
                "quentin.erasable@example.test", "quentin.mail@example.test", "aad-9f3e-erasable", "Erasablewitz", "+15550177331",
                "EMP-884422", "Quentin's phone lost", "quentin-private-log-line", "quentin-notes.txt", "com.example.quentin-mail",
            ]
            if store == .sqlite {
                let files = try FileManager.default.contentsOfDirectory(at: env.directory.url, includingPropertiesForKeys: nil)
                for file in files {
                    let bytes = try Data(contentsOf: file)
                    for value in values { #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) in \(file.lastPathComponent)") }
                }
            } else {
                // PostgreSQL: no live row holds any of it (its files are the server's; VACUUM ran).
                for table in DataCatalog.tables.sorted() {
                    let rows = try await env.rawRows(table).joined(separator: "\n")
                    for value in values { #expect(!rows.contains(value), "\(value) in \(table)") }
                }
            }
        }
    }
}
