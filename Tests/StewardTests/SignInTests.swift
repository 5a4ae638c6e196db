import Foundation
import HummingbirdOTP
import Testing
import StewardModel
import StewardServer
import StewardStore

/// Admin accounts: password policy, sessions and tokens, lockout, the second factor.
@Suite struct SignInTests {
    @Test(arguments: StoreKind.available) func sessionsTokensAndSignOut(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, _) = try await world.admin(holding: [.devicesRead])
            let signIn = SignInRequest(tenantId: env.tenant.tenantId, userName: admin.userName ?? "", password: AdminWorld.password)
            let answer = try await api.send(.POST, APIRoute.signIn.path, token: nil, json: signIn)
            #expect(answer.status == .created)
            let session = try answer.decode(APITokenView.self)
            #expect(session.kind == .session && session.expiresAt == env.clock.now.addingTimeInterval(12 * 3600))
            let token = try #require(session.token)

            let me = try await api.send(.GET, APIRoute.me.path, token: token).decode(MeView.self)
            #expect(me.admin.id == admin.id && me.permissions == [PermissionGrant(permission: .devicesRead, scopeGroupIds: nil)])
            #expect(me.admin.lastSignInAt == env.clock.now)

            // Sessions expire.
            env.clock.advance(12 * 3600 + 1)
            #expect(try await api.send(.GET, APIRoute.me.path, token: token).status == .unauthorized)

            // A named API token lives its days, then stops; signing out revokes the credential used.
            var named = signIn
            named.apiToken = .init(name: "ci", expiresInDays: 1)
            let apiToken = try await api.send(.POST, APIRoute.signIn.path, token: nil, json: named).decode(APITokenView.self)
            #expect(apiToken.kind == .apiToken && apiToken.name == "ci")
            let listed = try await api.send(.GET, APIRoute.listOwnTokens.path, token: apiToken.token).decode(Page<APITokenView>.self)
            #expect(listed.items.contains { $0.id == apiToken.id && $0.token == nil })
            #expect(try await api.send(.DELETE, APIRoute.signOut.path, token: apiToken.token).status == .noContent)
            #expect(try await api.send(.GET, APIRoute.me.path, token: apiToken.token).status == .unauthorized)

