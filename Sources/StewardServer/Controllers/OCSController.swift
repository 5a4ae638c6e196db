import Foundation
import Hummingbird
import Logging
import NIOCore
import StewardModel
import StewardOCS
import StewardStore

/// `POST /ocsinventory`: the OCS Inventory NG protocol of the OCS, FusionInventory and GLPI
/// agents. They have no enrollment step: an enrollment token is their HTTP basic-auth password
/// (asked for with a 401 first, as they expect). A machine's first inventory enrolls it with
/// the token's ownership (one use); later ones find it again by its SMBIOS UUID (or the agent's
/// device ID) or serial number and replace its inventory. The privacy gate decides on software;
/// whatever the catalog does not name never leaves the mapping, and is counted.
public struct OCSController: Sendable {
    let store: any EnrollmentStore & DeviceStore & InventoryStore & TenantStore & ReportStore
    let clock: Clock
    let ids: IdentifierGenerator
    let configuration: ServerConfiguration
    /// A machine's first inventory enrolls it: counted against its token, as `POST /enroll` is.
    var tokenLimiter: RateLimiter? = nil
    /// A known machine's inventories, counted per device as Steward's agent's check-ins are.
    var deviceLimiter: RateLimiter? = nil

    public static let path = "/ocsinventory"
    /// A compressed body larger than this is refused unread; inflated, no more than `maxInflated`.
    static let maxBody = 8 * 1024 * 1024
    static let maxInflated = 32 * 1024 * 1024

