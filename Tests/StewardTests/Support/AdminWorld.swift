import Foundation
import HummingbirdOTP
import Testing
import StewardModel
import StewardServer
import StewardStore

/// One of each admin-plane resource in the test tenant, made through the API as its
/// Administrator, and the ways to call every admin route against them.
struct AdminWorld: Sendable {
    static let password = "correct horse battery staple"

    let api: APIClient
    let env: TestEnvironment
    let device: EnrollResponse
    let user: UserView
    let deviceGroup: GroupView
    let userGroup: GroupView
    let role: RoleView
    let secondAdmin: AdminView
    let assignment: RoleAssignmentView
    let enrollmentTokenID: String
    let app: ManagedAppView
    let appAssignment: AppAssignmentView
    let scimToken: SCIMTokenCreated
    let supportCase: SupportCaseView
    let appInstance: AppProtectionRegistered
    let connector: ConnectorView

    init(_ env: TestEnvironment, _ api: APIClient) async throws {
        self.env = env
        self.api = api
        device = try await api.enroll(.corporate, platformId: "world-device")
        user = try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Dana Scully", upn: "dana@example.test"))
        deviceGroup = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "Lab", kind: .device))
        userGroup = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "Agents", kind: .user))
        _ = try await api.created(
            .POST, APIRoute.addGroupMember.path(deviceGroup.id.rawValue), GroupMemberRequest(deviceId: device.deviceId))
            as GroupMemberView
        role = try await api.created(.POST, APIRoute.createRole.path, RoleCreateRequest(name: "Auditors", permissions: [.auditRead]))
        secondAdmin = try await api.created(.POST, APIRoute.createAdmin.path, Self.adminRequest("fox"))
        assignment = try await api.created(
            .POST, APIRoute.createRoleAssignment.path,
            RoleAssignmentCreateRequest(roleId: role.id, adminId: secondAdmin.id, scopeGroupIds: [deviceGroup.id]))
        let token = try await api.enrollmentToken(.corporate)
        enrollmentTokenID = String(token.split(separator: ".")[2])
        app = try await api.created(.POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: "htop", platform: .linux, packageId: "htop"))
        appAssignment = try await api.created(
            .POST, APIRoute.createAppAssignment.path(app.id.rawValue), AppAssignmentRequest(groupId: deviceGroup.id, intent: .required))
        scimToken = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Acme directory"))
        supportCase = try await api.created(
            .POST, APIRoute.createSupportCase.path,
            SupportCaseCreateRequest(
                subject: "Enrollment fails", contactName: "Walter Skinner", contactEmail: "skinner@example.test", message: "Since Monday.",
                userId: user.id, attachment: SupportAttachmentUpload(name: "agent.log", data: Data("error: 42\n".utf8))))
        appInstance = try await Self.registerApp(api, user: user.id)
        connector = try #require(try await api.send(.GET, APIRoute.listConnectors.path, token: api.adminToken)
            .decode(Page<ConnectorView>.self).items.first, "the SCIM token recorded the directory")
        _ = try await api.created(.POST, APIRoute.uploadApplePushCertificate.path, try Self.pushCertificate()) as ApplePushCertificateView
        // The device as an Apple MDM enrollment too (its routes need one to answer).
        var enrollment = AppleMDMEnrollmentRecord(
            tenantID: env.tenant.tenantId, id: "world-apple-enrollment", tokenID: CredentialID(rawValue: "world-token"), ownership: .corporate,
            userID: nil, type: .device, certificateFingerprint: Data(repeating: 1, count: 32), issuedAt: env.clock.now,
            certificateExpiresAt: env.clock.now.addingTimeInterval(86_400))
        enrollment.deviceID = device.deviceId
        enrollment.authenticatedAt = env.clock.now
        try await env.storage.write([.insert(enrollment)], audit: nil)
    }

    /// An app-protection instance of the user, registered as its SDK would.
    static func registerApp(_ api: APIClient, user: UserID, admin: String? = nil, appId: String = "com.example.mail") async throws -> AppProtectionRegistered {
        let made: EnrollmentTokenView = try await api.created(
            .POST, APIRoute.createEnrollmentToken.path, EnrollmentTokenCreateRequest(ownership: .personal, userId: user), token: admin)
        return try await api.created(
            .POST, APIRoute.registerAppInstance.path,
            AppProtectionRegistration(appId: appId, appVersion: "7.1", sdkVersion: "2.0", deviceTag: "tag-\(UUID().uuidString.prefix(8))", platform: .ios),
            token: made.token ?? "")
    }

    /// IDs of tenant A's resources, which no answer to another tenant may contain.
    var ids: [String] {
        [device.deviceId.rawValue, user.id.rawValue, deviceGroup.id.rawValue, userGroup.id.rawValue, role.id.rawValue,
         secondAdmin.id.rawValue, assignment.id.rawValue, enrollmentTokenID, app.id.rawValue, appAssignment.id.rawValue,
         scimToken.view.id.rawValue, supportCase.id.rawValue, appInstance.instanceId.rawValue,
         connector.id.rawValue]
    }

    static func adminRequest(_ userName: String) -> AdminCreateRequest {
        AdminCreateRequest(
            userName: userName, firstName: "Fox", lastName: "Mulder", email: "\(userName)@example.test", password: password)
    }

    /// A new admin holding exactly `permissions` (over all devices, or the given groups), and an
    /// API token of theirs.
    func admin(holding permissions: [Permission], scope: [GroupID]? = nil) async throws -> (admin: AdminView, token: String) {
        let name = "u" + UUID().uuidString.prefix(8).lowercased()
        let admin: AdminView = try await api.created(.POST, APIRoute.createAdmin.path, Self.adminRequest(name))
        if !permissions.isEmpty {
            let role: RoleView = try await api.created(
                .POST, APIRoute.createRole.path, RoleCreateRequest(name: "r-\(name)", permissions: permissions))
            _ = try await api.created(
                .POST, APIRoute.createRoleAssignment.path,
                RoleAssignmentCreateRequest(roleId: role.id, adminId: admin.id, scopeGroupIds: scope)) as RoleAssignmentView
        }
        return (admin, try await signIn(name))
    }

    /// An admin with a built-in role.
    func admin(role: RoleDefinition, scope: [GroupID]? = nil) async throws -> String {
        let name = "u" + UUID().uuidString.prefix(8).lowercased()
        let admin: AdminView = try await api.created(.POST, APIRoute.createAdmin.path, Self.adminRequest(name))
        _ = try await api.created(
            .POST, APIRoute.createRoleAssignment.path,
            RoleAssignmentCreateRequest(roleId: role.id, adminId: admin.id, scopeGroupIds: scope)) as RoleAssignmentView
        return try await signIn(name)
    }

    func signIn(_ userName: String, tenant: TenantID? = nil) async throws -> String {
        let answer = try await api.send(
            .POST, APIRoute.signIn.path, token: nil,
            json: SignInRequest(
                tenantId: tenant ?? env.tenant.tenantId, userName: userName, password: Self.password,
                apiToken: .init(name: "test")))
        guard answer.status == .created, let token = try answer.decode(APITokenView.self).token else {
            throw TestFailure("sign-in of \(userName) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
        }
        return token
    }

    /// A request to a route, ready to send.
    struct Call: Sendable {
        var path: String
        var body: Data?
    }

    /// How to call `route` successfully as the holder of `token` (who holds the route's
    /// permission); preparation calls are made with the tenant's Administrator, or with
    /// `token` for routes about the caller's own account.
    func call(_ route: APIRoute, as token: String) async throws -> Call {
        let unique = UUID().uuidString.prefix(8).lowercased()
        func json(_ value: some Encodable) throws -> Data { try WireCoding.encoder().encode(value) }
        func newUser() async throws -> UserView {
            try await api.created(.POST, APIRoute.createUser.path, UserCreateRequest(displayName: "U \(unique)", upn: "\(unique)@example.test"))
        }
        func newDevice() async throws -> EnrollResponse { try await api.enroll(.corporate, platformId: "m-\(unique)") }
        func totpCode(_ secret: String) -> String {
            String(format: "%06d", TOTP(secret: secret).compute(date: env.clock.now))
        }
        switch route {
        case .signOut: return Call(path: route.path, body: nil)
        case .me, .listOwnTokens: return Call(path: route.path, body: nil)
        case .changeOwnPassword:
            return Call(path: route.path, body: try json(PasswordChangeRequest(password: "another long pass \(unique)", currentPassword: Self.password)))
        case .createOwnToken: return Call(path: route.path, body: try json(SignInRequest.TokenRequest(name: "ci \(unique)")))
        case .revokeOwnToken:
            let made: APITokenView = try await api.created(.POST, APIRoute.createOwnToken.path, SignInRequest.TokenRequest(name: "x"), token: token)
            return Call(path: route.path(made.id.rawValue), body: nil)
        case .startTOTP: return Call(path: route.path, body: nil)
        case .confirmTOTP:
            let setup: TOTPSetupView = try await api.created(.POST, APIRoute.startTOTP.path, nil as String?, token: token)
            return Call(path: route.path, body: try json(TOTPCodeRequest(code: totpCode(setup.secret))))
        case .disableTOTP:
            let setup: TOTPSetupView = try await api.created(.POST, APIRoute.startTOTP.path, nil as String?, token: token)
            let confirmed = try await api.send(
                .POST, APIRoute.confirmTOTP.path, token: token, json: TOTPCodeRequest(code: totpCode(setup.secret)))
            guard confirmed.status == .noContent else { throw TestFailure("confirm TOTP: \(confirmed.status)") }
            return Call(path: route.path, body: try json(TOTPCodeRequest(code: totpCode(setup.secret))))
        case .listAdmins, .listUsers, .listGroups, .listRoles, .listRoleAssignments, .listAuditEntries, .verifyAuditEntries, .listDevices,
            .listEnrollmentTokens, .getTenantSettings, .reportSummary, .reportDeviceCounts, .privacyCatalog:
            return Call(path: route.path, body: nil)
        case .exportAuditEntries: return Call(path: route.path + "?format=csv", body: nil)
        case .privacyStatement: return Call(path: route.path + "?format=html", body: nil)
        case .createAdmin: return Call(path: route.path, body: try json(Self.adminRequest("a\(unique)")))
        case .getAdmin, .listAdminTokens: return Call(path: route.path(secondAdmin.id.rawValue), body: nil)
        case .updateAdmin:
            // An admin with no roles: nobody acts on an account stronger than their own.
            let (other, _) = try await admin(holding: [])
            return Call(path: route.path(other.id.rawValue), body: try json(AdminPatch(firstName: "F\(unique)")))
        case .resetAdminPassword:
            let (other, _) = try await admin(holding: [])
            return Call(path: route.path(other.id.rawValue), body: try json(PasswordChangeRequest(password: "reset to \(unique) now")))
        case .revokeAdminToken:
            let (other, token) = try await admin(holding: [])
            return Call(path: route.path(other.id.rawValue, String(token.split(separator: ".")[2])), body: nil)
        case .createEnrollmentToken:
            return Call(path: route.path, body: try json(EnrollmentTokenCreateRequest(ownership: .corporate, userId: user.id)))
        case .revokeEnrollmentToken:
            let token = try await api.enrollmentToken(.personal)
            return Call(path: route.path(String(token.split(separator: ".")[2])), body: nil)
        case .uploadCorporateIdentifiers: return Call(path: route.path, body: Data("serialNumber,SN-\(unique)\n".utf8))
        case .listCorporateIdentifiers: return Call(path: route.path, body: nil)
        case .deleteCorporateIdentifier:
            let uploaded = try await api.send(.POST, APIRoute.uploadCorporateIdentifiers.path, token: api.adminToken, raw: Data("imei,\(unique)\n".utf8))
            guard uploaded.status == .created else { throw TestFailure("upload: \(uploaded.status)") }
            return Call(path: route.path("imei", String(unique)), body: nil)
        case .getDevice, .listDeviceApps, .listDeviceManagedApps: return Call(path: route.path(device.deviceId.rawValue), body: nil)
        case .updateDevice:
            return Call(path: route.path(device.deviceId.rawValue), body: try json(DevicePatch(userId: .some(try await newUser().id))))
        case .deleteDevice: return Call(path: route.path(try await newDevice().deviceId.rawValue), body: nil)
        case .createUser:
            return Call(path: route.path, body: try json(UserCreateRequest(displayName: "New", upn: "n\(unique)@example.test", externalIds: ["appleId": "a\(unique)"])))
        case .getUser: return Call(path: route.path(user.id.rawValue), body: nil)
        case .updateUser: return Call(path: route.path(user.id.rawValue), body: try json(UserPatch(phone: "+1555\(unique.prefix(4))")))
        case .deleteUser: return Call(path: route.path(try await newUser().id.rawValue), body: nil)
        case .createGroup: return Call(path: route.path, body: try json(GroupCreateRequest(name: "g\(unique)", kind: .device)))
        case .createRemoteTask:
            return Call(path: route.path(device.deviceId.rawValue), body: try json(RemoteTaskRequest(kind: .sync)))
        case .listRemoteTasks: return Call(path: route.path(device.deviceId.rawValue), body: nil)
        case .getRemoteTask, .cancelRemoteTask:
            let made: RemoteTaskView = try await api.created(
                .POST, APIRoute.createRemoteTask.path(device.deviceId.rawValue), RemoteTaskRequest(kind: .lock))
            return Call(path: route.path(device.deviceId.rawValue, made.id.rawValue), body: nil)
        case .createGroupRemoteTasks:
            return Call(path: route.path(deviceGroup.id.rawValue), body: try json(RemoteTaskRequest(kind: .sync)))
        case .listApps: return Call(path: route.path, body: nil)
        case .createApp:
            return Call(path: route.path, body: try json(ManagedAppCreateRequest(name: "x", platform: .linux, packageId: "pkg-\(unique)")))
        case .getApp, .listAppAssignments, .appInstallSummary, .appDeviceStatuses, .appUserStatuses:
            return Call(path: route.path(app.id.rawValue), body: nil)
        case .updateApp: return Call(path: route.path(app.id.rawValue), body: try json(ManagedAppPatch(publisher: "p\(unique)")))
        case .deleteApp:
            let made: ManagedAppView = try await api.created(
                .POST, APIRoute.createApp.path, ManagedAppCreateRequest(name: "x", platform: .linux, packageId: "del-\(unique)"))
            return Call(path: route.path(made.id.rawValue), body: nil)
        case .createAppAssignment:
            let group: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "g\(unique)", kind: .device))
            return Call(path: route.path(app.id.rawValue), body: try json(AppAssignmentRequest(groupId: group.id, intent: .available)))
        case .deleteAppAssignment:
            let group: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "h\(unique)", kind: .user))
            let made: AppAssignmentView = try await api.created(
                .POST, APIRoute.createAppAssignment.path(app.id.rawValue), AppAssignmentRequest(groupId: group.id, intent: .uninstall))
            return Call(path: route.path(app.id.rawValue, made.id.rawValue), body: nil)
        case .getGroup, .listGroupMembers: return Call(path: route.path(deviceGroup.id.rawValue), body: nil)
        case .updateGroup: return Call(path: route.path(userGroup.id.rawValue), body: try json(GroupPatch(description: "d\(unique)")))
        case .deleteGroup:
            let group: GroupView = try await api.created(.POST, APIRoute.createGroup.path, GroupCreateRequest(name: "x\(unique)", kind: .user))
            return Call(path: route.path(group.id.rawValue), body: nil)
        case .addGroupMember:
            return Call(path: route.path(deviceGroup.id.rawValue), body: try json(GroupMemberRequest(deviceId: try await newDevice().deviceId)))
        case .removeGroupMember:
            let added = try await newUser()
            _ = try await api.created(.POST, APIRoute.addGroupMember.path(userGroup.id.rawValue), GroupMemberRequest(userId: added.id)) as GroupMemberView
            return Call(path: route.path(userGroup.id.rawValue, added.id.rawValue), body: nil)
        case .createRole: return Call(path: route.path, body: try json(RoleCreateRequest(name: "r\(unique)", permissions: [.rolesManage])))
        case .getRole: return Call(path: route.path(role.id.rawValue), body: nil)
        case .updateRole: return Call(path: route.path(role.id.rawValue), body: try json(RolePatch(description: "d\(unique)")))
        case .deleteRole:
            let made: RoleView = try await api.created(.POST, APIRoute.createRole.path, RoleCreateRequest(name: "x\(unique)", permissions: [.usersRead]))
            return Call(path: route.path(made.id.rawValue), body: nil)
        case .createRoleAssignment:
            // A role the caller holds all of (nobody grants more than they have).
            let made: RoleView = try await api.created(.POST, APIRoute.createRole.path, RoleCreateRequest(name: "a\(unique)", permissions: [.rolesManage]))
            return Call(path: route.path, body: try json(RoleAssignmentCreateRequest(roleId: made.id, adminId: secondAdmin.id, scopeGroupIds: [deviceGroup.id])))
        case .deleteRoleAssignment:
            let made: RoleAssignmentView = try await api.created(
                .POST, APIRoute.createRoleAssignment.path, RoleAssignmentCreateRequest(roleId: role.id, adminId: secondAdmin.id))
            return Call(path: route.path(made.id.rawValue), body: nil)
        case .listDiagnostics, .rotatePseudonymKey: return Call(path: route.path, body: nil)
        case .reidentify:
            try await api.diagnostics(device.deviceSecret, [DiagnosticEvent(kind: .featureUsed, name: "inventory", at: env.clock.now)])
            guard let pseudonym = try await api.storedDiagnostics().last?.devicePseudonym else { throw TestFailure("no pseudonym") }
            return Call(path: route.path, body: try json(ReidentifyRequest(pseudonym: pseudonym, reason: "support case \(unique)")))
        case .privacyExport: return Call(path: route.path, body: try json(DataSubjectRequest(userId: user.id)))
        case .privacyErasure: return Call(path: route.path, body: try json(DataSubjectRequest(userId: try await newUser().id)))
        case .updateTenantSettings:
            let current = try await api.send(.GET, APIRoute.getTenantSettings.path, token: api.adminToken).decode(TenantSettings.self)
            return Call(path: route.path, body: try json(TenantSettingsPatch(compliantAppFeature: !current.compliantAppFeature)))
        case .listSCIMTokens, .listSupportCases, .listAppInstances, .listConnectors, .getTenantAccount, .cancelTenantClosure:
            return Call(path: route.path, body: nil)
        case .updateTenantAccount:
            return Call(path: route.path, body: try json(TenantAccountPatch(ownerEmail: "owner-\(unique)@example.test", billingReference: "cus_\(unique)")))
        case .closeTenant: return Call(path: route.path, body: try json(TenantClosureRequest(confirm: "Acme")))
        case .createConnector:
            return Call(path: route.path, body: try json(ConnectorCreateRequest(kind: .applePush, name: "APNs \(unique)", accountId: "mdm@example.test")))
        case .updateConnector, .deleteConnector:
            let made: ConnectorView = try await api.created(
                .POST, APIRoute.createConnector.path, ConnectorCreateRequest(kind: .applePush, name: "c \(unique)"))
            return Call(path: route.path(made.id.rawValue), body: route == .updateConnector ? try json(ConnectorPatch(name: "d \(unique)")) : nil)
        case .getApplePushCertificate: return Call(path: route.path, body: nil)
        case .getAppleMDMEnrollment: return Call(path: route.path(device.deviceId.rawValue), body: nil)
        case .uploadApplePushCertificate: return Call(path: route.path, body: try json(try Self.pushCertificate()))
        case .deleteApplePushCertificate:
            let _: ApplePushCertificateView = try await api.created(.POST, route.path, try Self.pushCertificate())
            return Call(path: route.path, body: nil)
        case .getAppInstance: return Call(path: route.path(appInstance.instanceId.rawValue), body: nil)
        case .wipeAppInstance, .deleteAppInstance:
            let made = try await Self.registerApp(api, user: user.id)
            return Call(path: route.path(made.instanceId.rawValue), body: nil)
        case .createSupportCase:
            return Call(path: route.path, body: try json(SupportCaseCreateRequest(
                subject: "s \(unique)", contactName: "C", contactEmail: "c\(unique)@example.test", message: "m")))
        case .getSupportCase: return Call(path: route.path(supportCase.id.rawValue), body: nil)
        case .updateSupportCase: return Call(path: route.path(supportCase.id.rawValue), body: try json(SupportCasePatch(status: .closed)))
        case .addSupportMessage:
            return Call(path: route.path(supportCase.id.rawValue), body: try json(SupportMessageRequest(message: "more \(unique)")))
        case .getSupportAttachment:
            let messageID = try #require(supportCase.messages?.first?.id)
            return Call(path: route.path(supportCase.id.rawValue, messageID.rawValue), body: nil)
        case .createSCIMToken: return Call(path: route.path, body: try json(SCIMTokenRequest(name: "Okta \(unique)")))
        case .revokeSCIMToken:
            let made: SCIMTokenCreated = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "r \(unique)"))
            return Call(path: route.path(made.view.id.rawValue), body: nil)
        default:
            throw TestFailure("no call for \(route)")
        }
    }
}

extension AdminWorld {
    /// An MDM push certificate upload (a new key each time: a renewal).
    static func pushCertificate() throws -> ApplePushCertificateRequest {
        let made = try TestPushCertificate()
        return ApplePushCertificateRequest(certificate: made.certificatePEM, privateKey: made.keyPEM, appleId: "mdm@example.test")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension APIClient {
    /// Sends `body` and decodes the 2xx answer (or throws with what came back).
    func created<T: Decodable>(_ method: APIRoute.Method, _ path: String, _ body: (some Encodable)?, token: String? = nil) async throws -> T {
        let answer: APIResponse
        if let body {
            answer = try await send(method, path, token: token ?? adminToken, json: body)
        } else {
            answer = try await send(method, path, token: token ?? adminToken)
        }
        guard (200..<300).contains(answer.status.code) else {
            throw TestFailure("\(method) \(path) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
        }
        return try answer.decode(T.self)
    }

    func send(_ method: APIRoute.Method, _ call: AdminWorld.Call, token: String?) async throws -> APIResponse {
        try await send(method, call.path, token: token, raw: call.body)
    }
}