            // A disabled admin's credentials all stop working, and an admin cannot disable themself.
            let fresh = try await world.signIn(admin.userName ?? "")
            #expect(try await api.send(.GET, APIRoute.me.path, token: fresh).status == .ok)
            let disabled = try await api.send(.PATCH, APIRoute.updateAdmin.path(admin.id.rawValue), token: api.adminToken, json: AdminPatch(disabled: true))
            #expect(try disabled.decode(AdminView.self).disabled)
            #expect(try await api.send(.GET, APIRoute.me.path, token: fresh).status == .unauthorized)
            #expect(try await api.send(.POST, APIRoute.signIn.path, token: nil, json: signIn).status == .unauthorized)
            let me0 = try await api.send(.GET, APIRoute.me.path, token: api.adminToken).decode(MeView.self)
            let selfDisable = try await api.send(
                .PATCH, APIRoute.updateAdmin.path(me0.admin.id.rawValue), token: api.adminToken, json: AdminPatch(disabled: true))
            #expect(selfDisable.status == .conflict)
        }
    }

    @Test(arguments: StoreKind.available) func repeatedFailuresLockTheAccountUntilReset(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, _) = try await world.admin(holding: [])
            let name = admin.userName ?? ""
            func attempt(_ password: String) async throws -> APIResponse {
                try await api.send(
                    .POST, APIRoute.signIn.path, token: nil,
                    json: SignInRequest(tenantId: env.tenant.tenantId, userName: name, password: password))
            }
            for _ in 0..<5 { #expect(try await attempt("wrong wrong wrong").errorCode == "invalid_credentials") }
            let view = try await api.send(.GET, APIRoute.getAdmin.path(admin.id.rawValue), token: api.adminToken).decode(AdminView.self)
            #expect(view.failedSignIns == 5 && view.lockedUntil == env.clock.now.addingTimeInterval(900))
            // Locked: even the right password is refused, and it does not say whether it was right
            // nor that the account is locked (an unknown user name gets the same answer).
            #expect(try await attempt(AdminWorld.password).errorCode == "invalid_credentials")
            env.clock.advance(901)
            #expect(try await attempt(AdminWorld.password).status == .created)

            for _ in 0..<5 { _ = try await attempt("wrong wrong wrong") }
            #expect(try await attempt(AdminWorld.password).errorCode == "invalid_credentials")
            let reset = try await api.send(
                .POST, APIRoute.resetAdminPassword.path(admin.id.rawValue), token: api.adminToken,
                json: PasswordChangeRequest(password: "a brand new passphrase"))
            #expect(reset.status == .noContent)
            #expect(try await attempt("a brand new passphrase").status == .created)
            // Unknown user names and tenants answer the same.
            let unknown = try await api.send(
                .POST, APIRoute.signIn.path, token: nil,
                json: SignInRequest(tenantId: env.tenant.tenantId, userName: "nobody", password: "whatever it is"))
            #expect(unknown.errorCode == "invalid_credentials")
        }
    }

    /// Unknown user, wrong password, locked account, unknown tenant: the same status, the same
    /// code and the same work (one bcrypt each), so nothing tells which user names exist or
    /// which accounts are locked.
    @Test(arguments: StoreKind.available) func everyRefusalLooksAndCostsTheSame(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, _) = try await world.admin(holding: [])
            let name = admin.userName ?? ""
            func attempt(_ tenant: TenantID, _ user: String, _ password: String) async throws -> (String?, Int) {
                let before = await env.background.passwordHashing.completed
                let answer = try await api.send(
                    .POST, APIRoute.signIn.path, token: nil, json: SignInRequest(tenantId: tenant, userName: user, password: password))
                #expect(answer.status == .unauthorized)
                return (answer.errorCode, await env.background.passwordHashing.completed - before)
            }
            let tenant = env.tenant.tenantId
            var answers = [try await attempt(tenant, "nobody-here", "whatever it is")]
            answers.append(try await attempt(TenantID(rawValue: "00000000-0000-0000-0000-00000000dead"), name, "whatever it is"))
            for _ in 0..<5 { answers.append(try await attempt(tenant, name, "wrong wrong wrong")) }
            answers.append(try await attempt(tenant, name, AdminWorld.password))  // locked now
            #expect(answers.allSatisfy { $0 == ("invalid_credentials", 1) }, "\(answers)")
        }
    }

    /// Failed sign-ins are audited in aggregate: one entry per account and window with the
    /// count and reasons (and one per tenant for unknown names, which are never recorded), plus
    /// one entry at once when an account locks.
    @Test(arguments: StoreKind.available) func failedSignInsAreAuditedOncePerAccountAndWindow(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, _) = try await world.admin(holding: [])
            let name = admin.userName ?? ""
            let entriesBefore = try await env.rawRows("audit_entries").count
            for password in Array(repeating: "wrong wrong wrong", count: 7) {
                _ = try await api.send(
                    .POST, APIRoute.signIn.path, token: nil,
                    json: SignInRequest(tenantId: env.tenant.tenantId, userName: name, password: password))
            }
            for index in 0..<30 {
                _ = try await api.send(
                    .POST, APIRoute.signIn.path, token: nil,
                    json: SignInRequest(tenantId: env.tenant.tenantId, userName: "guess-\(index)", password: "hunter2 hunter2"))
            }
            // Before the window ends only the lockout is written.
            #expect(try await env.rawRows("audit_entries").count == entriesBefore + 1)
            await env.background.signInFailures.flush()
            #expect(try await env.rawRows("audit_entries").count == entriesBefore + 3)
            let entries = try await api.send(.GET, APIRoute.listAuditEntries.path + "?activity=Session", token: api.adminToken)
                .decode(Page<AuditEntryView>.self).items.filter { $0.result == .failure }
            let atAdmin = try #require(entries.first { $0.targetId == admin.id.rawValue && $0.modifiedProperties.contains { $0.name == "failedSignIns" && $0.newValue == "7" } })
            #expect(atAdmin.modifiedProperties.filter { $0.name == "reason" }.map(\.newValue) == ["locked: 2", "wrong password: 5"])
            let unknown = try #require(entries.first { $0.targetId == nil })
            #expect(unknown.modifiedProperties.contains(ModifiedProperty(name: "failedSignIns", oldValue: nil, newValue: "30")))
            #expect(unknown.targetName == nil, "a guessed user name is not recorded")
            #expect(!(try await env.rawRows("audit_entries")).joined().contains("guess-"))
            let lock = try #require(entries.first { $0.modifiedProperties.contains { $0.name == "lockedUntil" } })
            #expect(lock.targetId == admin.id.rawValue)
        }
    }

    @Test func passwordsFollowThePolicy() {
        #expect(throws: WireError.self) { try PasswordPolicy.check("short", userName: nil, field: "p") }
        #expect(throws: WireError.self) { try PasswordPolicy.check("mulder-is-my-name", userName: "Mulder", field: "p") }
        #expect(throws: WireError.self) { try PasswordPolicy.check("Password1234", userName: nil, field: "p") }
        #expect(throws: WireError.self) { try PasswordPolicy.check("aaaaaaaaaaaaaaaa", userName: nil, field: "p") }
        #expect(throws: Never.self) { try PasswordPolicy.check("correct horse battery staple", userName: "fox", field: "p") }
    }

    @Test(arguments: StoreKind.available) func theSecondFactorIsNeededOnceOn(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, token) = try await world.admin(holding: [])
            let setup: TOTPSetupView = try await api.created(.POST, APIRoute.startTOTP.path, nil as String?, token: token)
            #expect(setup.otpauthURL.hasPrefix("otpauth://totp/"))
            let totp = TOTP(secret: setup.secret)
            func code(_ offset: TimeInterval = 0) -> String { String(format: "%06d", totp.compute(date: env.clock.now + offset)) }
            let wrong = try await api.send(.POST, APIRoute.confirmTOTP.path, token: token, json: TOTPCodeRequest(code: "000000"))
            #expect(wrong.status == .forbidden || code() == "000000")
            #expect(try await api.send(.POST, APIRoute.confirmTOTP.path, token: token, json: TOTPCodeRequest(code: code())).status == .noContent)

            var signIn = SignInRequest(tenantId: env.tenant.tenantId, userName: admin.userName ?? "", password: AdminWorld.password)
            #expect(try await api.send(.POST, APIRoute.signIn.path, token: nil, json: signIn).errorCode == "totp_required")
            signIn.totpCode = code(-300)
            #expect(try await api.send(.POST, APIRoute.signIn.path, token: nil, json: signIn).errorCode == "invalid_credentials")
            signIn.totpCode = code(30)
            #expect(try await api.send(.POST, APIRoute.signIn.path, token: nil, json: signIn).status == .created)
            // The secret is stored sealed, never as the text the authenticator holds.
            let stored = try #require(try await env.storage.record(AdminRecord.self, tenantID: env.tenant.tenantId, key: admin.id.rawValue))
            #expect(stored.totpEnabled && !(String(data: stored.totpSecret ?? Data(), encoding: .utf8) ?? "").contains(setup.secret))
            #expect(!(stored.totpSecret ?? Data()).isEmpty)
        }
    }
}
