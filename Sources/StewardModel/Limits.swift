/// Bounds on what a client may send. Checked before anything is stored.
public enum Limits {
    /// Largest request body the API reads (bytes); larger bodies get 413.
    public static let defaultMaxBodyBytes = 4 * 1024 * 1024
    /// Largest body of an admin request that carries a small document (a name, a patch, a
    /// password): far below the check-in limit, so such a route never reads megabytes.
    public static let smallBodyBytes = 16 * 1024
    /// Most apps one inventory may carry: a large Debian desktop has about 3,000 packages.
    public static let maxApps = 20_000
    /// Longest free-text field (names, versions, paths).
    public static let maxStringLength = 512
    /// Most network interfaces, and addresses per interface.
    public static let maxInterfaces = 64
    public static let maxAddressesPerInterface = 64
    /// Page sizes.
    public static let defaultPageSize = 100
    public static let maxPageSize = 1_000
}

/// Collects the checks of one request body; the first failure is the answer.
public struct Validator {
    public init() {}

    public func string(_ value: String?, _ field: @autoclosure () -> String, limit: Int = Limits.maxStringLength) throws(WireError) {
        guard let value else { return }
        if value.utf8.count > limit { throw .stringTooLong(field: field(), limit: limit) }
        if WireCoding.holdsRefusedControl(value) {
            throw .invalidValue(field: field(), reason: "control characters are not accepted")
        }
    }

    public func required(_ value: String, _ field: @autoclosure () -> String, limit: Int = Limits.maxStringLength) throws(WireError) {
        if value.isEmpty { throw .invalidValue(field: field(), reason: "must not be empty") }
        try string(value, field(), limit: limit)
    }

    public func count<C: Collection>(_ value: C?, _ field: @autoclosure () -> String, limit: Int) throws(WireError) {
        guard let value else { return }
        if value.count > limit { throw .tooManyItems(field: field(), limit: limit) }
    }

    public func nonNegative(_ value: Int64?, _ field: @autoclosure () -> String) throws(WireError) {
        if let value, value < 0 { throw .invalidValue(field: field(), reason: "must not be negative") }
    }
}
