import Foundation
import StewardModel

/// Managed apps: the catalog, and one app with its assignments and install states.
public enum AppPages {
    public static func list(viewer: ConsoleViewer, page: Page<ManagedAppView>, summaries: [AppInstallSummary], cursor: String?) -> HTML {
        let rows = page.items.map { app -> [HTML] in
            ["<a href=\"/apps/\(app.id.rawValue)\">\(app.name)</a>", "\(app.publisher)", "\(app.version)", "\(app.platform.rawValue)", "\(app.packageId)"]
        }
        let states = AppInstallState.allCases
        let stacks = zip(page.items, summaries).map { app, summary in Chart.Stack(app.name, states.map { summary.devices(in: $0) }) }
        return Layout.page(
            title: "Apps", section: .apps, viewer: viewer,
            """
            <h1>Managed apps</h1>\(Layout.table(id: "apps", ["App", "Publisher", "Version", "Platform", "Package"], rows, empty: "No managed apps yet."))\
            \(Layout.pager(next: page.nextCursor.map { "/apps" + QueryString.make([("cursor", $0)]) }, first: cursor != nil ? "/apps" : nil))\
            <h2>Install states</h2>\(Chart.stackedBars(title: "Devices per install state", series: states.map(\.rawValue), stacks))
            """)
    }

    public struct Detail: Sendable {
        public var app: ManagedAppView
        public var assignments: [AppAssignmentView]
        public var summary: AppInstallSummary
        public var devices: Page<AppDeviceStatusView>
        public var users: Page<AppUserStatusView>
        public var groups: [GroupView]
        public init(
            app: ManagedAppView, assignments: [AppAssignmentView], summary: AppInstallSummary, devices: Page<AppDeviceStatusView>,
            users: Page<AppUserStatusView>, groups: [GroupView]
        ) {
            self.app = app
            self.assignments = assignments
            self.summary = summary
            self.devices = devices
            self.users = users
            self.groups = groups
        }
    }

    public static func detail(viewer: ConsoleViewer, _ detail: Detail, flash: Flash?) -> HTML {
        let app = detail.app
        let states = AppInstallState.allCases
        let names = Dictionary(detail.groups.map { ($0.id, $0.name) }) { first, _ in first }
        let assignmentRows = detail.assignments.map { assignment -> [HTML] in
            ["<a href=\"/groups/\(assignment.groupId.rawValue)\">\(names[assignment.groupId] ?? assignment.groupId.rawValue)</a>",
             "\(assignment.intent.rawValue)", Layout.time(assignment.createdAt)]
        }
        let assign: HTML = viewer.may(.appsAssign) && !detail.groups.isEmpty
            ? viewer.form(
                "/apps/\(app.id.rawValue)/assignments", class: "filters",
                Layout.select("Group", name: "groupId", detail.groups.map { ($0.id.rawValue, "\($0.name) (\($0.kind.rawValue)s)") })
                    + Layout.select("Intent", name: "intent", AssignmentIntent.allCases.map { ($0.rawValue, $0.rawValue) })
                    + "<button type=\"submit\">Assign</button>")
            : .empty
        let deviceRows = detail.devices.items.map { status -> [HTML] in
            ["<a href=\"/devices/\(status.deviceId.rawValue)\">\(status.deviceId.rawValue)</a>", Layout.state(status.state.rawValue),
             "\(status.errorCode)", Layout.time(status.updatedAt)]
        }
        let userRows = detail.users.items.map { status -> [HTML] in
            ["<a href=\"/users/\(status.userId.rawValue)\">\(status.userId.rawValue)</a>",
             "\(status.devicesByState.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"]
        }
        return Layout.page(
            title: app.name, section: .apps, viewer: viewer, flash: flash,
            """
            <h1>\(app.name)</h1><p class="muted">\(app.publisher ?? "") \(app.version ?? "") · \(app.platform.rawValue) · package \(app.packageId)</p>\
            \(Chart.stackedBars(title: "Install state of its devices", series: states.map(\.rawValue), [Chart.Stack(app.name, states.map { detail.summary.devices(in: $0) })]))\
            <h2>Assignments</h2>\(Layout.table(id: "assignments", ["Group", "Intent", "Since"], assignmentRows, empty: "Not assigned."))\(assign)\
            <div class="two"><div><h2>Devices</h2>\(Layout.table(id: "app-devices", ["Device", "State", "Error", "Updated"], deviceRows, empty: "No device has it yet."))</div>\
            <div><h2>Users</h2>\(Layout.table(id: "app-users", ["User", "Devices by state"], userRows, empty: "No user has it yet."))</div></div>
            """)
    }
}
