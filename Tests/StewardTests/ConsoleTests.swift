import Foundation
import HTTPTypes
import HummingbirdOTP
import Testing
import StewardConsole
import StewardModel
import StewardServer
import StewardStore

/// The web console over the real router: every page and form behind the same permission and
/// tenant scope as its API route, escaped output, CSRF and origin checks, security headers.
@Suite struct ConsoleTests {
    /// A browser with the admin's session cookie (an API token works as the cookie's credential).
    struct Browser: Sendable {
        let api: APIClient
        let session: String

        var csrf: String { Console.csrfToken(forSession: session) }

        func get(_ path: String) async throws -> APIResponse {
            var headers = HTTPFields()
            headers[.cookie] = "steward_session=\(session)"
            return try await api.send(.GET, path, headers: headers, body: nil)
        }

        /// A form post as our own pages send it; `csrf: nil` leaves the token out.
        func post(_ path: String, _ fields: [(String, String)], csrf: String?? = .none, origin: String? = nil) async throws -> APIResponse {
            var headers = HTTPFields()
            headers[.cookie] = "steward_session=\(session)"
            headers[.contentType] = "application/x-www-form-urlencoded"
            if let origin { headers[.origin] = origin }
            let token: String? = switch csrf {
            case .none: self.csrf
            case .some(let value): value
            }
            let all = (token.map { [("csrf", $0)] } ?? []) + fields
            let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            return try await api.send(.POST, path, headers: headers, body: body)
        }

