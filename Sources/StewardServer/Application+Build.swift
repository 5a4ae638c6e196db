import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import HummingbirdHTTP2
import ServiceLifecycle
import StewardModel
import StewardStore
import StewardTLS
import UnixSignals

/// What a server is built from. Tests build the same thing with a temporary store, a fixed
/// clock and sequential IDs.
public struct ServerDependencies: Sendable {
    public var storage: any Storage
    public var masterKey: MasterKey
    public var clock: Clock
    public var ids: IdentifierGenerator
    public var logger: Logger
    /// The certificate and key to serve HTTPS with (HTTP/2 and HTTP/1.1); nil serves plain HTTP.
    public var tls: ServerIdentity?

    public init(
        storage: any Storage, masterKey: MasterKey, clock: Clock = .system, ids: IdentifierGenerator? = nil, logger: Logger,
        tls: ServerIdentity? = nil
    ) {
        self.storage = storage
        self.masterKey = masterKey
        self.clock = clock
        self.ids = ids ?? .timeOrdered(clock: clock)
        self.logger = logger
        self.tls = tls
    }
}

/// The services that buffer writes or hold waiters, shared by the router and the application.
public struct BackgroundServices: Sendable {
    public let lastSeen: LastSeenRecorder
    public let usage: UsageRecorder
    public let notifier: TaskNotifier
    public let signInLimiter: SignInLimiter
    public let signInFailures: SignInFailureLog
    public let passwordHashing = PasswordHashing()
    /// Requests per device and enrollments per token; nil where the configuration says 0.
    public let deviceLimiter: RateLimiter?
    public let enrollmentLimiter: RateLimiter?
    /// Wakes Apple devices through Apple's push service.
    public let applePush: ApplePushSender

    public init(configuration: ServerConfiguration, dependencies: ServerDependencies) {
        lastSeen = LastSeenRecorder(
            store: dependencies.storage, interval: configuration.lastSeenFlushInterval, logger: dependencies.logger)
        usage = UsageRecorder(
            store: dependencies.storage, interval: configuration.lastSeenFlushInterval, clock: dependencies.clock,
            logger: dependencies.logger)
        notifier = TaskNotifier(
            store: dependencies.storage, logger: dependencies.logger, maxParkedPerTenant: configuration.maxWaitingAgentsPerTenant)
        signInLimiter = SignInLimiter(
            perAddress: configuration.signInRateByAddress, perAccount: configuration.signInRateByAccount, clock: dependencies.clock)
        deviceLimiter = RateLimiter.perMinute(configuration.deviceRequestsPerMinute, clock: dependencies.clock)
        enrollmentLimiter = RateLimiter.perMinute(configuration.enrollmentsPerMinutePerToken, clock: dependencies.clock)
        applePush = ApplePushSender(
            store: dependencies.storage, masterKey: dependencies.masterKey, configuration: configuration, clock: dependencies.clock,
            logger: dependencies.logger)
        signInFailures = SignInFailureLog(
            store: dependencies.storage,
            auditor: Auditor(chain: dependencies.masterKey.auditChain, clock: dependencies.clock, ids: dependencies.ids),
            clock: dependencies.clock, window: configuration.signInAuditWindow, logger: dependencies.logger)
    }
}

/// The composition root of the HTTP application.
/// `background`: the services the routes share, when the caller wants to watch them (tests).
public func buildApplication(
    configuration: ServerConfiguration, dependencies: ServerDependencies, background: BackgroundServices? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let background = background ?? BackgroundServices(configuration: configuration, dependencies: dependencies)
    let router = buildRouter(configuration: configuration, dependencies: dependencies, background: background)
    let http1 = HTTP1Channel.Configuration(idleTimeout: .init(configuration.idleTimeout))
    var server = HTTPServerBuilder.http1(configuration: http1)
    if let tls = dependencies.tls {
        // HTTP/2 where the client offers it (ALPN), HTTP/1.1 otherwise; each handshake takes
        // the certificate in use, which SIGHUP reads again.
        server = try HTTPServerBuilder.http2Upgrade(
            tlsConfiguration: tls.configuration,
            configuration: .init(idleTimeout: .init(configuration.idleTimeout), streamConfiguration: http1))
    }
    var jobs = DeploymentJobs(
        store: dependencies.storage,
        auditor: Auditor(chain: dependencies.masterKey.auditChain, clock: dependencies.clock, ids: dependencies.ids),
        interval: configuration.jobInterval, replicaID: configuration.replicaID,
        clock: dependencies.clock, logger: dependencies.logger)
    jobs.applePush = background.applePush
    jobs.appleInventorySeconds = configuration.checkInIntervalSeconds
    // SIGHUP is handled with or without TLS: its default action would end the process, and
    // `systemctl reload` sends it.
    let reload: [any Service] = [ReloadService(tls: dependencies.tls, logger: dependencies.logger)]
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Steward"),
        services: reload + [
            background.lastSeen,
            background.usage,
            background.notifier,
            background.signInFailures,
            ApplePushShutdown(sender: background.applePush),
        ] + (configuration.runsDeploymentJobs ? [jobs] : []),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: dependencies.logger)
}

