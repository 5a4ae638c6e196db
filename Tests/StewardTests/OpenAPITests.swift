import Foundation
import Testing
import StewardModel

/// docs/openapi.yaml and the router agree: every route documented, every documented route served,
/// and every field the API encodes is a documented property.
@Suite struct OpenAPITests {
    static let document = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/openapi.yaml")

    /// `METHOD /path` pairs under `paths:` (two-space path keys, four-space method keys).
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOf: document, encoding: .utf8)
        var routes = Set<String>()
        var inPaths = false
        var currentPath: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "post", "patch", "delete", "put"].first(where: { line == "    \($0):" })
            {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return routes
    }

    /// Property names of a schema under `components: schemas:`.
    static func properties(of schema: String) throws -> Set<String> {
        let lines = try String(contentsOf: document, encoding: .utf8).split(separator: "\n").map(String.init)
        guard let start = lines.firstIndex(of: "    \(schema):") else { return [] }
        var result = Set<String>()
        var inProperties = false
        for line in lines[(start + 1)...] {
            if line.hasPrefix("    "), !line.hasPrefix("     ") { break }
            if line == "      properties:" { inProperties = true; continue }
            if inProperties, line.hasPrefix("        "), !line.hasPrefix("         "),
                let name = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first
            {
                result.insert(String(name))
            } else if !line.hasPrefix("        ") {
                inProperties = false
            }
        }
        return result
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let documented = try Self.documentedRoutes()
        let served = Set(APIRoute.all.map(\.description))
        #expect(documented == served)

        let env = try await TestEnvironment()
        try await env.withClient { api in
            for route in documented {
                let parts = route.split(separator: " ")
                let method = try #require(APIRoute.Method(rawValue: String(parts[0])))
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "00000000-0000-7000-8000-0000000000ff")
                    .replacingOccurrences(of: "{tokenId}", with: "x").replacingOccurrences(of: "{memberId}", with: "x")
                    .replacingOccurrences(of: "{kind}", with: "imei").replacingOccurrences(of: "{value}", with: "x")
                let answer = try await api.send(method, path, token: nil, raw: Data("{}".utf8))
                #expect(answer.errorCode != "route_not_found", "\(route) is documented but not served")
            }
        }
    }

    @Test func encodedFieldsAreDocumented() throws {
        func keys(_ value: some Encodable) throws -> Set<String> {
            let object = try JSONSerialization.jsonObject(with: try WireCoding.encoder().encode(value)) as? [String: Any]
            return Set(object?.keys.map { $0 } ?? [])
        }
        let scimToken = SCIMTokenView(
            id: CredentialID(rawValue: ""), name: "", createdBy: AdminID(rawValue: ""), createdAt: Date(), expiresAt: Date(), revokedAt: Date())
        let inventory = SampleInventory.make()
        let device = DeviceView(
            id: DeviceID(rawValue: "00000000-0000-7000-8000-000000000001"), platform: .linux, ownership: .corporate,
            deviceName: "", manufacturer: "", model: "", operatingSystem: "", osVersion: "", kernelVersion: "", serialNumber: "",
            platformId: "", imei: "", meid: "", iccid: "", phoneNumber: "", networkInterfaces: [], wifiMacAddress: "",
            cpuModel: "", cpuCores: 1, memoryBytes: 1, diskBytes: 1, appCount: 0, refusedAppReports: 0, agentVersion: "",
            enrolledAt: Date(), lastCheckInAt: Date(), userId: UserID(rawValue: ""), retiredAt: Date(), managementId: "",
            directoryDeviceId: "", easDeviceId: "", windowsDeviceId: "")
        let admin = AdminView(
            id: AdminID(rawValue: ""), userName: "", firstName: "", lastName: "", displayName: "", email: "", phone: "",
            directoryId: "", hasPassword: true, totpEnabled: true, disabled: false, lockedUntil: Date(), failedSignIns: 0,
            lastSignInAt: Date(), createdAt: Date())
        let grant = PermissionGrant(permission: .auditRead, scopeGroupIds: [])
        let change = ModifiedProperty(name: "", oldValue: "", newValue: "")
        let hashes = SectionHashes(hardware: "h", operatingSystem: "o", network: "n", apps: "a")
        let rule = DetectionRule(debianPackage: "p", minimumVersion: "1")
        let stateReport = AppStateReport(appId: ManagedAppID(rawValue: ""), state: .failed, errorCode: "e")
        let instruction = ManagedAppInstruction(
            appId: ManagedAppID(rawValue: ""), name: "", platform: .linux, packageId: "", detection: rule, intent: .required)
        let taskResult = RemoteTaskResult(code: "", message: "")
        let task = RemoteTaskView(
            id: RemoteTaskID(rawValue: ""), deviceId: DeviceID(rawValue: ""), kind: .sync, state: .sent, createdAt: Date(), createdBy: "",
            sentAt: Date(), acknowledgedAt: Date(), completedAt: Date(), expiresAt: Date(), result: taskResult, bundle: "")
        let event = DiagnosticEvent(kind: .command, name: "", at: Date(), durationMs: 1, success: true, code: "")
        let cases: [(String, Set<String>)] = [
            ("Device", try keys(device)),
            ("Hardware", try keys(HardwareSection(
                deviceName: "", manufacturer: "", model: "", serialNumber: "", platformId: "", cpuModel: "", cpuCores: 1,
                memoryBytes: 1, diskBytes: 1, imei: "", meid: "", iccid: "", phoneNumber: "", directoryDeviceId: "", easDeviceId: "",
                windowsDeviceId: ""))),
            ("OperatingSystem", try keys(inventory.operatingSystem)),
            ("Network", try keys(NetworkSection(interfaces: [], wifiMacAddress: ""))),
            ("NetworkInterface", try keys(inventory.network.interfaces[0])),
            ("App", try keys(inventory.apps![0])),
            ("SectionHashes", try keys(hashes)),
            ("CheckInRequest", try keys(CheckInRequest(
                agentVersion: "", hashes: hashes, hardware: inventory.hardware, operatingSystem: inventory.operatingSystem,
                network: inventory.network, apps: [], appsDelta: AppsDelta(baseHash: "", upserted: [], removed: []),
                managedAppsVersion: 1, appStates: [stateReport]))),
            ("CheckInResponse", try keys(CheckInResponse(
                policy: .init(collectApps: true, checkInIntervalSeconds: 1), fullInventoryRequested: false,
                acknowledged: hashes, appsRefused: false, managedApps: ManagedAppsPolicy(version: 1, apps: [instruction]),
                remoteTasks: [RemoteTaskInstruction(id: RemoteTaskID(rawValue: ""), kind: .sync)]))),
            ("DetectionRule", try keys(rule)),
            ("ManagedApp", try keys(ManagedAppView(
                id: ManagedAppID(rawValue: ""), name: "", publisher: "", version: "", platform: .linux, packageId: "", sizeBytes: 1,
                detection: rule, createdAt: Date()))),
            ("ManagedAppCreate", try keys(ManagedAppCreateRequest(
                name: "", platform: .linux, packageId: "", publisher: "", version: "", sizeBytes: 1, detection: rule))),
            ("ManagedAppPatch", try keys(ManagedAppPatch(name: "", publisher: "", version: "", sizeBytes: 1, detection: rule))),
            ("AppAssignment", try keys(AppAssignmentView(
                id: AppAssignmentID(rawValue: ""), appId: ManagedAppID(rawValue: ""), groupId: GroupID(rawValue: ""), intent: .required,
                createdAt: Date()))),
            ("AppAssignmentRequest", try keys(AppAssignmentRequest(groupId: GroupID(rawValue: ""), intent: .required))),
            ("AppStateReport", try keys(stateReport)),
            ("ManagedAppInstruction", try keys(instruction)),
            ("ManagedAppsPolicy", try keys(ManagedAppsPolicy(version: 1, apps: []))),
            ("AppInstallSummary", try keys(AppInstallSummary(appId: ManagedAppID(rawValue: ""), rows: []))),
            ("AppDeviceStatus", try keys(AppDeviceStatusView(
                deviceId: DeviceID(rawValue: ""), userId: UserID(rawValue: ""), state: .installed, errorCode: "", updatedAt: Date()))),
            ("DeviceManagedApp", try keys(DeviceManagedAppView(
                appId: ManagedAppID(rawValue: ""), name: "", state: .installed, errorCode: "", updatedAt: Date()))),
            ("RemoteTaskRequest", try keys(RemoteTaskRequest(kind: .wipe, confirm: "wipe", expiresInMinutes: 1))),
            ("RemoteTaskResult", try keys(taskResult)),
            ("RemoteTask", try keys(task)),
            ("GroupRemoteTasks", try keys(GroupRemoteTasksView(tasks: [task]))),
            ("RemoteTaskInstruction", try keys(RemoteTaskInstruction(id: RemoteTaskID(rawValue: ""), kind: .sync))),
            ("RemoteTaskInstructions", try keys(RemoteTaskInstructions(tasks: []))),
            ("RemoteTaskReport", try keys(RemoteTaskReport(state: .succeeded, result: taskResult, bundle: ""))),
            ("AppUserStatus", try keys(AppUserStatusView(userId: UserID(rawValue: ""), devicesByState: [:]))),
            ("EnrollmentToken", try keys(EnrollmentTokenView(
                id: "", ownership: .corporate, description: "", createdAt: Date(), expiresAt: Date(), maxUses: 1,
                useCount: 0, revokedAt: Date(), userId: UserID(rawValue: ""), token: ""))),
            ("EnrollResponse", try keys(EnrollResponse(
                deviceId: DeviceID(rawValue: ""), deviceSecret: "", ownership: .corporate,
                policy: .init(collectApps: true, checkInIntervalSeconds: 1)))),
            ("TenantSettings", try keys(TenantSettings(compliantAppFeature: true))),
            ("ReportSummary", try keys(ReportSummary(devices: DeviceCounts(rows: [])))),
            ("DeviceCounts", try keys(DeviceCounts(rows: []))),
            ("OperatingSystemCount", try keys(OperatingSystemCount(name: "", version: "", devices: 1))),
            ("Admin", try keys(admin)),
            ("ApiToken", try keys(APITokenView(
                id: CredentialID(rawValue: ""), adminId: AdminID(rawValue: ""), kind: .session, name: "", createdAt: Date(),
                expiresAt: Date(), revokedAt: Date(), token: ""))),
            ("Me", try keys(MeView(tenantId: TenantID(rawValue: ""), admin: admin, credentialId: CredentialID(rawValue: ""), permissions: [grant]))),
            ("PermissionGrant", try keys(grant)),
            ("TotpSetup", try keys(TOTPSetupView(secret: "", otpauthURL: ""))),
            ("User", try keys(UserView(
                id: UserID(rawValue: ""), displayName: "", givenName: "", familyName: "", upn: "", email: "", phone: "", externalIds: [:],
                origin: .directory, directoryId: "", active: false, deactivatedAt: Date(), eraseAt: Date(), createdAt: Date()))),
            ("Group", try keys(GroupView(
                id: GroupID(rawValue: ""), name: "", kind: .user, description: "", memberCount: 0, origin: .directory, directoryId: "",
                createdAt: Date()))),
            ("ScimToken", try keys(scimToken)),
            ("SupportCase", try keys(SupportCaseView(
                id: SupportCaseID(rawValue: ""), subject: "", contactName: "", contactEmail: "", contactPhone: "", userId: UserID(rawValue: ""),
                status: .open, createdBy: AdminID(rawValue: ""), createdAt: Date(), updatedAt: Date(), closedAt: Date(), messages: []))),
            ("SupportMessage", try keys(SupportMessageView(
                id: SupportMessageID(rawValue: ""), author: .tenant, authorName: "", message: "",
                attachment: SupportAttachmentView(name: "", sizeBytes: 1), createdAt: Date()))),
            ("SupportAttachment", try keys(SupportAttachmentView(name: "", sizeBytes: 1, data: ""))),
            ("SupportAttachmentUpload", try keys(SupportAttachmentUpload(name: "", data: Data()))),
            ("SupportCaseCreate", try keys(SupportCaseCreateRequest(
                subject: "", contactName: "", contactEmail: "", contactPhone: "", message: "", userId: UserID(rawValue: ""),
                attachment: SupportAttachmentUpload(name: "", data: Data())))),
            ("SupportMessageCreate", try keys(SupportMessageRequest(message: "", attachment: SupportAttachmentUpload(name: "", data: Data())))),
            ("SupportCasePatch", try keys(SupportCasePatch(status: .closed))),
            ("AppProtectionRegistration", try keys(AppProtectionRegistration(appId: "", appVersion: "", sdkVersion: "", deviceTag: "", platform: .ios))),
            ("AppProtectionRegistered", try keys(AppProtectionRegistered(instanceId: AppInstanceID(rawValue: ""), instanceSecret: "", dataKey: ""))),
            ("AppProtectionCheckIn", try keys(AppProtectionCheckIn(appVersion: "", sdkVersion: "", healthStatus: .healthy, wiped: true))),
            ("AppProtectionInstructions", try keys(AppProtectionInstructions(status: .enrolled, wipe: false))),
            ("AppProtectionKey", try keys(AppProtectionKey(dataKey: ""))),
            ("AppProtection", try keys(AppProtectionView(
                id: AppInstanceID(rawValue: ""), appId: "", appVersion: "", sdkVersion: "", deviceTag: "", platform: .ios,
                userId: UserID(rawValue: ""), status: .enrolled, healthStatus: .healthy, enrolledAt: Date(), lastCheckInAt: Date(),
                wipeRequestedAt: Date(), wipedAt: Date()))),
            ("ScimTokenRequest", try keys(SCIMTokenRequest(name: "", expiresInDays: 1, directoryTenantId: ""))),
            ("Connector", try keys(ConnectorView(
                id: ConnectorID(rawValue: ""), kind: .applePush, name: "", thirdPartyTenantId: "", accountId: "", createdBy: AdminID(rawValue: ""),
                createdAt: Date(), updatedAt: Date()))),
            ("ConnectorCreate", try keys(ConnectorCreateRequest(kind: .directory, name: "", thirdPartyTenantId: "", accountId: ""))),
            ("AppleMDMEnrollment", try keys(AppleMDMEnrollmentView(
                enrollmentType: .device, enrolledAt: Date(), udid: "", lastSeenAt: Date(), lastInventoryAt: Date(), lastPushAt: Date(),
                pushTokenRefusedAt: Date(), checkedOutAt: Date(), userChannel: false, identityExpiresAt: Date(), commands: []))),
            ("AppleMDMCommand", try keys(AppleMDMCommandView(
                id: "", requestType: "", taskId: RemoteTaskID(rawValue: ""), state: .queued, queuedAt: Date(), sentAt: Date(), answeredAt: Date(),
                errorCodes: ""))),
            ("ApplePushCertificate", try keys(ApplePushCertificateView(topic: "", notAfter: Date(), appleId: "", uploadedAt: Date(), daysLeft: 0))),
            ("ApplePushCertificateUpload", try keys(ApplePushCertificateRequest(certificate: "", privateKey: "", appleId: ""))),
            ("TenantAccount", try keys(TenantAccountView(
                tenantId: TenantID(rawValue: ""), name: "", ownerEmail: "", plan: .trial, licensedDevices: 1, licensedUsers: 1, devices: 0,
                users: 0, hasSubscriptionKey: true, billingReference: "", closureRequestedAt: Date(), closesAt: Date()))),
            ("TenantAccountPatch", try keys(TenantAccountPatch(ownerEmail: "", subscriptionKey: "", billingReference: ""))),
            ("TenantClosure", try keys(TenantClosureRequest(confirm: ""))),
            ("ConnectorPatch", try keys(ConnectorPatch(name: "", thirdPartyTenantId: "", accountId: ""))),
            ("DataFlow", try keys(DataCatalog.flows[0])),
            ("ScimTokenCreated", try keys(SCIMTokenCreated(token: "", scimUrl: "", view: scimToken))),
            ("GroupMember", try keys(GroupMemberView(id: "", kind: .user, addedAt: Date()))),
            ("Role", try keys(RoleView(id: RoleID(rawValue: ""), name: "", description: "", permissions: [], builtIn: true))),
            ("RoleAssignment", try keys(RoleAssignmentView(
                id: RoleAssignmentID(rawValue: ""), roleId: RoleID(rawValue: ""), adminId: AdminID(rawValue: ""), scopeGroupIds: [],
                createdAt: Date()))),
            ("AuditEntry", try keys(AuditEntryView(
                id: AuditEntryID(rawValue: ""), sequence: 1, at: Date(), actorType: .admin, actorId: "", actorName: "", activity: "",
                operation: .create, targetType: "", targetId: "", targetName: "", modifiedProperties: [change], result: .success,
                requestId: "", clientAddress: "", personalFieldsErased: false))),
            ("ModifiedProperty", try keys(change)),
            ("PrivacyCatalog", try keys(PrivacyCatalogView(settings: TenantSettings(compliantAppFeature: false)))),
            ("CorporateIdentifier", try keys(CorporateIdentifierView(kind: .imei, value: "", createdAt: Date()))),
            ("CorporateIdentifierUpload", try keys(CorporateIdentifierUpload(received: 0, added: 0))),
            ("Erasure", try keys(ErasureView(devicesDeleted: 0, auditEntriesBlanked: 0, appCatalogRowsPurged: 0, pseudonymsUnlinked: 0))),
            ("PrivacyExport", try keys(PrivacyExportBundle(
                generatedAt: Date(), tenantId: TenantID(rawValue: ""),
                user: UserView(id: UserID(rawValue: ""), displayName: "", upn: "", email: nil, phone: nil, externalIds: [:], createdAt: Date()),
                devices: [], groupIds: [], auditEntries: [], diagnostics: [], fields: []))),
            ("DiagnosticEvent", try keys(event)),
            ("DiagnosticsUpload", try keys(DiagnosticsUpload(events: [event]))),
            ("DiagnosticsReceipt", try keys(DiagnosticsReceipt(accepted: 1))),
            ("DiagnosticEventView", try keys(DiagnosticEventView(
                id: DiagnosticEventID(rawValue: ""), kind: .command, name: "", at: Date(), durationMs: 1, success: true, code: "",
                devicePseudonym: "", userPseudonym: ""))),
            ("DiagnosticsDay", try keys(DiagnosticsDay(
                day: "", kind: .command, name: "", events: 1, succeeded: 1, failed: 0, latencyBuckets: [1: 1]))),
            ("ReidentifyRequest", try keys(ReidentifyRequest(pseudonym: "", reason: ""))),
            ("PseudonymSubject", try keys(PseudonymSubject(pseudonym: "", subjectType: .device, subjectId: "", keyVersion: 1))),
            ("PseudonymKey", try keys(PseudonymKeyView(version: 1, createdAt: Date()))),
            ("DataSubjectRequest", try keys(DataSubjectRequest(userId: UserID(rawValue: "")))),
            ("CatalogField", try keys(PrivacyCatalogView(settings: TenantSettings(compliantAppFeature: false)).fields[0])),
        ]
        let permissions = try String(contentsOf: Self.document, encoding: .utf8)
        #expect(permissions.contains("enum: [\(Permission.allCases.map(\.rawValue).joined(separator: ", "))]"), "Permission enum documented")
        #expect(permissions.contains("enum: [\(Retention.allCases.map(\.rawValue).joined(separator: ", "))]"), "Retention enum documented")
        #expect(permissions.contains("enum: [\(AuditActorType.allCases.map(\.rawValue).joined(separator: ", "))]"), "actor types documented")
        for (schema, encoded) in cases {
            let documented = try Self.properties(of: schema)
            #expect(!documented.isEmpty, "schema \(schema) missing")
            #expect(encoded == documented, "schema \(schema)")
        }
    }
}
