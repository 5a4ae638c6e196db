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
    /// Password checks of this server: bounded so a flood cannot queue minutes of bcrypt.
    let hashing: PasswordHashing

    public init(
        store: any RecordStore & TenantStore & AuditStore, configuration: ServerConfiguration, masterKey: MasterKey,
        clock: Clock, ids: IdentifierGenerator, hashing: PasswordHashing = PasswordHashing()
    ) {
        self.hashing = hashing
        self.store = store
        self.configuration = configuration
        self.masterKey = masterKey
        self.clock = clock
        self.ids = ids
        dummyVerifier = Bcrypt.hash("steward-no-such-admin", cost: configuration.passwordHashCost)
    }

    func hash(_ password: String) async throws -> String {
        let cost = configuration.passwordHashCost
        return try await bcrypt { Bcrypt.hash(password, cost: cost) }
    }

    /// Checks the password on the bounded hashing queue: 429 when it is full, nothing done when
    /// the client has left before its turn.
    func verify(_ password: String, against verifier: String?, stillWanted: @escaping @Sendable () -> Bool = { true }) async throws -> Bool {
        let hash = verifier ?? dummyVerifier
        return try await bcrypt(stillWanted: stillWanted) { Bcrypt.verify(password, hash: hash) } && verifier != nil
    }

    /// bcrypt work on the bounded queue, its refusals as answers.
    private func bcrypt<T: Sendable>(
        stillWanted: @escaping @Sendable () -> Bool = { true }, _ work: @escaping @Sendable () -> T
    ) async throws -> T {
        do {
            return try await hashing.run(stillWanted: stillWanted, work)
        } catch is PasswordHashing.Busy {
            throw APIError.tooManyRequests("sign_in_busy", "Too many sign-ins at once: try again shortly.", retryAfter: .seconds(1))
        } catch is PasswordHashing.ClientGone {
            throw CancellationError()
        }
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
    /// transaction as the audit entry. In order:
    /// 1. the client address's and the account's rate limits (429 a second late, before any hashing);
    /// 2. one guess is claimed atomically — counted on the admin before the password is checked,
    ///    so concurrent guesses cannot all read an unlocked account: at most `maxFailedSignIns`
    ///    passwords are ever verified per lockout window;
    /// 3. the password, on the bounded hashing queue (dropped if the client left).
    /// Every refusal — unknown tenant or user, locked, disabled, wrong password or code — does
    /// the same work (one bcrypt) and answers the same 401 after the same delay, so neither the
    /// status nor the time tells which user names exist or are locked. Failures are audited in
    /// aggregate (`SignInFailureLog`); a lockout is audited at once.
    func signIn(
        _ request: SignInRequest, auditor: Auditor, limiter: SignInLimiter, failures: SignInFailureLog,
        context: StewardRequestContext
    ) async throws -> (AdminTokenRecord, Credential) {
        try request.validate()
        let tenantID = request.tenantId
        let account = "\(tenantID.rawValue)/\(request.userName.lowercased())"
        if let wait = await limiter.admit(address: context.clientAddress, account: account) {
            // Answered a second late: a flooding client waits on each connection instead of
            // spending the server's (and its own) CPU on thousands of refusals a second.
            try await Task.sleep(for: min(wait, .seconds(1)))
            throw APIError.tooManyRequests("too_many_sign_ins", "Too many sign-in attempts: try again later.", retryAfter: wait)
        }
        var context = context
        context.tenantID = tenantID
        let stillWanted = context.isClientConnected
        let address = context.clientAddress

        func refuse(_ admin: AdminRecord?, reason: String?, hashed: Bool) async throws -> Never {
            if !hashed { _ = try await verify(request.password, against: nil, stillWanted: stillWanted) }
            if let reason {
                await failures.record(
                    tenantID: tenantID, adminID: admin?.id, userName: admin?.userName, reason: reason, clientAddress: address)
            }
            try await Task.sleep(for: min(configuration.failedSignInDelay, .seconds(2)))
            throw Self.invalidCredentials
        }

        guard try await store.tenant(tenantID) != nil else { try await refuse(nil, reason: nil, hashed: false) }
        guard let admin = try await store.records(
            AdminRecord.self, tenantID: tenantID, filter: AdminRecord.withUserName(request.userName), after: nil, limit: 1
        ).first else {
            try await refuse(nil, reason: "unknown user name", hashed: false)
        }
        let now = clock.now()
        let (max, lockout) = (configuration.maxFailedSignIns, TimeInterval(configuration.lockoutSeconds))
        let claimed: AdminRecord
        do {
            claimed = try await store.update(AdminRecord.self, tenantID: tenantID, key: admin.id.rawValue) { old in
                if let lockedUntil = old.lockedUntil, lockedUntil > now { throw AccountLocked() }
                var new = old
                if old.lockedUntil != nil {
                    // The lockout is over: a new window of guesses.
                    new.failedSignIns = 0
                    new.lockedUntil = nil
                }
                new.failedSignIns += 1
                if new.failedSignIns >= max { new.lockedUntil = now.addingTimeInterval(lockout) }
                return (new, nil)
            }
        } catch is AccountLocked {
            try await refuse(admin, reason: "locked", hashed: false)
        }
        let passwordHolds = try await verify(request.password, against: claimed.passwordVerifier, stillWanted: stillWanted)
        func failed(_ reason: String) async throws -> Never {
            if let lockedUntil = claimed.lockedUntil {
                // This failure used the last guess: the account is locked from now on.
                try await store.append(auditor.event(
                    context, activity: "Session", operation: .manage, targetType: "Admin", targetID: claimed.id.rawValue,
                    targetName: claimed.userName,
                    changes: [
                        ModifiedProperty(name: "failedSignIns", oldValue: nil, newValue: String(claimed.failedSignIns)),
                        ModifiedProperty(name: "lockedUntil", oldValue: nil, newValue: WireCoding.format(lockedUntil)),
                    ],
                    result: .failure))
            }
            try await refuse(claimed, reason: reason, hashed: true)
        }
        guard passwordHolds, claimed.disabledAt == nil else {
            try await failed(claimed.disabledAt == nil ? "wrong password" : "disabled")
        }
        if claimed.totpEnabled {
            guard let code = request.totpCode else {
                throw APIError(.unauthorized, "totp_required", "This account needs the code of its authenticator app (totpCode).")
            }
            guard try checkTOTP(code, sealedSecret: claimed.totpSecret, at: now) else {
                try await failed("wrong second-factor code")
            }
        }
        let lifetime = request.apiToken.map { TimeInterval(($0.expiresInDays ?? APITokenView.defaultLifetimeDays) * 86400) }
        let token = newToken(
            tenantID: tenantID, adminID: admin.id, kind: request.apiToken == nil ? .session : .apiToken,
            name: request.apiToken?.name ?? "console session",
            expiresAt: now.addingTimeInterval(lifetime ?? TimeInterval(configuration.sessionSeconds)))
        context.adminID = admin.id
        context.actorName = admin.displayName
        context.actorType = token.record.kind == .session ? .admin : .apiToken
        var signedIn = claimed
        signedIn.failedSignIns = 0
        signedIn.lockedUntil = nil
        signedIn.lastSignInAt = now
        var changes = Changes()
        changes.compare("lastSignInAt", admin.lastSignInAt.map(WireCoding.format), WireCoding.format(now))
        changes.compare("credential", nil, "\(token.record.kind.rawValue) \(token.record.id)")
        try await store.write(
            [.replace(signedIn), .insert(token.record)],
            audit: auditor.event(
                context, activity: "Session", operation: .manage, targetType: "Admin", targetID: admin.id.rawValue,
                targetName: admin.userName, changes: changes.properties))
        return (token.record, token.credential)
    }

    private struct AccountLocked: Error {}

    static let invalidCredentials = APIError(.unauthorized, "invalid_credentials", "The user name, password or code is wrong.")

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
