import Foundation

/// `POST /api/v1/apple-mdm/push-certificate`: the tenant's MDM push certificate from Apple
/// (made at identity.apple.com from Steward's signing request), its private key, and the Apple ID
/// that made it (needed to renew it; the catalog's third-party data).
public struct ApplePushCertificateRequest: Codable, Sendable, Equatable {
    public var certificate: String
    public var privateKey: String
    public var appleId: String

    public init(certificate: String, privateKey: String, appleId: String) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.appleId = appleId
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.required(certificate, "certificate", limit: 16 * 1024)
        try check.required(privateKey, "privateKey", limit: 16 * 1024)
        try check.required(appleId, "appleId", limit: 254)
        let parts = appleId.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !appleId.contains(where: \.isWhitespace) else {
            throw .invalidValue(field: "appleId", reason: "an Apple ID is an e-mail address")
        }
    }
}

/// The push certificate as admins see it: never its key.
public struct ApplePushCertificateView: Codable, Sendable, Equatable {
    /// `com.apple.mgmt.External.…`: the certificate subject's UID.
    public var topic: String
    public var notAfter: Date
    public var appleId: String?
    public var uploadedAt: Date
    /// Days until it expires (negative once it has): Apple's renewal must use the same Apple ID.
    public var daysLeft: Int

    public init(topic: String, notAfter: Date, appleId: String?, uploadedAt: Date, daysLeft: Int) {
        self.topic = topic
        self.notAfter = notAfter
        self.appleId = appleId
        self.uploadedAt = uploadedAt
        self.daysLeft = daysLeft
    }
}

/// `GET /api/v1/devices/{id}/apple-mdm`: how an Apple device is managed — its enrollment and
/// the commands Steward has for it (answered ones for a week). Never its push token, PushMagic
/// or UnlockToken.
public struct AppleMDMEnrollmentView: Codable, Sendable, Equatable {
    public enum EnrollmentType: String, WireEnum {
        /// The whole device (a corporate token).
        case device
        /// User Enrollment (a personal token): no hardware identifier is collected.
        case user
    }

    public var enrollmentType: EnrollmentType
    public var enrolledAt: Date?
    /// The UDID of a device enrollment (hidden on a personal device).
    public var udid: String?
    public var lastSeenAt: Date?
    public var lastInventoryAt: Date?
    public var lastPushAt: Date?
    /// Apple refused the push token: the device cannot be woken until it sends a new one.
    public var pushTokenRefusedAt: Date?
    public var checkedOutAt: Date?
    /// The macOS user channel was opened.
    public var userChannel: Bool
    public var identityExpiresAt: Date
    public var commands: [AppleMDMCommandView]

    public init(
        enrollmentType: EnrollmentType, enrolledAt: Date?, udid: String?, lastSeenAt: Date?, lastInventoryAt: Date?, lastPushAt: Date?,
        pushTokenRefusedAt: Date?, checkedOutAt: Date?, userChannel: Bool, identityExpiresAt: Date, commands: [AppleMDMCommandView]
    ) {
        self.enrollmentType = enrollmentType
        self.enrolledAt = enrolledAt
        self.udid = udid
        self.lastSeenAt = lastSeenAt
        self.lastInventoryAt = lastInventoryAt
        self.lastPushAt = lastPushAt
        self.pushTokenRefusedAt = pushTokenRefusedAt
        self.checkedOutAt = checkedOutAt
        self.userChannel = userChannel
        self.identityExpiresAt = identityExpiresAt
        self.commands = commands
    }
}

public struct AppleMDMCommandView: Codable, Sendable, Equatable {
    public enum State: String, WireEnum {
        case queued, sent, notNow, acknowledged, error, formatError
    }

    /// The CommandUUID.
    public var id: String
    public var requestType: String
    public var taskId: RemoteTaskID?
    public var state: State
    public var queuedAt: Date
    public var sentAt: Date?
    public var answeredAt: Date?
    /// The error chain's domains and codes (`MCMDMErrorDomain:12021`).
    public var errorCodes: String?

    public init(
        id: String, requestType: String, taskId: RemoteTaskID?, state: State, queuedAt: Date, sentAt: Date?, answeredAt: Date?, errorCodes: String?
    ) {
        self.id = id
        self.requestType = requestType
        self.taskId = taskId
        self.state = state
        self.queuedAt = queuedAt
        self.sentAt = sentAt
        self.answeredAt = answeredAt
        self.errorCodes = errorCodes
    }
}