/// Every route of `APIRoute.all`, each with its handler and access check. Fails at start-up if
/// the table and the handlers disagree, so no declared route goes unserved.
public func buildRouter(
    configuration: ServerConfiguration, dependencies: ServerDependencies, background: BackgroundServices
) -> Router<StewardRequestContext> {
    ServiceMetrics.bootstrap()
    let (lastSeen, usage) = (background.lastSeen, background.usage)
    let storage = dependencies.storage
    let (clock, ids) = (dependencies.clock, dependencies.ids)
    let auditor = Auditor(chain: dependencies.masterKey.auditChain, clock: clock, ids: ids)
    let accounts = AdminAccounts(
        store: storage, configuration: configuration, masterKey: dependencies.masterKey, clock: clock, ids: ids,
        hashing: background.passwordHashing)
    let enrollment = EnrollmentController(
        store: storage, tokenLimiter: background.enrollmentLimiter, auditor: auditor, clock: clock, ids: ids,
        configuration: configuration)
    // A device's requests: its secret checked, then its own rate.
    let deviceAuthentication = DeviceAuthentication(store: storage, limiter: background.deviceLimiter)
    let checkIn = CheckInController(
        store: storage, devices: deviceAuthentication, lastSeen: lastSeen, usage: usage, clock: clock,
        configuration: configuration)
    let devices = DeviceController(store: storage, lastSeen: lastSeen, auditor: auditor, clock: clock)
    let tenant = TenantController(store: storage, auditor: auditor, clock: clock)
    let sessions = SessionController(
        store: storage, accounts: accounts, auditor: auditor, clock: clock, configuration: configuration,
        limiter: background.signInLimiter, failures: background.signInFailures, servesTLS: dependencies.tls != nil)
    let admins = AdminController(store: storage, accounts: accounts, auditor: auditor, clock: clock)
    let users = UserController(store: storage, auditor: auditor, clock: clock, ids: ids)
    let groups = GroupController(store: storage, auditor: auditor, clock: clock, ids: ids)
    let roles = RoleController(store: storage, auditor: auditor, clock: clock, ids: ids)
    let audit = AuditController(store: storage, chain: dependencies.masterKey.auditChain)
    let privacy = PrivacyController(requests: DataSubjectRequests(store: storage, clock: clock), auditor: auditor)
    let apps = AppController(store: storage, auditor: auditor, clock: clock, ids: ids)
    let tasks = RemoteTaskController(
        store: storage, devices: deviceAuthentication, notifier: background.notifier, auditor: auditor, clock: clock, ids: ids,
        redeliverySeconds: configuration.taskRedeliverySeconds, applePush: background.applePush)
    let scim = SCIMController(
        store: storage, requests: DataSubjectRequests(store: storage, clock: clock), auditor: auditor, clock: clock, ids: ids)
    let scimTokens = SCIMTokenController(store: storage, auditor: auditor, clock: clock, ids: ids, publicURL: configuration.publicURL)
    let support = SupportCaseController(store: storage, desk: SupportDesk(store: storage, clock: clock, ids: ids), auditor: auditor)
    let appProtection = AppProtectionController(
        store: storage, masterKey: dependencies.masterKey, auditor: auditor, clock: clock, ids: ids)
    let account = TenantAccountController(store: storage, masterKey: dependencies.masterKey, auditor: auditor, clock: clock)
    let connectors = ConnectorController(store: storage, auditor: auditor, clock: clock, ids: ids)
    let appleMDMAdmin = AppleMDMAdminController(
        store: storage, devices: storage, masterKey: dependencies.masterKey, auditor: auditor, clock: clock, ids: ids)
    let diagnostics = DiagnosticsController(
        store: storage, devices: deviceAuthentication, keys: PseudonymKeys(store: storage, masterKey: dependencies.masterKey, clock: clock), auditor: auditor,
        clock: clock, ids: ids, configuration: configuration)

    typealias Handler = @Sendable (Request, StewardRequestContext) async throws -> Response
    func handler<R: ResponseGenerator>(_ body: @escaping @Sendable (Request, StewardRequestContext) async throws -> R) -> Handler {
        { request, context in
            let answer = try await body(request, context)
            // Called by the console in-process: the value itself, not its JSON.
            if let sink = context.inProcessAnswer, let value = answer as? any InProcessAnswerable {
                sink.value = value.answerValue
                return Response(status: value.status)
            }
            return try answer.response(from: request, context: context)
        }
    }
    let handlers: [APIRoute: Handler] = [
        .health: handler { [health = StaticJSONResponse(["status": "ok"])] _, _ in health },
        // 503 with the outage's code (the error middleware) when the database cannot answer.
        .ready: handler { _, _ in
            try await storage.ping()
            return JSONResponse(["status": "ready"])
        },
        .metrics: { request, _ in
            // Open on the API port unless `metricsToken` is set: then a scraper shows it.
            if let expected = configuration.metricsToken {
                let presented = Credential.bearer(request.headers.single(.authorization)) ?? ""
                guard Secrets.constantTimeEquals(Array(SHA256.hash(data: Data(presented.utf8))), Array(SHA256.hash(data: Data(expected.utf8))))
                else { throw APIError(.unauthorized, "metrics_token_required", "This server's metrics need its metrics token.") }
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = ServiceMetrics.exposition(checkIns: storage.checkInCommitLoad)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: text)))
        },
        .uploadDiagnostics: handler(diagnostics.upload),
        .listDiagnostics: handler(diagnostics.list),
        .reidentify: handler(diagnostics.reidentify),
        .rotatePseudonymKey: handler(diagnostics.rotateKey),
        .enroll: handler(enrollment.enroll),
        .checkIn: handler(checkIn.checkIn),
        .signIn: handler(sessions.signIn),
        .signOut: handler(sessions.signOut),
        .me: handler(sessions.me),
        .changeOwnPassword: handler(sessions.changePassword),
        .listOwnTokens: handler(sessions.listTokens),
        .createOwnToken: handler(sessions.createToken),
        .revokeOwnToken: handler(sessions.revokeToken),
        .startTOTP: handler(sessions.startTOTP),
        .confirmTOTP: handler(sessions.confirmTOTP),
        .disableTOTP: handler(sessions.disableTOTP),
        .listAdmins: handler(admins.list),
        .createAdmin: handler(admins.create),
        .getAdmin: handler(admins.get),
        .updateAdmin: handler(admins.update),
        .resetAdminPassword: handler(admins.resetPassword),
        .listAdminTokens: handler(admins.listTokens),
        .revokeAdminToken: handler(sessions.revokeAdminToken),
        .createEnrollmentToken: handler(enrollment.createToken),
        .listEnrollmentTokens: handler(enrollment.listTokens),
        .revokeEnrollmentToken: handler(enrollment.revokeToken),
        .uploadCorporateIdentifiers: handler(enrollment.uploadCorporateIdentifiers),
        .listCorporateIdentifiers: handler(enrollment.listCorporateIdentifiers),
        .deleteCorporateIdentifier: handler(enrollment.deleteCorporateIdentifier),
        .listDevices: handler(devices.list),
        .getDevice: handler(devices.get),
        .updateDevice: handler(devices.update),
        .deleteDevice: handler(devices.delete),
        .listDeviceApps: handler(devices.apps),
        .listDeviceManagedApps: handler(devices.managedApps),
        .createRemoteTask: handler(tasks.create),
        .listRemoteTasks: handler(tasks.list),
        .getRemoteTask: handler(tasks.get),
        .cancelRemoteTask: handler(tasks.cancel),
        .createGroupRemoteTasks: handler(tasks.createForGroup),
        .agentTasks: handler(tasks.take),
        .reportAgentTask: handler(tasks.report),
        .listApps: handler(apps.list),
        .createApp: handler(apps.create),
        .getApp: handler(apps.get),
        .updateApp: handler(apps.update),
        .deleteApp: handler(apps.delete),
        .listAppAssignments: handler(apps.assignments),
        .createAppAssignment: handler(apps.assign),
        .deleteAppAssignment: handler(apps.unassign),
        .appInstallSummary: handler(apps.installSummary),
        .appDeviceStatuses: handler(apps.deviceStatuses),
        .appUserStatuses: handler(apps.userStatuses),
        .listUsers: handler(users.list),
        .createUser: handler(users.create),
        .getUser: handler(users.get),
        .updateUser: handler(users.update),
        .deleteUser: handler(users.delete),
        .listGroups: handler(groups.list),
        .createGroup: handler(groups.create),
        .getGroup: handler(groups.get),
        .updateGroup: handler(groups.update),
        .deleteGroup: handler(groups.delete),
        .listGroupMembers: handler(groups.members),
        .addGroupMember: handler(groups.addMember),
        .removeGroupMember: handler(groups.removeMember),
        .listRoles: handler(roles.list),
        .createRole: handler(roles.create),
        .getRole: handler(roles.get),
        .updateRole: handler(roles.update),
        .deleteRole: handler(roles.delete),
        .listRoleAssignments: handler(roles.listAssignments),
        .createRoleAssignment: handler(roles.createAssignment),
        .deleteRoleAssignment: handler(roles.deleteAssignment),
        .listAuditEntries: handler(audit.list),
        .exportAuditEntries: handler(audit.export),
        .verifyAuditEntries: handler(audit.verify),
        .getTenantSettings: handler(tenant.settings),
        .updateTenantSettings: handler(tenant.update),
        .reportSummary: handler(tenant.summary),
        .reportDeviceCounts: handler(tenant.deviceCounts),
        .privacyCatalog: handler(tenant.privacyCatalog),
        .privacyStatement: handler(tenant.privacyStatement),
        .privacyExport: handler(privacy.export),
        .privacyErasure: handler(privacy.erase),
        .createSCIMToken: handler(scimTokens.create),
        .listSCIMTokens: handler(scimTokens.list),
        .revokeSCIMToken: handler(scimTokens.revoke),
        .createSupportCase: handler(support.create),
        .listSupportCases: handler(support.list),
        .getSupportCase: handler(support.get),
        .updateSupportCase: handler(support.update),
        .addSupportMessage: handler(support.addMessage),
        .getSupportAttachment: handler(support.attachment),
        .registerAppInstance: handler(appProtection.register),
        .appInstanceCheckIn: handler(appProtection.checkIn),
        .appInstanceKey: handler(appProtection.key),
        .listAppInstances: handler(appProtection.list),
        .getAppInstance: handler(appProtection.get),
        .wipeAppInstance: handler(appProtection.wipe),
        .deleteAppInstance: handler(appProtection.delete),
        .getTenantAccount: handler(account.get),
        .updateTenantAccount: handler(account.update),
        .closeTenant: handler(account.close),
        .cancelTenantClosure: handler(account.cancelClosure),
        .listConnectors: handler(connectors.list),
        .createConnector: handler(connectors.create),
        .updateConnector: handler(connectors.update),
        .deleteConnector: handler(connectors.delete),
        .getAppleMDMEnrollment: handler(appleMDMAdmin.enrollment),
        .getApplePushCertificate: handler(appleMDMAdmin.get),
        .uploadApplePushCertificate: handler(appleMDMAdmin.upload),
        .deleteApplePushCertificate: handler(appleMDMAdmin.delete),
        .scimServiceProviderConfig: handler(scim.serviceProviderConfig),
        .scimResourceTypes: handler(scim.resourceTypes),
        .scimSchemas: handler(scim.schemas),
        .scimListUsers: handler(scim.authenticated(scim.listUsers)),
        .scimCreateUser: handler(scim.authenticated(scim.createUser)),
        .scimGetUser: handler(scim.authenticated(scim.getUser)),
        .scimReplaceUser: handler(scim.authenticated(scim.replaceUser)),
        .scimPatchUser: handler(scim.authenticated(scim.patchUser)),
        .scimDeleteUser: handler(scim.authenticated(scim.deleteUser)),
        .scimListGroups: handler(scim.authenticated(scim.listGroups)),
        .scimCreateGroup: handler(scim.authenticated(scim.createGroup)),
        .scimGetGroup: handler(scim.authenticated(scim.getGroup)),
        .scimReplaceGroup: handler(scim.authenticated(scim.replaceGroup)),
        .scimPatchGroup: handler(scim.authenticated(scim.patchGroup)),
        .scimDeleteGroup: handler(scim.authenticated(scim.deleteGroup)),
    ]
    precondition(Set(handlers.keys) == Set(APIRoute.all), "every APIRoute needs exactly one handler")

    let router = Router(context: StewardRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware())
    let outages = OutageReporter(
        read: { [storage] in storage.outage(causedBy: $0) }, log: LogThrottle(interval: OutageReporter.logInterval, clock: clock))
    router.add(middleware: ErrorMiddleware(outages: outages, servesTLS: dependencies.tls != nil))
    // Authentication, then the route's permission (declared in `APIRoute`), then the handler.
    let admin = router.group().add(middleware: AdminAuthentication(store: storage, clock: clock))
    var served: [APIRoute: Handler] = [:]
    for route in APIRoute.all {
        let method = HTTPRequest.Method(rawValue: route.method.rawValue)!
        let path = RouterPath(route.routerPath)
        var handle = handlers[route]!
        if let resource = route.resource {
            // The store's "no such row" becomes the route's own 404 (`user_not_found`), here once.
            handle = { [handle] request, context in
                do {
                    return try await handle(request, context)
                } catch StoreError.notFound {
                    throw APIError.notFound(resource)
                }
            }
        }
        if route.isAdmin {
            // Usage statistics: the route template per tenant and day, counted in memory.
            handle = { [handle] request, context in
                if let tenantID = context.tenantID { usage.record(tenantID: tenantID, route: route) }
                return try await handle(request, context)
            }
        }
        served[route] = handle
        switch route.access {
        case .admin(let permission?): admin.group().add(middleware: RoutePermission(permission: permission)).on(path, method: method, use: handle)
        case .admin(nil): admin.on(path, method: method, use: handle)
        case .anyone, .enrollmentToken, .device, .directoryToken, .appInstance: router.on(path, method: method, use: handle)
        }
    }
    // Apple's MDM protocol (iPhone, iPad, Mac): plist bodies, identified by device certificates.
    var appleMDM = AppleMDMController(
        store: storage, masterKey: dependencies.masterKey, push: background.applePush, lastSeen: lastSeen, auditor: auditor, clock: clock, ids: ids,
        configuration: configuration, logger: dependencies.logger)
    appleMDM.tokenLimiter = background.enrollmentLimiter
    appleMDM.refusalAudits = RateLimiter.perMinute(60, clock: clock)
    router.get(RouterPath(AppleMDMController.enrollPath), use: appleMDM.enroll)
    router.put(RouterPath(AppleMDMController.checkInPath), use: appleMDM.checkIn)
    router.put(RouterPath(AppleMDMController.connectPath), use: appleMDM.connect)
    // The OCS Inventory NG protocol (OCS, FusionInventory and GLPI agents).
    let ocs = OCSController(
        store: storage, clock: clock, ids: ids, configuration: configuration, tokenLimiter: background.enrollmentLimiter,
        deviceLimiter: background.deviceLimiter)
    router.post(RouterPath(OCSController.path), use: ocs.handle)
    let install = AgentInstallController(configuration: configuration, tls: dependencies.tls)
    router.get(RouterPath(AgentInstallController.scriptPath), use: install.script)
    router.get(RouterPath(AgentInstallController.packagePath), use: install.package)
    // The web console: pages over the same handlers, behind the same permission checks.
    Console(api: InProcessAPI(handlers: served), store: storage, clock: clock, outages: outages, publicURL: configuration.publicURL)
        .register(on: router)
    return router
}

/// Reads the server's certificate and key again on SIGHUP; a pair that does not load is
/// logged and the one in use kept. Without TLS there is nothing to read again: it says so.
struct ReloadService: Service {
    let tls: ServerIdentity?
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            guard let tls else {
                logger.notice("SIGHUP: nothing to reload (serving plain HTTP)", metadata: ["component": "server"])
                continue
            }
            do {
                let pin = try tls.reload()
                logger.notice("tls certificate reloaded", metadata: ["component": "tls", "pin": "\(pin)"])
            } catch {
                logger.error("tls certificate not reloaded; the previous one stays", metadata: ["component": "tls", "reason": "\(error)"])
            }
        }
    }
}
