import Foundation
import Hummingbird
import Logging
import StewardModel
import StewardStore

/// What a server is built from. Tests build the same thing with a temporary store, a fixed
/// clock and sequential IDs.
public struct ServerDependencies: Sendable {
    public var storage: any Storage
    public var clock: Clock
    public var ids: IdentifierGenerator
    public var logger: Logger

    public init(storage: any Storage, clock: Clock = .system, ids: IdentifierGenerator? = nil, logger: Logger) {
        self.storage = storage
        self.clock = clock
        self.ids = ids ?? .timeOrdered(clock: clock)
        self.logger = logger
    }
}

/// The composition root of the HTTP application.
public func buildApplication(
    configuration: ServerConfiguration, dependencies: ServerDependencies,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let lastSeen = LastSeenRecorder(
        store: dependencies.storage, interval: configuration.lastSeenFlushInterval, logger: dependencies.logger)
    let router = buildRouter(configuration: configuration, dependencies: dependencies, lastSeen: lastSeen)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Steward"),
        services: [
            lastSeen,
            DeploymentJobs(
                store: dependencies.storage, interval: configuration.jobInterval, replicaID: configuration.replicaID,
                clock: dependencies.clock, logger: dependencies.logger),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: dependencies.logger)
}

/// Every route of `APIRoute.all`, each with its handler and access check. Fails at start-up if
/// the table and the handlers disagree, so no declared route goes unserved.
public func buildRouter(
    configuration: ServerConfiguration, dependencies: ServerDependencies, lastSeen: LastSeenRecorder
) -> Router<StewardRequestContext> {
    let storage = dependencies.storage
    let enrollment = EnrollmentController(
        store: storage, clock: dependencies.clock, ids: dependencies.ids, configuration: configuration)
    let checkIn = CheckInController(
        store: storage, lastSeen: lastSeen, clock: dependencies.clock, configuration: configuration)
    let devices = DeviceController(store: storage, lastSeen: lastSeen)
    let tenant = TenantController(store: storage)

    typealias Handler = @Sendable (Request, StewardRequestContext) async throws -> Response
    func handler<R: ResponseGenerator>(_ body: @escaping @Sendable (Request, StewardRequestContext) async throws -> R) -> Handler {
        { request, context in try await body(request, context).response(from: request, context: context) }
    }
    let handlers: [APIRoute: Handler] = [
        .health: handler { _, _ in JSONResponse(["status": "ok"]) },
        .enroll: handler(enrollment.enroll),
        .checkIn: handler(checkIn.checkIn),
        .createEnrollmentToken: handler(enrollment.createToken),
        .listEnrollmentTokens: handler(enrollment.listTokens),
        .revokeEnrollmentToken: handler(enrollment.revokeToken),
        .listDevices: handler(devices.list),
        .getDevice: handler(devices.get),
        .updateDevice: handler(devices.update),
        .deleteDevice: handler(devices.delete),
        .listDeviceApps: handler(devices.apps),
        .getTenantSettings: handler(tenant.settings),
        .reportSummary: handler(tenant.summary),
        .updateTenantSettings: handler(tenant.update),
    ]
    precondition(Set(handlers.keys) == Set(APIRoute.all), "every APIRoute needs exactly one handler")

    let router = Router(context: StewardRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ErrorMiddleware())
    let admin = router.group().add(middleware: AdminAuthentication(tenants: storage))
    for route in APIRoute.all {
        let method = HTTPRequest.Method(rawValue: route.method.rawValue)!
        let path = RouterPath(route.routerPath)
        let handle = handlers[route]!
        switch route.access {
        case .admin: admin.on(path, method: method, use: handle)
        case .anyone, .enrollmentToken, .device: router.on(path, method: method, use: handle)
        }
    }
    return router
}
