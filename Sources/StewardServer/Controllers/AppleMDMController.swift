import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StewardAppleMDM
import StewardModel
import StewardStore
import X509

/// Apple's MDM protocol for iPhones, iPads and Macs, with no agent to install:
/// `GET /mdm/enroll?token=…` serves the enrollment profile (the device's identity issued by the
/// tenant's CA for this enrollment, and the MDM payload); `PUT /mdm/checkin` takes Authenticate,
/// TokenUpdate and CheckOut; `PUT /mdm/connect` hands out commands and takes their results.
/// Every request is identified by its device identity — a TLS-terminating proxy's header (from
/// trusted addresses only) or the `Mdm-Signature` of its body — verified against the tenant's
/// CA and the certificate the enrollment is pinned to. Inventory goes through the same gate
/// and store as every other agent's; remote tasks become MDM commands.
struct AppleMDMController: Sendable {
    let store: any EnrollmentStore & DeviceStore & InventoryStore & RemoteTaskStore & RecordStore & TenantStore & ReportStore
    let masterKey: MasterKey
    let push: ApplePushSender
    /// Every poll counts as the device's check-in (its last-seen time, buffered as agents' are).
    let lastSeen: LastSeenRecorder
    let auditor: Auditor
    let clock: Clock
    let ids: IdentifierGenerator
    let configuration: ServerConfiguration
    let logger: Logger
    /// Profiles served per token (each issues a key pair), as enrollments per token are.
    var tokenLimiter: RateLimiter? = nil
    /// Refusals audited per tenant and minute: a flood of forged requests naming a tenant is
    /// counted in the metrics, not written to its audit log without end.
    var refusalAudits: RateLimiter? = RateLimiter.perMinute(60, clock: .system)

    static let enrollPath = "/mdm/enroll"
    static let checkInPath = "/mdm/checkin"
    static let connectPath = "/mdm/connect"
    static let maxCheckInBytes = 256 * 1024
    static let maxReportBytes = 4 * 1024 * 1024
    static let agentVersion = "Apple MDM"

    /// A request refused: its status and a stable code (Apple's devices read only the status).
    struct Refusal: Error {
        let status: HTTPResponse.Status
        let code: String
    }

    struct Identified {
        let tenantID: TenantID
        var enrollment: AppleMDMEnrollmentRecord
    }

    // MARK: Enrollment profile

    func enroll(_ request: Request, context: StewardRequestContext) async throws -> Response {
        do {
            return try await profile(request, context: context)
        } catch let refusal as Refusal {
            return Self.reply(refusal)
        }
    }

