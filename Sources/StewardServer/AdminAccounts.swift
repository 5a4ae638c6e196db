import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import NIOPosix
import StewardModel
import StewardStore

/// Admin accounts: creation, passwords (bcrypt verifiers, hashed off the event loops), sign-in
/// with its failure counting and lockout, and the TOTP second factor. Shared by the API and the
/// `steward admin` commands.
public struct AdminAccounts: Sendable {
    let store: any RecordStore & TenantStore & AuditStore
    let configuration: ServerConfiguration
    let masterKey: MasterKey
    let clock: Clock
    let ids: IdentifierGenerator
    /// Checked when the user name is unknown, at the configured cost, so that answer takes as
    /// long as a wrong password and does not reveal which user names exist.
    private let dummyVerifier: String

    public init(
        store: any RecordStore & TenantStore & AuditStore, configuration: ServerConfiguration, masterKey: MasterKey,
        clock: Clock, ids: IdentifierGenerator
    ) {
        self.store = store
        self.configuration = configuration
        self.masterKey = masterKey
        self.clock = clock
        self.ids = ids
        dummyVerifier = Bcrypt.hash("steward-no-such-admin", cost: configuration.passwordHashCost)
    }

    func hash(_ password: String) async throws -> String {
        let cost = configuration.passwordHashCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against verifier: String?) async throws -> Bool {
        let hash = verifier ?? dummyVerifier
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        return matches && verifier != nil
    }

    /// A new admin (validated request) with its role assignment over all devices, if any.
    public func create(
        tenantID: TenantID, _ request: AdminCreateRequest, roleID: RoleID?, audit: (AdminRecord, [ModifiedProperty]) -> AuditEvent
    ) async throws -> AdminRecord {
        try request.validate()
        let admin = AdminRecord(
            tenantID: tenantID, id: ids(), displayName: "\(request.firstName) \(request.lastName)", userName: request.userName,
            firstName: request.firstName, lastName: request.lastName, email: request.email, phone: request.phone,
            directoryID: request.directoryId, passwordVerifier: try await hash(request.password), createdAt: clock.now())
        var writes: [RecordWrite] = [.insert(admin)]
        var changes = Changes.created([
            ("userName", admin.userName), ("firstName", admin.firstName), ("lastName", admin.lastName),
            ("email", admin.email), ("phone", admin.phone), ("directoryId", admin.directoryID),
        ])
        changes.append(ModifiedProperty(name: "password", oldValue: nil, newValue: "(set)"))
        if let roleID {
            writes.append(.insert(RoleAssignmentRecord(
                tenantID: tenantID, id: ids(), roleID: roleID, adminID: admin.id, scopeGroupIDs: nil, createdAt: clock.now())))
            changes.append(ModifiedProperty(name: "roleId", oldValue: nil, newValue: roleID.rawValue))
        }
        do {
            try await store.write(writes, audit: audit(admin, changes))
        } catch StoreError.conflict {
            throw APIError(.conflict, "user_name_taken", "An admin with this user name already exists.")
        }
        return admin
    }

    /// Sets a new password (checked against the policy), unlocks the account, and audits it.
    public func setPassword(
        tenantID: TenantID, adminID: AdminID, password: String, audit: @escaping @Sendable (AdminRecord, [ModifiedProperty]) -> AuditEvent
    ) async throws -> AdminRecord {
        guard let current = try await store.record(AdminRecord.self, tenantID: tenantID, key: adminID.rawValue) else {
            throw APIError.notFound("admin")
        }
        try PasswordPolicy.check(password, userName: current.userName, field: "password")
        let verifier = try await hash(password)
        return try await store.update(AdminRecord.self, tenantID: tenantID, key: adminID.rawValue) { old in
            var new = old
            new.passwordVerifier = verifier
            new.failedSignIns = 0
            new.lockedUntil = nil
            var changes = Changes()
            changes.secret("password")
            changes.compare("lockedUntil", old.lockedUntil.map(WireCoding.format), nil)
            return (new, audit(new, changes.properties))
        }
    }

