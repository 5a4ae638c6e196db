import Foundation
import Hummingbird
import NIOCore
import StewardConsole
import StewardModel

/// The console's directory, app, audit, privacy, admin and settings pages and forms. Reads go
/// through the API routes they show; every form becomes the API route's own request body, so
/// validation, permission, scope and audit entry are the API's.
extension ConsolePages {
    func cursor(_ request: Request) -> String? { request.uri.queryParameters.get("cursor").map { String($0) } }

    func pageQuery(_ request: Request, limit: Int = 50) -> String {
        String(QueryString.make([("limit", String(limit)), ("cursor", cursor(request))]).dropFirst())
    }

    // MARK: Users and groups

    func users(_ request: Request, context: Context) async throws -> Response {
        let page = try await api.value(Page<UserView>.self, .listUsers, context, query: pageQuery(request))
        return Console.html(DirectoryPages.users(viewer: try viewer(request, context), page: page, cursor: cursor(request), flash: flash(request)))
    }

    func createUser(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let user = try await api.value(
            UserView.self, .createUser, context,
            body: UserCreateRequest(displayName: try form.required("displayName"), upn: try form.required("upn"), email: form.text("email")))
        return Console.redirect("/users/\(user.id.rawValue)")
    }

    func user(_ request: Request, context: Context) async throws -> Response {
        let viewer = try viewer(request, context)
        let id = try context.id("id", UserID.self, "user")
        let user = try await api.value(UserView.self, .getUser, context, parameters: ["id": id.rawValue])
        var devices: [DeviceView]?
        if viewer.may(.devicesRead) {
            devices = try await api.value(Page<DeviceView>.self, .listDevices, context, query: "userId=\(id.rawValue)&limit=100").items
        }
        return Console.html(DirectoryPages.user(viewer: viewer, user: user, devices: devices))
    }

    func groups(_ request: Request, context: Context) async throws -> Response {
        let page = try await api.value(Page<GroupView>.self, .listGroups, context, query: pageQuery(request))
        return Console.html(DirectoryPages.groups(viewer: try viewer(request, context), page: page, cursor: cursor(request), flash: flash(request)))
    }

    func createGroup(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let group = try await api.value(
            GroupView.self, .createGroup, context,
            body: GroupCreateRequest(
                name: try form.required("name"), kind: try GroupKind.parse(try form.required("kind"), field: "kind"),
                description: form.text("description")))
        return Console.redirect("/groups/\(group.id.rawValue)")
    }

    func group(_ request: Request, context: Context) async throws -> Response {
        let id = try context.id("id", GroupID.self, "group")
        let group = try await api.value(GroupView.self, .getGroup, context, parameters: ["id": id.rawValue])
        let members = try await api.value(
            Page<GroupMemberView>.self, .listGroupMembers, context, parameters: ["id": id.rawValue], query: pageQuery(request, limit: 100))
        return Console.html(DirectoryPages.group(viewer: try viewer(request, context), group: group, members: members, flash: flash(request)))
    }

    func addMember(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", GroupID.self, "group")
        // The page says what the group holds; a wrong kind is the API's error like any other.
        let kind = try GroupKind.parse(try form.required("kind"), field: "kind")
        let member = try form.required("memberId")
        let body = kind == .device
            ? GroupMemberRequest(deviceId: DeviceID(rawValue: member)) : GroupMemberRequest(userId: UserID(rawValue: member))
        try await api.perform(.addGroupMember, context, parameters: ["id": id.rawValue], body: body)
        return Console.redirect("/groups/\(id.rawValue)?done=member-added")
    }

    func removeMember(_ request: Request, context: Context) async throws -> Response {
        _ = try await Console.form(request, context)
        let id = try context.id("id", GroupID.self, "group")
        let member = context.parameters.get("memberId") ?? ""
        try await api.perform(.removeGroupMember, context, parameters: ["id": id.rawValue, "memberId": member])
        return Console.redirect("/groups/\(id.rawValue)?done=member-removed")
    }

    // MARK: Apps

    func apps(_ request: Request, context: Context) async throws -> Response {
        let page = try await api.value(Page<ManagedAppView>.self, .listApps, context, query: pageQuery(request))
        var summaries: [AppInstallSummary] = []
        for app in page.items {
            summaries.append(try await api.value(AppInstallSummary.self, .appInstallSummary, context, parameters: ["id": app.id.rawValue]))
        }
        return Console.html(AppPages.list(viewer: try viewer(request, context), page: page, summaries: summaries, cursor: cursor(request)))
    }

