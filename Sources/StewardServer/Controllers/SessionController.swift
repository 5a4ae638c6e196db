import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// Signing in and out, and everything an admin does to their own account: password, API
/// tokens, second factor.
struct SessionController: Sendable {
    let store: any RecordStore
    let accounts: AdminAccounts
    let auditor: Auditor
    let clock: Clock
    let configuration: ServerConfiguration
    let limiter: SignInLimiter
    let failures: SignInFailureLog
    /// Serving HTTPS itself (`--tls-cert`).
    var servesTLS = false

    func signIn(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(SignInRequest.self, limit: Limits.smallBodyBytes)
        let (token, credential) = try await accounts.signIn(input, auditor: auditor, limiter: limiter, failures: failures, context: context)
        var view = token.view
        view.token = credential.text
        var response = try JSONResponse(view, status: .created).response(from: request, context: context)
        if token.kind == .session {
            // HttpOnly: scripts never see it; SameSite=Strict: other sites cannot send it.
            // Secure behind TLS (here, or at a proxy that says so).
            let secure = request.cameOverTLS(servedOverTLS: servesTLS)
            response.setCookie(Cookie(
                name: AdminAuthentication.sessionCookie, value: credential.text, expires: token.expiresAt,
                path: "/", secure: secure, httpOnly: true, sameSite: .strict))
        }
        return response
    }

    func signOut(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let (tenantID, adminID, credentialID) = try context.requireAdmin()
        try await revoke(credentialID, of: adminID, tenantID: tenantID, context: context, activity: "Session")
        var response = Response(status: .noContent)
        response.setCookie(Cookie(
            name: AdminAuthentication.sessionCookie, value: "", expires: Date(timeIntervalSince1970: 0), path: "/",
            httpOnly: true, sameSite: .strict))
        return response
    }

