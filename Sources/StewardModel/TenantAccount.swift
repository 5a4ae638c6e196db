import Foundation

/// The tenant's subscription: a plan and what it licenses (nil: unlimited).
public enum SubscriptionPlan: String, WireEnum {
    case trial, standard, enterprise
}

public enum TenantAccounts {
    /// A closed tenant's data is kept this long (to cancel, or to export), then every row it
    /// owns is deleted.
    public static let closureGraceDays = 180

    /// A payment processor's reference (`cus_…`, `sub_…`): letters, digits, `_` and `-`, and
    /// never a run of 12 or more digits (a card number is refused, not stored).
    public static func validateBillingReference(_ value: String) throws(WireError) {
        try Validator().required(value, "billingReference", limit: 100)
        guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw .invalidValue(field: "billingReference", reason: "a payment processor's reference: letters, digits, _ and -")
        }
        var run = 0
        for character in value {
            run = character.isNumber ? run + 1 : 0
            if run >= 12 { throw .invalidValue(field: "billingReference", reason: "looks like a card number; send the processor's token only") }
        }
    }
}

/// `GET /api/v1/tenant/account`.
public struct TenantAccountView: Codable, Sendable, Equatable {
    public var tenantId: TenantID
    public var name: String
    public var ownerEmail: String?
    public var plan: SubscriptionPlan
    public var licensedDevices: Int?
    public var licensedUsers: Int?
    public var devices: Int
    public var users: Int
    /// Whether a subscription key is stored (sealed; never shown).
    public var hasSubscriptionKey: Bool
    public var billingReference: String?
    public var closureRequestedAt: Date?
    /// When every row the tenant owns will be deleted.
    public var closesAt: Date?

    public init(
        tenantId: TenantID, name: String, ownerEmail: String?, plan: SubscriptionPlan, licensedDevices: Int?, licensedUsers: Int?,
        devices: Int, users: Int, hasSubscriptionKey: Bool, billingReference: String?, closureRequestedAt: Date?, closesAt: Date?
    ) {
        self.tenantId = tenantId
        self.name = name
        self.ownerEmail = ownerEmail
        self.plan = plan
        self.licensedDevices = licensedDevices
        self.licensedUsers = licensedUsers
        self.devices = devices
        self.users = users
        self.hasSubscriptionKey = hasSubscriptionKey
        self.billingReference = billingReference
        self.closureRequestedAt = closureRequestedAt
        self.closesAt = closesAt
    }
}

/// `PATCH /api/v1/tenant/account`: what the tenant's admins keep up to date. The plan and its
/// licensed counts are the operator's (`steward tenant subscription`).
public struct TenantAccountPatch: Codable, Sendable, Equatable {
    public var ownerEmail: String?
    /// Write-only: stored sealed under the master key.
    public var subscriptionKey: String?
    public var billingReference: String?

    public init(ownerEmail: String? = nil, subscriptionKey: String? = nil, billingReference: String? = nil) {
        self.ownerEmail = ownerEmail
        self.subscriptionKey = subscriptionKey
        self.billingReference = billingReference
    }

    public func validate() throws(WireError) {
        if let ownerEmail { try EmailAddress.validate(ownerEmail, field: "ownerEmail") }
        if let subscriptionKey { try Validator().required(subscriptionKey, "subscriptionKey", limit: 512) }
        if let billingReference { try TenantAccounts.validateBillingReference(billingReference) }
    }
}

/// `POST /api/v1/tenant/closure`: the tenant's name, typed again.
public struct TenantClosureRequest: Codable, Sendable, Equatable {
    public var confirm: String

    public init(confirm: String) { self.confirm = confirm }
}