    func app(_ request: Request, context: Context) async throws -> Response {
        let viewer = try viewer(request, context)
        let id = try context.id("id", ManagedAppID.self, "app")
        let parameters = ["id": id.rawValue]
        let app = try await api.value(ManagedAppView.self, .getApp, context, parameters: parameters)
        let assignments = try await api.value(Page<AppAssignmentView>.self, .listAppAssignments, context, parameters: parameters, query: "limit=200")
        let summary = try await api.value(AppInstallSummary.self, .appInstallSummary, context, parameters: parameters)
        let devices = try await api.value(Page<AppDeviceStatusView>.self, .appDeviceStatuses, context, parameters: parameters, query: "limit=50")
        let users = try await api.value(Page<AppUserStatusView>.self, .appUserStatuses, context, parameters: parameters, query: "limit=50")
        let groups = viewer.may(.groupsRead)
            ? try await api.value(Page<GroupView>.self, .listGroups, context, query: "limit=200").items : []
        return Console.html(AppPages.detail(
            viewer: viewer,
            .init(app: app, assignments: assignments.items, summary: summary, devices: devices, users: users, groups: groups),
            flash: flash(request)))
    }

    func assignApp(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", ManagedAppID.self, "app")
        let group = try form.required("groupId")
        guard GroupID.isWellFormed(group) else { throw WireError.invalidValue(field: "groupId", reason: "not a group") }
        try await api.perform(
            .createAppAssignment, context, parameters: ["id": id.rawValue],
            body: AppAssignmentRequest(groupId: GroupID(rawValue: group), intent: try AssignmentIntent.parse(try form.required("intent"), field: "intent")))
        return Console.redirect("/apps/\(id.rawValue)?done=assigned")
    }

    // MARK: Audit log

    func audit(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? {
            guard let raw = query.get(name)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        let filters = AuditPage.Filters(
            actorId: value("actorId"), activity: value("activity"), targetId: value("targetId"), from: value("from"), to: value("to"),
            cursor: value("cursor"))
        // Dates of the form are whole days (UTC); the API takes times.
        let apiQuery = String(QueryString.make([
            ("actorId", filters.actorId), ("activity", filters.activity), ("targetId", filters.targetId),
            ("from", filters.from.map { $0 + "T00:00:00Z" }), ("to", filters.to.map { $0 + "T23:59:59Z" }),
            ("limit", "50"), ("cursor", filters.cursor),
        ]).dropFirst())
        let page = try await api.value(Page<AuditEntryView>.self, .listAuditEntries, context, query: apiQuery)
        let verification = try await api.value(AuditVerification.self, .verifyAuditEntries, context)
        let chain = verification.firstBroken.map { "The hash chain is BROKEN at entry #\($0.sequence): \($0.reason)." }
            ?? "The hash chain holds: \(verification.entries) entries verified."
        return Console.html(AuditPage.render(viewer: try viewer(request, context), page: page, filters: filters, chain: chain))
    }

    // MARK: Privacy centre

    func privacy(_ request: Request, context: Context) async throws -> Response {
        let catalog = try await api.value(PrivacyCatalogView.self, .privacyCatalog, context)
        let statement = try await InProcessAPI.collect(try await api.call(.privacyStatement, context, query: "format=markdown"))
        return Console.html(PrivacyPage.render(
            viewer: try viewer(request, context), catalog: catalog, statement: String(buffer: statement), flash: flash(request)))
    }

    func subject(_ form: FormBody) throws -> DataSubjectRequest {
        let id = try form.required("userId")
        guard UserID.isWellFormed(id) else { throw WireError.invalidValue(field: "userId", reason: "not a user ID") }
        return DataSubjectRequest(userId: UserID(rawValue: id))
    }

    /// The export, downloaded as the API answers it (a JSON file).
    func privacyExport(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        return try await api.call(.privacyExport, context, body: try WireCoding.encoder().encode(try subject(form)))
    }

    func privacyErasure(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        guard form.text("confirm") == "erase" else {
            throw WireError.invalidValue(field: "confirm", reason: "type \u{201C}erase\u{201D} to confirm an erasure")
        }
        let result = try await api.value(ErasureView.self, .privacyErasure, context, body: try subject(form))
        return Console.html(PrivacyPage.erased(viewer: try viewer(request, context), result))
    }

    func corporateIdentifiers(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context, limit: 2 * 1024 * 1024)
        try await api.perform(.uploadCorporateIdentifiers, context, raw: Data(try form.required("csv").utf8))
        return Console.redirect("/privacy?done=identifiers")
    }

