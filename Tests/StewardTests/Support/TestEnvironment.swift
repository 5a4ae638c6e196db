import Crypto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StewardModel
import StewardSQLite
import StewardServer
import StewardStore

/// A clock that tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(_ seconds: TimeInterval) {
        lock.lock()
        current += seconds
        lock.unlock()
    }

    var clock: Clock { Clock { self.now } }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("steward-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A fresh store, a manual clock, sequential IDs and two provisioned tenants per test.
struct TestEnvironment {
    let directory: TemporaryDirectory
    let storage: any Storage
    /// A table's rows as text, read with raw SQL.
    let rawRows: RawRows
    /// The PostgreSQL schema's URL, for a second replica on the same database.
    let postgresURL: String?
    let clock = ManualClock()
    let configuration: ServerConfiguration
    let dependencies: ServerDependencies
    /// The router's buffers (flushed by hand in tests) and task notifier.
    let background: BackgroundServices
    var lastSeen: LastSeenRecorder { background.lastSeen }
    var usage: UsageRecorder { background.usage }
    let tenant: TenantCreated
    let otherTenant: TenantCreated

    init(
        _ store: StoreKind = .sqlite, maxBodyBytes: Int = Limits.defaultMaxBodyBytes, checkInQueueLimit: Int = CheckInQueue.defaultLimit
    ) async throws {
        directory = try TemporaryDirectory()
        (storage, rawRows, postgresURL) = try await store.open(in: directory, checkInQueueLimit: checkInQueueLimit)
        var logger = Logger(label: "steward-test")
        logger.logLevel = .critical
        let ids = IdentifierGenerator.sequential()
        dependencies = ServerDependencies(
            storage: storage, masterKey: Self.masterKey, clock: clock.clock, ids: ids, logger: logger)
        // The lowest bcrypt cost and no sign-in delays: tests check behaviour, not timing.
        var configuration = ServerConfiguration(
            maxBodyBytes: maxBodyBytes, checkInIntervalSeconds: 600, passwordHashCost: 4, failedSignInDelay: .zero)
        // Per-credential limits off (tests check in many times at one instant); AbuseLimitTests sets its own.
        configuration.deviceRequestsPerMinute = 0
        configuration.enrollmentsPerMinutePerToken = 0
        self.configuration = configuration
        // Sign-in limits out of the way (every router request comes from "no address"); the
        // sign-in tests set their own.
        let unlimited = SignInLimiter.Rate(burst: 1_000_000, perMinute: 1_000_000)
        var backgroundConfiguration = ServerConfiguration(
            lastSeenFlushInterval: .seconds(3600), signInRateByAddress: unlimited, signInRateByAccount: unlimited)
        backgroundConfiguration.deviceRequestsPerMinute = 0
        backgroundConfiguration.enrollmentsPerMinutePerToken = 0
        background = BackgroundServices(configuration: backgroundConfiguration, dependencies: dependencies)
        let provisioning = TenantProvisioning(store: storage, masterKey: Self.masterKey, clock: clock.clock, ids: ids)
        tenant = try await provisioning.createTenant(name: "Acme")
        otherTenant = try await provisioning.createTenant(name: "Globex")
    }

    /// Runs a statement on the store's database behind its back (a test's way to stage a state).
    func execute(_ sql: String) async throws {
        if let postgresURL {
            try await TestPostgres.execute(sql, url: postgresURL)
        } else {
            let path = directory.url.appendingPathComponent("steward.sqlite").path
            // Waits for the server's writer as the store's own connections do (GRDB's default
            // is to fail at once: a check-in or a buffered write in flight failed the test).
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            try await DatabaseQueue(path: path, configuration: configuration).write { try $0.execute(sql: sql) }
        }
    }

    static let masterKey = MasterKey(key: SymmetricKey(data: Data(repeating: 7, count: 32)))

    var auditor: Auditor { Auditor(chain: Self.masterKey.auditChain, clock: clock.clock, ids: dependencies.ids) }

    /// An audit event for store calls made directly by a test.
    func auditEvent(_ tenantID: TenantID? = nil, activity: String = "Test") -> AuditEvent {
        Auditor(chain: Self.masterKey.auditChain, clock: clock.clock, ids: dependencies.ids).cliEvent(
            tenantID: tenantID ?? tenant.tenantId, activity: activity, operation: .action, targetID: nil, targetName: nil,
            changes: [])
    }

    /// Runs `body` against the real router (no network), the way `app.test(.router)` does.
    func withClient<T: Sendable>(_ body: @Sendable (APIClient) async throws -> T) async throws -> T {
        let router = buildRouter(configuration: configuration, dependencies: dependencies, background: background)
        let app = Application(router: router, logger: dependencies.logger)
        return try await app.test(.router) { client in
            try await body(APIClient(client: client, adminToken: tenant.adminToken))
        }
    }
}

/// A decoded answer of the API.
struct APIResponse: Sendable {
    let status: HTTPResponse.Status
    let body: Data
    var headers = HTTPFields()

    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try WireCoding.decoder().decode(type, from: body)
    }

    var errorCode: String? { (try? decode(ErrorBody.self))?.error.code }
}

