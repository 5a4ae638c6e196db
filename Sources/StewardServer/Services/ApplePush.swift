import Foundation
import Logging
import ServiceLifecycle
import StewardAPNs
import StewardModel
import StewardStore

/// Wakes Apple devices through Apple's push service whenever Steward queues something for them:
/// the tenant's push certificate, the device's push token and PushMagic (both sealed at rest,
/// opened only here). Pushes to one device coalesce while one is in flight (the poll it causes
/// fetches everything queued); Apple's answers are handled as Apple documents them.
public actor ApplePushSender {
    public enum Result: Sendable, Equatable {
        case delivered
        /// A push to the device was already on its way; this one joined it.
        case coalesced
        /// Not an Apple device, or nothing to push with (no token yet, a token Apple refused, no
        /// push certificate, checked out).
        case notPushable(String)
        /// Apple refused for good: the token (BadDeviceToken, Unregistered — it is marked refused
        /// until the device sends a new one), or the certificate.
        case refused(APNsClient.Outcome)
        /// Still failing after every retry: the device fetches its commands at its next poll.
        case gaveUp(APNsClient.Outcome)
    }

    let store: any RecordStore
    let masterKey: MasterKey
    let client: APNsClient?
    let clock: Clock
    let retryDelays: [Duration]
    let logger: Logger
    private var inFlight: Set<DeviceKey> = []

    public init(store: any RecordStore, masterKey: MasterKey, configuration: ServerConfiguration, clock: Clock, logger: Logger) {
        self.store = store
        self.masterKey = masterKey
        self.client = try? APNsClient(baseURL: configuration.apnsURL, trustRootsPEM: configuration.apnsTrustRootsPEM)
        self.clock = clock
        self.retryDelays = configuration.apnsRetryDelays
        self.logger = logger
    }

    /// Wakes each device that is enrolled over Apple's MDM (any other is passed over), one after another.
    public func wakeAll(tenantID: TenantID, deviceIDs: [DeviceID]) async {
        for deviceID in deviceIDs { await wake(tenantID: tenantID, deviceID: deviceID) }
    }

    @discardableResult
    public func wake(tenantID: TenantID, deviceID: DeviceID) async -> Result {
        let key = DeviceKey(tenantID: tenantID, deviceID: deviceID)
        guard !inFlight.contains(key) else { return .coalesced }
        inFlight.insert(key)
        defer { inFlight.remove(key) }
        do {
            return try await send(tenantID: tenantID, deviceID: deviceID)
        } catch {
            logger.warning("apple push not sent", metadata: ["component": "apple-mdm", "deviceId": "\(deviceID)", "error": "\(type(of: error))"])
            return .notPushable("error")
        }
    }

    private func send(tenantID: TenantID, deviceID: DeviceID) async throws -> Result {
        guard let client else { return .notPushable("no client") }
        guard let enrollment = try await store.records(
            AppleMDMEnrollmentRecord.self, tenantID: tenantID, filter: AppleMDMEnrollmentRecord.of(deviceID), after: nil, limit: 10
        ).last(where: { $0.checkedOutAt == nil && $0.authenticatedAt != nil })
        else { return .notPushable("not an Apple MDM device") }
        guard enrollment.pushTokenRefusedAt == nil, let sealedToken = enrollment.sealedPushToken, let sealedMagic = enrollment.sealedPushMagic
        else { return .notPushable("no usable push token") }
        guard let certificate = try await store.record(AppleMDMCertificateRecord.self, tenantID: tenantID, key: AppleMDMCertificateRecord.push),
            let topic = certificate.topic
        else { return .notPushable("no push certificate") }
        let credentials = APNsClient.Credentials(
            certificatePEM: certificate.certificatePEM,
            privateKeyPEM: String(decoding: try masterKey.open(certificate.sealedPrivateKey), as: UTF8.self))
        let token = try masterKey.open(sealedToken)
        let magic = String(decoding: try masterKey.open(sealedMagic), as: UTF8.self)
        var attempt = 0
        while true {
            let outcome = await client.push(token: token, pushMagic: magic, topic: topic, credentials: credentials)
            ServiceMetrics.applePushes(outcome).increment()
            switch outcome {
            case .delivered:
                try await mark(enrollment) { $0.lastPushAt = self.clock.now() }
                return .delivered
            case .badDeviceToken, .unregistered:
                // Apple: stop sending to this token; the device sends a new one when it has one.
                try await mark(enrollment) { $0.pushTokenRefusedAt = self.clock.now() }
                logger.notice("apple refused a push token", metadata: ["component": "apple-mdm", "deviceId": "\(deviceID)"])
                return .refused(outcome)
            case .refused:
                logger.warning(
                    "apple refused a push (push certificate or topic)", metadata: ["component": "apple-mdm", "tenantId": "\(tenantID)"])
                return .refused(outcome)
            case .tooManyRequests, .serverError, .transport:
                guard attempt < retryDelays.count else { return .gaveUp(outcome) }
                try? await Task.sleep(for: retryDelays[attempt])
                attempt += 1
            }
        }
    }

    private func mark(_ enrollment: AppleMDMEnrollmentRecord, _ change: @escaping @Sendable (inout AppleMDMEnrollmentRecord) -> Void) async throws {
        _ = try await store.update(AppleMDMEnrollmentRecord.self, tenantID: enrollment.tenantID, key: enrollment.id) { old in
            var new = old
            change(&new)
            return (new, nil)
        }
    }

    public func shutdown() async { await client?.shutdown() }
}

/// Closes the push client's connections when the server stops.
struct ApplePushShutdown: Service {
    let sender: ApplePushSender

    func run() async throws {
        try? await gracefulShutdown()
        await sender.shutdown()
    }
}