    private func profile(_ request: Request, context: StewardRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["token"])
        guard let text = query.value("token"), let credential = Credential(text: Substring(text), kind: .enrollmentToken),
            let token = try await store.enrollmentToken(tenantID: credential.tenantID, id: CredentialID(rawValue: credential.id)),
            Secrets.matches(credential, verifier: token.verifier)
        else { throw Refusal(status: .unauthorized, code: "invalid_enrollment_token") }
        let now = clock.now()
        guard token.ended(at: now) == nil else { throw Refusal(status: .forbidden, code: "enrollment_token_unusable") }
        if tokenLimiter?.admit(credential) != nil { throw Refusal(status: .tooManyRequests, code: "too_many_enrollments") }
        let tenantID = credential.tenantID
        guard let pushCertificate = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push),
            let topic = pushCertificate.topic
        else { throw Refusal(status: .conflict, code: "push_certificate_missing") }
        let ca = try await authority(tenantID, now: now)
        let enrollmentID = (ids() as DeviceID).rawValue
        let (certificate, key) = try ca.issueIdentity(tenantID: tenantID.rawValue, enrollment: enrollmentID, now: now)
        var generator = SystemRandomNumberGenerator()
        let password = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.lowercaseHex
        let identity = try PKCS12.build(certificate: certificate, privateKeyPKCS8: key.pkcs8DERRepresentation, password: password)
        let type: AppleMDMEnrollmentType = token.ownership == .personal ? .user : .device
        let record = AppleMDMEnrollmentRecord(
            tenantID: tenantID, id: enrollmentID, tokenID: token.id, ownership: token.ownership, userID: token.userID, type: type,
            certificateFingerprint: MDMIdentity.fingerprint(certificate), issuedAt: now, certificateExpiresAt: certificate.notValidAfter)
        try await store.write([.insert(record)], audit: nil)
        let base = configuration.publicURL ?? "https://\(request.head.authority ?? "localhost")"
        let organization = try await store.tenant(tenantID)?.name ?? "Steward"
        let profile = MDMEnrollmentProfile(
            organization: organization, serverURL: base + Self.connectPath, checkInURL: base + Self.checkInPath, topic: topic,
            identity: identity, identityPassword: password, userEnrollment: type == .user, managedAppleID: nil,
            identifier: Self.profileIdentifier(enrollmentID), uuids: [ids(), ids(), ids()].map { ($0 as DeviceID).rawValue.uppercased() })
        ServiceMetrics.appleCheckIns("profile").increment()
        var headers = HTTPFields()
        headers[.contentType] = "application/x-apple-aspen-config"
        headers[.cacheControl] = "no-store"
        headers[.contentDisposition] = "attachment; filename=\"steward.mobileconfig\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: profile.plist)))
    }

    static func profileIdentifier(_ enrollmentID: String) -> String { "org.steward.mdm.\(enrollmentID)" }

    /// The tenant's enrollment CA, made on first use (a concurrent first use keeps the one stored first).
    private func authority(_ tenantID: TenantID, now: Date) async throws -> MDMCertificateAuthority {
        if let record = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.ca) {
            return try MDMCertificateAuthority(certificatePEM: record.certificatePEM, privateKey: try masterKey.open(record.sealedPrivateKey))
        }
        let (pem, key) = try MDMCertificateAuthority.create(tenantID: tenantID.rawValue, now: now)
        let made = try MDMCertificateAuthority(certificatePEM: pem, privateKey: key)
        let record = AppleMDMCertificateRecord(
            tenantID: tenantID, id: AppleMDMCertificateRecord.ca, certificatePEM: pem, sealedPrivateKey: try masterKey.seal(key), topic: nil,
            notAfter: made.certificate.notValidAfter, createdAt: now)
        do {
            try await store.write([.insert(record)], audit: auditor.systemEvent(
                tenantID: tenantID, activity: "AppleMDMCertificateAuthority", operation: .create, targetID: AppleMDMCertificateRecord.ca,
                changes: [ModifiedProperty(name: "notAfter", oldValue: nil, newValue: "\(record.notAfter.millisecondsSince1970)")]))
            return made
        } catch StoreError.conflict {
            return try await authority(tenantID, now: now)
        }
    }

    // MARK: Check-in

    func checkIn(_ request: Request, context: StewardRequestContext) async throws -> Response {
        do {
            var (identified, message) = try await receive(
                request, context, limit: Self.maxCheckInBytes, MDMCheckIn.parse, identity: \.identity)
            let now = clock.now()
            let tenantID = identified.tenantID
            switch message {
            case .authenticate(let authenticate):
                ServiceMetrics.appleCheckIns("authenticate").increment()
                try await self.authenticate(authenticate, &identified, now: now)
            case .tokenUpdate(let update):
                ServiceMetrics.appleCheckIns("token_update").increment()
                guard let deviceID = identified.enrollment.deviceID else { throw Refusal(status: .forbidden, code: "not_authenticated") }
                let pushTopic = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push)?.topic
                guard update.topic == pushTopic else { throw Refusal(status: .forbidden, code: "topic_mismatch") }
                let first = update.identity.userID == nil && identified.enrollment.sealedPushToken == nil
                let sealed = (try masterKey.seal(update.token), try masterKey.seal(Data(update.pushMagic.utf8)), try update.unlockToken.map(masterKey.seal))
                let updated = try await store.update(AppleMDMEnrollmentRecord.self, tenantID: tenantID, key: identified.enrollment.id) { old in
                    var new = old
                    if update.identity.userID != nil {
                        new.userChannel = true
                    } else {
                        new.sealedPushToken = sealed.0
                        new.sealedPushMagic = sealed.1
                        new.sealedUnlockToken = sealed.2 ?? old.sealedUnlockToken
                        new.tokenUpdatedAt = now
                        new.pushTokenRefusedAt = nil
                    }
                    new.lastSeenAt = now
                    return (new, nil)
                }
                if first {
                    // Enrolled and reachable: its first inventory is asked for at once.
                    try await queueInventory(updated, deviceID: deviceID, now: now)
                    Task { [push] in await push.wake(tenantID: tenantID, deviceID: deviceID) }
                }
            case .checkOut:
                ServiceMetrics.appleCheckIns("check_out").increment()
                let deviceID = identified.enrollment.deviceID
                _ = try await store.update(AppleMDMEnrollmentRecord.self, tenantID: tenantID, key: identified.enrollment.id) { old in
                    var new = old
                    new.checkedOutAt = now
                    return (new, deviceID.map {
                        auditor.deviceEvent(
                            tenantID: tenantID, deviceID: $0, activity: "AppleMDM", operation: .action, targetType: "Device",
                            targetID: $0.rawValue, changes: [ModifiedProperty(name: "checkedOut", oldValue: nil, newValue: "true")])
                    })
                }
            case .userAuthenticate:
                // Per-user authentication is declined, as the protocol allows: 410 ends it.
                ServiceMetrics.appleCheckIns("user_authenticate").increment()
                return Self.reply(Refusal(status: .gone, code: "user_authentication_declined"))
            case .unsupported:
                ServiceMetrics.appleCheckIns("unsupported").increment()
                throw Refusal(status: .badRequest, code: "unsupported_message_type")
            }
            return Self.empty()
        } catch let refusal as Refusal {
            return Self.reply(refusal)
        }
    }

    private func authenticate(_ message: MDMCheckIn.Authenticate, _ identified: inout Identified, now: Date) async throws {
        let tenantID = identified.tenantID
        var enrollment = identified.enrollment
        var audit: AuditEvent?
        if enrollment.deviceID == nil {
            let byod = enrollment.type == .user
            let platform = MDMInventory.platform(productName: message.productName, model: message.model) ?? .ios
            let newID: DeviceID = ids()
            let secret = Secrets.make(.deviceSecret, tenantID: tenantID, id: newID.rawValue)
            var device = NewDevice(
                tenantID: tenantID, id: newID, secretVerifier: Secrets.verifier(of: secret), ownership: enrollment.ownership,
                platform: platform, platformId: byod ? "apple-enrollment:\(message.identity.enrollmentKey)" : "apple:\(message.identity.enrollmentKey)",
                deviceName: message.deviceName.map { String($0.prefix(128)) }, agentVersion: Self.agentVersion, enrolledAt: now,
                userID: enrollment.userID)
            if !byod {
                device.serialNumber = message.serialNumber.map { String($0.prefix(64)) }
                device.imei = message.imei.map { String($0.prefix(64)) }
            }
            device.managementID = (ids() as DeviceID).rawValue
            do {
                try await LicenseLimit.checkDevices(store, tenantID: tenantID)
            } catch {
                throw Refusal(status: .forbidden, code: "license_limit_reached")
            }
            let enrolled: (id: DeviceID, ownership: Ownership)
            do {
                enrolled = try await store.enroll(
                    device, tokenID: enrollment.tokenID, accept: { $0.refusal(at: now) == nil },
                    reEnrollment: { [auditor] machine in
                        // The same device again: only a retired one, or one an admin allowed.
                        guard machine.retired || (machine.reEnrollmentUntil.map { $0 > now } ?? false) else { return nil }
                        return auditor.deviceEvent(
                            tenantID: tenantID, deviceID: machine.id, activity: "Device", operation: .update, targetType: "Device",
                            targetID: machine.id.rawValue,
                            changes: [ModifiedProperty(name: "reEnrolled", oldValue: nil, newValue: machine.retired ? "retired device" : "allowed by an admin")])
                    })
            } catch StoreError.notFound {
                throw Refusal(status: .forbidden, code: "enrollment_token_unusable")
            } catch StoreError.alreadyEnrolled {
                throw Refusal(status: .forbidden, code: "already_enrolled")
            }
            enrollment.deviceID = enrolled.id
            audit = auditor.deviceEvent(
                tenantID: tenantID, deviceID: enrolled.id, activity: "AppleMDM", operation: .create, targetType: "Device",
                targetID: enrolled.id.rawValue,
                changes: [
                    ModifiedProperty(name: "enrollmentType", oldValue: nil, newValue: enrollment.type.rawValue),
                    ModifiedProperty(name: "enrollmentId", oldValue: nil, newValue: enrollment.id),
                ])
        }
        enrollment.protocolID = message.identity.enrollmentKey
        enrollment.authenticatedAt = now
        enrollment.lastSeenAt = now
        let final = enrollment
        let event = audit
        identified.enrollment = try await store.update(AppleMDMEnrollmentRecord.self, tenantID: tenantID, key: enrollment.id) { old in
            // Bound to this device once, and pinned to the identifier it authenticated with.
            guard old.protocolID == nil || old.protocolID == final.protocolID else { throw Refusal(status: .forbidden, code: "enrollment_mismatch") }
            return (final, event)
        }
    }

    // MARK: Commands

    func connect(_ request: Request, context: StewardRequestContext) async throws -> Response {
        do {
            let (identified, report) = try await receive(request, context, limit: Self.maxReportBytes, MDMReport.parse, identity: \.identity)
            ServiceMetrics.appleCheckIns("report_\(report.status.rawValue.lowercased())").increment()
            let enrollment = identified.enrollment
            guard let deviceID = enrollment.deviceID, enrollment.authenticatedAt != nil else {
                throw Refusal(status: .forbidden, code: "not_authenticated")
            }
            // The user channel (macOS): Steward queues nothing there.
            if report.identity.userID != nil { return Self.empty() }
            guard let state = try await store.checkInState(tenantID: identified.tenantID, deviceID: deviceID) else {
                throw Refusal(status: .forbidden, code: "device_not_found")
            }
            let now = clock.now()
            lastSeen.record(tenantID: identified.tenantID, deviceID: deviceID, at: now)
            if report.status != .idle {
                try await answer(report, enrollment: enrollment, deviceID: deviceID, state: state, now: now)
            }
            let next = try await nextCommand(after: report.status, enrollment: enrollment, deviceID: deviceID, state: state, now: now)
            return next.map(Self.command) ?? Self.empty()
        } catch let refusal as Refusal {
            return Self.reply(refusal)
        }
    }

    /// A command's result: its state, what it reported (inventory), and its task's outcome.
    private func answer(_ report: MDMReport, enrollment: AppleMDMEnrollmentRecord, deviceID: DeviceID, state: DeviceCheckInState, now: Date) async throws {
        let tenantID = enrollment.tenantID
        guard let uuid = report.commandUUID,
            let command = try await store.record(AppleMDMCommandRecord.self, tenantID: tenantID, key: uuid), command.deviceID == deviceID
        else {
            logger.notice("apple device answered a command Steward did not send it", metadata: ["component": "apple-mdm", "deviceId": "\(deviceID)"])
            return
        }
        guard command.state == .sent || command.state == .notNow else { return }
        if report.status == .acknowledged {
            // Read whole before anything is written: a wrong type refuses the answer, storing nothing.
            try await ingest(report, command: command, enrollment: enrollment, deviceID: deviceID, state: state, now: now)
        }
        let newState: AppleMDMCommandState = switch report.status {
        case .acknowledged: .acknowledged
        case .notNow: .notNow
        case .commandFormatError: .formatError
        default: .error
        }
        let codes = report.errorChain.isEmpty ? nil
            : report.errorChain.map { "\(($0.domain ?? "unknown").prefix(64)):\($0.code ?? 0)" }.joined(separator: ",")
        _ = try await store.update(AppleMDMCommandRecord.self, tenantID: tenantID, key: command.id) { old in
            var new = old
            new.state = newState
            if newState.isAnswered { new.answeredAt = now }
            new.errorCodes = codes ?? (newState == .formatError ? "CommandFormatError" : old.errorCodes)
            return (new, nil)
        }
        guard let taskID = command.taskID, newState.isAnswered else { return }
        let outcome: RemoteTaskState = newState == .acknowledged ? .succeeded : .failed
        let result = newState == .acknowledged ? nil
            : RemoteTaskResult(code: newState == .formatError ? "command_format_error" : "mdm_error", message: codes.map { String($0.prefix(256)) })
        try await finishTask(taskID, tenantID: tenantID, deviceID: deviceID, state: outcome, result: result, now: now)
    }

    private func finishTask(_ taskID: RemoteTaskID, tenantID: TenantID, deviceID: DeviceID, state: RemoteTaskState, result: RemoteTaskResult?, now: Date) async throws {
        do {
            _ = try await store.updateRemoteTask(tenantID: tenantID, deviceID: deviceID, id: taskID) { old in
                guard RemoteTaskState.agentMayReport(state, from: old.state) else { return nil }
                let new = old.moved(to: state, at: now, result: result)
                var changes = [
                    ModifiedProperty(name: "taskId", oldValue: nil, newValue: old.id.rawValue),
                    ModifiedProperty(name: "kind", oldValue: nil, newValue: old.kind.rawValue),
                    ModifiedProperty(name: "state", oldValue: old.state.rawValue, newValue: new.state.rawValue),
                ]
                if let code = result?.code { changes.append(ModifiedProperty(name: "resultCode", oldValue: nil, newValue: code)) }
                return (new, auditor.deviceEvent(
                    tenantID: tenantID, deviceID: deviceID, activity: "RemoteTask", operation: .action, targetType: "Device",
                    targetID: deviceID.rawValue, changes: changes, result: new.state == .succeeded ? .success : .failure))
            }
        } catch StoreError.notFound {
            return
        }
    }

    /// An acknowledged inventory command's answer, through the gate and into the inventory.
    private func ingest(
        _ report: MDMReport, command: AppleMDMCommandRecord, enrollment: AppleMDMEnrollmentRecord, deviceID: DeviceID,
        state: DeviceCheckInState, now: Date
    ) async throws {
        let tenantID = enrollment.tenantID
        let byod = enrollment.type == .user
        var update = InventoryUpdate(
            tenantID: tenantID, deviceID: deviceID, at: now, agentVersion: Self.agentVersion, hardware: nil, operatingSystem: nil, network: nil,
            apps: nil, hashes: state.hashes)
        switch command.requestType {
        case "DeviceInformation":
            let platform = try await store.device(tenantID: tenantID, id: deviceID)?.platform ?? .ios
            let information: MDMInventory.DeviceInformation
            do {
                information = try MDMInventory.deviceInformation(report.message, userEnrollment: byod, fallbackPlatform: platform)
            } catch {
                throw Refusal(status: .badRequest, code: Self.code(error))
            }
            ServiceMetrics.appleDropped.increment(by: information.dropped.values.reduce(0, +))
            var checked = CheckInRequest(
                agentVersion: Self.agentVersion,
                hashes: try InventoryHasher.hashes(of: Inventory(
                    hardware: information.hardware, operatingSystem: information.operatingSystem, network: information.network, apps: nil)))
            checked.hardware = information.hardware
            checked.operatingSystem = information.operatingSystem
            checked.network = information.network
            do {
                try checked.validate()
            } catch {
                throw Refusal(status: .badRequest, code: error.code)
            }
            let sent = checked.hashes
            update.hardware = sent.hardware == state.hashes.hardware ? nil : information.hardware
            update.operatingSystem = sent.operatingSystem == state.hashes.operatingSystem ? nil : information.operatingSystem
            update.network = sent.network == state.hashes.network ? nil : information.network
            update.hashes = SectionHashes(hardware: sent.hardware, operatingSystem: sent.operatingSystem, network: sent.network, apps: state.hashes.apps)
            if update.network != nil, !byod { update.identityMACs = Array(information.network.macAddresses.prefix(32)) }
        case "InstalledApplicationList":
            var apps: [AppRecord]
            do {
                apps = try MDMInventory.installedApplications(report.message)
            } catch {
                throw Refusal(status: .badRequest, code: Self.code(error))
            }
            guard PrivacyRules.mayCollectAppInventory(ownership: state.ownership, compliantAppFeature: state.compliantAppFeature) else {
                ServiceMetrics.appleDropped.increment(by: apps.count)
                return
            }
            apps = Array(apps.prefix(Limits.maxApps))
            let hash = InventoryHasher.appsHash(apps)
            guard hash != state.hashes.apps else { return }
            update.apps = .replace(apps)
            update.hashes.apps = hash
        default:
            return
        }
        _ = try await store.checkIn(update)
    }

    /// The command to hand out now: remote tasks become commands first, inventory is queued on its
    /// schedule (on Idle), then the oldest queued command — or, on Idle only, one the device put
    /// off (NotNow) or never answered. A command put off is not handed out again in the same
    /// exchange, so NotNow cannot loop.
    private func nextCommand(
        after status: MDMReport.Status, enrollment: AppleMDMEnrollmentRecord, deviceID: DeviceID, state: DeviceCheckInState, now: Date
    ) async throws -> MDMCommand? {
        let tenantID = enrollment.tenantID
        let redeliverBefore = now.addingTimeInterval(-TimeInterval(configuration.taskRedeliverySeconds))
        if state.pendingTasks > 0 {
            let tasks = try await store.takePendingTasks(tenantID: tenantID, deviceID: deviceID, at: now, redeliverSentBefore: redeliverBefore)
            if !tasks.isEmpty {
                let platform = try await store.device(tenantID: tenantID, id: deviceID)?.platform ?? .ios
                for task in tasks { try await queue(task, enrollment: enrollment, platform: platform, now: now) }
            }
        }
        if status == .idle,
            enrollment.lastInventoryAt.map({ now.timeIntervalSince($0) >= TimeInterval(configuration.checkInIntervalSeconds) }) ?? true
        {
            try await queueInventory(enrollment, deviceID: deviceID, now: now)
        }
        var states: [AppleMDMCommandState] = [.queued]
        if status == .idle { states += [.notNow, .sent] }
        for candidateState in states {
            var after: String?
            while true {
                let page = try await store.records(
                    AppleMDMCommandRecord.self, tenantID: tenantID, filter: AppleMDMCommandRecord.of(deviceID, state: candidateState), after: after,
                    limit: 50)
                for command in page {
                    if candidateState == .sent, let sentAt = command.sentAt, sentAt > redeliverBefore { continue }
                    if let taskID = command.taskID,
                        let task = try await store.remoteTask(tenantID: tenantID, deviceID: deviceID, id: taskID), task.state.isFinal
                    {
                        // Cancelled or expired meanwhile: never sent.
                        _ = try await store.update(AppleMDMCommandRecord.self, tenantID: tenantID, key: command.id) { old in
                            var new = old
                            new.state = .error
                            new.answeredAt = now
                            new.errorCodes = "task_\(task.state.rawValue)"
                            return (new, nil)
                        }
                        continue
                    }
                    let sent = try await store.update(AppleMDMCommandRecord.self, tenantID: tenantID, key: command.id) { old in
                        var new = old
                        new.state = .sent
                        new.sentAt = now
                        return (new, nil)
                    }
                    return mdmCommand(sent, enrollment: enrollment, appsAllowed: PrivacyRules.mayCollectAppInventory(
                        ownership: state.ownership, compliantAppFeature: state.compliantAppFeature))
                }
                guard page.count == 50, let last = page.last else { break }
                after = last.id
            }
        }
        return nil
    }

    /// The command as the device reads it; its parameters follow from its type and the enrollment.
    private func mdmCommand(_ record: AppleMDMCommandRecord, enrollment: AppleMDMEnrollmentRecord, appsAllowed: Bool) -> MDMCommand {
        let byod = enrollment.type == .user
        var parameters: [String: PropertyList] = [:]
        switch record.requestType {
        case "DeviceInformation": parameters["Queries"] = .array(MDMInventory.queries(userEnrollment: byod).map(PropertyList.string))
        case "InstalledApplicationList": parameters["ManagedAppsOnly"] = .bool(byod)
        case "RemoveProfile": parameters["Identifier"] = .string(Self.profileIdentifier(enrollment.id))
        default: break
        }
        return MDMCommand(uuid: record.id, requestType: record.requestType, parameters: parameters)
    }

    /// A remote task as the MDM command that carries it out; one the protocol has no command for,
    /// or that User Enrollment forbids, ends as not supported.
    private func queue(_ task: RemoteTaskRecord, enrollment: AppleMDMEnrollmentRecord, platform: Platform, now: Date) async throws {
        let tenantID = enrollment.tenantID
        let requestType: String? = switch task.kind {
        case .sync: "DeviceInformation"
        case .lock: "DeviceLock"
        case .restart: "RestartDevice"
        case .shutdown: "ShutDownDevice"
        case .wipe: "EraseDevice"
        case .retire: "RemoveProfile"
        case .collectDiagnostics: nil
        }
        guard let requestType, enrollment.type == .device || UserEnrollmentRules.allows(requestType, on: platform) else {
            let code = requestType == nil ? "not_supported_by_apple_mdm" : "forbidden_in_user_enrollment"
            try await finishTask(task.id, tenantID: tenantID, deviceID: task.deviceID, state: .notSupported, result: RemoteTaskResult(code: code), now: now)
            return
        }
        guard try await store.records(AppleMDMCommandRecord.self, tenantID: tenantID, filter: AppleMDMCommandRecord.forTask(task.id), after: nil, limit: 1)
            .isEmpty
        else { return }
        do {
            try await store.write(
                [.insert(AppleMDMCommandRecord(
                    tenantID: tenantID, id: (ids() as DeviceID).rawValue, deviceID: task.deviceID, requestType: requestType, taskID: task.id,
                    queuedAt: now))],
                audit: nil)
        } catch StoreError.conflict {
            // Queued by a concurrent poll.
        }
    }

    /// Inventory commands for the device, as the gate and the enrollment type allow.
    private func queueInventory(_ enrollment: AppleMDMEnrollmentRecord, deviceID: DeviceID, now: Date) async throws {
        let tenantID = enrollment.tenantID
        guard let state = try await store.checkInState(tenantID: tenantID, deviceID: deviceID) else { return }
        let platform = try await store.device(tenantID: tenantID, id: deviceID)?.platform ?? .ios
        let appsAllowed = PrivacyRules.mayCollectAppInventory(ownership: state.ownership, compliantAppFeature: state.compliantAppFeature)
        // What is still queued is not queued twice.
        let waiting = Set(try await store.records(
            AppleMDMCommandRecord.self, tenantID: tenantID, filter: AppleMDMCommandRecord.of(deviceID, state: .queued), after: nil, limit: 100
        ).map(\.requestType))
        let commands = MDMInventory.commands(userEnrollment: enrollment.type == .user, platform: platform, appsAllowed: appsAllowed)
            .filter { !waiting.contains($0.requestType) }
            .map { RecordWrite.insert(AppleMDMCommandRecord(
                tenantID: tenantID, id: (ids() as DeviceID).rawValue, deviceID: deviceID, requestType: $0.requestType, taskID: nil, queuedAt: now)) }
        _ = try await store.update(AppleMDMEnrollmentRecord.self, tenantID: tenantID, key: enrollment.id) { old in
            var new = old
            new.lastInventoryAt = now
            new.lastSeenAt = now
            return (new, nil)
        }
        if !commands.isEmpty { try await store.write(commands, audit: nil) }
    }

    // MARK: Identity

    /// A request's body, read within `limit`, its sender identified, then parsed (a malformed
    /// body is 400, after the identity: nothing about a stranger's body is answered) and checked
    /// to name the enrollment its certificate stands for.
    private func receive<Message>(
        _ request: Request, _ context: StewardRequestContext, limit: Int, _ parse: ([UInt8]) throws(PropertyListError) -> Message,
        identity: (Message) -> MDMEnrollmentIdentity
    ) async throws -> (Identified, Message) {
        let body = try await Self.body(request, limit: limit)
        let identified = try await identify(request, body: body, context: context)
        let message: Message
        do {
            message = try parse(body)
        } catch {
            throw Refusal(status: .badRequest, code: Self.code(error))
        }
        try await consistent(identity(message), identified, context: context)
        return (identified, message)
    }

    /// The enrollment the request's device identity stands for — or a refusal, audited in the
    /// tenant whose CA the certificate names.
    private func identify(_ request: Request, body: [UInt8], context: StewardRequestContext) async throws -> Identified {
        let now = clock.now()
        let certificate: Certificate
        var signature: [UInt8]?
        if let address = context.clientAddress, configuration.mdmTrustedProxies.contains(address),
            let name = HTTPField.Name(configuration.mdmClientCertificateHeader), let header = request.headers[name]
        {
            guard let parsed = MDMIdentity.certificate(fromHeader: header) else { throw refused("certificate_unreadable", context) }
            certificate = parsed
        } else if let name = HTTPField.Name("Mdm-Signature"), let header = request.headers[name] {
            guard header.utf8.count <= 96 * 1024, let der = Data(base64Encoded: header.filter { !$0.isWhitespace }),
                let carried = MDMIdentity.certificates(inSignature: Array(der)).first(where: { MDMIdentity.names($0) != nil })
            else { throw refused("signature_unreadable", context) }
            certificate = carried
            signature = Array(der)
        } else {
            throw refused("identity_required", context)
        }
        guard let names = MDMIdentity.names(certificate), names.tenant.utf8.count <= 64 else { throw refused("certificate_not_trusted", context) }
        let tenantID = TenantID(rawValue: names.tenant)
        guard let caRecord = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.ca) else {
            throw refused("certificate_not_trusted", context)
        }
        let ca = try MDMCertificateAuthority(certificatePEM: caRecord.certificatePEM, privateKey: try masterKey.open(caRecord.sealedPrivateKey))
        if let signature {
            guard let signer = ca.signer(ofSignature: signature, body: body, now: now), signer == certificate else {
                throw await refusedAndAudited(tenantID, names.enrollment, "signature_invalid", context)
            }
        } else {
            guard ca.issued(certificate, now: now) else { throw await refusedAndAudited(tenantID, names.enrollment, "certificate_not_trusted", context) }
        }
        guard let enrollment = try await store.record(AppleMDMEnrollmentRecord.self, tenantID: tenantID, key: names.enrollment) else {
            throw await refusedAndAudited(tenantID, names.enrollment, "unknown_enrollment", context)
        }
        guard enrollment.certificateFingerprint == MDMIdentity.fingerprint(certificate) else {
            throw await refusedAndAudited(tenantID, names.enrollment, "certificate_not_pinned", context)
        }
        guard enrollment.checkedOutAt == nil else { throw await refusedAndAudited(tenantID, names.enrollment, "enrollment_ended", context) }
        return Identified(tenantID: tenantID, enrollment: enrollment)
    }

    /// The message names the enrollment its certificate was issued for: the same UDID or
    /// EnrollmentID as before, and the same kind of enrollment.
    private func consistent(_ identity: MDMEnrollmentIdentity, _ identified: Identified, context: StewardRequestContext) async throws {
        let enrollment = identified.enrollment
        guard identity.isUserEnrollment == (enrollment.type == .user) else {
            throw await refusedAndAudited(identified.tenantID, enrollment.id, "enrollment_type_mismatch", context)
        }
        if let pinned = enrollment.protocolID, pinned != identity.enrollmentKey {
            throw await refusedAndAudited(identified.tenantID, enrollment.id, "enrollment_mismatch", context)
        }
    }

    private func refused(_ code: String, _ context: StewardRequestContext) -> Refusal {
        ServiceMetrics.appleRefused(code).increment()
        context.logger.notice("apple mdm request refused", metadata: ["component": "apple-mdm", "reason": "\(code)"])
        return Refusal(status: code == "identity_required" ? .unauthorized : .forbidden, code: code)
    }

    private func refusedAndAudited(_ tenantID: TenantID, _ enrollment: String, _ code: String, _ context: StewardRequestContext) async -> Refusal {
        let refusal = refused(code, context)
        guard refusalAudits?.admit(tenantID.rawValue) == nil else { return refusal }
        let event = AuditEvent(
            tenantID: tenantID, id: ids(), at: clock.now(), actorType: .anonymous, actorID: nil, activity: "AppleMDM", operation: .action,
            targetType: "AppleMDMEnrollment", targetID: String(enrollment.prefix(64)), result: .failure, requestID: context.requestID,
            personal: AuditPersonalFields(
                actorName: nil, targetName: nil, clientAddress: context.clientAddress,
                changes: [ModifiedProperty(name: "refused", oldValue: nil, newValue: code)]),
            chain: masterKey.auditChain)
        do {
            try await store.write([], audit: event)
        } catch {
            logger.warning("refused apple mdm request not audited", metadata: ["component": "apple-mdm", "error": "\(type(of: error))"])
        }
        return refusal
    }

    // MARK: Wire

    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Refusal(status: .contentTooLarge, code: "payload_too_large")
        }
    }

    static func code(_ error: any Error) -> String {
        switch error as? PropertyListError {
        case .tooLarge: "payload_too_large"
        case .tooDeep: "plist_too_deep"
        case .tooManyObjects: "plist_too_many_objects"
        case .xml(.declarationRefused), .xml(.entityRefused): "xml_declaration_refused"
        case .wrongType: "plist_wrong_type"
        case .missingKey: "plist_missing_key"
        default: "malformed_plist"
        }
    }

    static func empty() -> Response { Response(status: .ok) }

    static func command(_ command: MDMCommand) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: command.plist)))
    }

    static func reply(_ refusal: Refusal) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: refusal.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: refusal.code + "\n")))
    }
}