/// Calls the router with JSON bodies and bearer tokens.
struct APIClient: Sendable {
    let client: any TestClientProtocol
    let adminToken: String

    @discardableResult
    func send(
        _ method: APIRoute.Method, _ path: String, token: String?, raw: Data? = nil
    ) async throws -> APIResponse {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if raw != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: path, method: HTTPRequest.Method(rawValue: method.rawValue)!, headers: headers, body: raw.map { ByteBuffer(bytes: $0) }
        ) { response in
            APIResponse(status: response.status, body: Data(response.body.readableBytesView), headers: response.headers)
        }
    }

    /// A request with exactly these headers (a browser's, say).
    func send(_ method: APIRoute.Method, _ path: String, headers: HTTPFields, body: String?) async throws -> APIResponse {
        try await client.execute(
            uri: path, method: HTTPRequest.Method(rawValue: method.rawValue)!, headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        ) { response in
            APIResponse(status: response.status, body: Data(response.body.readableBytesView), headers: response.headers)
        }
    }

    /// A request with these headers and a body of bytes (a compressed agent document).
    func send(_ method: APIRoute.Method, _ path: String, headers: HTTPFields, raw: ByteBuffer) async throws -> APIResponse {
        try await client.execute(uri: path, method: HTTPRequest.Method(rawValue: method.rawValue)!, headers: headers, body: raw) { response in
            APIResponse(status: response.status, body: Data(response.body.readableBytesView), headers: response.headers)
        }
    }

    @discardableResult
    func send(_ method: APIRoute.Method, _ path: String, token: String?, json: some Encodable) async throws -> APIResponse {
        try await send(method, path, token: token, raw: try WireCoding.encoder().encode(json))
    }

    /// Creates an enrollment token as the tenant's admin and returns its secret text.
    func enrollmentToken(_ ownership: Ownership, maxUses: Int? = nil, admin: String? = nil) async throws -> String {
        let response = try await send(
            .POST, APIRoute.createEnrollmentToken.path, token: admin ?? adminToken,
            json: EnrollmentTokenCreateRequest(ownership: ownership, maxUses: maxUses))
        return try response.decode(EnrollmentTokenView.self).token ?? ""
    }

    /// Enrolls a device with a new token of the given ownership.
    func enroll(
        _ ownership: Ownership, platformId: String? = nil, admin: String? = nil
    ) async throws -> EnrollResponse {
        let token = try await enrollmentToken(ownership, admin: admin)
        let response = try await send(
            .POST, APIRoute.enroll.path, token: token,
            json: EnrollRequest(platform: .linux, platformId: platformId, deviceName: "host", agentVersion: "test"))
        return try response.decode(EnrollResponse.self)
    }

    func checkIn(_ secret: String, _ request: CheckInRequest) async throws -> APIResponse {
        try await send(.POST, APIRoute.checkIn.path, token: secret, json: request)
    }

    @discardableResult
    func diagnostics(_ secret: String, _ events: [DiagnosticEvent]) async throws -> APIResponse {
        try await send(.POST, APIRoute.uploadDiagnostics.path, token: secret, json: DiagnosticsUpload(events: events))
    }

    /// The tenant's stored diagnostics, as its Administrator reads them.
    func storedDiagnostics(_ query: String = "") async throws -> [DiagnosticEventView] {
        try await send(.GET, APIRoute.listDiagnostics.path + query, token: adminToken).decode(Page<DiagnosticEventView>.self).items
    }

    func device(_ id: DeviceID, admin: String? = nil) async throws -> APIResponse {
        try await send(.GET, APIRoute.getDevice.path(id.rawValue), token: admin ?? adminToken)
    }

    /// Turns the tenant's compliant-app feature on or off.
    func setCompliantAppFeature(_ on: Bool) async throws {
        let answer = try await send(
            .PATCH, APIRoute.updateTenantSettings.path, token: adminToken, json: TenantSettingsPatch(compliantAppFeature: on))
        guard answer.status == .ok else { throw TestFailure("tenant settings answered \(answer.status)") }
    }

    /// How many apps the store holds for the device (its view's count: a personal device's
    /// apps are not listed one by one).
    func appCount(_ id: DeviceID) async throws -> Int {
        try await device(id).decode(DeviceView.self).appCount
    }

    func apps(_ id: DeviceID) async throws -> [AppRecord] {
        try await send(.GET, APIRoute.listDeviceApps.path(id.rawValue) + "?limit=1000", token: adminToken)
            .decode(Page<AppRecord>.self).items
    }
}
