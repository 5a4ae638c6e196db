import Foundation

/// `POST /api/v1/enrollment-tokens`
public struct EnrollmentTokenCreateRequest: Codable, Sendable, Equatable {
    public var ownership: Ownership
    public var expiresAt: Date?
    public var maxUses: Int?
    public var description: String?
    /// The user every device enrolled with this token will belong to.
    public var userId: UserID?

    public init(ownership: Ownership, expiresAt: Date? = nil, maxUses: Int? = nil, description: String? = nil, userId: UserID? = nil) {
        self.userId = userId
        self.ownership = ownership
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.description = description
    }

    public func validate(now: Date) throws(WireError) {
        let check = Validator()
        try check.string(description, "description")
        if let maxUses, maxUses < 1 || maxUses > 1_000_000 {
            throw .invalidValue(field: "maxUses", reason: "must be between 1 and 1000000")
        }
        if let expiresAt, expiresAt <= now { throw .invalidValue(field: "expiresAt", reason: "must be in the future") }
    }
}

/// An enrollment token as admins see it; `token` is present only in the answer that created it.
public struct EnrollmentTokenView: Codable, Sendable, Equatable {
    public var id: String
    public var ownership: Ownership
    public var description: String?
    public var createdAt: Date
    public var expiresAt: Date?
    public var maxUses: Int?
    public var useCount: Int
    public var revokedAt: Date?
    public var userId: UserID?
    public var token: String?

    public init(
        id: String, ownership: Ownership, description: String?, createdAt: Date, expiresAt: Date?, maxUses: Int?,
        useCount: Int, revokedAt: Date?, userId: UserID? = nil, token: String? = nil
    ) {
        self.userId = userId
        self.id = id
        self.ownership = ownership
        self.description = description
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.useCount = useCount
        self.revokedAt = revokedAt
        self.token = token
    }
}

/// `POST /api/v1/enroll`, sent by an agent with `Authorization: Bearer <enrollment token>`.
public struct EnrollRequest: Codable, Sendable, Equatable {
    public var platform: Platform
    /// The stable identifier of the machine (machine-id on Linux). Re-enrolling the same machine
    /// keeps its device record instead of making a duplicate.
    public var platformId: String?
    public var deviceName: String?
    public var agentVersion: String?
    /// Hardware identifiers a tenant may have pre-registered as corporate.
    public var serialNumber: String?
    public var imei: String?
    /// Enrolling a machine Steward already knows (same `platformId`) must prove it is that
    /// machine: its current device secret here, or an admin's `allowReEnrollmentHours`.
    public var currentDeviceSecret: String?

    public init(
        platform: Platform, platformId: String?, deviceName: String?, agentVersion: String?, serialNumber: String? = nil,
        imei: String? = nil, currentDeviceSecret: String? = nil
    ) {
        self.currentDeviceSecret = currentDeviceSecret
        self.serialNumber = serialNumber
        self.imei = imei
        self.platform = platform
        self.platformId = platformId
        self.deviceName = deviceName
        self.agentVersion = agentVersion
    }

    public func validate() throws(WireError) {
        let check = Validator()
        try check.string(platformId, "platformId", limit: 128)
        try check.string(deviceName, "deviceName")
        try check.string(agentVersion, "agentVersion", limit: 64)
        try check.string(serialNumber, "serialNumber", limit: 128)
        try check.string(imei, "imei", limit: 32)
        try check.string(currentDeviceSecret, "currentDeviceSecret", limit: 256)
    }
}

public struct EnrollResponse: Codable, Sendable, Equatable {
    public var deviceId: DeviceID
    /// Shown once; the server keeps only a verifier.
    public var deviceSecret: String
    public var ownership: Ownership
    public var policy: CollectionPolicy

    public init(deviceId: DeviceID, deviceSecret: String, ownership: Ownership, policy: CollectionPolicy) {
        self.deviceId = deviceId
        self.deviceSecret = deviceSecret
        self.ownership = ownership
        self.policy = policy
    }
}

/// What the server asks an agent to collect, sent with every enrollment and check-in answer.
public struct CollectionPolicy: Codable, Sendable, Equatable {
    /// False on a personal device unless the tenant turned on the compliant-app feature.
    public var collectApps: Bool
    public var checkInIntervalSeconds: Int

    public init(collectApps: Bool, checkInIntervalSeconds: Int) {
        self.collectApps = collectApps
        self.checkInIntervalSeconds = checkInIntervalSeconds
    }
}