    func handle(_ request: Request, context: StewardRequestContext) async throws -> Response {
        guard let password = Self.basicPassword(request.headers.single(.authorization)) else {
            return Self.reply(OCSReply.error("authentication_required"), .plain, status: .unauthorized, challenge: true)
        }
        // Debian's OCS Unix agent is configured with the password base64-encoded; either form works.
        let text = Credential(text: Substring(password), kind: .enrollmentToken) != nil ? password
            : Data(base64Encoded: password).flatMap { String(data: $0, encoding: .utf8) } ?? password
        guard let credential = Credential(text: Substring(text), kind: .enrollmentToken),
            let token = try await store.enrollmentToken(tenantID: credential.tenantID, id: CredentialID(rawValue: credential.id)),
            Secrets.matches(credential, verifier: token.verifier)
        else {
            return Self.reply(OCSReply.error("invalid_enrollment_token"), .plain, status: .unauthorized, challenge: true)
        }
        let now = clock.now()
        if token.ended(at: now) != nil {
            return Self.reply(OCSReply.error("enrollment_token_unusable"), .plain, status: .forbidden)
        }

        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBody)
        } catch is NIOTooManyBytesError {
            return Self.reply(OCSReply.error("payload_too_large"), .plain, status: .contentTooLarge)
        }
        let inflated: (bytes: [UInt8], encoding: OCSBody.Encoding)
        do {
            inflated = try OCSBody.inflate(body, maxInflatedBytes: Self.maxInflated)
        } catch .tooLarge {
            return Self.reply(OCSReply.error("payload_too_large"), .plain, status: .contentTooLarge)
        } catch {
            return Self.reply(OCSReply.error("corrupt_body"), .plain, status: .badRequest)
        }
        let message: OCSRequest
        do {
            message = try OCSRequest.parse(inflated.bytes)
        } catch {
            return Self.reply(OCSReply.error(Self.code(error)), inflated.encoding, status: .badRequest)
        }
        switch message.query {
        case .prolog:
            let hours = max(1, configuration.checkInIntervalSeconds / 3600)
            return Self.reply(OCSReply.prolog(hours: hours), inflated.encoding)
        case .inventory:
            return try await inventory(message, token: token, credential: credential, encoding: inflated.encoding, now: now, context: context)
        }
    }

    private func inventory(
        _ message: OCSRequest, token: EnrollmentTokenRecord, credential: Credential, encoding: OCSBody.Encoding, now: Date,
        context: StewardRequestContext
    ) async throws -> Response {
        let tenantID = credential.tenantID
        // Mapped and checked whole first — the same checks as a check-in of Steward's agent — so
        // a refused inventory enrolls nothing and stores nothing.
        var report: OCSInventoryReport
        do {
            report = try OCSInventoryMapping.map(message, collectApps: true)
        } catch {
            return Self.reply(OCSReply.error(Self.code(error)), encoding, status: .badRequest)
        }
        var checked = CheckInRequest(
            agentVersion: report.agentName.map { String($0.prefix(64)) }, hashes: try InventoryHasher.hashes(of: report.inventory))
        checked.hardware = report.inventory.hardware
        checked.operatingSystem = report.inventory.operatingSystem
        checked.network = report.inventory.network
        checked.apps = report.inventory.apps
        do {
            try checked.validate()
        } catch {
            return Self.reply(OCSReply.error(error.code, error.message), encoding, status: .badRequest)
        }
        let identity = report.identity
        let platformId = identity.uuid ?? "ocs:\(identity.deviceID)"
        var deviceID = try await known(tenantID: tenantID, platformId: platformId, serial: identity.serialNumber, macs: identity.macAddresses)
        // A machine enrolled just now as corporate has nothing stored and no gate to ask about.
        var enrolledCorporate = false
        if let deviceID, let wait = deviceLimiter?.admit(tenantID.rawValue + "/" + deviceID.rawValue) {
            return Self.tooMany(wait, encoding)
        }
        if deviceID == nil, let wait = tokenLimiter?.admit(credential) {
            return Self.tooMany(wait, encoding)
        }
        if deviceID == nil {
            do {
                try await LicenseLimit.checkDevices(store, tenantID: tenantID)
            } catch let error as APIError {
                return Self.reply(OCSReply.error(error.code), encoding, status: .forbidden)
            }
            // No device secret is ever handed out: these agents never present one.
            let newID: DeviceID = ids()
            let secret = Secrets.make(.deviceSecret, tenantID: tenantID, id: newID.rawValue)
            var device = NewDevice(
                tenantID: tenantID, id: newID, secretVerifier: Secrets.verifier(of: secret), ownership: token.ownership,
                platform: report.inventory.operatingSystem.platform, platformId: platformId,
                deviceName: report.inventory.hardware.deviceName, agentVersion: checked.agentVersion, enrolledAt: now, userID: token.userID)
            device.serialNumber = identity.serialNumber
            device.managementID = (ids() as DeviceID).rawValue
            do {
                let enrolled = try await store.enroll(
                    device, tokenID: token.id, accept: { $0.refusal(at: now) == nil && Secrets.matches(credential, verifier: $0.verifier) },
                    reEnrollment: { _ in nil })
                deviceID = enrolled.id
                enrolledCorporate = enrolled.ownership == .corporate
            } catch StoreError.notFound {
                return Self.reply(OCSReply.error("enrollment_token_unusable"), encoding, status: .forbidden)
            } catch StoreError.alreadyEnrolled {
                // Enrolled by a concurrent inventory of the same machine: that one holds it now.
                deviceID = try await known(tenantID: tenantID, platformId: platformId, serial: identity.serialNumber, macs: identity.macAddresses)
            }
        }
        guard let deviceID else { return Self.reply(OCSReply.error("device_not_found"), encoding, status: .conflict) }
        var stored = SectionHashes()
        if !enrolledCorporate {
            guard let state = try await store.checkInState(tenantID: tenantID, deviceID: deviceID) else {
                return Self.reply(OCSReply.error("device_not_found"), encoding, status: .conflict)
            }
            // The gate: software only from corporate devices, or under the compliant-app feature
            // (asked again inside the write, so a concurrent change of ownership cannot slip by).
            if !PrivacyRules.mayCollectAppInventory(ownership: state.ownership, compliantAppFeature: state.compliantAppFeature),
                let apps = checked.apps
            {
                report.dropped["SOFTWARES", default: 0] += apps.count
                checked.apps = nil
                checked.hashes.apps = nil
            }
            stored = state.hashes
        }
        // Every inventory is whole; only the sections whose hash changed are written.
        let sent = checked.hashes
        var update = InventoryUpdate(
            tenantID: tenantID, deviceID: deviceID, at: now, agentVersion: checked.agentVersion,
            hardware: sent.hardware == stored.hardware ? nil : checked.hardware,
            operatingSystem: sent.operatingSystem == stored.operatingSystem ? nil : checked.operatingSystem,
            network: sent.network == stored.network ? nil : checked.network,
            apps: sent.apps == stored.apps ? nil : checked.apps.map { .replace($0) }, hashes: sent)
        // The physical MACs it is recognised by, with its network section.
        if update.network != nil { update.identityMACs = Array(identity.macAddresses.prefix(32)) }
        _ = try await store.checkIn(update)
        ServiceMetrics.ocsInventories.increment()
        for (section, count) in report.dropped { ServiceMetrics.ocsDropped(section).increment(by: count) }
        context.logger.info(
            "ocs inventory stored",
            metadata: ["component": "ocs", "deviceId": "\(deviceID)", "dropped": "\(report.dropped.values.reduce(0, +))"])
        return Self.reply(OCSReply.inventoryStored, encoding)
    }

    /// The tenant's device for this machine, as OCS deduplicates: by platform identifier (SMBIOS
    /// UUID or the agent's device ID), else by serial number, else by physical MAC address —
    /// each only when it names exactly one device (a shared placeholder names none).
    private func known(tenantID: TenantID, platformId: String, serial: String?, macs: [String]) async throws -> DeviceID? {
        var query = DeviceQuery(limit: 1)
        query.platformId = platformId
        if let found = try await store.devices(tenantID: tenantID, query: query).first { return found.id }
        if let serial {
            query = DeviceQuery(limit: 2)
            query.serialNumber = serial
            let matches = try await store.devices(tenantID: tenantID, query: query)
            if matches.count == 1 { return matches[0].id }
        }
        guard !macs.isEmpty else { return nil }
        query = DeviceQuery(limit: 2)
        query.macAddresses = macs
        let matches = try await store.devices(tenantID: tenantID, query: query)
        return matches.count == 1 ? matches[0].id : nil
    }

    static func basicPassword(_ header: String?) -> String? {
        guard let header, header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { return nil }
        let password = String(pair[pair.index(after: colon)...])
        return password.isEmpty ? nil : password
    }

    static func code(_ error: OCSError) -> String {
        switch error {
        case .xml(.declarationRefused): "xml_declaration_refused"
        case .xml(.entityRefused): "xml_entity_refused"
        case .xml(.tooDeep): "xml_too_deep"
        case .xml(.tooManyElements): "xml_too_many_elements"
        case .xml(.textTooLong): "xml_text_too_long"
        case .xml(.malformed): "malformed_xml"
        case .notARequest: "not_an_ocs_request"
        case .unsupportedQuery: "unsupported_query"
        case .missingDeviceID: "missing_device_id"
        case .noContent: "no_content"
        }
    }

    /// 429 with `Retry-After`, in the protocol's own error form; nothing was stored.
    static func tooMany(_ wait: Duration, _ encoding: OCSBody.Encoding) -> Response {
        var response = reply(OCSReply.error("too_many_requests"), encoding, status: .tooManyRequests)
        response.headers[.retryAfter] = String(wait.retryAfterSeconds)
        return response
    }

    static func reply(
        _ text: String, _ encoding: OCSBody.Encoding, status: HTTPResponse.Status = .ok, challenge: Bool = false
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = encoding == .plain ? "application/xml; charset=utf-8" : "application/x-compress"
        // An empty realm: the OCS Unix agent answers a challenge only for its configured realm,
        // empty unless set, and FusionInventory takes the realm from the challenge.
        if challenge { headers[.wwwAuthenticate] = "Basic realm=\"\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: OCSBody.encode(text, as: encoding)))
    }
}
