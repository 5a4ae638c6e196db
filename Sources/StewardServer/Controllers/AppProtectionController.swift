import Crypto
import Foundation
import Hummingbird
import StewardModel
import StewardStore

/// App protection without enrollment. An instance registers with an enrollment token that
/// names its user and gets its own secret and a data key (sealed at rest under the master
/// key); it checks in with the secret, and the key is released again only to it. A wipe (an
/// admin's remote task on the instance) stops the release, the next check-in tells the app to
/// wipe its data, and the app's confirmation destroys the key.
public struct AppProtectionController: Sendable {
    let store: any Storage
    let masterKey: MasterKey
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    func register(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppProtectionRegistered> {
        guard let credential = Credential(authorization: request.headers.single(.authorization), kind: .enrollmentToken),
            let token = try await store.enrollmentToken(tenantID: credential.tenantID, id: CredentialID(rawValue: credential.id)),
            Secrets.matches(credential, verifier: token.verifier)
        else { throw APIError(.unauthorized, "invalid_enrollment_token", "A valid enrollment token is required.") }
        if let refusal = token.refusal(at: clock.now()) {
            throw APIError(.forbidden, "enrollment_token_unusable", "The enrollment token is \(refusal).")
        }
        guard let userID = token.userID else {
            throw APIError(.badRequest, "user_required", "App protection needs an enrollment token made for a user (userId).")
        }
        let input = try await request.decodeJSON(AppProtectionRegistration.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let id: AppInstanceID = ids()
        let secret = Secrets.make(.appInstance, tenantID: token.tenantID, id: id.rawValue)
        let dataKey = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let now = clock.now()
        let record = AppProtectionRecord(
            tenantID: token.tenantID, id: id, appID: input.appId, appVersion: input.appVersion, sdkVersion: input.sdkVersion,
            deviceTag: input.deviceTag, platform: input.platform, userID: userID, status: .enrolled, healthStatus: .unknown,
            secretVerifier: Secrets.verifier(of: secret), sealedKey: try masterKey.seal(dataKey), enrolledAt: now, lastCheckInAt: now)
        var event = auditor.event(
            context, tenantID: token.tenantID, activity: "AppProtection", operation: .create, targetID: id.rawValue,
            changes: Changes.created([("appId", input.appId), ("userId", userID.rawValue), ("platform", input.platform.rawValue)]))
        event.actorType = .device
        event.actorID = id.rawValue
        try await store.write([.insert(record)], audit: event)
        return JSONResponse(
            AppProtectionRegistered(instanceId: id, instanceSecret: secret.text, dataKey: dataKey.base64EncodedString()), status: .created)
    }

    func checkIn(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppProtectionInstructions> {
        let instance = try await authenticated(request)
        let input = try await request.decodeJSON(AppProtectionCheckIn.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let now = clock.now()
        let updated = try await store.update(AppProtectionRecord.self, tenantID: instance.tenantID, key: instance.key) { old in
            var new = old
            new.appVersion = input.appVersion ?? old.appVersion
            new.sdkVersion = input.sdkVersion ?? old.sdkVersion
            new.healthStatus = input.healthStatus
            new.lastCheckInAt = now
            var event: AuditEvent?
            if input.wiped == true && old.status == .wipePending {
                // Confirmed: the key is destroyed, never to be released again.
                new.status = .wiped
                new.wipedAt = now
                new.sealedKey = nil
                var wiped = auditor.event(
                    context, tenantID: old.tenantID, activity: "AppProtection", operation: .action, targetID: old.id.rawValue,
                    changes: [ModifiedProperty(name: "status", oldValue: old.status.rawValue, newValue: new.status.rawValue)])
                wiped.actorType = .device
                wiped.actorID = old.id.rawValue
                event = wiped
            }
            return (new, event)
        }
        return JSONResponse(AppProtectionInstructions(status: updated.status, wipe: updated.status == .wipePending))
    }

    func key(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppProtectionKey> {
        let instance = try await authenticated(request)
        guard instance.status == .enrolled, let sealed = instance.sealedKey else {
            throw APIError(.gone, "key_withdrawn", "The app's data was wiped (or is to be): its key is no longer released.")
        }
        return JSONResponse(AppProtectionKey(dataKey: try masterKey.open(sealed).base64EncodedString()))
    }

    func list(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<AppProtectionView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "userId"])
        let limit = try query.limit()
        let user = try query.string("userId").map { text in
            guard UserID.isWellFormed(text) else { throw APIError.invalid(.invalidValue(field: "userId", reason: "not a valid identifier")) }
            return UserID(rawValue: text)
        }
        let records = try await store.records(
            AppProtectionRecord.self, tenantID: tenantID, filter: AppProtectionRecord.of(user), after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(records, limit: limit, \.view))
    }

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppProtectionView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", AppInstanceID.self, "app_instance")
        guard let record = try await store.record(AppProtectionRecord.self, tenantID: tenantID, key: id.rawValue) else {
            throw APIError.notFound("app_instance")
        }
        return JSONResponse(record.view)
    }

    /// Wipe the app's data: the key is withheld from now on; the app is told at its next check-in.
    func wipe(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppProtectionView> {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", AppInstanceID.self, "app_instance")
        let record = try await Self.requestWipe(store: store, tenantID: tenantID, instance: id, at: clock.now()) { changes in
            auditor.event(context, activity: "AppProtection", operation: .action, targetID: id.rawValue, changes: changes)
        }
        return JSONResponse(record.view, status: .accepted)
    }

    /// Marks the instance's data for wiping (its key withheld from now on), for the API and the
    /// CLI alike; an instance already wiping or wiped is left as it is, unaudited.
    public static func requestWipe(
        store: any RecordStore, tenantID: TenantID, instance: AppInstanceID, at now: Date,
        audit: @escaping @Sendable ([ModifiedProperty]) -> AuditEvent
    ) async throws -> AppProtectionRecord {
        try await store.update(AppProtectionRecord.self, tenantID: tenantID, key: instance.rawValue) { old in
            guard old.status == .enrolled else { return (old, nil) }
            var new = old
            new.status = .wipePending
            new.wipeRequestedAt = now
            return (new, audit([ModifiedProperty(name: "status", oldValue: old.status.rawValue, newValue: new.status.rawValue)]))
        }
    }

    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let id = try context.id("id", AppInstanceID.self, "app_instance")
        try await store.delete(AppProtectionRecord.self, tenantID: tenantID, key: id.rawValue) { old in
            auditor.event(
                context, activity: "AppProtection", operation: .delete, targetID: old.id.rawValue,
                changes: Changes.deleted([("appId", old.appID), ("status", old.status.rawValue)]))
        }
        return Response(status: .noContent)
    }

    private func authenticated(_ request: Request) async throws -> AppProtectionRecord {
        guard let credential = Credential(authorization: request.headers.single(.authorization), kind: .appInstance),
            let record = try await store.record(AppProtectionRecord.self, tenantID: credential.tenantID, key: credential.id),
            Secrets.matches(credential, verifier: record.secretVerifier)
        else { throw APIError.unauthorized }
        return record
    }
}
