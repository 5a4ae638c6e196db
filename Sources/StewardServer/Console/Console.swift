import Crypto
import Foundation
import Hummingbird
import NIOCore
import StewardConsole
import StewardModel
import StewardStore

/// The web console at `/`: server-rendered pages over the API's own handlers (`InProcessAPI`).
/// Signed-in pages need the session cookie; every form carries a CSRF token derived from it and
/// must come from our own origin; every answer forbids framing and inline script.
public struct Console: Sendable {
    typealias Context = StewardRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    let api: InProcessAPI
    let store: any Storage
    let clock: Clock
    /// The store's errors read as outages, and their log (shared with the API's edge).
    let outages: OutageReporter
    /// The address devices reach (for the enrollment URLs the pages show).
    var publicURL: String? = nil

    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    func register(on router: Router<Context>) {
        router.get("/assets/:file", use: asset)
        router.get("/sign-in", use: page(signInForm))
        router.post("/sign-in", use: page(signIn))
        let signedIn = router.group().add(middleware: ConsoleSession(store: store, clock: clock))
        signedIn.post("/sign-out", use: page(signOut))
        let pages = ConsolePages(api: api, clock: clock, publicURL: publicURL)
        let handlers: [ConsoleRoute: Handler] = [
            .home: pages.home, .devices: pages.devices, .devicesCSV: pages.devicesCSV, .searchDevices: pages.searchDevices,
            .searchDevicesCSV: pages.searchDevicesCSV, .device: pages.device,
            .createTask: pages.createTask, .updateDevice: pages.updateDevice, .deleteDevice: pages.deleteDevice,
            .cancelTask: pages.cancelTask, .enrollment: pages.enrollment, .createEnrollmentToken: pages.createEnrollmentToken,
            .revokeEnrollmentToken: pages.revokeEnrollmentToken, .account: pages.account, .changePassword: pages.changePassword,
            .startTOTP: pages.startTOTP, .confirmTOTP: pages.confirmTOTP, .disableTOTP: pages.disableTOTP,
            .createToken: pages.createToken, .revokeToken: pages.revokeToken, .users: pages.users, .createUser: pages.createUser,
            .user: pages.user, .groups: pages.groups, .createGroup: pages.createGroup, .group: pages.group,
            .addMember: pages.addMember, .removeMember: pages.removeMember, .apps: pages.apps, .app: pages.app,
            .assignApp: pages.assignApp, .audit: pages.audit, .privacy: pages.privacy, .privacyExport: pages.privacyExport,
            .privacyErasure: pages.privacyErasure, .corporateIdentifiers: pages.corporateIdentifiers, .reidentify: pages.reidentify,
            .admins: pages.admins, .createAdmin: pages.createAdmin, .updateAdmin: pages.updateAdmin,
            .resetPassword: pages.resetPassword, .assignRole: pages.assignRole, .settings: pages.settings,
            .updateSettings: pages.updateSettings, .uploadPushCertificate: pages.uploadPushCertificate, .support: pages.support, .openSupportCase: pages.openSupportCase,
            .supportCase: pages.supportCase, .writeSupportMessage: pages.writeSupportMessage,
            .setSupportCaseStatus: pages.setSupportCaseStatus,
        ]
        precondition(Set(handlers.keys) == Set(ConsoleRoute.all), "every ConsoleRoute needs exactly one handler")
        for route in ConsoleRoute.all {
            let handler = handlers[route]!
            // The route's permission first, as the API's RoutePermission does: a page or form the
            // admin's role does not allow is refused before anything is read.
            let guarded: Handler = { request, context in
                if let permission = route.permission, !context.grants.allows(permission) {
                    throw APIError(.forbidden, "permission_denied", "This needs the permission '\(permission.rawValue)'.")
                }
                return try await handler(request, context)
            }
            signedIn.on(RouterPath(route.routerPath), method: .init(route.method.rawValue)!, use: page(guarded))
        }
    }

    // MARK: The frame every console answer gets

