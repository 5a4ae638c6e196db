import Foundation
import StewardModel

/// `apple_mdm_certificates`: the tenant's enrollment CA (`ca`) and push certificate (`push`),
/// each private key sealed under the master key.
public struct AppleMDMCertificateRecord: StoredRecord, Equatable {
    public static let table = "apple_mdm_certificates"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("certificate", .text), ("private_key", .blob), ("topic", .text), ("connector_id", .text), ("not_after", .integer),
        ("created_at", .integer),
    ]
    public static let ca = "ca"
    public static let push = "push"

    public var tenantID: TenantID
    public var id: String
    public var certificatePEM: String
    public var sealedPrivateKey: Data
    public var topic: String?
    /// The push certificate's connector (Apple's push service): deleting it deletes the certificate.
    public var connectorID: ConnectorID?
    public var notAfter: Date
    public var createdAt: Date

    public init(
        tenantID: TenantID, id: String, certificatePEM: String, sealedPrivateKey: Data, topic: String?, connectorID: ConnectorID? = nil,
        notAfter: Date, createdAt: Date
    ) {
        self.connectorID = connectorID
        self.tenantID = tenantID
        self.id = id
        self.certificatePEM = certificatePEM
        self.sealedPrivateKey = sealedPrivateKey
        self.topic = topic
        self.notAfter = notAfter
        self.createdAt = createdAt
    }

    public var key: String { id }
    public var values: [StoreValue] {
        [.text(certificatePEM), .blob(sealedPrivateKey), .text(topic), .text(connectorID?.rawValue), .date(notAfter), .date(createdAt)]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: key, certificatePEM: row.string("certificate"), sealedPrivateKey: row.blob("private_key") ?? Data(),
            topic: row.text("topic"), connectorID: row.text("connector_id").map(ConnectorID.init(rawValue:)), notAfter: row.date("not_after") ?? .distantPast, createdAt: row.date("created_at") ?? .distantPast)
    }
}

public enum AppleMDMEnrollmentType: String, Sendable, Codable, CaseIterable {
    /// A device enrollment: the whole device (corporate).
    case device
    /// User Enrollment: a personal device's managed partition; no hardware identifier.
    case user
}

/// `apple_mdm_enrollments`: one per device identity issued (its key is the identity's CN), bound
/// to a device at `Authenticate`, pinned to the certificate's fingerprint.
public struct AppleMDMEnrollmentRecord: StoredRecord, Equatable {
    public static let table = "apple_mdm_enrollments"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("device_id", .text), ("token_id", .text), ("ownership", .text), ("user_id", .text), ("enrollment_type", .text),
        ("protocol_id", .text), ("certificate_fingerprint", .blob), ("issued_at", .integer), ("certificate_expires_at", .integer),
        ("authenticated_at", .integer), ("push_token", .blob), ("push_magic", .blob), ("unlock_token", .blob),
        ("token_updated_at", .integer), ("push_token_refused_at", .integer), ("last_push_at", .integer), ("user_channel", .bool),
        ("last_seen_at", .integer), ("last_inventory_at", .integer), ("checked_out_at", .integer),
    ]

    public var tenantID: TenantID
    public var id: String
    public var deviceID: DeviceID?
    public var tokenID: CredentialID
    public var ownership: Ownership
    public var userID: UserID?
    public var type: AppleMDMEnrollmentType
    /// The UDID of a device enrollment; the EnrollmentID of a User Enrollment.
    public var protocolID: String?
    public var certificateFingerprint: Data
    public var issuedAt: Date
    public var certificateExpiresAt: Date
    public var authenticatedAt: Date?
    /// Sealed under the master key; never shown or exported.
    public var sealedPushToken: Data?
    public var sealedPushMagic: Data?
    public var sealedUnlockToken: Data?
    public var tokenUpdatedAt: Date?
    /// Apple refused the push token (BadDeviceToken, Unregistered): no push until the next TokenUpdate.
    public var pushTokenRefusedAt: Date?
    public var lastPushAt: Date?
    public var userChannel: Bool
    public var lastSeenAt: Date?
    public var lastInventoryAt: Date?
    public var checkedOutAt: Date?

    public init(
        tenantID: TenantID, id: String, tokenID: CredentialID, ownership: Ownership, userID: UserID?, type: AppleMDMEnrollmentType,
        certificateFingerprint: Data, issuedAt: Date, certificateExpiresAt: Date
    ) {
        self.tenantID = tenantID
        self.id = id
        self.tokenID = tokenID
        self.ownership = ownership
        self.userID = userID
        self.type = type
        self.certificateFingerprint = certificateFingerprint
        self.issuedAt = issuedAt
        self.certificateExpiresAt = certificateExpiresAt
        self.userChannel = false
    }

    public var key: String { id }
    public var values: [StoreValue] {
        [
            .text(deviceID?.rawValue), .text(tokenID.rawValue), .text(ownership.rawValue), .text(userID?.rawValue), .text(type.rawValue),
            .text(protocolID), .blob(certificateFingerprint), .date(issuedAt), .date(certificateExpiresAt), .date(authenticatedAt),
            .blob(sealedPushToken), .blob(sealedPushMagic), .blob(sealedUnlockToken), .date(tokenUpdatedAt), .date(pushTokenRefusedAt),
            .date(lastPushAt), .bool(userChannel), .date(lastSeenAt), .date(lastInventoryAt), .date(checkedOutAt),
        ]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: key, tokenID: CredentialID(rawValue: row.string("token_id")),
            ownership: Ownership(rawValue: row.string("ownership")) ?? .personal, userID: row.text("user_id").map(UserID.init(rawValue:)),
            type: AppleMDMEnrollmentType(rawValue: row.string("enrollment_type")) ?? .user,
            certificateFingerprint: row.blob("certificate_fingerprint") ?? Data(), issuedAt: row.date("issued_at") ?? .distantPast,
            certificateExpiresAt: row.date("certificate_expires_at") ?? .distantPast)
        deviceID = row.text("device_id").map(DeviceID.init(rawValue:))
        protocolID = row.text("protocol_id")
        authenticatedAt = row.date("authenticated_at")
        sealedPushToken = row.blob("push_token")
        sealedPushMagic = row.blob("push_magic")
        sealedUnlockToken = row.blob("unlock_token")
        tokenUpdatedAt = row.date("token_updated_at")
        pushTokenRefusedAt = row.date("push_token_refused_at")
        lastPushAt = row.date("last_push_at")
        userChannel = row.bool("user_channel")
        lastSeenAt = row.date("last_seen_at")
        lastInventoryAt = row.date("last_inventory_at")
        checkedOutAt = row.date("checked_out_at")
    }

    public static func of(_ device: DeviceID) -> [String: StoreValue] { ["device_id": .text(device.rawValue)] }
}

