/// A bearer secret that names its own tenant and record, so the server looks it up by primary key
/// (`tenant_id` first, ready for sharding by tenant) and compares a verifier — the secret itself
/// is never stored. Text form: `<kind>.<tenantId>.<id>.<secret>`.
public struct Credential: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// An admin API token.
        case adminToken = "sta"
        /// An enrollment token.
        case enrollmentToken = "ste"
        /// A device's secret, used by its agent on every check-in.
        case deviceSecret = "std"
        /// A directory's SCIM token.
        case directoryToken = "sts"
        /// An app-protection instance's secret (a managed app on an unenrolled device).
        case appInstance = "stp"
    }

    public let kind: Kind
    public let tenantID: TenantID
    public let id: String
    public let secret: String

    public init(kind: Kind, tenantID: TenantID, id: String, secret: String) {
        self.kind = kind
        self.tenantID = tenantID
        self.id = id
        self.secret = secret
    }

    public var text: String { "\(kind.rawValue).\(tenantID.rawValue).\(id).\(secret)" }

    /// Parses the text form; nil for anything else (including a credential of another kind).
    public init?(text: Substring, kind: Kind) {
        // Read on every authenticated request: the dots found once, each part copied once.
        let bytes = text.utf8
        var dots: [Substring.UTF8View.Index] = []
        dots.reserveCapacity(3)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: ".") {
                guard dots.count < 3 else { return nil }
                dots.append(index)
            }
            index = bytes.index(after: index)
        }
        guard dots.count == 3, text[..<dots[0]] == kind.rawValue else { return nil }
        let tenant = String(text[text.index(after: dots[0])..<dots[1]])
        let id = String(text[text.index(after: dots[1])..<dots[2]])
        let secret = text[text.index(after: dots[2])...]
        guard TenantID.isWellFormed(tenant), TenantID.isWellFormed(id), (32...128).contains(secret.utf8.count) else { return nil }
        self.init(kind: kind, tenantID: TenantID(rawValue: tenant), id: id, secret: String(secret))
    }

    /// Reads `Authorization: Bearer <credential>`.
    public init?(authorization: String?, kind: Kind) {
        guard let text = Self.bearer(authorization) else { return nil }
        self.init(text: text, kind: kind)
    }

    /// The text of `Authorization: Bearer <text>`; nil for any other header or none.
    public static func bearer(_ authorization: String?) -> Substring? {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        return authorization.dropFirst("Bearer ".count)
    }
}
