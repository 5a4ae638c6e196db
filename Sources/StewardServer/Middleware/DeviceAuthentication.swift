import Hummingbird
import StewardModel
import StewardStore

/// A device's own requests: the bearer credential checked against the stored verifier.
struct DeviceAuthentication {
    let store: any DeviceStore

    func device(_ request: Request) async throws -> (DeviceCheckInState, DeviceID) {
        guard let credential = Credential(authorization: request.headers[.authorization], kind: .deviceSecret) else {
            throw APIError.unauthorized
        }
        let deviceID = DeviceID(rawValue: credential.id)
        guard let state = try await store.checkInState(tenantID: credential.tenantID, deviceID: deviceID),
            Secrets.matches(credential, verifier: state.secretVerifier)
        else { throw APIError.unauthorized }
        return (state, deviceID)
    }
}
