import Hummingbird
import StewardModel
import StewardStore

/// A device's own requests: the bearer credential checked against the stored verifier.
struct DeviceAuthentication: Sendable {
    let store: any DeviceStore
    /// Requests per device; nil: unlimited.
    var limiter: RateLimiter?

    func device(_ request: Request) async throws -> (DeviceCheckInState, DeviceID) {
        guard let credential = Credential(authorization: request.headers.single(.authorization), kind: .deviceSecret) else {
            throw APIError.unauthorized
        }
        let deviceID = DeviceID(rawValue: credential.id)
        // Counted by the device the credential names, before the database is asked (device
        // IDs carry 74 random bits: another client cannot spend a device's allowance blind).
        if let wait = limiter?.admit(credential) {
            throw APIError.tooManyRequests("too_many_requests", "This device sends too many requests: try again later.", retryAfter: wait)
        }
        guard let state = try await store.checkInState(tenantID: credential.tenantID, deviceID: deviceID),
            Secrets.matches(credential, verifier: state.secretVerifier)
        else { throw APIError.unauthorized }
        return (state, deviceID)
    }
}
