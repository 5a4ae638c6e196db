import Foundation
import StewardModel

/// The devices list and one device's page.
public enum DevicePages {
    /// The list's filters, as the page's query string carries them.
    public struct Filters: Sendable, Equatable {
        public var search: String?
        public var platform: String?
        public var ownership: String?
        public var operatingSystem: String?
        /// `1d`, `7d`, `30d` (checked in within) or `inactive` (not for `ReportSummary.inactiveDaysDefault` days).
        public var seen: String?
        public var serial: String?
        /// `name` or `lastCheckIn`; nil for enrollment order.
        public var sort: String?
        public var cursor: String?

        public init(
            search: String? = nil, platform: String? = nil, ownership: String? = nil, operatingSystem: String? = nil, seen: String? = nil,
            serial: String? = nil, sort: String? = nil, cursor: String? = nil
        ) {
            self.search = search
            self.platform = platform
            self.ownership = ownership
            self.operatingSystem = operatingSystem
            self.seen = seen
            self.serial = serial
            self.sort = sort
            self.cursor = cursor
        }

        public var pairs: [(String, String?)] {
            [("q", search), ("platform", platform), ("ownership", ownership), ("os", operatingSystem), ("seen", seen), ("serial", serial), ("sort", sort)]
        }

        /// A name or serial number searched for: personal data, so it travels in form posts,
        /// never in a URL (history, proxies, referrers).
        public var isPrivate: Bool { search != nil || serial != nil }