    func reidentify(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let subject = try await api.value(
            PseudonymSubject.self, .reidentify, context,
            body: ReidentifyRequest(pseudonym: try form.required("pseudonym"), reason: try form.required("reason")))
        return Console.html(PrivacyPage.reidentified(viewer: try viewer(request, context), subject))
    }

    // MARK: Admins and settings

    func admins(_ request: Request, context: Context) async throws -> Response {
        let viewer = try viewer(request, context)
        let admins = try await api.value(Page<AdminView>.self, .listAdmins, context, query: "limit=200").items
        var roles: [RoleView] = []
        var assignments: [RoleAssignmentView] = []
        if viewer.may(.rolesRead) {
            roles = try await api.value(Page<RoleView>.self, .listRoles, context).items
            assignments = try await api.value(Page<RoleAssignmentView>.self, .listRoleAssignments, context, query: "limit=200").items
        }
        let groups = viewer.may(.groupsRead) ? try await api.value(Page<GroupView>.self, .listGroups, context, query: "limit=200").items : []
        return Console.html(AdminPages.list(
            viewer: viewer, admins: admins, roles: roles, assignments: assignments, groups: groups, flash: flash(request)))
    }

    func createAdmin(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        try await api.perform(
            .createAdmin, context,
            body: AdminCreateRequest(
                userName: try form.required("userName"), firstName: try form.required("firstName"), lastName: try form.required("lastName"),
                email: try form.required("email"), password: try form.required("password")))
        return Console.redirect("/admins?done=admin-added")
    }

    func updateAdmin(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", AdminID.self, "admin")
        try await api.perform(.updateAdmin, context, parameters: ["id": id.rawValue], body: AdminPatch(disabled: try form.bool("disabled")))
        return Console.redirect("/admins?done=admin-updated")
    }

    func resetPassword(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", AdminID.self, "admin")
        try await api.perform(.resetAdminPassword, context, parameters: ["id": id.rawValue], body: PasswordChangeRequest(password: try form.required("password")))
        return Console.redirect("/admins?done=password-reset")
    }

    func assignRole(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", AdminID.self, "admin")
        let role = try form.required("roleId")
        guard RoleID.isWellFormed(role) else { throw WireError.invalidValue(field: "roleId", reason: "not a role") }
        let scope = try form.text("scopeGroupId").map { raw -> [GroupID] in
            guard GroupID.isWellFormed(raw) else { throw WireError.invalidValue(field: "scopeGroupId", reason: "not a group") }
            return [GroupID(rawValue: raw)]
        }
        try await api.perform(
            .createRoleAssignment, context, body: RoleAssignmentCreateRequest(roleId: RoleID(rawValue: role), adminId: id, scopeGroupIds: scope))
        return Console.redirect("/admins?done=role-assigned")
    }

    func settings(_ request: Request, context: Context) async throws -> Response {
        let settings = try await api.value(TenantSettings.self, .getTenantSettings, context)
        // The same permission (tenant.read) reads the account, the connectors and the SCIM tokens.
        let more = AdminPages.SettingsContext(
            account: try await api.value(TenantAccountView.self, .getTenantAccount, context),
            connectors: try await api.value(Page<ConnectorView>.self, .listConnectors, context).items,
            scimTokens: try await api.value(Page<SCIMTokenView>.self, .listSCIMTokens, context).items,
            pushCertificate: try await pushCertificate(context), appleEnrollURL: serverURL(request) + "/mdm/enroll")
        return Console.html(AdminPages.settings(viewer: try viewer(request, context), settings: settings, context: more, flash: flash(request)))
    }

    /// The address devices reach this server by: `publicURL`, else the one the browser used.
    private func serverURL(_ request: Request) -> String {
        publicURL ?? request.head.authority.map { (request.head.scheme ?? "http") + "://" + $0 } ?? "https://steward.example"
    }

    /// The tenant's MDM push certificate, nil when it has none.
    private func pushCertificate(_ context: Context) async throws -> ApplePushCertificateView? {
        do {
            return try await api.value(ApplePushCertificateView.self, .getApplePushCertificate, context)
        } catch let error as APIError where error.status == .notFound {
            return nil
        }
    }