public enum AppleMDMCommandState: String, Sendable, Codable, CaseIterable {
    case queued, sent, notNow, acknowledged, error, formatError

    public var isAnswered: Bool { self == .acknowledged || self == .error || self == .formatError }
}

/// `apple_mdm_commands`: the device's command queue (its key is the CommandUUID); a command made
/// for a remote task names it.
public struct AppleMDMCommandRecord: StoredRecord, Equatable {
    public static let table = "apple_mdm_commands"
    public static let columns: [(name: String, type: ColumnType)] = [
        ("device_id", .text), ("request_type", .text), ("task_id", .text), ("state", .text), ("queued_at", .integer),
        ("sent_at", .integer), ("answered_at", .integer), ("error_codes", .text),
    ]

    public var tenantID: TenantID
    public var id: String
    public var deviceID: DeviceID
    public var requestType: String
    public var taskID: RemoteTaskID?
    public var state: AppleMDMCommandState
    public var queuedAt: Date
    public var sentAt: Date?
    public var answeredAt: Date?
    /// The error chain's domains and codes (`MDMErrorDomain:12021`), never its text.
    public var errorCodes: String?

    public init(tenantID: TenantID, id: String, deviceID: DeviceID, requestType: String, taskID: RemoteTaskID?, queuedAt: Date) {
        self.tenantID = tenantID
        self.id = id
        self.deviceID = deviceID
        self.requestType = requestType
        self.taskID = taskID
        self.state = .queued
        self.queuedAt = queuedAt
    }

    public var key: String { id }
    public var values: [StoreValue] {
        [
            .text(deviceID.rawValue), .text(requestType), .text(taskID?.rawValue), .text(state.rawValue), .date(queuedAt), .date(sentAt),
            .date(answeredAt), .text(errorCodes),
        ]
    }

    public init(tenantID: TenantID, key: String, row: StoredRow) {
        self.init(
            tenantID: tenantID, id: key, deviceID: DeviceID(rawValue: row.string("device_id")), requestType: row.string("request_type"),
            taskID: row.text("task_id").map(RemoteTaskID.init(rawValue:)), queuedAt: row.date("queued_at") ?? .distantPast)
        state = AppleMDMCommandState(rawValue: row.string("state")) ?? .queued
        sentAt = row.date("sent_at")
        answeredAt = row.date("answered_at")
        errorCodes = row.text("error_codes")
    }

    public static func of(_ device: DeviceID, state: AppleMDMCommandState? = nil) -> [String: StoreValue] {
        var filter: [String: StoreValue] = ["device_id": .text(device.rawValue)]
        if let state { filter["state"] = .text(state.rawValue) }
        return filter
    }
    public static func forTask(_ task: RemoteTaskID) -> [String: StoreValue] { ["task_id": .text(task.rawValue)] }
}

extension AppleMDMEnrollmentRecord {
    /// The admin's view, with the device's commands; the UDID only where `showsUDID`.
    public func view(commands: [AppleMDMCommandRecord], showsUDID: Bool) -> AppleMDMEnrollmentView {
        AppleMDMEnrollmentView(
            enrollmentType: type == .user ? .user : .device, enrolledAt: authenticatedAt, udid: type == .device && showsUDID ? protocolID : nil,
            lastSeenAt: lastSeenAt, lastInventoryAt: lastInventoryAt, lastPushAt: lastPushAt, pushTokenRefusedAt: pushTokenRefusedAt,
            checkedOutAt: checkedOutAt, userChannel: userChannel, identityExpiresAt: certificateExpiresAt,
            commands: commands.map { command in
                AppleMDMCommandView(
                    id: command.id, requestType: command.requestType, taskId: command.taskID,
                    state: AppleMDMCommandView.State(rawValue: command.state.rawValue) ?? .queued, queuedAt: command.queuedAt,
                    sentAt: command.sentAt, answeredAt: command.answeredAt, errorCodes: command.errorCodes)
            })
    }
}
