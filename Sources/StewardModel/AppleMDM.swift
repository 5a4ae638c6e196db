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
