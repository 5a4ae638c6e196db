import Crypto
import Foundation
import StewardModel

/// A version of a tenant's pseudonym key as stored: sealed under the master key, and destroyed
/// (nil) once a rotation retires it.
public struct PseudonymKeyRecord: Sendable, Equatable {
    public var tenantID: TenantID
    public var version: Int
    public var sealedKey: Data?
    public var createdAt: Date

    public init(tenantID: TenantID, version: Int, sealedKey: Data?, createdAt: Date) {
        self.tenantID = tenantID
        self.version = version
        self.sealedKey = sealedKey
        self.createdAt = createdAt
    }

    public var view: PseudonymKeyView { PseudonymKeyView(version: version, createdAt: createdAt) }
}

/// Makes pseudonyms with one version of a tenant's key: HMAC-SHA256 over the subject and a
/// random salt kept only in the subject's link row. Deleting that row (an erasure) therefore
/// makes the pseudonym unrecomputable even for someone holding the key and the subject's ID.
public struct Pseudonymizer: Sendable {
    public let version: Int
    private let key: SymmetricKey

    public init(version: Int, key: SymmetricKey) {
        self.version = version
        self.key = key
    }

    /// 32 hex digits (128 bits of the HMAC), prefixed with `p` and the key version.
    public func pseudonym(_ type: PseudonymSubject.SubjectType, _ id: String, salt: Data) -> String {
        var message = Data("\(type.rawValue):\(id):".utf8)
        message.append(salt)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "p\(version)-" + mac.prefix(16).lowercaseHex
    }

    public static func salt() -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