    /// Checks a sign-in and, when it holds, creates the session or API token in the same
    /// transaction as the audit entry. Failures are counted, slowed down and audited; enough
    /// of them in a row lock the account for a while.
    func signIn(_ request: SignInRequest, auditor: Auditor, context: StewardRequestContext) async throws -> (AdminTokenRecord, Credential) {
        try request.validate()
        let tenantID = request.tenantId
        let now = clock.now()
        var context = context
        context.tenantID = tenantID
        guard try await store.tenant(tenantID) != nil else {
            _ = try await verify(request.password, against: nil)
            throw Self.invalidCredentials
        }
        let found = try await store.records(
            AdminRecord.self, tenantID: tenantID, filter: ["user_name": .text(request.userName)], after: nil, limit: 1
        ).first
        guard let admin = found else {
            _ = try await verify(request.password, against: nil)
            try await store.append(auditor.event(
                context, activity: "Session", operation: .manage, targetType: "Admin", targetID: nil,
                targetName: request.userName, changes: [ModifiedProperty(name: "reason", oldValue: nil, newValue: "unknown user name")],
                result: .failure))
            try await slowDown(failures: 1)
            throw Self.invalidCredentials
        }
        // Until the sign-in holds, the actor is unknown; the admin is only the target.
        let signingIn = context
        func failed(_ reason: String, counts: Bool = true) async throws {
            let failures = admin.failedSignIns + (counts ? 1 : 0)
            let max = configuration.maxFailedSignIns
            let lockout = configuration.lockoutSeconds
            try await store.update(AdminRecord.self, tenantID: tenantID, key: admin.id.rawValue) { old in
                var new = old
                var changes = Changes()
                if counts {
                    new.failedSignIns = old.failedSignIns + 1
                    if new.failedSignIns >= max { new.lockedUntil = now.addingTimeInterval(TimeInterval(lockout)) }
                    changes.compare("failedSignIns", old.failedSignIns, new.failedSignIns)
                    changes.compare("lockedUntil", old.lockedUntil.map(WireCoding.format), new.lockedUntil.map(WireCoding.format))
                }
                changes.compare("reason", nil, reason)
                return (new, auditor.event(
                    signingIn, activity: "Session", operation: .manage, targetType: "Admin", targetID: old.id.rawValue,
                    targetName: old.userName, changes: changes.properties, result: .failure))
            }
            try await slowDown(failures: failures)
        }
        if let lockedUntil = admin.lockedUntil, lockedUntil > now {
            try await failed("locked", counts: false)
            throw APIError(.forbidden, "account_locked", "Too many failed sign-ins: try again after \(WireCoding.format(lockedUntil)).")
        }
        guard try await verify(request.password, against: admin.passwordVerifier), admin.disabledAt == nil else {
            try await failed(admin.disabledAt == nil ? "wrong password" : "disabled")
            throw Self.invalidCredentials
        }
        if admin.totpEnabled {
            guard let code = request.totpCode else {
                throw APIError(.unauthorized, "totp_required", "This account needs the code of its authenticator app (totpCode).")
            }
            guard try checkTOTP(code, sealedSecret: admin.totpSecret, at: now) else {
                try await failed("wrong second-factor code")
                throw Self.invalidCredentials
            }
        }
        let lifetime = request.apiToken.map { TimeInterval(($0.expiresInDays ?? APITokenView.defaultLifetimeDays) * 86400) }
        let token = newToken(
            tenantID: tenantID, adminID: admin.id, kind: request.apiToken == nil ? .session : .apiToken,
            name: request.apiToken?.name ?? "console session",
            expiresAt: now.addingTimeInterval(lifetime ?? TimeInterval(configuration.sessionSeconds)))
        var signedIn = admin
        signedIn.failedSignIns = 0
        signedIn.lockedUntil = nil
        signedIn.lastSignInAt = now
        var changes = Changes()
        changes.compare("lastSignInAt", admin.lastSignInAt.map(WireCoding.format), WireCoding.format(now))
        changes.compare("failedSignIns", admin.failedSignIns, 0)
        changes.compare("credential", nil, "\(token.record.kind.rawValue) \(token.record.id)")
        context.adminID = admin.id
        context.actorName = admin.displayName
        context.actorType = token.record.kind == .session ? .admin : .apiToken
        try await store.write(
            [.replace(signedIn), .insert(token.record)],
            audit: auditor.event(
                context, activity: "Session", operation: .manage, targetType: "Admin", targetID: admin.id.rawValue,
                targetName: admin.userName, changes: changes.properties))
        return (token.record, token.credential)
    }

    static let invalidCredentials = APIError(.unauthorized, "invalid_credentials", "The user name, password or code is wrong.")

    private func slowDown(failures: Int) async throws {
        let delay = configuration.failedSignInDelay * min(failures, 8)
        try await Task.sleep(for: min(delay, .seconds(2)))
    }

    func newToken(
        tenantID: TenantID, adminID: AdminID, kind: APITokenView.Kind, name: String, expiresAt: Date?
    ) -> (record: AdminTokenRecord, credential: Credential) {
        let id: CredentialID = ids()
        let credential = Secrets.make(.adminToken, tenantID: tenantID, id: id.rawValue)
        let record = AdminTokenRecord(
            tenantID: tenantID, id: id, adminID: adminID, kind: kind, name: name,
            verifier: Secrets.verifier(of: credential), createdAt: clock.now(), expiresAt: expiresAt)
        return (record, credential)
    }

    // MARK: TOTP (RFC 6238: 30-second steps, 6 digits, one step of clock drift either way)

    func newTOTPSecret() throws -> (secret: String, sealed: Data) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        let secret = String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        return (secret, try masterKey.seal(Data(secret.utf8)))
    }

    func checkTOTP(_ code: String, sealedSecret: Data?, at now: Date) throws -> Bool {
        guard let sealedSecret, let number = Int(code), code.count == 6 else { return false }
        let secret = String(decoding: try masterKey.open(sealedSecret), as: UTF8.self)
        let totp = TOTP(secret: secret)
        return [-30.0, 0, 30].contains { totp.compute(date: now.addingTimeInterval($0)) == number }
    }

    func totpURL(secret: String, admin: AdminRecord) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: admin.userName ?? admin.id.rawValue, issuer: "Steward")
    }
}