    func uploadPushCertificate(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context, limit: 64 * 1024)
        _ = try await api.value(
            ApplePushCertificateView.self, .uploadApplePushCertificate, context,
            body: ApplePushCertificateRequest(
                certificate: try form.required("certificate"), privateKey: try form.required("privateKey"), appleId: try form.required("appleId")))
        return Console.redirect("/settings?done=push-certificate")
    }

    func updateSettings(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let patch = TenantSettingsPatch(
            compliantAppFeature: try form.bool("compliantAppFeature"), staleDeviceDays: try form.int("staleDeviceDays"),
            auditRetentionDays: try form.int("auditRetentionDays"),
            directoryDeprovisioning: try form["directoryDeprovisioning"].map { raw throws(WireError) in
                try DeprovisioningAction.parse(raw, field: "directoryDeprovisioning")
            },
            directoryEraseAfterDays: try form.int("directoryEraseAfterDays"))
        _ = try await api.value(TenantSettings.self, .updateTenantSettings, context, body: patch)
        return Console.redirect(form["back"] == "privacy" ? "/privacy?done=settings" : "/settings?done=settings")
    }

    func updateDevice(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", DeviceID.self, "device")
        let ownership = try form.text("ownership").map { try Ownership.parse($0, field: "ownership") }
        let user: UserID?? = try form.text("userId").map { raw -> UserID? in
            if raw == "none" { return nil }
            guard UserID.isWellFormed(raw) else { throw WireError.invalidValue(field: "userId", reason: "not a user ID") }
            return UserID(rawValue: raw)
        }
        try await api.perform(.updateDevice, context, parameters: ["id": id.rawValue], body: DevicePatch(ownership: ownership, userId: user))
        return Console.redirect("/devices/\(id.rawValue)?done=device-updated")
    }
}

// MARK: Devices, enrollment and one's own account

extension ConsolePages {
    func deleteDevice(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", DeviceID.self, "device")
        guard form.text("confirm") == "delete" else {
            throw WireError.invalidValue(field: "confirm", reason: "type \u{201C}delete\u{201D} to confirm a deletion")
        }
        try await api.perform(.deleteDevice, context, parameters: ["id": id.rawValue])
        return Console.redirect("/devices?done=device-deleted")
    }

    func cancelTask(_ request: Request, context: Context) async throws -> Response {
        _ = try await Console.form(request, context)
        let id = try context.id("id", DeviceID.self, "device")
        let task = try context.id("taskId", RemoteTaskID.self, "task")
        try await api.perform(.cancelRemoteTask, context, parameters: ["id": id.rawValue, "taskId": task.rawValue])
        return Console.redirect("/devices/\(id.rawValue)?done=task-cancelled")
    }

    func enrollment(_ request: Request, context: Context) async throws -> Response {
        try await enrollmentPage(request, context, created: nil)
    }

    private func enrollmentPage(_ request: Request, _ context: Context, created: EnrollmentTokenView?) async throws -> Response {
        // A role that may make tokens but not list them still sees the one it made.
        let tokens = context.grants.allows(.enrollmentRead)
            ? try await api.value(Page<EnrollmentTokenView>.self, .listEnrollmentTokens, context, query: pageQuery(request, limit: 100))
            : Page(items: [], nextCursor: nil)
        let server = serverURL(request)
        return Console.html(AccountPages.enrollment(
            viewer: try viewer(request, context), tokens: tokens, created: created, server: server, flash: flash(request)))
    }

    /// The new token is shown on the answer to the form, once (never in a URL).
    func createEnrollmentToken(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let days = try form.int("days")
        let created = try await api.value(
            EnrollmentTokenView.self, .createEnrollmentToken, context,
            body: EnrollmentTokenCreateRequest(
                ownership: try Ownership.parse(try form.required("ownership"), field: "ownership"),
                expiresAt: days.map { clock.now().addingTimeInterval(TimeInterval($0) * 86_400) }, maxUses: try form.int("maxUses"),
                description: form.text("description")))
        return try await enrollmentPage(request, context, created: created)
    }

    func revokeEnrollmentToken(_ request: Request, context: Context) async throws -> Response {
        _ = try await Console.form(request, context)
        try await api.perform(.revokeEnrollmentToken, context, parameters: ["id": context.parameters.get("id") ?? ""])
        return Console.redirect("/enrollment?done=token-revoked")
    }

