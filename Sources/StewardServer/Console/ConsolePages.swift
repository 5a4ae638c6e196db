import Foundation
import Hummingbird
import NIOCore
import StewardConsole
import StewardModel

/// The signed-in pages: each reads through the API routes it shows (with their permission
/// checks and tenant scope) and renders with StewardConsole.
struct ConsolePages: Sendable {
    typealias Context = StewardRequestContext
    let api: InProcessAPI
    let clock: Clock
    let publicURL: String?

    /// Fixed messages after a form's redirect (`?done=`): no text of the admin's in a URL.
    static let done: [String: String] = [
        "task": "The task was sent; it runs at the device's next check-in.",
        "device-updated": "The device was updated.",
        "member-added": "The member was added.",
        "member-removed": "The member was removed.",
        "assigned": "The app was assigned.",
        "identifiers": "The corporate identifiers were uploaded.",
        "admin-added": "The admin was added.",
        "admin-updated": "The admin was updated.",
        "password-reset": "The password was reset.",
        "role-assigned": "The role was assigned.",
        "settings": "The settings were saved.",
        "push-certificate": "The push certificate was uploaded.",
        "device-deleted": "The device was deleted.",
        "task-cancelled": "The task was cancelled.",
        "token-revoked": "The token was revoked.",
        "password-changed": "Your password was changed.",
        "totp-on": "The second factor is on: signing in now asks for its code.",
        "totp-off": "The second factor is off.",
        "message-sent": "The message was sent to the operator.",
        "case-closed": "The case was closed.",
        "case-open": "The case is open again.",
    ]

    func flash(_ request: Request) -> Flash? {
        request.uri.queryParameters.get("done").flatMap { Self.done[$0] }.map { Flash(.ok, $0) }
    }

    func viewer(_ request: Request, _ context: Context) throws -> ConsoleViewer {
        guard let viewer = Console.viewer(request, context) else { throw APIError.unauthorized }
        return viewer
    }

    // MARK: Dashboard

    func home(_ request: Request, context: Context) async throws -> Response {
        let viewer = try viewer(request, context)
        guard viewer.may(.reportsRead) else {
            if viewer.may(.devicesRead) { return Console.redirect("/devices") }
            return Console.html(Layout.page(
                title: "Welcome", section: nil, viewer: viewer,
                "<h1>Welcome</h1><p>Your role gives you no page of the console yet; ask an administrator.</p>"))
        }
        let summary = try await api.value(ReportSummary.self, .reportSummary, context)
        var apps: [DashboardPage.AppState] = []
        if viewer.may(.appsRead) {
            let catalog = try await api.value(Page<ManagedAppView>.self, .listApps, context, query: "limit=50")
            for app in catalog.items {
                let installs = try await api.value(AppInstallSummary.self, .appInstallSummary, context, parameters: ["id": app.id.rawValue])
                apps.append(.init(app: app, summary: installs))
            }
        }
        return Console.html(DashboardPage.render(viewer: viewer, summary: summary, apps: apps))
    }

    // MARK: Devices

    /// The list's filters from the query string; a name or serial search comes only by post.
    func filters(_ request: Request) -> DevicePages.Filters {
        let query = request.uri.queryParameters
        var filters = filters { query.get($0) }
        (filters.search, filters.serial) = (nil, nil)
        return filters
    }