        /// Where these filters lead (with a cursor or another order): a link, or for a private
        /// search a small form that posts them.
        func go(_ label: HTML, viewer: ConsoleViewer, cursor: String? = nil, sort: String?? = .none, csv: Bool = false, id: String? = nil) -> HTML {
            var copy = self
            if case .some(let order) = sort { copy.sort = order }
            let pairs = copy.pairs + [("cursor", cursor)]
            let path = csv ? "/devices.csv" : "/devices"
            guard isPrivate else {
                return "<a href=\"\(path + QueryString.make(pairs))\"\(id.map { HTML(" id=\"\($0)\"") } ?? .empty)>\(label)</a>"
            }
            let hidden = pairs.compactMap { name, value in value.map { (name, $0) } }.html { name, value in
                "<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">"
            }
            return viewer.form(
                csv ? "/devices.csv" : "/devices/search", class: "inline",
                hidden + "<button type=\"submit\" class=\"link\"\(id.map { HTML(" id=\"\($0)\"") } ?? .empty)>\(label)</button>")
        }
    }

    public static func list(
        viewer: ConsoleViewer, page: Page<DeviceView>, filters: Filters, operatingSystems: [String], flash: Flash? = nil
    ) -> HTML {
        let options = { (name: String, values: [(String, String)], selected: String?) -> HTML in
            "<select name=\"\(name)\" id=\"f-\(name)\"><option value=\"\">All</option>\(values.html { value, label in "<option value=\"\(value)\"\(value == selected ? HTML(" selected") : .empty)>\(label)</option>" })</select>"
        }
        // Name and serial searches post (their terms are personal); the rest are plain links.
        let form: HTML = """
            <form class="filters" method="post" action="/devices/search" role="search">\
            <input type="hidden" name="csrf" value="\(viewer.csrfToken)">\
            <label for="f-q">Name or user ID<input type="search" id="f-q" name="q" value="\(filters.search ?? "")" placeholder="Name starts with…"></label>\
            <label for="f-platform">Platform\(options("platform", Platform.allCases.map { ($0.rawValue, $0.rawValue) }, filters.platform))</label>\
            <label for="f-ownership">Ownership\(options("ownership", Ownership.allCases.map { ($0.rawValue, $0.rawValue) }, filters.ownership))</label>\
            <label for="f-os">Operating system\(options("os", operatingSystems.map { ($0, $0) }, filters.operatingSystem))</label>\
            <label for="f-seen">Last check-in\(options("seen", [("1d", "Within a day"), ("7d", "Within 7 days"), ("30d", "Within 30 days"), ("inactive", "Not for 7 days")], filters.seen))</label>\
            <label for="f-serial">Serial number<input type="search" id="f-serial" name="serial" value="\(filters.serial ?? "")"></label>\
            \(filters.sort.map { HTML("<input type=\"hidden\" name=\"sort\" value=\"\($0)\">") } ?? .empty)\
            <button type="submit">Filter</button></form>\
            <p>\(filters.go("Export these devices as CSV", viewer: viewer, csv: true, id: "export-csv"))</p>
            """
        let rows = page.items.html { device in
            """
            <tr><td><a href="/devices/\(device.id.rawValue)">\(device.deviceName ?? "(unnamed)")</a></td>\
            <td>\(device.platform.rawValue)</td><td>\(device.operatingSystem) \(device.osVersion ?? "")</td>\
            <td>\(device.ownership.rawValue)</td><td>\(device.serialNumber)</td>\
            <td class="num">\(device.appCount)</td><td>\(Layout.time(device.lastCheckInAt))</td><td>\(Layout.time(device.enrolledAt))</td></tr>
            """
        }
        let table: HTML = page.items.isEmpty
            ? "<p class=\"muted\">No device matches.</p>"
            : """
                <table class="data" id="devices"><thead><tr>\(sortable("Name", "name", filters, viewer))<th scope="col">Platform</th>\
                <th scope="col">Operating system</th><th scope="col">Ownership</th><th scope="col">Serial number</th>\
                <th scope="col" class="num">Apps</th>\(sortable("Last check-in", "lastCheckIn", filters, viewer))\
                \(sortable("Enrolled", nil, filters, viewer))</tr></thead><tbody>\(rows)</tbody></table>
                """
        let first = filters.cursor != nil ? filters.go("« First page", viewer: viewer) : HTML.empty
        let next = page.nextCursor.map { filters.go("Next page »", viewer: viewer, cursor: $0, id: "next-page") } ?? .empty
        return Layout.page(
            title: "Devices", section: .devices, viewer: viewer, flash: flash,
            "<h1>Devices</h1>\(form)\(table)<nav class=\"pager\" aria-label=\"Pages\">\(first)\(next)</nav>")
    }

    /// A column heading that orders the list by it (a link; the current order is marked).
    static func sortable(_ label: String, _ sort: String?, _ filters: Filters, _ viewer: ConsoleViewer) -> HTML {
        let current = filters.sort == sort
        let direction = sort == "lastCheckIn" ? "descending" : "ascending"
        let text = HTML.text(label + (current ? (sort == "lastCheckIn" ? " ↓" : " ↑") : ""))
        return """
            <th scope="col"\(current ? HTML(" aria-sort=\"\(direction)\"") : .empty)>\(filters.go(text, viewer: viewer, sort: .some(sort)))</th>
            """
    }

    /// One shown field of a device: its label, value and where the catalog files it.
    struct Field {
        let label: String
        let value: HTML
        let column: String
    }

    public struct Detail: Sendable {
        public var device: DeviceView
        public var apps: Page<AppRecord>?
        public var managedApps: [DeviceManagedAppView]
        public var tasks: [RemoteTaskView]
        /// How Apple's MDM protocol manages it (nil for any other device).
        public var appleMDM: AppleMDMEnrollmentView?
        public init(
            device: DeviceView, apps: Page<AppRecord>?, managedApps: [DeviceManagedAppView], tasks: [RemoteTaskView],
            appleMDM: AppleMDMEnrollmentView? = nil
        ) {
            self.appleMDM = appleMDM
            self.device = device
            self.apps = apps
            self.managedApps = managedApps
            self.tasks = tasks
        }
    }

    public static func detail(viewer: ConsoleViewer, _ detail: Detail, appsCursor: String?, flash: Flash? = nil) -> HTML {
        let device = detail.device
        let fields: [Field] = [
            Field(label: "Device ID", value: "\(device.id.rawValue)", column: "id"),
            Field(label: "Name", value: "\(device.deviceName)", column: "device_name"),
            Field(label: "Platform", value: "\(device.platform.rawValue)", column: "platform"),
            Field(label: "Ownership", value: "\(device.ownership.rawValue)", column: "ownership"),
            Field(label: "Manufacturer", value: "\(device.manufacturer)", column: "manufacturer"),
            Field(label: "Model", value: "\(device.model)", column: "model"),
            Field(label: "Serial number", value: "\(device.serialNumber)", column: "serial_number"),
            Field(label: "Operating system", value: "\(device.operatingSystem)", column: "os_name"),
            Field(label: "OS version", value: "\(device.osVersion)", column: "os_version"),
            Field(label: "Kernel", value: "\(device.kernelVersion)", column: "kernel_version"),
            Field(label: "Processor", value: "\(device.cpuCores.map { "\($0) × " } ?? "")\(device.cpuModel ?? "—")", column: "cpu_model"),
            Field(label: "Memory", value: "\(Layout.bytes(device.memoryBytes))", column: "memory_bytes"),
            Field(label: "Disk", value: "\(Layout.bytes(device.diskBytes))", column: "disk_bytes"),
            Field(label: "Platform identifier", value: "\(device.platformId)", column: "platform_id"),
            Field(label: "IMEI", value: "\(device.imei)", column: "imei"),
            Field(label: "MEID", value: "\(device.meid)", column: "meid"),
            Field(label: "ICCID", value: "\(device.iccid)", column: "iccid"),
            Field(label: "Phone number", value: "\(device.phoneNumber)", column: "phone_number"),
            Field(label: "Wi-Fi MAC address", value: "\(device.wifiMacAddress)", column: "wifi_mac_address"),
            Field(label: "MAC addresses", value: "\(device.macAddresses.isEmpty ? "—" : device.macAddresses.joined(separator: ", "))", column: "network_interfaces.macAddress"),
            Field(label: "IP addresses", value: "\(device.ipAddresses.isEmpty ? "—" : device.ipAddresses.joined(separator: ", "))", column: "network_interfaces.ipAddresses"),
            Field(label: "User", value: device.userId.map { "<a href=\"/users/\($0.rawValue)\">\($0.rawValue)</a>" } ?? "—", column: "user_id"),
            Field(label: "Apps", value: "\(device.appCount)", column: "app_count"),
            Field(label: "Refused app reports", value: "\(device.refusedAppReports)", column: "refused_app_reports"),
            Field(label: "Agent version", value: "\(device.agentVersion)", column: "agent_version"),
            Field(label: "Enrolled", value: Layout.time(device.enrolledAt), column: "enrolled_at"),
            Field(label: "Last check-in", value: Layout.time(device.lastCheckInAt), column: "last_check_in_at"),
            Field(label: "Retired", value: Layout.time(device.retiredAt), column: "retired_at"),
        ]
        let fieldRows = fields.html { field in
            let entry = deviceCatalog[field.column]
            return """
                <dt>\(field.label)</dt><dd>\(field.value)</dd>\
                <dd>\(entry.map { HTML("\(Layout.badge($0.category)) <span class=\"source\">from \($0.source.rawValue)</span>") } ?? .empty)</dd>
                """
        }
        let personalNote: HTML = device.ownership == .personal
            ? "<p class=\"muted\">A personal device: its phone number is masked and only its managed apps are shown.</p>"
            : .empty
        return Layout.page(
            title: device.deviceName ?? "Device", section: .devices, viewer: viewer, flash: flash,
            """
            <h1>\(device.deviceName ?? "(unnamed device)")</h1>\(personalNote)\(actions(viewer: viewer, device: device))\
            <h2>Inventory</h2><div class="card"><dl class="fields" id="fields">\(fieldRows)</dl></div>\
            \(appleMDM(detail.appleMDM))\(managedApps(detail.managedApps))\(tasks(detail.tasks, device: device, viewer: viewer))\(apps(device: device, detail.apps, cursor: appsCursor))\
            \(viewer.may(.devicesDelete) ? "<h2>Delete</h2>" + viewer.form("/devices/\(device.id.rawValue)/delete", class: "filters",
                "<p class=\"muted\">Removes the device and everything collected from it; the machine must enroll again.</p>"
                + Layout.field("Type “delete” to confirm", name: "confirm", required: true, extra: " autocomplete=\"off\" data-confirm-text=\"delete\"")
                + "<button type=\"submit\" class=\"danger\" id=\"delete-device\">Delete device</button>") : .empty)
            """)
    }

    /// The catalog's entries of the devices table, by column (built once, not per page).
    static let deviceCatalog = Dictionary(DataCatalog.entries.filter { $0.table == "devices" }.map { ($0.column, $0) }) { first, _ in first }

    /// The remote actions the viewer's role allows; wipe and retire ask for the kind typed again.
    static func actions(viewer: ConsoleViewer, device: DeviceView) -> HTML {
        guard device.retiredAt == nil else { return "<p class=\"muted\">Retired: this device takes no more tasks.</p>" }
        let action = "/devices/\(device.id.rawValue)/tasks"
        var forms = HTML.empty
        if viewer.may(.devicesRemoteTask) {
            for (kind, label) in [(RemoteTaskKind.sync, "Sync now"), (.lock, "Lock"), (.restart, "Restart"), (.collectDiagnostics, "Collect diagnostics")] {
                forms += viewer.form(action, "<input type=\"hidden\" name=\"kind\" value=\"\(kind.rawValue)\"><button type=\"submit\" class=\"secondary\" id=\"task-\(kind.rawValue)\">\(label)</button>")
            }
        }
        for kind in [RemoteTaskKind.retire, .wipe] where viewer.may(.devicesRemoteTask) && viewer.may(kind.permission) {
            forms += viewer.form(
                action,
                """
                <input type="hidden" name="kind" value="\(kind.rawValue)">\
                <label for="confirm-\(kind.rawValue)">Type “\(kind.rawValue)” to confirm\
                <input id="confirm-\(kind.rawValue)" name="confirm" autocomplete="off" required data-confirm-text="\(kind.rawValue)"></label>\
                <button type="submit" class="danger" id="task-\(kind.rawValue)">\(kind == .wipe ? "Wipe" : "Retire")</button>
                """)
        }
        if viewer.may(.devicesUpdate) {
            forms += viewer.form(
                "/devices/\(device.id.rawValue)",
                Layout.select("Ownership", name: "ownership", Ownership.allCases.map { ($0.rawValue, $0.rawValue) }, selected: device.ownership.rawValue)
                    + Layout.field("User ID (none to clear)", name: "userId", value: device.userId?.rawValue)
                    + "<button type=\"submit\" class=\"secondary\" id=\"update-device\">Save</button>")
        }
        return forms == .empty ? .empty : "<div class=\"actions card\" id=\"actions\">\(forms)</div>"
    }

    /// Apple MDM: the enrollment, and the commands not yet answered or answered this week.
    static func appleMDM(_ enrollment: AppleMDMEnrollmentView?) -> HTML {
        guard let enrollment else { return .empty }
        let kind = enrollment.enrollmentType == .user
            ? "User Enrollment (personal: no serial number, IMEI, phone number or MAC address is collected)" : "Device enrollment"
        let push: HTML
        if let refused = enrollment.pushTokenRefusedAt {
            push = "Apple refused its push token on \(Layout.time(refused)): it is woken again once it sends a new one"
        } else {
            push = Layout.time(enrollment.lastPushAt)
        }
        let rows = enrollment.commands.suffix(20).reversed().html { command in
            "<tr><td>\(command.requestType)</td><td>\(Layout.state(command.state.rawValue))</td><td>\(Layout.time(command.queuedAt))</td><td>\(Layout.time(command.answeredAt))</td><td>\(command.errorCodes ?? "")</td></tr>"
        }
        let commands: HTML = enrollment.commands.isEmpty ? .empty : """
            <table class="data" id="apple-commands"><thead><tr><th scope="col">Command</th><th scope="col">State</th><th scope="col">Queued</th>\
            <th scope="col">Answered</th><th scope="col">Error</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        return """
            <h2>Apple device management</h2><div class="card" id="apple-mdm"><dl class="fields">\
            <dt>Enrollment</dt><dd>\(kind)</dd><dd></dd>\
            <dt>Enrolled</dt><dd>\(Layout.time(enrollment.enrolledAt))</dd><dd></dd>\
            <dt>Last poll</dt><dd>\(Layout.time(enrollment.lastSeenAt))</dd><dd></dd>\
            <dt>Last push</dt><dd>\(push)</dd><dd></dd>\
            <dt>Checked out</dt><dd>\(enrollment.checkedOutAt.map { Layout.time($0) } ?? "no")</dd><dd></dd>\
            <dt>Identity expires</dt><dd>\(Layout.time(enrollment.identityExpiresAt))</dd><dd></dd>\
            </dl></div>\
            \(commands)
            """
    }

    static func managedApps(_ apps: [DeviceManagedAppView]) -> HTML {
        guard !apps.isEmpty else { return .empty }
        let rows = apps.html { app in
            "<tr><td><a href=\"/apps/\(app.appId.rawValue)\">\(app.name)</a></td><td>\(Layout.state(app.state.rawValue))</td><td>\(app.errorCode)</td><td>\(Layout.time(app.updatedAt))</td></tr>"
        }
        return """
            <h2>Managed apps</h2><table class="data" id="managed-apps"><thead><tr><th scope="col">App</th><th scope="col">State</th>\
            <th scope="col">Error</th><th scope="col">Updated</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    static func tasks(_ tasks: [RemoteTaskView], device: DeviceView, viewer: ConsoleViewer) -> HTML {
        guard !tasks.isEmpty else { return "<h2>Remote tasks</h2><p class=\"muted\">No remote task yet.</p>" }
        let rows = tasks.html { task in
            """
            <tr><td>\(task.kind.rawValue)</td><td>\(Layout.state(task.state.rawValue))</td><td>\(task.createdBy)</td>\
            <td>\(Layout.time(task.createdAt))</td><td>\(Layout.time(task.sentAt))</td><td>\(Layout.time(task.completedAt))</td>\
            <td>\(task.result.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") } ?? "")</td>\
            <td>\(task.state == .pending && viewer.may(.devicesRemoteTask)
                ? viewer.form("/devices/\(device.id.rawValue)/tasks/\(task.id.rawValue)/cancel", "<button type=\"submit\" class=\"secondary\">Cancel</button>")
                : .empty)</td></tr>
            """
        }
        return """
            <h2>Remote tasks</h2><table class="data" id="tasks"><thead><tr><th scope="col">Task</th><th scope="col">State</th>\
            <th scope="col">By</th><th scope="col">Created</th><th scope="col">Sent</th><th scope="col">Ended</th>\
            <th scope="col">Result</th><th scope="col"></th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    static func apps(device: DeviceView, _ page: Page<AppRecord>?, cursor: String?) -> HTML {
        guard let page else {
            return device.ownership == .personal
                ? "<h2>Installed apps</h2><p class=\"muted\">\(device.appCount) apps; a personal device's apps are not listed one by one.</p>"
                : .empty
        }
        let rows = page.items.html { app in
            "<tr><td>\(app.name)</td><td>\(app.version)</td><td class=\"num\">\(Layout.bytes(app.sizeBytes))</td></tr>"
        }
        let base = "/devices/\(device.id.rawValue)"
        let next = page.nextCursor.map { base + QueryString.make([("apps", $0)]) + "#apps" }
        let search: HTML = """
            <form class="filters" method="get" action="\(base)#apps" role="search"><label for="f-apps">Apps from\
            <input type="search" id="f-apps" name="from" placeholder="Name starts with…"></label><button type="submit">Go</button></form>
            """
        return """
            <h2 id="apps">Installed apps (\(device.appCount))</h2>\(search)<table class="data" id="app-list"><thead><tr>\
            <th scope="col">Package</th><th scope="col">Version</th><th scope="col" class="num">Size</th></tr></thead>\
            <tbody>\(rows)</tbody></table>\(Layout.pager(next: next, first: cursor != nil ? base + "#apps" : nil))
            """
    }
}