    /// Runs a console handler: failures become a page (not the API's JSON), and every answer
    /// carries the console's security headers.
    func page(_ body: @escaping Handler) -> Handler {
        { request, context in
            var response: Response
            do {
                response = try await body(request, context)
            } catch {
                response = Self.errorPage(error, request: request, context: context, outages: outages)
            }
            response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
            response.headers[.init("X-Frame-Options")!] = "DENY"
            // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on our own forms.
            response.headers[.init("Referrer-Policy")!] = "same-origin"
            response.headers[.init("Cross-Origin-Opener-Policy")!] = "same-origin"
            response.headers[.init("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=()"
            return response
        }
    }

    static func errorPage(
        _ error: any Error, request: Request, context: Context, outages: OutageReporter
    ) -> Response {
        let apiError = ErrorMiddleware.answer(for: error, context: context, component: "console", outages: outages)
        let title = switch apiError.status.code {
        case 401: "Signed out"
        case 403: "Not allowed"
        case 404: "Not found"
        case 429: "Too many requests"
        case 503: "Unavailable"
        case 400..<500: "Not accepted"
        default: "Something went wrong"
        }
        return html(
            SessionPages.error(
                viewer: viewer(request, context), title: title, message: apiError.message,
                requestID: context.requestID),
            status: apiError.status)
    }

    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.markup)))
    }

    /// 303 to a page of ours (after a form, or to sign in).
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    // MARK: Session

    /// The signed-in admin as the pages see them; nil before sign-in.
    static func viewer(_ request: Request, _ context: Context) -> ConsoleViewer? {
        guard context.adminID != nil, let secret = AdminAuthentication.sessionSecret(request) else { return nil }
        return ConsoleViewer(
            adminName: context.actorName ?? "", csrfToken: csrfToken(forSession: secret),
            permissions: Set(context.grants.permissions.keys))
    }

    /// The session's CSRF token: a digest of the (HttpOnly) session secret, so another site can
    /// neither read nor make it, and it ends with the session.
    public static func csrfToken(forSession session: some StringProtocol) -> String {
        String(SHA256.hash(data: Data("steward-console-csrf\0\(session)".utf8)).lowercaseHex.prefix(32))
    }

    /// A signed-in form's fields, once its origin and CSRF token hold.
    static func form(_ request: Request, _ context: Context, limit: Int = Limits.smallBodyBytes) async throws -> FormBody {
        try AdminAuthentication.refuseCrossSite(request)
        let form = try await FormBody.read(request, limit: limit)
        guard let secret = AdminAuthentication.sessionSecret(request),
            let sent = form["csrf"], Secrets.constantTimeEquals(sent, csrfToken(forSession: secret))
        else {
            throw APIError(.forbidden, "csrf_token_invalid", "The form's security token is missing or out of date: reload the page and try again.")
        }
        return form
    }

    // MARK: Assets

    func asset(_ request: Request, context: Context) async throws -> Response {
        guard let asset = Asset.all.first(where: { $0.path == request.uri.path }) else { throw APIError.routeNotFound }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }

    // MARK: Sign-in and sign-out

    func signInForm(_ request: Request, context: Context) async throws -> Response {
        if let secret = AdminAuthentication.sessionSecret(request),
            let credential = Credential(text: secret, kind: .adminToken),
            try await AdminAuthentication.authenticated(context, by: credential, store: store, clock: clock) != nil
        {
            return Self.redirect("/")
        }
        let single = try await singleTenant()
        return Self.html(SessionPages.signIn(askTenant: single == nil, askCode: false, tenant: nil, userName: nil, error: nil))
    }

    func signIn(_ request: Request, context: Context) async throws -> Response {
        try AdminAuthentication.refuseCrossSite(request)
        let form = try await FormBody.read(request)
        let single = try await singleTenant()
        let userName = form.text("userName")
        func again(_ status: HTTPResponse.Status, askCode: Bool, _ message: String) -> Response {
            Self.html(
                SessionPages.signIn(
                    askTenant: single == nil, askCode: askCode, tenant: form.text("tenant"), userName: userName, error: message),
                status: status)
        }
        guard let tenantID = single ?? form.text("tenant").flatMap({ TenantID.isWellFormed($0) ? TenantID(rawValue: $0) : nil }),
            let userName, let password = form["password"], !password.isEmpty
        else { return again(.badRequest, askCode: false, "Enter your organisation, user name and password.") }
        let input = SignInRequest(tenantId: tenantID, userName: userName, password: password, totpCode: form.text("totp"))
        do {
            let answer = try await api.call(.signIn, context, body: try WireCoding.encoder().encode(input), on: request)
            var response = Self.redirect("/")
            if let cookie = answer.headers[.setCookie] { response.headers[.setCookie] = cookie }
            return response
        } catch let error as APIError where error.code == "totp_required" {
            return again(.unauthorized, askCode: true, "Enter the code from your authenticator app, with your password again.")
        } catch let error as APIError where error.status == .unauthorized || error.status == .tooManyRequests {
            return again(error.status, askCode: form.text("totp") != nil, error.message)
        } catch let error as WireError {
            return again(.badRequest, askCode: form.text("totp") != nil, APIError.invalid(error).message)
        }
    }

    func signOut(_ request: Request, context: Context) async throws -> Response {
        _ = try await Self.form(request, context)
        let answer = try await api.call(.signOut, context)
        var response = Self.redirect("/sign-in")
        if let cookie = answer.headers[.setCookie] { response.headers[.setCookie] = cookie }
        return response
    }

    /// The deployment's only tenant, when it has exactly one (the form then asks no tenant).
    private func singleTenant() async throws -> TenantID? {
        let tenants = try await store.tenants()
        return tenants.count == 1 ? tenants[0].id : nil
    }
}

/// Signed-in console pages: the session cookie's admin, or a redirect to the sign-in page
/// (a form posted after the session ended gets a page that says so).
struct ConsoleSession: RouterMiddleware {
    typealias Context = StewardRequestContext
    let store: any RecordStore
    let clock: Clock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let secret = AdminAuthentication.sessionSecret(request),
            let credential = Credential(text: secret, kind: .adminToken),
            let signedIn = try await AdminAuthentication.authenticated(context, by: credential, store: store, clock: clock)
        {
            return try await next(request, signedIn)
        }
        guard request.method == .get || request.method == .head else {
            return Console.errorPage(APIError(.unauthorized, "unauthorized", "Your session has ended: sign in again."), request: request, context: context,
                outages: .none)
        }
        return Console.redirect("/sign-in")
    }
}