    func filters(_ field: (String) -> String?) -> DevicePages.Filters {
        func value(_ name: String) -> String? {
            guard let raw = field(name)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        return DevicePages.Filters(
            search: value("q"), platform: value("platform"), ownership: value("ownership"), operatingSystem: value("os"),
            seen: value("seen"), serial: value("serial"), sort: value("sort"), cursor: value("cursor"))
    }

    /// The device list's API query for the page's filters.
    func apiQuery(_ filters: DevicePages.Filters, limit: Int, cursor: String?) throws -> String {
        let now = clock.now()
        var pairs: [(String, String?)] = [
            ("platform", filters.platform), ("ownership", filters.ownership), ("operatingSystem", filters.operatingSystem),
            ("serialNumber", filters.serial), ("sort", filters.sort), ("limit", String(limit)), ("cursor", cursor),
        ]
        if let search = filters.search {
            pairs.append(UserID.isWellFormed(search) ? ("userId", search) : ("namePrefix", search))
        }
        switch filters.seen {
        case nil: break
        case "1d", "7d", "30d":
            let days = Double(filters.seen!.dropLast())!
            pairs.append(("lastCheckInAfter", WireCoding.format(now.addingTimeInterval(-days * 86_400))))
        case "inactive":
            pairs.append(("lastCheckInBefore", WireCoding.format(now.addingTimeInterval(-Double(ReportSummary.inactiveDaysDefault) * 86_400))))
        default: throw WireError.invalidValue(field: "seen", reason: "one of 1d, 7d, 30d, inactive")
        }
        return String(QueryString.make(pairs).dropFirst())
    }

    func devices(_ request: Request, context: Context) async throws -> Response {
        try await devices(request, context, filters: filters(request))
    }

    /// A search posted from the filters form (or a page, order or export of one).
    func searchDevices(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        return try await devices(request, context, filters: filters { form[$0] })
    }

    func searchDevicesCSV(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        return try await devicesCSV(context, filters: filters { form[$0] })
    }

    func devices(_ request: Request, _ context: Context, filters: DevicePages.Filters) async throws -> Response {
        let viewer = try viewer(request, context)
        let page = try await api.value(
            Page<DeviceView>.self, .listDevices, context, query: try apiQuery(filters, limit: 50, cursor: filters.cursor))
        var systems: [String] = []
        if viewer.may(.reportsRead) {
            let counts = try await api.value(DeviceCounts.self, .reportDeviceCounts, context)
            systems = Array(Set(counts.byOperatingSystem.compactMap(\.name))).sorted()
        }
        return Console.html(DevicePages.list(viewer: viewer, page: page, filters: filters, operatingSystems: systems))
    }

    /// Every device the filters match, as CSV, page by page (never the whole list in memory).
    func devicesCSV(_ request: Request, context: Context) async throws -> Response {
        try await devicesCSV(context, filters: filters(request))
    }

    func devicesCSV(_ context: Context, filters: DevicePages.Filters) async throws -> Response {
        // Refused filters answer with an error page before the download starts.
        _ = try await api.value(Page<DeviceView>.self, .listDevices, context, query: try apiQuery(filters, limit: 1, cursor: nil))
        let (api, pages) = (api, self)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"devices.csv\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: CSV.row(CSV.deviceHeadings)))
            var cursor: String?
            repeat {
                let page = try await api.value(
                    Page<DeviceView>.self, .listDevices, context, query: try pages.apiQuery(filters, limit: Limits.maxPageSize, cursor: cursor))
                try await writer.write(ByteBuffer(string: page.items.map { CSV.row(CSV.device($0)) }.joined()))
                cursor = page.nextCursor
            } while cursor != nil
            try await writer.finish(nil)
        })
    }

    func device(_ request: Request, context: Context) async throws -> Response {
        let viewer = try viewer(request, context)
        let id = try context.id("id", DeviceID.self, "device")
        let parameters = ["id": id.rawValue]
        let device = try await api.value(DeviceView.self, .getDevice, context, parameters: parameters)
        let managed = try await api.value([DeviceManagedAppView].self, .listDeviceManagedApps, context, parameters: parameters)
        let tasks = try await api.value(Page<RemoteTaskView>.self, .listRemoteTasks, context, parameters: parameters, query: "limit=20")
        var apps: Page<AppRecord>?
        let query = request.uri.queryParameters
        let appsCursor = query.get("apps") ?? query.get("from").flatMap { $0.isEmpty ? nil : PageCursor.encode($0) }
        if PrivacyRules.showsAppInventory(ownership: device.ownership) {
            apps = try await api.value(
                Page<AppRecord>.self, .listDeviceApps, context, parameters: parameters,
                query: String(QueryString.make([("limit", "100"), ("cursor", appsCursor)]).dropFirst()))
        }
        var appleMDM: AppleMDMEnrollmentView?
        if device.agentVersion == AppleMDMController.agentVersion {
            do {
                appleMDM = try await api.value(AppleMDMEnrollmentView.self, .getAppleMDMEnrollment, context, parameters: parameters)
            } catch let error as APIError where error.status == .notFound {
                appleMDM = nil
            }
        }
        return Console.html(DevicePages.detail(
            viewer: viewer, .init(device: device, apps: apps, managedApps: managed, tasks: tasks.items, appleMDM: appleMDM), appsCursor: appsCursor,
            flash: flash(request)))
    }

    func createTask(_ request: Request, context: Context) async throws -> Response {
        let form = try await Console.form(request, context)
        let id = try context.id("id", DeviceID.self, "device")
        let kind = try RemoteTaskKind.parse(try form.required("kind"), field: "kind")
        try await api.perform(
            .createRemoteTask, context, parameters: ["id": id.rawValue], body: RemoteTaskRequest(kind: kind, confirm: form.text("confirm")))
        return Console.redirect("/devices/\(id.rawValue)?done=task")
    }
}

/// CSV for spreadsheets: every field quoted, and a leading `=`, `+`, `-` or `@` defused so a
/// device name cannot become a formula.
enum CSV {
    static func row(_ fields: [String?]) -> String {
        fields.map { field in
            var text = field ?? ""
            if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\r\n"
    }

    static let deviceHeadings = [
        "id", "deviceName", "platform", "ownership", "operatingSystem", "osVersion", "manufacturer", "model", "serialNumber",
        "appCount", "enrolledAt", "lastCheckInAt",
    ]

    static func device(_ device: DeviceView) -> [String?] {
        [
            device.id.rawValue, device.deviceName, device.platform.rawValue, device.ownership.rawValue, device.operatingSystem,
            device.osVersion, device.manufacturer, device.model, device.serialNumber, String(device.appCount),
            WireCoding.format(device.enrolledAt), device.lastCheckInAt.map(WireCoding.format),
        ]
    }
}