    func account(_ request: Request, context: Context) async throws -> Response {
        try await accountPage(request, context, totp: nil, newToken: nil)
    }

    private func accountPage(_ request: Request, _ context: Context, totp: TOTPSetupView?, newToken: APITokenView?) async throws -> Response {
        let me = try await api.value(MeView.self, .me, context)
        let tokens = try await api.value(Page<APITokenView>.self, .listOwnTokens, context, query: "limit=100")
        return Console.html(AccountPages.account(
            viewer: try viewer(request, context), me: me, tokens: tokens.items, totp: totp, newToken: newToken, flash: flash(request)))
    }

    func changePassword(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        try await api.perform(
            .changeOwnPassword, context,
            body: PasswordChangeRequest(password: try form.required("password"), currentPassword: form["currentPassword"]))
        return Console.redirect("/account?done=password-changed")
    }

    /// The new secret is shown on the answer to the form, once.
    func startTOTP(_ request: Request, context: Context) async throws -> Response {
        _ = try await Console.form(request, context)
        let setup = try await api.value(TOTPSetupView.self, .startTOTP, context)
        return try await accountPage(request, context, totp: setup, newToken: nil)
    }

    func confirmTOTP(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        try await api.perform(.confirmTOTP, context, body: TOTPCodeRequest(code: try form.required("code")))
        return Console.redirect("/account?done=totp-on")
    }

    func disableTOTP(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        try await api.perform(.disableTOTP, context, body: TOTPCodeRequest(code: try form.required("code")))
        return Console.redirect("/account?done=totp-off")
    }

    func createToken(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let token = try await api.value(APITokenView.self, .createOwnToken, context, body: SignInRequest.TokenRequest(name: try form.required("name")))
        return try await accountPage(request, context, totp: nil, newToken: token)
    }

    func revokeToken(_ request: Request, context: Context) async throws -> Response {
        _ = try await Console.form(request, context)
        let id = try context.id("id", CredentialID.self, "token")
        try await api.perform(.revokeOwnToken, context, parameters: ["id": id.rawValue])
        return Console.redirect("/account?done=token-revoked")
    }
}

// MARK: Support cases
extension ConsolePages {
    func support(_ request: Request, context: Context) async throws -> Response {
        let page = try await api.value(Page<SupportCaseView>.self, .listSupportCases, context, query: pageQuery(request))
        return Console.html(SupportPages.cases(viewer: try viewer(request, context), page: page, cursor: cursor(request), flash: flash(request)))
    }

    func openSupportCase(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let userID = try form.text("userId").map { raw throws(WireError) in
            guard UserID.isWellFormed(raw) else { throw WireError.invalidValue(field: "userId", reason: "not a valid identifier") }
            return UserID(rawValue: raw)
        }
        let opened = try await api.value(
            SupportCaseView.self, .createSupportCase, context,
            body: SupportCaseCreateRequest(
                subject: try form.required("subject"), contactName: try form.required("contactName"),
                contactEmail: try form.required("contactEmail"), contactPhone: form.text("contactPhone"),
                message: try form.required("message"), userId: userID))
        return Console.redirect("/support/\(opened.id.rawValue)")
    }

    func supportCase(_ request: Request, context: Context) async throws -> Response {
        let id = try context.id("id", SupportCaseID.self, "support_case")
        let item = try await api.value(SupportCaseView.self, .getSupportCase, context, parameters: ["id": id.rawValue])
        return Console.html(SupportPages.thread(viewer: try viewer(request, context), item: item, flash: flash(request)))
    }

    func writeSupportMessage(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", SupportCaseID.self, "support_case")
        try await api.perform(
            .addSupportMessage, context, parameters: ["id": id.rawValue], body: SupportMessageRequest(message: try form.required("message")))
        return Console.redirect("/support/\(id.rawValue)?done=message-sent")
    }

    func setSupportCaseStatus(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", SupportCaseID.self, "support_case")
        let status = try SupportCaseStatus.parse(try form.required("status"), field: "status")
        try await api.perform(.updateSupportCase, context, parameters: ["id": id.rawValue], body: SupportCasePatch(status: status))
        return Console.redirect("/support/\(id.rawValue)?done=case-\(status.rawValue)")
    }
}