    func me(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<MeView> {
        let (tenantID, adminID, credentialID) = try context.requireAdmin()
        guard let admin = try await store.record(AdminRecord.self, tenantID: tenantID, key: adminID.rawValue) else {
            throw APIError.unauthorized
        }
        return JSONResponse(MeView(tenantId: tenantID, admin: admin.view, credentialId: credentialID, permissions: context.grants.list))
    }

    func changePassword(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(PasswordChangeRequest.self, limit: Limits.smallBodyBytes)
        guard let admin = try await store.record(AdminRecord.self, tenantID: tenantID, key: adminID.rawValue) else {
            throw APIError.unauthorized
        }
        // An admin who has a password proves it before choosing another (a stolen session alone
        // cannot take over the account).
        if admin.passwordVerifier != nil {
            guard let current = input.currentPassword, try await accounts.verify(current, against: admin.passwordVerifier) else {
                throw APIError(.forbidden, "wrong_password", "currentPassword is wrong.")
            }
        }
        _ = try await accounts.setPassword(tenantID: tenantID, adminID: adminID, password: input.password) { admin, changes in
            auditor.event(
                context, activity: "Admin", operation: .update, targetID: admin.id.rawValue, targetName: admin.userName,
                changes: changes)
        }
        return Response(status: .noContent)
    }

    func listTokens(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<APITokenView>> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        return JSONResponse(try await Self.tokens(of: adminID, tenantID: tenantID, request: request, store: store))
    }

    static func tokens(of adminID: AdminID, tenantID: TenantID, request: Request, store: any RecordStore) async throws -> Page<APITokenView> {
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let tokens = try await store.records(
            AdminTokenRecord.self, tenantID: tenantID, filter: AdminTokenRecord.of(adminID),
            after: try query.cursor(), limit: limit + 1)
        return Page.of(tokens, limit: limit, \.view)
    }

    func createToken(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<APITokenView> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(SignInRequest.TokenRequest.self, limit: Limits.smallBodyBytes)
        try input.validate(field: "body")
        let days = input.expiresInDays ?? APITokenView.defaultLifetimeDays
        let token = accounts.newToken(
            tenantID: tenantID, adminID: adminID, kind: .apiToken, name: input.name,
            expiresAt: clock.now().addingTimeInterval(TimeInterval(days * 86400)))
        try await store.write(
            [.insert(token.record)],
            audit: auditor.event(
                context, activity: "ApiToken", operation: .create, targetID: token.record.id.rawValue, targetName: input.name,
                changes: Changes.created([
                    ("name", input.name), ("adminId", adminID.rawValue), ("expiresAt", token.record.expiresAt.map(WireCoding.format)),
                ])))
        var view = token.record.view
        view.token = token.credential.text
        return JSONResponse(view, status: .created)
    }

    func revokeToken(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let (tenantID, adminID, _) = try context.requireAdmin()
        try await revoke(try context.id("id", CredentialID.self, "token"), of: adminID, tenantID: tenantID, context: context, activity: "ApiToken")
        return Response(status: .noContent)
    }

    /// `DELETE /api/v1/admins/{id}/tokens/{tokenId}`: another admin's token or session.
    func revokeAdminToken(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let adminID = try context.id("id", AdminID.self, "token")
        try await AdminController.refuseActingAbove(adminID, tenantID: tenantID, context: context, store: store)
        try await revoke(
            try context.id("tokenId", CredentialID.self, "token"), of: adminID, tenantID: tenantID, context: context,
            activity: "ApiToken")
        return Response(status: .noContent)
    }

    /// Revokes one of the admin's credentials (404 for anyone else's).
    func revoke(_ id: CredentialID, of adminID: AdminID, tenantID: TenantID, context: StewardRequestContext, activity: String) async throws {
        let now = clock.now()
        do {
            try await store.update(AdminTokenRecord.self, tenantID: tenantID, key: id.rawValue) { old in
                guard old.adminID == adminID else { throw StoreError.notFound }
                var new = old
                new.revokedAt = old.revokedAt ?? now
                var changes = Changes()
                changes.compare("revokedAt", old.revokedAt.map(WireCoding.format), new.revokedAt.map(WireCoding.format))
                return (new, auditor.event(
                    context, activity: activity, operation: activity == "Session" ? .manage : .delete,
                    targetType: old.kind == .session ? "Session" : "ApiToken", targetID: old.id.rawValue, targetName: old.name,
                    changes: changes.properties))
            }
        } catch StoreError.notFound {
            throw APIError.notFound("token")
        }
    }

    func startTOTP(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<TOTPSetupView> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let (secret, sealed) = try accounts.newTOTPSecret()
        let admin = try await store.update(AdminRecord.self, tenantID: tenantID, key: adminID.rawValue) { old in
            guard !old.totpEnabled else {
                throw APIError(.conflict, "totp_enabled", "The second factor is already on; turn it off first.")
            }
            var new = old
            new.totpSecret = sealed
            var changes = Changes()
            changes.secret("totpSecret")
            return (new, auditor.event(
                context, activity: "Admin", operation: .update, targetID: old.id.rawValue, targetName: old.userName,
                changes: changes.properties))
        }
        return JSONResponse(TOTPSetupView(secret: secret, otpauthURL: accounts.totpURL(secret: secret, admin: admin)), status: .created)
    }

    func confirmTOTP(_ request: Request, context: StewardRequestContext) async throws -> Response {
        try await setTOTP(enabled: true, request: request, context: context)
    }

    func disableTOTP(_ request: Request, context: StewardRequestContext) async throws -> Response {
        try await setTOTP(enabled: false, request: request, context: context)
    }

    /// Turning the second factor on or off needs a current code from the authenticator.
    private func setTOTP(enabled: Bool, request: Request, context: StewardRequestContext) async throws -> Response {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(TOTPCodeRequest.self, limit: 1024)
        let now = clock.now()
        try await store.update(AdminRecord.self, tenantID: tenantID, key: adminID.rawValue) { [accounts] old in
            guard old.totpSecret != nil, old.totpEnabled != enabled else {
                throw APIError(.conflict, "totp_state", enabled ? "Start with POST /api/v1/me/totp." : "The second factor is off.")
            }
            guard try accounts.checkTOTP(input.code, sealedSecret: old.totpSecret, at: now) else {
                throw APIError(.forbidden, "wrong_code", "The code does not match the authenticator's.")
            }
            var new = old
            new.totpEnabled = enabled
            if !enabled { new.totpSecret = nil }
            var changes = Changes()
            changes.compare("totpEnabled", old.totpEnabled, enabled)
            return (new, auditor.event(
                context, activity: "Admin", operation: .update, targetID: old.id.rawValue, targetName: old.userName,
                changes: changes.properties))
        }
        return Response(status: .noContent)
    }
}
