import Foundation
import Hummingbird
import SwiftASN1
import StewardModel
import StewardStore
import X509

/// Apple MDM for admins. The tenant's push certificate (`tenant.read` to see, `tenant.settings` to change): its
/// topic, expiry and Apple ID are shown; its private key is sealed and never leaves. Uploading one
/// records Apple's push service as a connector, which opens its flow in the privacy statement. And
/// each Apple device's enrollment and command queue (`devices.read`).
struct AppleMDMAdminController: Sendable {
    let store: any RecordStore
    let devices: any DeviceStore
    let masterKey: MasterKey
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator

    static let uid: ASN1ObjectIdentifier = [0, 9, 2342, 19200300, 100, 1, 1]

    func get(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ApplePushCertificateView> {
        let tenantID = try context.requireTenant()
        guard let record = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push)
        else { throw APIError.notFound("push_certificate") }
        return JSONResponse(view(record, connector: try await connector(tenantID)))
    }

    func upload(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<ApplePushCertificateView> {
        let (tenantID, adminID, _) = try context.requireAdmin()
        let input = try await request.decodeJSON(ApplePushCertificateRequest.self, limit: 64 * 1024)
        try input.validate()
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: input.certificate)
        } catch {
            throw WireError.invalidValue(field: "certificate", reason: "a PEM certificate")
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: input.privateKey)
        } catch {
            throw WireError.invalidValue(field: "privateKey", reason: "a PEM private key (PKCS #1, PKCS #8 or SEC 1)")
        }
        guard key.publicKey == certificate.publicKey else {
            throw WireError.invalidValue(field: "privateKey", reason: "the key of another certificate")
        }
        guard let topic = Self.topic(of: certificate), topic.hasPrefix("com.apple.mgmt."), topic.utf8.count <= 256 else {
            throw WireError.invalidValue(field: "certificate", reason: "an MDM push certificate names its topic (com.apple.mgmt.…) as its subject's UID")
        }
        let now = clock.now()
        guard certificate.notValidAfter > now else {
            throw WireError.invalidValue(field: "certificate", reason: "it expired; renew it at Apple with the same Apple ID")
        }
        let old = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push)
        let existing = try await connector(tenantID)
        var connector = existing ?? ConnectorRecord(
            tenantID: tenantID, id: ids(), kind: .applePush, name: "Apple push certificate", thirdPartyTenantID: nil, accountID: nil,
            createdBy: adminID, createdAt: now, updatedAt: now)
        let record = AppleMDMCertificateRecord(
            tenantID: tenantID, id: AppleMDMCertificateRecord.push, certificatePEM: input.certificate,
            sealedPrivateKey: try masterKey.seal(Data(input.privateKey.utf8)), topic: topic, connectorID: connector.id,
            notAfter: certificate.notValidAfter, createdAt: now)
        connector.thirdPartyTenantID = topic
        connector.accountID = input.appleId
        connector.updatedAt = now
        var changes = Changes()
        changes.compare("topic", old?.topic, topic)
        changes.compare("notAfter", old.map { "\($0.notAfter.millisecondsSince1970)" }, "\(certificate.notValidAfter.millisecondsSince1970)")
        changes.compare("appleId", existing?.accountID, input.appleId)
        changes.secret("privateKey")
        try await store.write(
            [old == nil ? .insert(record) : .replace(record), existing == nil ? .insert(connector) : .replace(connector)],
            audit: auditor.event(
                context, activity: "ApplePushCertificate", operation: old == nil ? .create : .update, targetID: topic, changes: changes.properties))
        return JSONResponse(view(record, connector: connector), status: old == nil ? .created : .ok)
    }

    /// Deletes the certificate with its connector, in one transaction and one audit entry.
    func delete(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        guard let certificate = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push)
        else { throw APIError.notFound("push_certificate") }
        let changes = Changes.deleted([("topic", certificate.topic), ("notAfter", "\(certificate.notAfter.millisecondsSince1970)")])
        if let connectorID = certificate.connectorID {
            try await store.delete(ConnectorRecord.self, tenantID: tenantID, key: connectorID.rawValue) { old in
                auditor.event(
                    context, activity: "ApplePushCertificate", operation: .delete, targetID: certificate.topic,
                    changes: changes + [ModifiedProperty(name: "connectorId", oldValue: old.id.rawValue, newValue: nil)])
            }
        } else {
            try await store.delete(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push) { _ in
                auditor.event(context, activity: "ApplePushCertificate", operation: .delete, targetID: certificate.topic, changes: changes)
            }
        }
        return Response(status: .noContent)
    }

    /// An Apple device's MDM enrollment and commands (`devices.read`, within the admin's scope).
    func enrollment(_ request: Request, context: StewardRequestContext) async throws -> JSONResponse<AppleMDMEnrollmentView> {
        let tenantID = try context.requireTenant()
        let device = try await reachableDevice(context, store: devices, tenantID: tenantID, permission: .devicesRead)
        guard let view = try await Self.enrollment(of: device, tenantID: tenantID, store: store) else { throw APIError.notFound("apple_mdm_enrollment") }
        return JSONResponse(view)
    }

    /// The device's current (latest) MDM enrollment, or nil for a device Apple's protocol does not manage.
    static func enrollment(of device: DeviceView, tenantID: TenantID, store: any RecordStore, showsUDID: Bool? = nil) async throws -> AppleMDMEnrollmentView? {
        guard let enrollment = try await store.records(
            AppleMDMEnrollmentRecord.self, tenantID: tenantID, filter: AppleMDMEnrollmentRecord.of(device.id), after: nil, limit: 10
        ).max(by: { ($0.authenticatedAt ?? .distantPast) < ($1.authenticatedAt ?? .distantPast) })
        else { return nil }
        var commands: [AppleMDMCommandRecord] = []
        var after: String?
        while true {
            let page = try await store.records(
                AppleMDMCommandRecord.self, tenantID: tenantID, filter: AppleMDMCommandRecord.of(device.id), after: after, limit: 500)
            commands += page
            guard page.count == 500, let last = page.last, commands.count < 5_000 else { break }
            after = last.id
        }
        return enrollment.view(commands: commands, showsUDID: showsUDID ?? (device.ownership == .corporate))
    }

    private func connector(_ tenantID: TenantID) async throws -> ConnectorRecord? {
        try await store.records(ConnectorRecord.self, tenantID: tenantID, filter: ConnectorRecord.of(.applePush), after: nil, limit: 1).first
    }

    private func view(_ record: AppleMDMCertificateRecord, connector: ConnectorRecord?) -> ApplePushCertificateView {
        ApplePushCertificateView(
            topic: record.topic ?? "", notAfter: record.notAfter, appleId: connector?.accountID, uploadedAt: record.createdAt,
            daysLeft: Int((record.notAfter.timeIntervalSince(clock.now()) / 86_400).rounded(.down)))
    }

    /// The subject's UID: where Apple puts an MDM push certificate's topic.
    static func topic(of certificate: Certificate) -> String? {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == uid { return String(describing: attribute.value) }
        }
        return nil
    }
}