        static func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
        }
    }

    /// A request to a console route against the world's resources: its concrete path and, for a
    /// form, fields that the API accepts.
    static func call(_ route: ConsoleRoute, _ world: AdminWorld, unique: String) async throws -> (path: String, form: [(String, String)]) {
        func path(_ values: [String: String]) -> String {
            route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix("{") ? values[String(segment.dropFirst().dropLast())]! : String(segment)
            }.joined(separator: "/")
        }
        let device = world.device.deviceId.rawValue
        switch route {
        case .home, .devices, .devicesCSV, .users, .groups, .apps, .audit, .privacy, .admins, .settings: return (route.path, [])
        case .device: return (path(["id": device]), [])
        case .createTask: return (path(["id": device]), [("kind", "sync")])
        case .updateDevice: return (path(["id": device]), [("ownership", "corporate"), ("userId", world.user.id.rawValue)])
        case .searchDevices: return (route.path, [("q", "host"), ("platform", "linux")])
        case .searchDevicesCSV: return (route.path, [("serial", "PF2ABCDE")])
        case .deleteDevice:
            let doomed = try await world.api.enroll(.corporate, platformId: "doomed-\(unique)")
            return (path(["id": doomed.deviceId.rawValue]), [("confirm", "delete")])
        case .cancelTask:
            let task: RemoteTaskView = try await world.api.created(.POST, APIRoute.createRemoteTask.path(device), RemoteTaskRequest(kind: .sync))
            return (path(["id": device, "taskId": task.id.rawValue]), [])
        case .enrollment, .account: return (route.path, [])
        case .createEnrollmentToken: return (route.path, [("ownership", "corporate"), ("description", "d\(unique)"), ("maxUses", "3")])
        case .revokeEnrollmentToken:
            let token: EnrollmentTokenView = try await world.api.created(
                .POST, APIRoute.createEnrollmentToken.path, EnrollmentTokenCreateRequest(ownership: .corporate))
            return (path(["id": token.id]), [])
        case .changePassword: return (route.path, [("password", "a new password \(unique)")])
        case .startTOTP, .createToken: return (route.path, [("name", "t\(unique)")])
        case .confirmTOTP, .disableTOTP: return (route.path, [("code", "000000")])
        case .revokeToken: return (path(["id": String(world.api.adminToken.split(separator: ".")[2])]), [])
        case .user: return (path(["id": world.user.id.rawValue]), [])
        case .createUser: return (route.path, [("displayName", "New \(unique)"), ("upn", "n\(unique)@example.test")])
        case .group: return (path(["id": world.deviceGroup.id.rawValue]), [])
        case .createGroup: return (route.path, [("name", "G\(unique)"), ("kind", "device")])
        case .addMember:
            let other = try await world.api.enroll(.corporate, platformId: "member-\(unique)")
            return (path(["id": world.deviceGroup.id.rawValue]), [("kind", "device"), ("memberId", other.deviceId.rawValue)])
        case .removeMember: return (path(["id": world.deviceGroup.id.rawValue, "memberId": device]), [])
        case .app: return (path(["id": world.app.id.rawValue]), [])
        case .assignApp: return (path(["id": world.app.id.rawValue]), [("groupId", world.userGroup.id.rawValue), ("intent", "available")])
        case .privacyExport: return (route.path, [("userId", world.user.id.rawValue)])
        case .privacyErasure:
            let user: UserView = try await world.api.created(
                .POST, APIRoute.createUser.path, UserCreateRequest(displayName: "Erase \(unique)", upn: "e\(unique)@example.test"))
            return (route.path, [("userId", user.id.rawValue), ("confirm", "erase")])
        case .corporateIdentifiers: return (route.path, [("csv", "serialNumber,S\(unique)\n")])
        case .reidentify:
            try await world.api.diagnostics(world.device.deviceSecret, [DiagnosticEvent(kind: .featureUsed, name: "inventory", at: world.env.clock.now)])
            guard let pseudonym = try await world.api.storedDiagnostics().last?.devicePseudonym else { throw TestFailure("no pseudonym") }
            return (route.path, [("pseudonym", pseudonym), ("reason", "support case \(unique)")])
        case .createAdmin:
            return (route.path, [("userName", "c\(unique)"), ("firstName", "C"), ("lastName", "D"), ("email", "c\(unique)@example.test"), ("password", AdminWorld.password)])
        case .updateAdmin:
            // An admin with no roles: nobody acts on an account stronger than their own.
            let (other, _) = try await world.admin(holding: [])
            return (path(["id": other.id.rawValue]), [("disabled", "false")])
        case .resetPassword:
            let (other, _) = try await world.admin(holding: [])
            return (path(["id": other.id.rawValue]), [("password", AdminWorld.password + "!")])
        case .assignRole:
            // A role the caller holds all of (nobody grants more than they have).
            let role: RoleView = try await world.api.created(
                .POST, APIRoute.createRole.path, RoleCreateRequest(name: "c\(unique)", permissions: [.rolesManage]))
            return (path(["id": world.secondAdmin.id.rawValue]), [("roleId", role.id.rawValue), ("scopeGroupId", world.deviceGroup.id.rawValue)])
        case .updateSettings: return (route.path, [("staleDeviceDays", "90"), ("directoryDeprovisioning", "erase")])
        case .uploadPushCertificate:
            let upload = try AdminWorld.pushCertificate()
            return (route.path, [("certificate", upload.certificate), ("privateKey", upload.privateKey), ("appleId", upload.appleId)])
        case .support: return (route.path, [])
        case .openSupportCase:
            return (route.path, [("subject", "S\(unique)"), ("contactName", "C"), ("contactEmail", "c\(unique)@example.test"), ("message", "m")])
        case .supportCase: return (path(["id": world.supportCase.id.rawValue]), [])
        case .writeSupportMessage: return (path(["id": world.supportCase.id.rawValue]), [("message", "more \(unique)")])
        case .setSupportCaseStatus: return (path(["id": world.supportCase.id.rawValue]), [("status", "closed")])
        default: throw TestFailure("no console call for \(route)")
        }
    }

    @Test(arguments: StoreKind.available) func everyPageAndFormDeniesWithoutItsPermissionAndAllowsWithIt(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            for (index, route) in ConsoleRoute.all.enumerated() {
                let anonymous = Browser(api: api, session: "sta.x.y.z")
                let signedOut = route.method == .GET ? try await anonymous.get(route.path) : try await anonymous.post(route.path, [])
                #expect(
                    route.method == .GET ? signedOut.status == .seeOther : signedOut.status == .unauthorized,
                    "\(route) without a session: \(signedOut.status)")
                guard let permission = route.permission else { continue }
                let call = try await Self.call(route, world, unique: "p\(index)")
                let (_, denied) = try await world.admin(holding: Permission.allCases.filter { $0 != permission })
                let refused = Browser(api: api, session: denied)
                let answer = route.method == .GET ? try await refused.get(call.path) : try await refused.post(call.path, call.form)
                #expect(answer.status == .forbidden, "\(route) without \(permission): \(answer.status)")
                #expect(answer.headers[.contentType]?.hasPrefix("text/html") == true, "\(route) refuses with a page")

                let (_, allowed) = try await world.admin(holding: [permission])
                let browser = Browser(api: api, session: allowed)
                let granted = route.method == .GET ? try await browser.get(call.path) : try await browser.post(call.path, call.form)
                #expect(
                    granted.status == .ok || granted.status == .seeOther,
                    "\(route) with only \(permission): \(granted.status) \(String(decoding: granted.body, as: UTF8.self).prefix(600))")
            }
        }
    }

    @Test(arguments: StoreKind.available) func noPageOrFormCrossesTenants(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let other = Browser(api: api, session: env.otherTenant.adminToken)
            let secrets = [
                world.device.deviceId.rawValue, world.user.id.rawValue, "Dana Scully", world.deviceGroup.id.rawValue, world.app.id.rawValue,
                world.supportCase.id.rawValue, "Walter Skinner", "Enrollment fails", world.connector.id.rawValue, "Acme directory",
            ]
            let before = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery()).count
            for (index, route) in ConsoleRoute.all.enumerated() {
                let call = try await Self.call(route, world, unique: "t\(index)")
                let answer = route.method == .GET ? try await other.get(call.path) : try await other.post(call.path, call.form)
                let body = String(decoding: answer.body, as: UTF8.self)
                if route.path.contains("{") || [.privacyExport, .privacyErasure, .reidentify].contains(route) {
                    // Another tenant's device, user, group, app or admin: as if it did not exist.
                    #expect(answer.status == .notFound, "\(route) across tenants: \(answer.status)")
                } else if route.method == .GET {
                    #expect(answer.status == .ok || answer.status == .seeOther, "\(route): \(answer.status)")
                    for secret in secrets { #expect(!body.contains(secret), "\(route) shows tenant A's \(secret)") }
                }
            }
            // Nothing the other tenant's admin did reached tenant A's data (the world's setup aside).
            let entries = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(afterSequence: Int64(before)))
            let me = env.otherTenant.tenantId.rawValue
            #expect(!entries.contains { $0.actorID?.contains(me) == true })
        }
    }

    @Test(arguments: StoreKind.available) func storedTextRendersAsText(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            var inventory = SampleInventory.make()
            inventory.hardware.deviceName = "<script>alert(1)</script>"
            inventory.apps?[0].version = "\"><img src=x onerror=alert(1)>"
            let device = try await api.enroll(.corporate, platformId: "xss")
            #expect(try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory)).status == .ok)
            let browser = Browser(api: api, session: api.adminToken)
            for path in ["/devices", "/devices/\(device.deviceId.rawValue)", "/devices/\(device.deviceId.rawValue)?from=pkg0"] {
                let page = try await browser.get(path)
                let html = String(decoding: page.body, as: UTF8.self)
                #expect(page.status == .ok, "\(path)")
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path) shows the name as text")
                #expect(!html.contains("<script>alert"), "\(path) has no injected script")
                #expect(!html.contains("<img src=x"), "\(path) has no injected image")
            }
            let detail = String(decoding: try await browser.get("/devices/\(device.deviceId.rawValue)").body, as: UTF8.self)
            #expect(detail.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
            // The CSV defuses a formula and quotes everything.
            inventory.hardware.deviceName = "=HYPERLINK(\"http://x\")"
            var request = try SampleInventory.fullRequest(inventory)
            request.apps = nil
            request.hashes.apps = nil
            _ = try await api.checkIn(device.deviceSecret, request)
            let csv = String(decoding: try await browser.get("/devices.csv").body, as: UTF8.self)
            #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
        }
    }

    @Test func aSearchByNameOrSerialNeverPutsItsTermsInAURL() async throws {
        let env = try await TestEnvironment(.sqlite)
        try await env.withClient { api in
            var names: [String] = []
            for index in 0..<3 {
                let device = try await api.enroll(.corporate, platformId: "search-\(index)")
                var inventory = SampleInventory.make(appCount: 0)
                inventory.hardware.deviceName = "finance-\(index)"
                names.append(inventory.hardware.deviceName!)
                _ = try await api.checkIn(device.deviceSecret, try SampleInventory.fullRequest(inventory))
            }
            let other = try await api.enroll(.corporate, platformId: "search-other")
            let browser = Browser(api: api, session: api.adminToken)
            // A search in the query string is not read (a link could carry it into logs and history).
            let ignored = String(decoding: try await browser.get("/devices?q=finance-1").body, as: UTF8.self)
            #expect(ignored.contains("finance-0") && ignored.contains(other.deviceId.rawValue))
            let found = try await browser.post("/devices/search", [("q", "finance-1")])
            let html = String(decoding: found.body, as: UTF8.self)
            #expect(found.status == .ok && html.contains("finance-1") && !html.contains("finance-0"))
            // Its orders and export post the term again; no link holds it.
            #expect(!html.contains("q=finance") && html.contains("name=\"q\" value=\"finance-1\""))
            let csv = String(decoding: try await browser.post("/devices.csv", [("q", "finance-")]).body, as: UTF8.self)
            #expect(csv.split(separator: "\r\n").count == 4)
            // Without the page's token a search is refused like any other form.
            #expect(try await browser.post("/devices/search", [("q", "finance-1")], csrf: .some(nil)).status == .forbidden)
        }
    }

    @Test(arguments: StoreKind.available) func aFormWithoutItsTokenOrFromAnotherSiteChangesNothing(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            let device = try await api.enroll(.corporate)
            let browser = Browser(api: api, session: api.adminToken)
            let path = "/devices/\(device.deviceId.rawValue)/tasks"
            func tasks() async throws -> Int {
                try await api.send(.GET, APIRoute.listRemoteTasks.path(device.deviceId.rawValue), token: api.adminToken)
                    .decode(Page<RemoteTaskView>.self).items.count
            }
            let missing = try await browser.post(path, [("kind", "sync")], csrf: .some(nil))
            #expect(missing.status == .forbidden)
            #expect(String(decoding: missing.body, as: UTF8.self).contains("security token"))
            #expect(try await browser.post(path, [("kind", "sync")], csrf: "0123456789abcdef0123456789abcdef").status == .forbidden)
            #expect(try await browser.post(path, [("kind", "sync")], origin: "https://evil.example").status == .forbidden)
            // Another admin's token is no token of this session.
            let otherSession = Console.csrfToken(forSession: env.otherTenant.adminToken)
            #expect(try await browser.post(path, [("kind", "sync")], csrf: .some(otherSession)).status == .forbidden)
            #expect(try await tasks() == 0)

            let sent = try await browser.post(path, [("kind", "sync")])
            #expect(sent.status == .seeOther && sent.headers[.location] == "/devices/\(device.deviceId.rawValue)?done=task")
            #expect(try await tasks() == 1)
            // The same audit entry as the API's.
            let entry = try await env.storage.auditEntries(tenantID: env.tenant.tenantId, query: AuditQuery(newestFirst: true, limit: 1)).first
            #expect(entry?.activity == "RemoteTask" && entry?.targetID == device.deviceId.rawValue)
            // A wipe needs the kind typed again, as in the API.
            let wipe = try await browser.post(path, [("kind", "wipe"), ("confirm", "wip")])
            #expect(wipe.status == .badRequest && String(decoding: wipe.body, as: UTF8.self).contains("confirm"))
            #expect(try await tasks() == 1)
        }
    }

    /// A time shows its date and minute in UTC, the whole time in the attribute (checked against
    /// Foundation's own formatter, over times either side of midnight and of a year's end).
    @Test func timesShowTheDateAndMinuteInUTC() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0, 59, 86_399, 1_798_761_599, 1_798_761_600, 1_796_558_461] {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
            let attribute = formatter.string(from: date)
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            #expect(Layout.time(date).markup == "<time datetime=\"\(attribute)\">\(formatter.string(from: date))</time>")
        }
        #expect(Layout.time(nil).markup == "—")
    }

    @Test func pagesCarryTheSecurityHeadersAndAssetsAreCachedForAYear() async throws {
        let env = try await TestEnvironment(.sqlite)
        try await env.withClient { api in
            let browser = Browser(api: api, session: api.adminToken)
            for path in ["/", "/devices", "/sign-in", "/devices/nonsense"] {
                let page = try await browser.get(path)
                #expect(page.headers[.contentSecurityPolicy] == Console.contentSecurityPolicy, "\(path)")
                #expect(!(page.headers[.contentSecurityPolicy] ?? "").contains("unsafe-inline"))
                #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(path)")
                #expect(page.headers[.cacheControl] == "no-store", "\(path)")
            }
            let home = String(decoding: try await browser.get("/").body, as: UTF8.self)
            for asset in Asset.all {
                #expect(home.contains(asset.path))
                let file = try await browser.get(asset.path)
                #expect(file.status == .ok && file.headers[.cacheControl] == "public, max-age=31536000, immutable")
            }
            #expect(try await browser.get("/assets/console-0000000000000000.css").status == .notFound)
            // No inline script or style anywhere: the policy would block it.
            #expect(!home.contains("<script>") && !home.contains("style=") && !home.contains("onclick"))
        }
    }

    /// The session is read from the `Cookie` headers by its exact name, among other cookies and
    /// whitespace, in one header or several (HTTP/2 sends one field per cookie).
    @Test func theSessionCookieIsFoundByItsExactNameAmongOthers() async throws {
        let env = try await TestEnvironment(.sqlite)
        try await env.withClient { api in
            func status(_ cookies: [String]) async throws -> HTTPResponse.Status {
                var headers = HTTPFields()
                for cookie in cookies { headers.append(HTTPField(name: .cookie, value: cookie)) }
                return try await api.send(.GET, "/devices", headers: headers, body: nil).status
            }
            let session = api.adminToken
            let signedIn = [
                ["steward_session=\(session)"],
                ["theme=dark;steward_session_old=x;   steward_session=\(session); last=1"],
                ["theme=dark", "steward_session=\(session)"],
            ]
            for cookies in signedIn {
                let answer = try await status(cookies)
                #expect(answer == .ok, "\(cookies)")
            }
            // Not signed in: the page sends the browser to the sign-in form.
            let signedOut = [
                ["steward_session_old=\(session)"], ["xsteward_session=\(session)", "steward_session"], ["steward_session=nonsense"], [],
            ]
            for cookies in signedOut {
                let answer = try await status(cookies)
                #expect(answer == .seeOther, "\(cookies)")
            }
        }
    }

    @Test func signingInThroughTheFormAsksTheTenantAndTheCodeWhenNeeded() async throws {
        let env = try await TestEnvironment(.sqlite)
        try await env.withClient { api in
            let world = try await AdminWorld(env, api)
            let (admin, token) = try await world.admin(holding: [.devicesRead])
            // This deployment has two tenants: the form asks which.
            let form = String(decoding: try await api.send(.GET, "/sign-in", headers: [:], body: nil).body, as: UTF8.self)
            #expect(form.contains("name=\"tenant\"") && form.contains("name=\"userName\"") && form.contains("name=\"password\""))
            #expect(!form.contains("name=\"totp\""))
            func signIn(_ fields: [(String, String)]) async throws -> APIResponse {
                var headers = HTTPFields()
                headers[.contentType] = "application/x-www-form-urlencoded"
                return try await api.send(.POST, "/sign-in", headers: headers, body: fields.map { "\($0.0)=\(Browser.encode($0.1))" }.joined(separator: "&"))
            }
            let tenant = env.tenant.tenantId.rawValue
            let wrong = try await signIn([("tenant", tenant), ("userName", admin.userName!), ("password", "nope")])
            #expect(wrong.status == .unauthorized && wrong.headers[.setCookie] == nil)
            let good = try await signIn([("tenant", tenant), ("userName", admin.userName!), ("password", AdminWorld.password)])
            #expect(good.status == .seeOther && good.headers[.location] == "/")
            let cookie = try #require(good.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.hasPrefix("steward_session="))
            #expect(!cookie.contains("Secure"))
            // Behind a TLS-terminating proxy the cookie is Secure.
            var proxied = HTTPFields()
            proxied[.contentType] = "application/x-www-form-urlencoded"
            proxied[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let secure = try await api.send(
                .POST, "/sign-in", headers: proxied,
                body: "tenant=\(tenant)&userName=\(admin.userName!)&password=\(Browser.encode(AdminWorld.password))")
            #expect(secure.headers[.setCookie]?.contains("Secure") == true)

            // With a second factor the form asks for the code, then signs in with it.
            let setup: TOTPSetupView = try await api.created(.POST, APIRoute.startTOTP.path, nil as String?, token: token)
            let confirmed = try await api.send(.POST, APIRoute.confirmTOTP.path, token: token, json: TOTPCodeRequest(code: totpCode(setup.secret, env)))
            #expect(confirmed.status == .noContent)
            let asked = try await signIn([("tenant", tenant), ("userName", admin.userName!), ("password", AdminWorld.password)])
            #expect(asked.status == .unauthorized && String(decoding: asked.body, as: UTF8.self).contains("name=\"totp\""))
            let withCode = try await signIn([
                ("tenant", tenant), ("userName", admin.userName!), ("password", AdminWorld.password), ("totp", totpCode(setup.secret, env)),
            ])
            #expect(withCode.status == .seeOther && withCode.headers[.setCookie] != nil)
            // Signing out ends the session: its cookie no longer opens a page.
            let session = String(try #require(withCode.headers[.setCookie]).split(separator: ";")[0].dropFirst("steward_session=".count))
            let browser = Browser(api: api, session: session)
            #expect(try await browser.get("/devices").status == .ok)
            #expect(try await browser.post("/sign-out", []).status == .seeOther)
            #expect(try await browser.get("/devices").status == .seeOther)
        }
    }
}

/// The authenticator's current code for a TOTP secret, at the test clock's time.
func totpCode(_ secret: String, _ env: TestEnvironment) -> String {
    String(format: "%06d", TOTP(secret: secret).compute(date: env.clock.now))
}
