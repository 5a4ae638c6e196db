import Foundation
import Hummingbird
import Logging
import NIOCore
import StewardModel
import StewardStore

/// Enrollment tokens (admin) and the enrollment of devices (agent).
struct EnrollmentController: Sendable {
    let store: any EnrollmentStore & TenantStore & RecordStore & ReportStore & DeviceStore
    /// Enrollments per token (429 past it); nil: unlimited.
    var tokenLimiter: RateLimiter? = nil
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator
    let configuration: ServerConfiguration

    func createToken(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<EnrollmentTokenView> {
        let tenantID = try context.requireTenant()
        let input = try await request.decodeJSON(EnrollmentTokenCreateRequest.self, limit: Limits.smallBodyBytes)
        let now = clock.now()
        try input.validate(now: now)
        if let user = input.userId, try await store.record(UserRecord.self, tenantID: tenantID, key: user.rawValue) == nil {
            throw APIError.notFound("user")
        }
        let id: CredentialID = ids()
        let credential = Secrets.make(.enrollmentToken, tenantID: tenantID, id: id.rawValue)
        let record = EnrollmentTokenRecord(
            tenantID: tenantID, id: id, verifier: Secrets.verifier(of: credential), ownership: input.ownership,
            description: input.description, createdAt: now, expiresAt: input.expiresAt, maxUses: input.maxUses,
            userID: input.userId)
        try await store.createEnrollmentToken(
            record,
            audit: auditor.event(
                context, activity: "EnrollmentToken", operation: .create, targetID: id.rawValue, targetName: input.description,
                changes: Changes.created([
                    ("ownership", input.ownership.rawValue), ("description", input.description),
                    ("expiresAt", input.expiresAt.map(WireCoding.format)), ("maxUses", input.maxUses.map(String.init)),
                    ("userId", input.userId?.rawValue),
                ])))
        var view = Self.view(record)
        view.token = credential.text
        return JSONResponse(view, status: .created)
    }

    func listTokens(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<EnrollmentTokenView>> {
        let tenantID = try context.requireTenant()
        let tokens = try await store.enrollmentTokens(tenantID: tenantID)
        return JSONResponse(Page(items: tokens.map(Self.view), nextCursor: nil))
    }

    func revokeToken(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let raw = context.parameters.get("id") ?? ""
        guard CredentialID.isWellFormed(raw) else { throw APIError.notFound("enrollment_token") }
        let now = clock.now()
        try await store.revokeEnrollmentToken(
            tenantID: tenantID, id: CredentialID(rawValue: raw), at: now,
            audit: auditor.event(
                context, activity: "EnrollmentToken", operation: .delete, targetID: raw,
                changes: [ModifiedProperty(name: "revokedAt", oldValue: nil, newValue: WireCoding.format(now))]))
        return Response(status: .noContent)
    }

    func enroll(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<EnrollResponse> {
        guard let credential = Credential(authorization: request.headers.single(.authorization), kind: .enrollmentToken) else {
            throw APIError(.unauthorized, "invalid_enrollment_token", "A valid enrollment token is required.")
        }
        if let wait = tokenLimiter?.admit(credential) {
            throw APIError.tooManyRequests(
                "too_many_enrollments", "Too many enrollments with this token: try again later.", retryAfter: wait)
        }
        let input = try await request.decodeJSON(EnrollRequest.self, limit: Limits.smallBodyBytes)
        try input.validate()
        let tokenID = CredentialID(rawValue: credential.id)
        let now = clock.now()
        guard let token = try await store.enrollmentToken(tenantID: credential.tenantID, id: tokenID),
            Secrets.matches(credential, verifier: token.verifier)
        else { throw APIError(.unauthorized, "invalid_enrollment_token", "A valid enrollment token is required.") }
        if let refusal = token.refusal(at: now) {
            throw APIError(.forbidden, "enrollment_token_unusable", "The enrollment token is \(refusal).")
        }
        // A subscription's device count: a machine the tenant has (enrolling again) is not a new one.
        do {
            try await LicenseLimit.checkDevices(store, tenantID: credential.tenantID)
        } catch let error as APIError {
            var query = DeviceQuery(limit: 1)
            query.platformId = input.platformId
            guard input.platformId != nil, try await !store.devices(tenantID: credential.tenantID, query: query).isEmpty else { throw error }
        }
        let deviceID: DeviceID = ids()
        // The verifier covers only the random part, so the secret stays valid whichever device
        // ID the store settles on (a re-enrolled machine keeps its existing ID).
        let secret = Secrets.make(.deviceSecret, tenantID: credential.tenantID, id: deviceID.rawValue)
        var device = NewDevice(
            tenantID: credential.tenantID, id: deviceID, secretVerifier: Secrets.verifier(of: secret),
            ownership: token.ownership, platform: input.platform, platformId: input.platformId,
            deviceName: input.deviceName, agentVersion: input.agentVersion, enrolledAt: now, userID: token.userID)
        device.serialNumber = input.serialNumber
        device.managementID = (ids() as DeviceID).rawValue
        device.imei = input.imei
        let enrolledID: DeviceID
        let ownership: Ownership
        let currentSecret = input.currentDeviceSecret.flatMap { Credential(text: Substring($0), kind: .deviceSecret) }
        do {
            (enrolledID, ownership) = try await store.enroll(
                device, tokenID: tokenID,
                accept: { $0.refusal(at: now) == nil && Secrets.matches(credential, verifier: $0.verifier) },
                reEnrollment: { [auditor] machine in
                    // The same machine again proves it: its current secret, an admin's allowance,
                    // or a retired record (whose secret is gone) starting over.
                    let proof: String
                    if let currentSecret, currentSecret.tenantID == credential.tenantID, currentSecret.id == machine.id.rawValue,
                        Secrets.matches(currentSecret, verifier: machine.secretVerifier)
                    {
                        proof = "device secret"
                    } else if let until = machine.reEnrollmentUntil, until > now {
                        proof = "allowed by an admin"
                    } else if machine.retired {
                        proof = "retired device"
                    } else {
                        return nil
                    }
                    var changes = Changes()
                    changes.compare("reEnrolled", nil, proof)
                    changes.compare("enrollmentTokenId", nil, tokenID.rawValue)
                    return auditor.deviceEvent(
                        tenantID: credential.tenantID, deviceID: machine.id, activity: "Device", operation: .update,
                        targetType: "Device", targetID: machine.id.rawValue, changes: changes.properties)
                })
        } catch StoreError.notFound {
            throw APIError(.forbidden, "enrollment_token_unusable", "The enrollment token can enroll no more devices.")
        } catch StoreError.alreadyEnrolled {
            throw APIError(
                .conflict, "device_already_enrolled",
                "This machine is enrolled already: enroll again with its current device secret (currentDeviceSecret), "
                    + "or ask an admin to allow re-enrollment (PATCH the device with allowReEnrollmentHours) or to delete it.")
        }
        let deviceSecret = Credential(
            kind: .deviceSecret, tenantID: credential.tenantID, id: enrolledID.rawValue, secret: secret.secret)
        let tenant = try await store.tenant(credential.tenantID)
        let policy = CollectionPolicy(
            collectApps: PrivacyRules.mayCollectAppInventory(
                ownership: ownership, compliantAppFeature: tenant?.compliantAppFeature ?? false),
            checkInIntervalSeconds: configuration.checkInIntervalSeconds)
        context.logger.info("device enrolled", metadata: ["component": "enrollment", "deviceId": "\(enrolledID)"])
        return JSONResponse(
            EnrollResponse(deviceId: enrolledID, deviceSecret: deviceSecret.text, ownership: ownership, policy: policy),
            status: .created)
    }

    /// `POST /api/v1/corporate-identifiers`: CSV of `serialNumber,VALUE` / `imei,VALUE` lines.
    func uploadCorporateIdentifiers(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<CorporateIdentifierUpload> {
        let tenantID = try context.requireTenant()
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 2 * 1024 * 1024)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge
        }
        let rows = try CorporateIdentifierView.parseCSV(String(buffer: buffer))
        if rows.isEmpty { throw APIError.invalid(.invalidValue(field: "body", reason: "no serialNumber,VALUE or imei,VALUE lines")) }
        let serials = rows.filter { $0.0 == .serialNumber }.count
        let added = try await store.addCorporateIdentifiers(
            tenantID: tenantID, rows.map { (kind: $0.0, value: $0.1) }, at: clock.now(),
            audit: auditor.event(
                context, activity: "CorporateIdentifiers", operation: .create, targetID: tenantID.rawValue,
                changes: [
                    ModifiedProperty(name: "serialNumbers", oldValue: nil, newValue: String(serials)),
                    ModifiedProperty(name: "imeis", oldValue: nil, newValue: String(rows.count - serials)),
                ]))
        return JSONResponse(CorporateIdentifierUpload(received: rows.count, added: added), status: .created)
    }

    func listCorporateIdentifiers(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<Page<CorporateIdentifierView>> {
        let tenantID = try context.requireTenant()
        let query = try QueryParameters(request, allowed: ["limit", "cursor"])
        let limit = try query.limit()
        let found = try await store.corporateIdentifiers(tenantID: tenantID, after: try query.cursor(), limit: limit + 1)
        return JSONResponse(Page.of(found, limit: limit, key: { "\($0.kind.rawValue):\($0.value)" }) { $0 })
    }

    func deleteCorporateIdentifier(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        guard let kind = context.parameters.get("kind").flatMap(CorporateIdentifierView.Kind.init(rawValue:)),
            let value = context.parameters.get("value")?.removingPercentEncoding, !value.isEmpty
        else { throw APIError.notFound("corporate_identifier") }
        try await store.removeCorporateIdentifier(
            tenantID: tenantID, kind: kind, value: value,
            audit: auditor.event(
                context, activity: "CorporateIdentifiers", operation: .delete, targetID: tenantID.rawValue,
                changes: [ModifiedProperty(name: kind.rawValue, oldValue: value, newValue: nil)]))
        return Response(status: .noContent)
    }

    static func view(_ record: EnrollmentTokenRecord) -> EnrollmentTokenView {
        EnrollmentTokenView(
            id: record.id.rawValue, ownership: record.ownership, description: record.description,
            createdAt: record.createdAt, expiresAt: record.expiresAt, maxUses: record.maxUses, useCount: record.useCount,
            revokedAt: record.revokedAt, userId: record.userID)
    }
}
